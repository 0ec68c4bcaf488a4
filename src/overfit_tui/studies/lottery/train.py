"""How a lottery-ticket job runs (studies/lottery/spec.py): one seed's chain of IMP rounds, each
round's arms (ticket, reinit, random) trained together, masks and starting weights kept as
checkpoints, and the early-stopping split held out of the training set.

Checkpoints per run: 'mask' (bool, prunable tensors only) and 'theta0' (the weights the run
starts from before masking: θ₀ or θ_k for the ticket and random pruning, a fresh init for
reinit), written as soon as they are known (for round r + 1: right after round r ends), and
'final' (the trained ticket, from which the next mask comes). A run whose checkpoints exist
starts from them; one without them derives its mask from the chain, replaying earlier rounds'
tickets silently where this job did not train them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
from torch import nn

from overfit_tui.core.errors import SpecError
from overfit_tui.core.specs import DataSpec, ModelSpec, RunSpec, Seeds
from overfit_tui.core.status import Status
from overfit_tui.engine.data import Dataset
from overfit_tui.engine.hooks import Hook, Hooks
from overfit_tui.engine.models import MODELS, build_model
from overfit_tui.engine.train import Member, train
from overfit_tui.studies.lottery.spec import input_shape, num_classes
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import load_data
from overfit_tui.studies.shared.jobs import fusable_spec
from overfit_tui.studies.shared.pruning import (
    EarlyStopBooks,
    MaskHook,
    apply_mask,
    dense_mask,
    layer_sizes,
    magnitude_prune,
    per_layer,
    prunable_layers,
    random_like,
    remaining,
)

REPLAY_RUN = 1_000_000  # member ids of silent replays, apart from the job's run indices


def layout(model: ModelSpec, data: DataSpec, biases: bool):
    """The model's prunable layers and their sizes, without allocating it (meta tensors)."""
    with torch.device("meta"):
        m = MODELS.get(model.name)(model, input_shape(data), num_classes(data))
    layers = prunable_layers(m, biases)
    return layers, layer_sizes(m, layers)


def reinit_seed(seeds: Seeds, rnd: int) -> int:
    return 1_000_003 * (seeds.init + 1) + rnd  # never the ticket's own init seed


def random_seed(seeds: Seeds, rnd: int) -> int:
    return 2_000_003 * (seeds.init + 1) + rnd


@dataclass
class Chain:
    """One seed's IMP state after the last ticket it trained."""

    trained: int = -1  # that ticket's round (-1: none yet)
    mask: dict | None = None  # its mask
    theta: dict | None = None  # the rewind point θ_k (θ₀ when k = 0)
    final: dict | None = None  # its trained weights
    broken: bool = False  # a ticket did not finish: later rounds cannot be built
    next_masks: dict = field(default_factory=dict)  # round -> the ticket mask of that round


class _PerRun(Hook):
    def __init__(self, extra: dict[int, dict]):
        self.extra = extra

    def on_done(self, run, result):
        result.extra.update(self.extra.get(run, {}))


class _Silent(Hook):
    """The sink of a replay: no events or records, but a stop request still stops it."""

    def __init__(self, ctx: ExecContext):
        self.ctx = ctx

    def should_stop(self) -> bool:
        return self.ctx.should_stop()


