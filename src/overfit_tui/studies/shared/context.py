"""Where a job runs and how its runs report back (the runner side: train.py modules and the
worker import it, study descriptions never do)."""

from __future__ import annotations

from pathlib import Path

from overfit_tui.engine.hooks import Hook


class ExecContext(Hook):
    """Where a job runs and how its runs report back: an engine hook, so a study passes it to
    `train()` as it is (with its own hooks before it in `Hooks(...)`). This base keeps
    checkpoints in memory (tests); the worker's StoreContext writes events, results and
    checkpoints under each run's folder."""

    def __init__(
        self,
        device: str = "cpu",
        data_dir: Path | None = None,
        cache_dir: Path | None = None,
        download_ok: bool = False,
    ):
        self.device = device
        self.data_dir = Path(data_dir) if data_dir else Path("data")
        self.cache_dir = Path(cache_dir) if cache_dir else self.data_dir
        self.download_ok = download_ok
        self.data_provenance: dict = {}  # what the job's data spec drew (load_data sets it): its runs' provenance
        self._checkpoints: dict[tuple[int, str], dict] = {}

    def started(self, i: int) -> None:
        """Run i of the job starts training."""

    def emit(self, i: int, event) -> None:
        """Run i of the job produced a metric event."""

    def finish(self, i: int, status: str, summary: dict) -> None:
        """Run i of the job ended with `status` and its summary."""

    def save_checkpoint(self, i: int, name: str, state: dict) -> None:
        """Keep a state dict of run i under `name` (e.g. 'epoch-0003', 'round-02-mask')."""
        self._checkpoints[(i, name)] = {k: v.detach().cpu().clone() for k, v in state.items()}

    def load_checkpoint(self, i: int, name: str) -> dict | None:
        """A saved state of run i, or None."""
        return self._checkpoints.get((i, name))

    # -- the engine hook side: events and ends go to the run they belong to --
    def on_event(self, run: int, event) -> None:
        self.emit(run, event)

    def on_start(self, loop) -> None:
        """Keep every run's initial weights (engine/checkpoints.py: measures after the fact)."""
        from overfit_tui.engine.checkpoints import KeepWeights

        if getattr(self, "_keep_weights", None) is None:
            self._keep_weights = KeepWeights(self.save_checkpoint)
        self._keep_weights.start(loop)

    def on_done(self, run: int, result) -> None:
        """Record a run the moment it ends, not when its whole job does (its final weights first)."""
        if getattr(self, "_keep_weights", None) is not None:
            self._keep_weights.done(run, result)
        self.finish(run, result.status, result.summary())
