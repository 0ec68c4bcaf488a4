"""The experiment specs shared by every study: data, model, training, seeds, runs and groups.

A spec says *what* to run. *Where* (device, data directory, download permission) is
not part of it, so the same spec hashes to the same id on a laptop and a GPU box.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from overfit_tui.core.ids import check_name
from overfit_tui.core.spec import LIST_MAX, check, check_ranges, field, from_dict, spec_hash, to_dict

SAMPLES_MAX = 1_000_000  # samples in a data set or a batch
STEPS_MAX = 1_000_000_000  # steps or epochs between two events, or in a budget
SEEDS_MAX = 1000  # seeds in one group
MODELS_MAX = 64  # architectures in one group
SEED_MAX = 2**32 - 1  # numpy's generators take seeds below 2**32
SEED_WHY = "numpy's generators take seeds below 2**32"

DatasetName = Literal["mnist1d", "mnist", "fashion-mnist", "cifar10", "gaussian"]
ModelName = Literal[
    "linear",
    "mlp",
    "cnn1d",
    "lenet",
    "alexnet_small",
    "inception_small",
    "vgg11",
    "lenet_300_100",
    "conv2",
    "conv4",
    "conv6",
    "lenet_valid",
]


@dataclass(frozen=True)
class DataSpec:
    """Which data set, how much of it, and how it is preprocessed."""

    name: DatasetName = field(
        "mnist1d", "data set: mnist1d (generated offline), mnist, fashion-mnist, cifar10, gaussian"
    )
    n_train: int = field(
        0,
        "training samples kept: a fixed, seeded, class-balanced draw (n/K per class); 0 = all",
        range="[0, 1000000]",
        why="the data sets here have at most 60,000 training samples",
    )
    n_test: int = field(
        0,
        "test samples kept: a fixed, seeded, class-balanced draw; 0 = all",
        range="[0, 1000000]",
        why="the data sets here have at most 60,000 training samples",
    )
    crop: int = field(
        0,
        "center crop to crop x crop pixels (the paper: 28 for CIFAR-10); 0 = none",
        range="[0, 32]",
        why="the largest images here are 32x32",
    )
    whiten: Literal["standardize", "per_image", "none"] = field(
        "standardize", "input normalisation: data set mean/std, per-image whitening (the paper), or none"
    )
    augment: bool = field(
        False, "random crops on the device: the image (or 1-D signal) moved by up to 2 pixels, zero fill; no flip"
    )
    gaussian_dim: int = field(
        40,
        "input dimension of the synthetic 'gaussian' data set",
        range="[1, 4096]",
        why="MNIST has 784 inputs, CIFAR-10 3,072",
    )
    gaussian_classes: int = field(10, "classes of the synthetic 'gaussian' data set", range="[2, 1000]")

    def __post_init__(self):
        check_ranges(self)
        if self.name == "gaussian":
            n = (self.n_train or 4000) + (self.n_test or 1000)
            check(
                n * self.gaussian_dim <= 2**28,
                "gaussian_dim",
                f"{n:,} samples x {self.gaussian_dim} inputs is over 1 GB of float32: use fewer samples or inputs",
            )


@dataclass(frozen=True)
class ModelSpec:
    """Architecture and its optional regularizers."""

    name: ModelName = field(
        "mlp",
        "architecture: linear, mlp, cnn1d, lenet, alexnet_small, inception_small, vgg11, lenet_300_100, conv2, conv4,"
        " conv6, lenet_valid",
    )
    width: int = field(
        0,
        "hidden units per layer (mlp) or base channels (conv nets); 0 = the model's default",
        range="[0, 65536]",
        why="wider layers are beyond every paper here and need GBs",
    )
    depth: int = field(
        1, "hidden layers (mlp only)", range="[0, 64]", why="deeper plain MLPs do not train without residuals"
    )
    batchnorm: bool = field(False, "BatchNorm after each hidden layer")
    dropout: float = field(0.0, "dropout probability before each hidden->next layer (0 = off)", range="[0, 1)")
    init: Literal["default", "glorot_uniform"] = field(
        "default", "weight init: torch's default, or Glorot-uniform weights with zero biases (Keras; Belkin et al.)"
    )
    lr: float = field(
        0.0,
        "this model's learning rate, overriding train.lr (Zhang et al.: 0.1 Inception, 0.01 others); 0 = train.lr",
        range="[0, 1e6]",
        why="0 = train.lr",
    )

    def __post_init__(self):
        check_ranges(self)

    @property
    def label(self) -> str:
        if self.name == "mlp":
            return f"mlp {self.depth}x{self.width or 512}"
        return self.name if not self.width else f"{self.name} w{self.width}"


@dataclass(frozen=True)
class TrainSpec:
    """The optimizer and the training loop's limits."""

    optimizer: Literal["sgd", "adam"] = field("sgd", "sgd (with momentum) or adam")
    lr: float = field(0.01, "initial learning rate", range="(0, 1e6]", why="a step of 1e6 already diverges at once")
    momentum: float = field(0.9, "SGD momentum (ignored by adam)", range="[0, 1)")
    lr_decay: float = field(
        0.95,
        "learning rate multiplied by this every lr_decay_every epochs (Zhang et al.: 0.95 per epoch)",
        range="(0, 1]",
    )
    lr_decay_every: int = field(
        1, "epochs between two learning-rate decays (Belkin et al.: x0.9 every 500 epochs)", range="[1, 1e9]"
    )
    weight_decay: float = field(0.0, "L2 weight decay coefficient", range="[0, 100]", why="the papers use <= 5e-4")
    batch_size: int = field(128, "samples per gradient step", range="[1, 1e6]")
    epochs: int = field(100, "maximum epochs", range="[1, 1e6]", why="Belkin et al. train 6,000")
    max_steps: int = field(0, "maximum gradient steps; 0 = no limit besides epochs", range="[0, 1e9]")
    target_train_acc: float = field(
        1.0, "stop once training accuracy reaches this (1.0 = fitted); 0 = never stop early", range="[0, 1]"
    )
    loss: Literal["ce", "mse"] = field("ce", "cross-entropy, or squared loss on one-hot targets")
    eval_every: int = field(1, "evaluate train and test sets every this many epochs", range="[1, 1e9]")
    log_every: int = field(20, "emit a step event (mean training loss) every this many steps", range="[1, 1e9]")
    fuse: Literal["auto", "off"] = field("auto", "train same-shaped runs of a group together (vmap) when it pays")

    def __post_init__(self):
        check_ranges(self)


