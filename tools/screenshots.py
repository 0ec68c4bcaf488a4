"""Regenerate screenshots/ from a finished, realistic store: the app's screens (SVG, as the
terminal shows them) and every study figure as exported for a talk (matplotlib SVG).

    python tools/screenshots.py [--home .screenshots-home] [--out screenshots]

The store is built once by real training of every CPU preset at full size (about two hours
on 2 cores; groups trained elsewhere can be brought in with `overfit-tui export --format json`
and `overfit-tui import --home .screenshots-home`) and reused afterwards: presets that already have a finished group in
`--home` are not trained again. Then the real app is driven with Textual's pilot.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from overfit_tui.core.paths import Home
from overfit_tui.store import Store

# (pane, preset) of the studies after the first three, each shown on its finished group
EXTRA = (
    ("memorization", "memorization-mnist1d"),
    ("memorization", "mdl-mnist1d"),
    ("intrinsic_dimension", "intrinsic-dimension-mnist1d"),
    ("layer_robustness", "layer-robustness-mnist1d"),
    ("lottery_tickets", "lottery-mnist1d"),
    ("batch_norm", "batchnorm-mnist1d"),
    ("overparameterization", "overparam-xor"),
    ("overparameterization", "overparam-du"),
    ("overparameterization", "connectivity-mnist1d"),
    ("randomization", "complexity-mnist1d"),
)
PRESETS = (
    "randomization-mnist1d",
    "regularization-mnist1d",
    "expressivity-mnist1d",
    "kernel-mnist1d",
    "double-descent-rff-mnist1d",
    "double-descent-nn-mnist1d",
    *(preset for _, preset in EXTRA),
)
SHOWN_HOME = "~/.local/share/overfit-tui"  # the header shows the default home, not a scratch path


def finished_group(store: Store, preset: str) -> str | None:
    """The newest group of `preset` whose runs all finished."""
    groups: dict[str, list] = {}
    for r in store.runs():
        if r.preset == preset:
            groups.setdefault(r.group, []).append(r)
    done = [g for g, rs in groups.items() if all(r.ended_ok for r in rs)]
    return max(done, key=lambda g: groups[g][0].created) if done else None


def build_store(home: Home) -> None:
    from overfit_tui.runs.launcher import launch, wait
    from overfit_tui.studies.groups import load_group

    store = Store(home)
    for preset in PRESETS:
        if finished_group(store, preset):
            continue
        group, p = load_group(preset)
        t0 = time.time()
        print(f"training {preset} ...", flush=True)
        gid, _ = launch(store, group, p.name, str(p.path), ["cpu"])
        runs = wait(store, gid, timeout=3 * 3600)
        print(f"  {gid}: {sum(r.ended_ok for r in runs)}/{len(runs)} finished, {time.time() - t0:.0f} s")


def export_figures(home: Home, out: Path) -> list[Path]:
    """Every study figure of the presets' groups, as a researcher would export them."""
    from overfit_tui.export.plot import draw, study_figures
    from overfit_tui.export.transfer import load_comparison

    store = Store(home)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for preset in PRESETS:
        gid = finished_group(store, preset)
        if gid:
            for name, fig, styles, sub in study_figures(load_comparison(store, [gid])):
                paths.append(draw(fig, out / f"{preset}-{name}.svg", styles, sub))
    return paths