class Job:
    def __init__(self, runs: list[RunSpec], ctx: ExecContext):
        self.runs, self.ctx = runs, ctx
        self.base = load_data(runs[0].data, ctx)
        self.shape, self.k = self.base.input_shape, self.base.num_classes
        self.layers = prunable_layers(self.init(runs[0], 0), runs[0].params.prune_biases)
        self.chains: dict[Seeds, Chain] = {}
        self.splits: dict[int, tuple[Dataset, tuple]] = {}
        self.starts: dict[int, tuple[dict, dict]] = {}

    # -- data and weights --------------------------------------------------------------
    def split(self, run: RunSpec) -> tuple[Dataset, tuple[torch.Tensor, torch.Tensor]]:
        """The training set less a validation split drawn from the noise seed, on the device."""
        key = run.seeds.noise
        if key not in self.splits:
            b, n = self.base, len(self.base.x_train)
            if run.params.val_size >= n:
                raise SpecError("params.val_size", f"{run.params.val_size} leaves no training sample of {n}")
            perm = torch.randperm(n, generator=torch.Generator().manual_seed(key))
            val, keep = perm[: run.params.val_size], perm[run.params.val_size :].sort().values
            d = Dataset(b.name, b.x_train[keep], b.y_train[keep], b.x_test, b.y_test, b.num_classes)
            d = d.to(self.ctx.device)
            self.splits[key] = (d, (b.x_train[val].to(self.ctx.device), b.y_train[val].to(self.ctx.device)))
        return self.splits[key]

    def init(self, run: RunSpec, seed: int) -> nn.Module:
        return build_model(run.model, self.shape, self.k, seed)  # models.init: the paper's Glorot-uniform

    def state0(self, run: RunSpec, seed: int) -> dict:
        return {k: v.detach().clone() for k, v in self.init(run, seed).state_dict().items()}

    def chain(self, run: RunSpec) -> Chain:
        return self.chains.setdefault(run.seeds, Chain())

    # -- masks -------------------------------------------------------------------------
    def ticket_mask(self, run: RunSpec, rnd: int) -> dict:
        """The ticket mask of round rnd >= 1: the previous ticket pruned (replayed if need be)."""
        ch = self.chain(run)
        if rnd not in ch.next_masks:
            if ch.trained < rnd - 1:
                self.replay(run, rnd - 1)
            if ch.trained != rnd - 1 or ch.broken:
                raise RuntimeError(f"round {rnd - 1} of this chain did not finish: no mask for round {rnd}")
            p = run.params
            ch.next_masks[rnd] = magnitude_prune(ch.final, ch.mask, self.layers, p.rates, p.strategy)
        return ch.next_masks[rnd]

    def derive(self, run: RunSpec) -> tuple[dict, dict]:
        p, ch = run.params, self.chain(run)
        if p.round == 0:
            return dense_mask(self.init(run, 0), self.layers), self.state0(run, run.seeds.init)
        mask = self.ticket_mask(run, p.round)
        if p.arm == "reinit":
            return mask, self.state0(run, reinit_seed(run.seeds, p.round))
        if p.arm == "random":
            return random_like(mask, self.layers, random_seed(run.seeds, p.round)), ch.theta
        return mask, ch.theta

    def prepare(self, i: int) -> None:
        """Run i's mask and starting weights: from its checkpoints, or derived and saved."""
        if i in self.starts:
            return
        mask, theta = self.ctx.load_checkpoint(i, "mask"), self.ctx.load_checkpoint(i, "theta0")
        if mask is None or theta is None:
            mask, theta = self.derive(self.runs[i])
            self.ctx.save_checkpoint(i, "mask", {k: v.bool() for k, v in mask.items()})
            self.ctx.save_checkpoint(i, "theta0", theta)
        self.starts[i] = ({k: v.float() for k, v in mask.items()}, theta)

    def replay(self, run: RunSpec, upto: int) -> None:
        """Train this chain's tickets up to round `upto` without recording them."""
        ch = self.chain(run)
        for q in range(ch.trained + 1, upto + 1):
            ticket = replace(run, params=replace(run.params, round=q, arm="ticket"))
            mask, theta = self.derive(ticket)
            (res,), rewound = self.train([(REPLAY_RUN + q, ticket, mask, theta)], _Silent(self.ctx))
            self.after_ticket(ticket, mask, theta, res, rewound.get(REPLAY_RUN + q))

    def after_ticket(self, run: RunSpec, mask: dict, theta: dict, res, rewound: dict | None) -> None:
        ch = self.chain(run)
        if res.status != Status.FINISHED:
            ch.broken = True
            return
        if run.params.round == 0:
            if rewound is None:
                raise RuntimeError(f"the dense run never reached rewind_step {run.params.rewind_step}")
            theta = rewound
        ch.trained, ch.mask, ch.theta, ch.final = run.params.round, mask, theta, res.state

    # -- training ----------------------------------------------------------------------
    def train(self, entries: list[tuple[int, RunSpec, dict, dict]], sink: Hook):
        """Train (member id, run, mask, θ) entries together; returns results and captured θ_k."""
        p0, spec = entries[0][1].params, entries[0][1].train
        members, masks, val, test, extra = [], {}, {}, {}, {}
        for j, run, mask, theta in entries:
            data, v = self.split(run)
            model = self.init(run, 0)
            model.load_state_dict(theta)
            apply_mask(model, mask)
            members.append(
                Member(
                    model.to(self.ctx.device),
                    data.x_train,
                    data.y_train,
                    data.x_test,
                    data.y_test,
                    run.seeds.order,
                    run=j,
                )
            )
            masks[j], val[j], test[j] = mask, v, (data.x_test, data.y_test)
            left = remaining(mask, self.layers)
            extra[j] = {"round": run.params.round, "arm": run.params.arm, "remaining": left}
            extra[j]["layer_remaining"] = ", ".join(f"{100 * f:.3g}" for f in per_layer(mask, self.layers))
        capture = [j for j, run, _, _ in entries if run.params.round == 0]
        books = EarlyStopBooks(val, test, p0.val_every, spec.loss, sink, p0.rewind_step, capture)
        hooks = Hooks(MaskHook(masks), books, _PerRun(extra), sink)
        run0 = entries[0][1]
        stack = spec.fuse == "auto" and (self.ctx.device.startswith("cuda") or fusable_spec(run0))
        if stack or len(members) == 1:
            results = train(members, spec, hooks, keep_state=True)
        else:
            results = [train([m], spec, hooks, keep_state=True)[0] for m in members]
        return results, books.rewound

    def run(self) -> None:
        by_round: dict[int, list[int]] = {}
        for i, r in enumerate(self.runs):
            by_round.setdefault(r.params.round, []).append(i)
        rounds = sorted(by_round)
        for n, rnd in enumerate(rounds):
            todo = []
            for i in by_round[rnd]:
                if self.ctx.should_stop() or self.chain(self.runs[i]).broken:
                    self.ctx.finish(i, Status.CANCELLED, {"note": "an earlier round of this chain did not finish"})
                    continue
                self.prepare(i)
                todo.append(i)
            if not todo:
                continue
            for i in todo:
                self.ctx.started(i)
            entries = [(i, self.runs[i], *self.starts[i]) for i in todo]
            results, rewound = self.train(entries, self.ctx)
            for (i, run, mask, theta), res in zip(entries, results):
                if run.params.arm == "ticket":
                    if res.state is not None:
                        self.ctx.save_checkpoint(i, "final", res.state)
                    self.after_ticket(run, mask, theta, res, rewound.get(i))
            if n + 1 < len(rounds):  # the next round's masks, saved now: a restart resumes there
                for i in by_round[rounds[n + 1]]:
                    if not self.chain(self.runs[i]).broken and not self.ctx.should_stop():
                        self.prepare(i)


def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
    Job(runs, ctx).run()
