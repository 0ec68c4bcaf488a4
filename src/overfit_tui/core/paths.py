"""Where things live on disk: the home folder (store, run files, data cache), in one module.

Order: an explicit `--home`, then `OVERFIT_TUI_HOME`, then the settings file's `home`
(core/config.py), then the XDG data dir. The records live
in HOME/store/ (an index and one TinyDB file per group); HOME/store.json is the single file of
earlier versions, converted on first open. Every path built from an id (a run's folder, a
group's log or records) goes through `Home.inside`, which checks the id's pattern, resolves
the path and refuses anything outside the home, before any write or delete.

Links: a folder or file the home writes through (WRITTEN: store/, runs/, groups/, queue/,
data/, the lock and log files) that is a symbolic link is refused, with one line naming it,
unless the user sets OVERFIT_TUI_ALLOW_LINKS=1 (e.g. runs/ on a bigger disk). Whatever the
setting, nothing is ever deleted through a link (`Home.deletable`): `rm` and `gc` leave such
files in place. The home folder itself may be a link: it is the folder the user named.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from overfit_tui.core.config import load_config
from overfit_tui.core.errors import PathError
from overfit_tui.core.ids import id_problem

ALLOW_LINKS = "OVERFIT_TUI_ALLOW_LINKS"
# what the home writes through, relative to it: a link here would carry writes elsewhere
WRITTEN = (
    "store",
    "store/groups",
    "store.lock",
    "runs",
    "groups",
    "queue",
    "queue/scheduler.lock",
    "queue/scheduler.log",
    "data",
)


def links_allowed() -> bool:
    """Whether the user opted in to writing through linked folders of the home."""
    return os.environ.get(ALLOW_LINKS, "").strip() == "1"


def _link_refused(path: Path) -> PathError:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return PathError(
        f"{path} is a link to {target}: overfit-tui writes only inside its home "
        f"(replace the link by a folder, or set {ALLOW_LINKS}=1 to write through it)"
    )


class NotRegularFile(OSError):
    """A path that should be a file is a folder, a FIFO, a device or a socket."""


def open_regular(path: str | Path):
    """`path` opened for binary reading if it is a regular file; a FIFO or device is refused, not waited on."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(f"{path} is not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def default_home() -> Path:
    env = os.environ.get("OVERFIT_TUI_HOME")
    if env:
        return Path(env).expanduser()

    configured = load_config().home
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_path

    return user_data_path("overfit-tui")


@dataclass(frozen=True)
class Home:
    """The folder tree of one overfit-tui home."""

    root: Path

    @classmethod
    def resolve(cls, home: str | Path | None = None) -> Home:
        root = Path(home).expanduser() if home else default_home()
        if root.exists() and not root.is_dir():
            raise PathError(f"home {root}: not a folder (--home / OVERFIT_TUI_HOME name the folder of the store)")
        if not root.exists():
            try:
                root.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise PathError(f"home {root}: cannot create it ({e.strerror or e})") from None
        home = cls(root.resolve())
        home.check_links()
        return home

    def check_links(self) -> None:
        """Refuse (one line naming it) a link among the entries the home writes through, unless allowed."""
        if links_allowed():
            return
        for rel in WRITTEN:
            if rel == "data" and os.environ.get("OVERFIT_TUI_DATA"):
                continue  # the data cache is where the user said, not the home's
            path = self.root / rel
            if path.is_symlink():
                raise _link_refused(path)

    def deletable(self, folder: str, name: str) -> Path:
        """HOME/folder/<name> for a delete: checked like `inside`, and refused if the folder, or
        any folder on the way, or the entry itself is a link, whatever OVERFIT_TUI_ALLOW_LINKS says."""
        self.inside(folder, name)
        path = self.root
        for part in (*Path(folder).parts, name):
            path = path / part
            if path.is_symlink():
                raise PathError(f"{path} is a link: overfit-tui never deletes through a link")
        return path

    def inside(self, folder: str, name: str, suffix: str = "") -> Path:
        """HOME/folder/<name><suffix> for an id `name`: checked against the id pattern, resolved, and
        refused unless it is an entry of that folder (a link planted there that leads elsewhere is
        refused; the folder itself may be a link only where the user allows links, see WRITTEN)."""
        reason = id_problem(name)
        if reason:
            raise PathError(f"refusing a path from an unsafe id: {reason}")
        if not links_allowed():
            path = self.root
            for part in Path(folder).parts:
                path = path / part
                if path.is_symlink():
                    raise _link_refused(path)
        base = (self.root / folder).resolve()
        path = (base / f"{name}{suffix}").resolve()
        if path.parent != base:
            raise PathError(f"refusing {path}: it is outside {base}")
        return path

    @property
    def store_file(self) -> Path:
        """The single-file store of versions before the per-group layout (converted on first open)."""
        return self.root / "store.json"

    @property
    def store_dir(self) -> Path:
        """The record store: index.json (one entry per group) and groups/<group id>.json."""
        return self.root / "store"

    def group_file(self, group_id: str) -> Path:
        """A group's TinyDB file (its group record and its runs), always inside HOME/store/groups."""
        return self.inside("store/groups", group_id, ".json")

    @property
    def lock_file(self) -> Path:
        return self.root / "store.lock"

    @property
    def queue_dir(self) -> Path:
        """The home's device queue: its settings, its scheduler's lock and log."""
        return self.root / "queue"

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
        """A run's folder (metrics, log, heartbeat, checkpoints), always inside HOME/runs."""
        return self.inside("runs", run_id)

    def group_log(self, group_id: str) -> Path:
        """A group's scheduler log, always inside HOME/groups."""
        return self.inside("groups", group_id, ".log")


def package_presets_dir() -> Path:
    """The shipped presets: overfit_tui/presets/ in an installed wheel (setup.py copies the
    checkout's top-level presets/ there), else the checkout's presets/ (an editable install)."""
    package = Path(__file__).resolve().parent.parent
    inside = package / "presets"
    return inside if inside.is_dir() else package.parent.parent / "presets"
