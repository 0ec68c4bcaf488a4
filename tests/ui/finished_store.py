"""A finished store for the UI tests: every CPU preset trained for real (shrunk to seconds),
recorded once as an `overfit-tui export` JSON file and imported into each test's home.

Recorded data keeps snapshots stable (wall times and timings are part of the record) and
spares every UI test its own training. Regenerate after a change to what studies record:

    PYTHONPATH=src python -m tests.ui.finished_store
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

FIXTURE = Path(__file__).parent.parent / "data" / "finished-store.json"

# preset -> overrides: every run and figure of the preset, on a few hundred samples
SHRUNK = {
    "smoke-mnist1d": {"data": {"n_train": 500}, "train": {"epochs": 100, "eval_every": 4}},
    "randomization-mnist1d": {"data": {"n_train": 400}, "train": {"epochs": 120, "eval_every": 6, "log_every": 16}},
    "regularization-mnist1d": {"data": {"n_train": 400}, "train": {"epochs": 60, "eval_every": 6, "log_every": 16}},
    "expressivity-mnist1d": {"params": {"n": 400, "train_steps": 300}},
    "kernel-mnist1d": {"data": {"n_train": 1000}},
    "double-descent-rff-mnist1d": {
        "data": {"n_train": 200},
        "params": {"features": [20, 50, 100, 150, 180, 200, 220, 260, 400, 800, 1600, 3200]},
    },
    "double-descent-nn-mnist1d": {
        "data": {"n_train": 200},
        "train": {"epochs": 150, "eval_every": 10, "log_every": 20},
        "params": {"widths": [2, 4, 8, 16, 64, 128, 256, 512]},
    },
}


_TEMPLATE: list[Path] = []  # a home the fixture was imported into, once per test process


def load_into(home) -> None:
    """The recorded runs in `home`'s store (records and metric logs): imported once per test
    process into a template home (`overfit-tui import`, 0.4 s of CPU that 28 tests each paid),
    whose files are copied into `home` (no file there names its home)."""
    if not _TEMPLATE:
        from overfit_tui.core.paths import Home
        from overfit_tui.export.transfer import import_json
        from overfit_tui.store import Store

        root = Path(tempfile.mkdtemp(prefix="finished-store-")) / "home"
        import_json(Store(Home.resolve(root)), FIXTURE)
        atexit.register(shutil.rmtree, root.parent, ignore_errors=True)
        _TEMPLATE.append(root)
    shutil.copytree(_TEMPLATE[0], home.root, dirs_exist_ok=True)


def record() -> None:
    from overfit_tui.core.paths import Home
    from overfit_tui.export.compare import Comparison
    from overfit_tui.export.formats import to_json
    from overfit_tui.runs.launcher import launch, wait
    from overfit_tui.store import Store
    from overfit_tui.studies.groups import load_group

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Home.resolve(tmp))
        for preset, overrides in SHRUNK.items():
            group, p = load_group(preset, overrides)
            gid, _ = launch(store, group, p.name, str(p.path), ["cpu"])
            runs = wait(store, gid, timeout=900)
            print(preset, [str(r.status) for r in runs], flush=True)
        records = [r.replace(log=None, pid=None) for r in store.runs()]  # nothing machine-specific in a committed file
        payload = json.loads(to_json(Comparison(records, {r.id: store.metrics(r.id) for r in records})))
        FIXTURE.write_text(json.dumps(payload, separators=(",", ":"), sort_keys=True))  # compact: one line
    print("wrote", FIXTURE, f"{FIXTURE.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    record()