@dataclass(frozen=True)
class Seeds:
    """Separate seeds for weight init, data order and data randomization (label noise, permutations)."""

    init: int = field(0, "seed of the weight initialization", range="[0, 4294967295]", why=SEED_WHY)
    order: int = field(
        0, "seed of the minibatch order, dropout masks and augmentation draws", range="[0, 4294967295]", why=SEED_WHY
    )
    noise: int = field(
        0, "seed of label corruption, pixel permutations and Gaussian inputs", range="[0, 4294967295]", why=SEED_WHY
    )

    def __post_init__(self):
        check_ranges(self)

    @classmethod
    def same(cls, seed: int) -> Seeds:
        """One replicate seed for all three (a preset's `seeds = [0, 1, 2]`)."""
        return cls(seed, seed, seed)

    @property
    def tag(self) -> str:
        """A short name for labels: 's1', or 'i1 o2 n0' when the three differ."""
        if self.init == self.order == self.noise:
            return f"s{self.init}"
        return f"i{self.init} o{self.order} n{self.noise}"


@dataclass(frozen=True)
class RunSpec:
    """One training run: everything needed to reproduce it, nothing about where it runs."""

    study: str
    label: str
    data: DataSpec
    model: ModelSpec
    train: TrainSpec
    seeds: Seeds
    params: Any  # the study's own frozen RunParams dataclass

    def to_dict(self) -> dict:
        return to_dict(self)

    @property
    def hash(self) -> str:
        return spec_hash(self)

    @classmethod
    def from_dict(cls, data: dict, params_cls: type) -> RunSpec:
        """Rebuild from `to_dict()`; `params_cls` is the study's RunParams (studies.groups does the lookup)."""
        return cls(
            study=data["study"],
            label=data["label"],
            data=from_dict(DataSpec, data.get("data")),
            model=from_dict(ModelSpec, data.get("model")),
            train=from_dict(TrainSpec, data.get("train")),
            seeds=from_dict(Seeds, data.get("seeds")),
            params=from_dict(params_cls, data.get("params")),
        )


@dataclass(frozen=True)
class GroupSpec:
    """What a preset describes: a study, its shared settings and its sweep parameters."""

    study: str
    name: str
    data: DataSpec
    models: tuple[ModelSpec, ...]
    train: TrainSpec
    seeds: tuple[Seeds, ...]  # one replicate of every run per entry
    params: Any  # the study's own frozen Params dataclass
    description: str = ""

    def __post_init__(self):
        check_name(self.name)
        check(0 < len(self.models) <= MODELS_MAX, "models", f"one to {MODELS_MAX} [[models]] tables")
        for i, m in enumerate(self.models):
            check(m not in self.models[:i], f"models[{i}]", f"the same model as models[{self.models.index(m)}]")
        check(
            0 < len(self.seeds) <= min(SEEDS_MAX, LIST_MAX),
            "seeds",
            f"one to {SEEDS_MAX} seeds (a group of 0 runs does nothing)",
        )
        for i, s in enumerate(self.seeds):
            check(s not in self.seeds[:i], f"seeds[{i}]", f"replicate {s.tag} is listed twice")

    def seed_tag(self, seeds: Seeds) -> str:
        """' s1' appended to labels when the group has several replicates, else ''."""
        return f" {seeds.tag}" if len(self.seeds) > 1 else ""

    def to_dict(self) -> dict:
        """Preset-shaped: replicate seeds read back as integers where init = order = noise."""
        out = to_dict(self)
        out["seeds"] = [s.init if s.tag == f"s{s.init}" else to_dict(s) for s in self.seeds]
        return out

    @property
    def hash(self) -> str:
        return spec_hash(self)

    def train_for(self, model: ModelSpec) -> TrainSpec:
        """The training spec of `model`'s runs: train.lr unless the model sets its own."""
        return replace(self.train, lr=model.lr) if model.lr else self.train
