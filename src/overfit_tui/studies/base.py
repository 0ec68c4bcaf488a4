"""The study abstraction every pane stands on.

A study says which parameters it sweeps (`Params`, `RunParams`), how a group spec
expands into runs (`expand`), how runs are packed into worker jobs (`jobs`), how a job
trains (`execute`: the package's train.py, loaded lazily; its `ExecContext`, in
studies/shared/context.py, is an engine `Hook`),
which summary numbers its runs report (`summary_fields`), and what its figures and tables
are (`figures`, `tables`) -- all headless, so the TUI, the CLI and the exporters draw the
same data. A new study is one package and one registry line (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property
from importlib import import_module
from typing import Any, ClassVar

from overfit_tui.core.schema import Field, generic
from overfit_tui.core.spec import from_dict
from overfit_tui.core.specs import DataSpec, GroupSpec, ModelSpec, RunSpec, Seeds, TrainSpec
from overfit_tui.engine.declarations import TRAIN_FIELDS


@dataclass(frozen=True)
class Series:
    """One line (or set of points) of a figure."""

    name: str
    x: tuple[float, ...]
    y: tuple[float, ...]  # the mean over seeds where n > 1
    points: bool = False  # scatter rather than line
    lo: tuple[float, ...] | None = None  # the band over seeds (min) at each x, where n > 1
    hi: tuple[float, ...] | None = None  # (max)
    sd: tuple[float, ...] | None = None  # the sample sd over seeds at each x (se, sd and CI bands), where n > 1
    n: int = 1  # runs (seeds) behind each point: the most at any point
    ns: tuple[int, ...] = ()  # runs behind each point where they differ (runs that did not fit, stopped early)
    like: str = ""  # drawn in the colour of the series of this name, with no legend entry of its own

    @property
    def n_text(self) -> str:
        """'n=3', or 'n=8-10' where points rest on different numbers of runs; '' for one run."""
        lo, hi = (min(self.ns), max(self.ns)) if self.ns else (self.n, self.n)
        if hi <= 1:
            return ""
        return f"n={hi}" if lo == hi else f"n={lo}-{hi}"

    def legend_name(self) -> str:
        """The name with its n, as legends show it."""
        return f"{self.name} ({self.n_text})" if self.n_text else self.name

    def band(self, kind: str = "ci") -> tuple[tuple[float, ...], tuple[float, ...], str] | None:
        """The seed band of `kind` (core/bands.py) as (lower, upper, kind drawn); None for one run."""
        from overfit_tui.core.bands import edges

        return edges(self.y, self.sd, self.ns, self.n, self.lo, self.hi, kind)


@dataclass(frozen=True)
class Figure:
    """A study's own figure as data: the UI draws it with plotext, export with SVG.

    A heatmap sets `matrix` (rows x columns of values, None where not known yet) instead of
    series; xlabel names the columns, ylabel the rows, `vlabel` the colour scale. Text front ends
    print tables, not heatmaps: a study with a heatmap also gives its numbers as a `Table`."""

    key: str
    title: str
    xlabel: str
    ylabel: str
    series: tuple[Series, ...]
    xlog: bool = False
    ylog: bool = False
    vlines: tuple[tuple[float, str], ...] = ()  # reference x positions (e.g. the interpolation threshold)
    hlines: tuple[tuple[float, str], ...] = ()  # reference values (e.g. chance, the paper's number)
    matrix: tuple[tuple[float | None, ...], ...] | None = None  # heatmap cells [row][column]; None: a line figure
    rows: tuple[str, ...] = ()  # heatmap row labels, top to bottom
    columns: tuple[str, ...] = ()  # heatmap column labels, left to right
    vrange: tuple[float, float] | None = None  # colour scale limits (None: the matrix's min and max)
    vlabel: str = ""  # what a heatmap cell's value is (the colour scale's label)
    xticks: tuple[tuple[float, str], ...] = ()  # explicit x ticks (position, label); () = round numbers

    @property
    def is_heatmap(self) -> bool:
        return self.matrix is not None


@dataclass(frozen=True)
class Table:
    """A study's summary table (e.g. Table 1 of Zhang et al. 2017)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # values: str, numbers, or `Stat` (mean ± std over seeds)
    fields: tuple[Field | None, ...] = ()  # how column j's numbers read (None or missing: as they are)

    def cell(self, i: int, j: int) -> str:
        v = self.rows[i][j]
        f = self.fields[j] if j < len(self.fields) else None
        if f is not None:
            return f.format(v)
        return v if isinstance(v, str) else generic("").format(v)


