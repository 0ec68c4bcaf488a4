"""Where things live on disk: the home folder (store, run files, data cache), in one module.

Order: an explicit `--home`, then `OVERFIT_TUI_HOME`, then the XDG data dir.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_home() -> Path:
    env = os.environ.get("OVERFIT_TUI_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("overfit-tui")


@dataclass(frozen=True)
class Home:
    """The folder tree of one overfit-tui home."""

    root: Path

    @classmethod
    def resolve(cls, home: str | Path | None = None) -> Home:
        root = Path(home).expanduser() if home else default_home()
        root.mkdir(parents=True, exist_ok=True)
        return cls(root.resolve())

    @property
    def store_file(self) -> Path:
        return self.root / "store.json"

    @property
    def lock_file(self) -> Path:
        return self.root / "store.lock"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def data_dir(self) -> Path:
        env = os.environ.get("OVERFIT_TUI_DATA")
        return Path(env).expanduser() if env else self.root / "data"

    @property
    def presets_dir(self) -> Path:
        """The user's own presets: a file here overrides a shipped preset of the same name."""
        return self.root / "presets"

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id


def package_presets_dir() -> Path:
    """The presets shipped inside the package (src/overfit_tui/presets/, in the wheel too)."""
    return Path(__file__).resolve().parent.parent / "presets"