async def shoot(home: Home, out: Path) -> list[Path]:
    from overfit_tui.ui.app import make_app

    store = Store(home)
    saved: list[Path] = []
    app = make_app(home=home.root, preset="randomization-mnist1d")

    async def settle(pilot, seconds: float = 0.6) -> None:
        for _ in range(100):  # the groups on screen are loaded on demand: wait for them
            if all(pilot.app.cache.loaded(g) for g in pilot.app.cache.wanted()):
                break
            await pilot.pause(0.1)
        await pilot.pause(seconds)

    def save(name: str) -> None:
        path = out / f"{name}.svg"
        app.save_screenshot(str(path))
        saved.append(path)

    def show_group(preset: str) -> None:
        pane = app.active_pane()
        gid = finished_group(store, preset)
        pane.show_group(gid)

    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            await pilot.pause(0.2)
            if app.cache.index and all(app.cache.loaded(g) for g in app.cache.wanted()):
                break
        app.sub_title = SHOWN_HOME
        await settle(pilot, 1.5)
        show_group("randomization-mnist1d")
        await settle(pilot)
        save("pane-randomization")  # Fig. 1a: 18 loss curves, Fig. 1b beside
        pane = app.active_pane()
        table = pane.query_one("RunTable")
        table.focus()
        table.move_cursor(row=5)  # mlp 1x512: random labels stands out
        await pilot.press("f")
        await settle(pilot)
        save("pane-randomization-highlight")  # Fig. 1c: test error vs p
        pane.query_one("#presets").focus()
        await pilot.press("f", "f")
        show_group("regularization-mnist1d")
        await settle(pilot)
        save("pane-regularization")  # Table 1
        await pilot.press("2")
        show_group("expressivity-mnist1d")
        await settle(pilot)
        save("pane-expressivity")
        show_group("kernel-mnist1d")
        await settle(pilot)
        save("pane-kernel")
        await pilot.press("3")
        show_group("double-descent-nn-mnist1d")
        await settle(pilot)
        save("pane-double_descent")
        show_group("double-descent-rff-mnist1d")
        await settle(pilot)
        save("pane-double_descent-rff")
        for _, preset in EXTRA:  # the other studies' panes, each on its finished group
            if finished_group(store, preset) is None:
                continue
            pane = app._show_preset(preset)  # the pane, its form showing the preset the group came from
            for _ in range(100):  # panes are built on first showing: wait for the switch
                if app.active_pane() is pane:
                    break
                await pilot.pause(0.1)
            await settle(pilot, 0.3)
            show_group(preset)
            await settle(pilot)
            save(f"pane-{preset.removesuffix('-mnist1d')}")
        app.action_pane(0)
        show_group("randomization-mnist1d")
        await settle(pilot)
        await pilot.press("c")  # the paper's claims, checked on the group
        await settle(pilot)
        save("claims")
        await pilot.press("c", "S")
        await settle(pilot, 2.0)
        save("scorecard")
        await pilot.press("escape")
        await pilot.press("r")
        await settle(pilot)
        save("runs")
        runs = app.screen
        rand = finished_group(store, "randomization-mnist1d")
        runs.query_text = f"{rand} mlp labels"
        ids = [r.id for r in runs.shown() if "corrupt" not in r.label]
        runs.marked.update(ids)
        runs.query_text = ""
        await pilot.press("c")
        await settle(pilot, 1.0)
        save("compare")
        await pilot.press("escape", "escape")
        await pilot.press("1")
        show_group("randomization-mnist1d")
        table = app.active_pane().query_one("RunTable")
        table.focus()
        table.move_cursor(row=5)
        await pilot.press("enter")
        await settle(pilot, 1.0)
        save("run-detail")
        await pilot.press("escape", "question_mark")
        await settle(pilot)
        save("help")
        await pilot.press("escape")
    small = make_app(home=home.root, preset="randomization-mnist1d")
    async with small.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            await pilot.pause(0.2)
            if small.cache.index and all(small.cache.loaded(g) for g in small.cache.wanted()):
                break
        small.active_pane().show_group(finished_group(store, "randomization-mnist1d"))
        small.sub_title = SHOWN_HOME
        await settle(pilot, 1.0)
        for view in ("charts", "runs"):
            path = out / f"pane-randomization-80x24-{view}.svg"
            small.save_screenshot(str(path))
            saved.append(path)
            await pilot.press("v")
            await settle(pilot)
    return saved


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="screenshots")
    ap.add_argument("--home", default=".screenshots-home", help="the store to draw from (trained here once)")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    home = Home.resolve(a.home)
    build_store(home)
    for p in old_shots(out):
        p.unlink()
    for p in asyncio.run(shoot(home, out)):
        print("wrote", p)
    for p in export_figures(home, out / "figures"):
        print("wrote", p)


def old_shots(out: Path) -> list[Path]:
    return [*out.glob("*.svg"), *(out / "figures").glob("*.svg")]


if __name__ == "__main__":
    main()