def _freeze(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    return tuple(map(_freeze, v)) if isinstance(v, list) else v


_TYPED: dict[tuple, Any] = {}


def typed(cls: type, data: dict | None) -> Any:
    """`from_dict(cls, data)`, once per distinct content: claims read thousands of runs that
    share a few specs, and validating each one again costs more than the claim."""
    key = (cls, _freeze(data or {}))
    got = _TYPED.get(key)
    if got is None:
        if len(_TYPED) > 8192:
            _TYPED.clear()
        got = _TYPED[key] = from_dict(cls, data)
    return got


# study name -> its RunParams, filled as each Study subclass is defined (so RunData reads a
# run's params typed without importing the registry, which imports every study).
RUN_PARAMS: dict[str, type] = {}


@dataclass
class RunData:
    """What figures are drawn from: one stored run with its events."""

    id: str
    label: str
    spec: dict
    status: str
    summary: dict
    events: list[dict] = field(default_factory=list)

    def points(self, name: str | None = None) -> list[dict]:
        return [e for e in self.events if e.get("kind") == "point" and (name is None or e.get("name") == name)]

    # -- the stored spec, typed: each read once, its defaults those of the spec's declaration --
    @cached_property
    def model(self) -> ModelSpec:
        return typed(ModelSpec, self.spec.get("model"))

    @cached_property
    def data(self) -> DataSpec:
        return typed(DataSpec, self.spec.get("data"))

    @cached_property
    def train(self) -> TrainSpec:
        return typed(TrainSpec, self.spec.get("train"))

    @cached_property
    def seeds(self) -> Seeds:
        return typed(Seeds, self.spec.get("seeds"))

    @cached_property
    def params(self) -> Any:
        """The run's RunParams, as declared by the study its spec names."""
        study = self.spec.get("study", "")
        if study not in RUN_PARAMS:
            raise KeyError(f"run {self.id}: its spec names no known study ({study!r})")
        return typed(RUN_PARAMS[study], self.spec.get("params"))


def carry(settings: type, params: Any) -> dict[str, Any]:
    """The fields of a study's `Settings` dataclass as the group's `params` has them: what each of
    its runs carries (`RunParams(width=w, **carry(Settings, group.params))`)."""
    return {f.name: getattr(params, f.name) for f in fields(settings)}


class Study:
    """Base class: subclasses set the class attributes and implement expand/execute/figures."""

    name: ClassVar[str]
    title: ClassVar[str]
    paper: ClassVar[str]
    pane: ClassVar[str]  # the TUI tab this study lives in
    Params: ClassVar[type]
    RunParams: ClassVar[type]
    # The summary numbers its tables show, in order (each declared once: core/schema.py).
    summary_fields: ClassVar[tuple[Field, ...]] = tuple(
        TRAIN_FIELDS[k] for k in ("final_train_acc", "final_test_acc", "steps_to_fit")
    )

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "name" in cls.__dict__ and "RunParams" in cls.__dict__:
            RUN_PARAMS[cls.name] = cls.RunParams

    def field(self, key: str) -> Field:
        """How a summary key of this study's runs reads (declared, engine, or generic)."""
        for f in self.summary_fields:
            if f.key == key:
                return f
        return TRAIN_FIELDS.get(key) or generic(key)

    def default_group(self) -> dict:
        """Default data/models/train/seeds tables; presets override only what differs."""
        return {}

    def validate(self, group: GroupSpec) -> None:
        """Cross-field checks beyond each field's own (raise SpecError)."""

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        raise NotImplementedError

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        """Indices of runs that train together in one worker; by default each alone."""
        return [[i] for i in range(len(runs))]

    def execute(self, runs: list[RunSpec], ctx) -> None:
        """Train one job: the study package's `train.execute(study, runs, ctx)`, imported only
        here (the runner side: torch and the engine), so describing a study never loads torch.
        `ctx` is a studies.shared.context.ExecContext."""
        package = type(self).__module__.rpartition(".")[0]
        import_module(f"{package}.train").execute(self, runs, ctx)

    def figures(self, runs: list[RunData]) -> list[Figure]:
        return []

    def tables(self, runs: list[RunData]) -> list[Table]:
        return []

    def claims(self) -> tuple:
        """The paper's claims this study checks on a group (studies/claims.py `Claim`s)."""
        return ()
