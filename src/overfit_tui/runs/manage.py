"""Looking after stored runs: what is wrong with a store, tags and notes (edited inside the
store's lock, so concurrent edits all land), removing runs with their files (never a path
outside the home, never through a link), orphaned folders, and the checks `export -o` makes
before writing."""

from __future__ import annotations

import shutil
from pathlib import Path

from overfit_tui.core.errors import OverfitError, PathError, printable
from overfit_tui.core.ids import is_id
from overfit_tui.store import Store
from overfit_tui.store.schema import ACTIVE

TAG_MAX = 64  # characters in a tag
NOTE_MAX = 100_000  # characters in a note


def store_warnings(store: Store, shown: int = 5) -> list[str]:
    """What a user should know on opening a store: a conversion, a damaged file set aside, unreadable records."""
    out = list(store.notices)
    if store.damage and store.read_only:
        out.append(f"the store does not parse ({store.damage}) and the home is read-only: those records are not shown")
    bad = store.problems()
    for b in bad[:shown]:
        fix = f"`overfit-tui rm {b.id}`" if b.id else "`overfit-tui rm --malformed`"
        out.append(f"{b.where or store.path}: {b}; skipped ({fix} removes it)")
    if len(bad) > shown:
        out.append(f"{len(bad) - shown} more unreadable records; `overfit-tui rm --malformed` removes them all")
    return out


def parse_tags(words: list[str]) -> tuple[list[str], list[str]]:
    """(add, remove) from `name` / `-name` words; a tag is 1-64 printable characters without spaces."""
    add, remove = [], []
    for w in words:
        name = w[1:] if w.startswith("-") else w
        if not name or len(name) > TAG_MAX or not name.isprintable() or any(c.isspace() for c in name):
            raise OverfitError(f"tag {printable(w, 80)!r}: 1-{TAG_MAX} characters without spaces (-name removes one)")
        (remove if w.startswith("-") else add).append(name)
    return add, remove


def tag_runs(store: Store, ref: str, add: list[str], remove: list[str]) -> int:
    """Add and remove tags on the runs `ref` names, each run edited inside the lock; returns how many."""

    def edit(rec: dict) -> bool:
        cur = [t for t in rec.get("tags") or [] if t not in remove]
        rec["tags"] = cur + [t for t in add if t not in cur]
        return True

    return len(store.modify_runs([r.id for r in store.resolve(ref)], edit))


def note_runs(store: Store, ref: str, text: str) -> int:
    """Set the note of the runs `ref` names (an empty text clears it); returns how many."""
    if len(text) > NOTE_MAX:
        raise OverfitError(f"a note is at most {NOTE_MAX:,} characters")

    def edit(rec: dict) -> bool:
        rec["notes"] = text
        return True

    return len(store.modify_runs([r.id for r in store.resolve(ref)], edit))


def runs_to_remove(store: Store, ref: str) -> list[str]:
    """Ids of the runs `rm ref` deletes: an unreadable record of that id, or the runs it names
    (an error if any is still queued or running)."""
    unreadable = [b.id for b in store.problems() if b.id == ref and b.table == "runs"]
    if unreadable:
        return unreadable
    found = store.resolve(ref)
    active = [r.id for r in found if r.status in ACTIVE]
    if active:
        raise OverfitError(f"{len(active)} of these runs are still active ({', '.join(active[:4])}): cancel them first")
    return [r.id for r in found]


def remove_runs(store: Store, run_ids: list[str]) -> tuple[list[dict], list[str]]:
    """Delete the records (in one lock), then their folders; returns (removed, warnings)."""
    removed, warnings = store.remove_runs(run_ids), []
    for r in removed:
        try:
            shutil.rmtree(store.home.deletable("runs", r["id"]), ignore_errors=True)
        except PathError as e:
            warnings.append(f"files of run {printable(r.get('id'), 80)!r} left in place: {e}")
    return removed, warnings


def orphan_dirs(store: Store) -> list[Path]:
    """Run folders no record owns (readable or not); a link or an odd name is never offered, and
    a runs/ that is a link is refused (nothing is deleted through a link, whatever the setting)."""
    runs_dir = store.home.runs_dir
    if runs_dir.is_symlink():
        raise PathError(f"{runs_dir} is a link: overfit-tui never deletes through a link (gc removes nothing)")
    if not runs_dir.is_dir():
        return []
    known = store.run_ids() | {b.id for b in store.problems() if b.id}
    out = []
    for d in sorted(runs_dir.iterdir()):
        if d.name in known or not is_id(d.name) or d.is_symlink() or not d.is_dir():
            continue
        out.append(store.home.deletable("runs", d.name))  # checked: inside the home, no link on the way
    return out


def check_output(out: Path) -> None:
    """`export -o` before any work: a file name in an existing folder, not a folder."""
    if not str(out) or str(out) == ".":
        raise OverfitError("--output: give a file name")
    if out.is_dir():
        raise OverfitError(f"--output {out}: is a folder; give a file name in it")
    if not out.parent.is_dir():
        raise OverfitError(f"--output {out}: the folder {out.parent} does not exist")
