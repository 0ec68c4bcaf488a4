"""Regenerate screenshots/*.svg from a real run of the app on a small real store.

    python -m overfit_tui.ui.screenshots [--out screenshots] [--size 120x40]

Trains the smoke preset (and a tiny regularization group) headless into a temporary home,
then drives the real app with Textual's pilot and saves every pane and screen.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from overfit_tui.core.paths import Home
from overfit_tui.runs.launcher import launch, wait
from overfit_tui.store import Store
from overfit_tui.studies.groups import load_group


def build_store(home: Home) -> None:
    store = Store(home)
    presets = [
        ("smoke-mnist1d", {}),
        ("regularization-mnist1d", {"train": {"epochs": 20}}),
        ("kernel-mnist1d", {"data": {"n_train": 1000}, "params": {"kernels": ["gaussian"]}}),
        ("double-descent-rff-mnist1d", {}),
        ("double-descent-nn-mnist1d", {"train": {"epochs": 60}, "params": {"widths": [4, 16, 64, 192, 256, 512]}}),
    ]
    for preset, overrides in presets:
        group, p = load_group(preset, overrides)
        gid, _ = launch(store, group, p.name, str(p.path), ["cpu"])
        wait(store, gid, timeout=600)


async def shoot(home: Home, out: Path, size: tuple[int, int]) -> list[Path]:
    from overfit_tui.ui.app import make_app

    saved = []
    app = make_app(home=home.root, preset="smoke-mnist1d")
    async with app.run_test(size=size) as pilot:
        for _ in range(50):
            await pilot.pause(0.2)
            if app.cache.records and app.cache.events:
                break
        await pilot.pause(1.0)

        def save(name: str) -> None:
            path = out / f"{name}.svg"
            app.save_screenshot(str(path))
            saved.append(path)

        pane = app.active_pane()
        pane.group_index = pane.cache.groups(pane.studies).index(
            next(g for g in pane.cache.groups(pane.studies) if g.startswith("smoke"))
        )
        pane.redraw()
        await pilot.pause(0.5)
        save("pane-randomization")
        await pilot.press("f")
        await pilot.pause(0.5)
        save("pane-randomization-figure")
        for name in app.panes:
            if name != "randomization":
                app.query_one("#tabs").active = f"pane-{name}"
                await pilot.pause(1.0)
                if name == "double_descent":  # show the NN width sweep's zero-one figure
                    p = app.active_pane()
                    gs = p.cache.groups(p.studies)
                    p.group_index = gs.index(next(g for g in gs if g.startswith("double-descent-nn")))
                    p.redraw()
                    await pilot.pause(0.5)
                save(f"pane-{name}")
        await pilot.press("r")
        await pilot.pause(0.8)
        save("runs")
        runs_screen = app.screen
        runs_screen.query_one("#filter").value = "smoke"
        await pilot.pause(0.3)
        runs_screen.action_mark_all()
        runs_screen.query_one("#filter").value = ""
        await pilot.pause(0.3)
        runs_screen.query_one("RunTable").focus()
        await pilot.press("c")
        await pilot.pause(1.0)
        save("compare")
        await pilot.press("escape")
        await pilot.pause(0.3)
        table = app.screen.query_one("RunTable")
        table.focus()
        await pilot.press("enter")
        await pilot.pause(0.8)
        save("run-detail")
        await pilot.press("escape", "escape", "question_mark")
        await pilot.pause(0.5)
        save("help")
    return saved


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="screenshots")
    ap.add_argument("--size", default="120x40")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    w, h = (int(v) for v in a.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        home = Home.resolve(tmp)
        print("training a small real store ...", flush=True)
        build_store(home)
        for p in asyncio.run(shoot(home, out, (w, h))):
            print("wrote", p)


if __name__ == "__main__":
    main()
