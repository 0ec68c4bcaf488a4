"""The app lists your presets (HOME/presets, <config>/presets) first, under their own heading, in their
study's pane, and a bad one is a notification naming the file, the key and the reason."""

from __future__ import annotations

import asyncio

from textual.widgets import OptionList

from overfit_tui.ui.app import make_app

from ..conftest import TINY_TOML
from .polling import until


def test_your_presets_heading_and_a_bad_one_notified(home, tmp_path, monkeypatch):
    cfg = tmp_path / "config"
    monkeypatch.setenv("OVERFIT_TUI_CONFIG", str(cfg / "config.toml"))
    (cfg / "presets").mkdir(parents=True)
    (cfg / "presets" / "tiny-mine.toml").write_text(TINY_TOML.replace('name = "tiny"', 'name = "tiny-mine"'))
    (cfg / "presets" / "typo.toml").write_text(
        TINY_TOML.replace('name = "tiny"', 'name = "typo"').replace("lr = 0.05", "lr = 'fast'")
    )

    async def go():
        app = make_app(home=home.root, preset="smoke-mnist1d", poll=False)
        async with app.run_test(size=(120, 40)) as pilot:
            pane = app.active_pane()
            ol = pane.query_one("#presets", OptionList)
            prompts = [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]
            heading = next(i for i, p in enumerate(prompts) if "your presets" in p)
            assert (
                heading == 0 and prompts[1] == "tiny-mine"
            )  # yours first (as the CLI lists them); the bad one not offered
            assert ol.get_option_at_index(heading).disabled
            assert prompts.index("smoke-mnist1d") > 1 and "typo" not in prompts
            assert ol.get_option_at_index(ol.highlighted).id == "smoke-mnist1d"
            notes = lambda: [str(n.message) for n in app._notifications]
            assert await until(pilot, lambda: any("typo.toml" in n for n in notes()))
            (note,) = [n for n in notes() if "typo.toml" in n]
            assert "train.lr" in note and "\n" not in note

    asyncio.run(go())
