"""The study abstraction every pane stands on.

A study says which parameters it sweeps (`Params`, `RunParams`), how a group spec
expands into runs (`expand`), how runs are packed into worker jobs (`jobs`), how a job
trains (`execute`, hooking into the engine through an `ExecContext`), and what its
figures and tables are (`figures`, `tables`) -- all headless, so the TUI, the CLI and
the exporters draw the same data. A new study is one new module and one registry line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from overfit_tui.core.specs import GroupSpec, RunSpec


@dataclass(frozen=True)
class Series:
    """One line (or set of points) of a figure."""

    name: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    points: bool = False  # scatter rather than line


@dataclass(frozen=True)
class Figure:
    """A study's own figure as data: the UI draws it with plotext, export with SVG."""

    key: str
    title: str
    xlabel: str
    ylabel: str
    series: tuple[Series, ...]
    xlog: bool = False
    ylog: bool = False
    vlines: tuple[tuple[float, str], ...] = ()
    hlines: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class Table:
    """A study's summary table (e.g. Table 1 of Zhang et al. 2017)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass
class RunData:
    """What figures are drawn from: one stored run with its events."""

    id: str
    label: str
    spec: dict
    status: str
    summary: dict
    events: list[dict] = field(default_factory=list)

    def evals(self) -> list[dict]:
        return [e for e in self.events if e.get("kind") == "eval"]

    def steps(self) -> list[dict]:
        return [e for e in self.events if e.get("kind") == "step"]

    def points(self, name: str | None = None) -> list[dict]:
        return [e for e in self.events if e.get("kind") == "point" and (name is None or e.get("name") == name)]


class ExecContext:
    """Where a job runs and how its runs report back. Workers write to the store; tests collect."""

    def __init__(
        self,
        device: str = "cpu",
        data_dir: Path | None = None,
        cache_dir: Path | None = None,
        download_ok: bool = False,
        work_dir: Path | None = None,
    ):
        self.device = device
        self.data_dir = Path(data_dir) if data_dir else Path("data")
        self.cache_dir = Path(cache_dir) if cache_dir else self.data_dir
        self.download_ok = download_ok
        self.work_dir = Path(work_dir) if work_dir else None

    def started(self, i: int) -> None:
        """Run i of the job starts training."""

    def emit(self, i: int, event) -> None:
        """Run i of the job produced a metric event."""

    def finish(self, i: int, status: str, summary: dict) -> None:
        """Run i of the job ended with `status` and its summary."""

    def should_stop(self) -> bool:
        return False

    def member_cancelled(self, i: int) -> bool:
        return False

    def run_dir(self, i: int) -> Path:
        """A folder for run i's files (checkpoints)."""
        assert self.work_dir is not None, "this context keeps no files"
        d = self.work_dir / str(i)
        d.mkdir(parents=True, exist_ok=True)
        return d


class Study:
    """Base class: subclasses set the class attributes and implement expand/execute/figures."""

    name: ClassVar[str]
    title: ClassVar[str]
    paper: ClassVar[str]
    pane: ClassVar[str]  # the TUI tab this study lives in
    Params: ClassVar[type]
    RunParams: ClassVar[type]
    summary_columns: ClassVar[tuple[str, ...]] = ("final_train_acc", "final_test_acc", "steps_to_fit")

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

    def execute(self, runs: list[RunSpec], ctx: ExecContext) -> None:
        raise NotImplementedError

    def figures(self, runs: list[RunData]) -> list[Figure]:
        return []

    def tables(self, runs: list[RunData]) -> list[Table]:
        return []
