"""Every study's shrunk CPU preset (the app test's form values, tests/ui/test_every_preset.py)
launched on CUDA through the home's queue in one go, waited for, and exported as figures (SVG)
and tables (Markdown) under OUT. Called by bench/gpu_check.sh; prints one line per preset.

    python bench/gpu_check.py OUT [--device cuda:0] [--data-dir DIR] [--budget 300]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--device", default="cuda:0")
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--budget", type=float, default=300.0, help="seconds to wait for every run, then cancel")
    a = ap.parse_args()
    from overfit_tui.core.paths import Home
    from overfit_tui.runs.launcher import cancel, launch
    from overfit_tui.runs.liveness import reconcile
    from overfit_tui.runs.queue import update_state
    from overfit_tui.store import Store
    from overfit_tui.studies.groups import load_group
    from tests.ui.test_every_preset import SHRINK

    out = Path(a.out)
    for d in (out / "figures", out / "tables"):
        d.mkdir(parents=True, exist_ok=True)
    store = Store(Home.resolve(Path(tempfile.mkdtemp(prefix="overfit-gpu-home-"))))  # figures only go to OUT
    update_state(store, gpu_slots=4)
    groups: dict[str, str] = {}
    t0 = time.time()
    for name, fields in SHRINK.items():
        over: dict = {"seeds": [0]}
        for key, value in fields.items():  # the form's dotted keys and TOML values
            node = over
            *path, leaf = key.split(".")
            for p in path:
                node = node.setdefault(p, {})
            node[leaf] = tomllib.loads(f"v = {value}")["v"]
        try:
            group, _ = load_group(name, over)
            groups[name] = launch(store, group, preset=name, devices=[a.device], data_dir=Path(a.data_dir))[0]
        except Exception as e:  # one preset that cannot launch is reported, the others go on
            print(f"{name:36} NOT LAUNCHED: {type(e).__name__}: {e}", flush=True)
    while time.time() - t0 < a.budget:
        reconcile(store)
        if all(r.status not in ("queued", "running") for g in groups.values() for r in store.runs(g)):
            break
        time.sleep(1.0)
    else:
        for g in groups.values():
            cancel(store, g)
    from overfit_tui.export.formats import write
    from overfit_tui.export.transfer import load_comparison

    for name, gid in groups.items():
        runs = store.runs(gid)
        counts: dict[str, int] = {}
        for r in runs:
            counts[str(r.status)] = counts.get(str(r.status), 0) + 1
        errors = {r.error.strip().splitlines()[-1] for r in runs if r.error}
        figs = []
        try:
            c = load_comparison(store, [gid])
            figs = write(c, "svg", out / "figures" / f"{name}.svg")
            write(c, "md", out / "tables" / f"{name}.md")
        except Exception as e:  # a figure that fails to draw is a finding, not a reason to stop
            errors.add(f"export: {type(e).__name__}: {e}")
        print(
            f"{name:36} {len(runs):3d} runs {counts} {len(figs)} figures {'; '.join(sorted(errors))[:200]}", flush=True
        )
    print(f"total {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
