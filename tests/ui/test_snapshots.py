"""Snapshot tests of stable screens, as plain text (robust to colours and SVG details).

Regenerate after an intended change: UPDATE_SNAPSHOTS=1 ./dev test tests/ui/test_snapshots.py
"""

from __future__ import annotations

import asyncio
import html
import os
import re
from pathlib import Path

import pytest

from overfit_tui.ui.app import make_app

SNAPSHOTS = Path(__file__).parent / "snapshots"


def svg_text(svg: str) -> str:
    """The characters of a Textual SVG screenshot, placed on a character grid, line by line."""
    spans = []
    for m in re.finditer(
        r'<text[^>]*?x="([\d.]+)" y="([\d.]+)"[^>]*?textLength="([\d.]+)"[^>]*>(.*?)</text>', svg, re.S
    ):
        body = html.unescape(re.sub(r"<[^>]+>", "", m.group(4))).replace("\xa0", " ")
        spans.append((float(m.group(2)), float(m.group(1)), float(m.group(3)), body))
    char_w = min(length / len(body) for _, _, length, body in spans if body)
    rows: dict[float, dict[int, str]] = {}
    for y, x, _, body in spans:
        row = rows.setdefault(y, {})
        for i, ch in enumerate(body):
            row[round(x / char_w) + i] = ch
    lines = []
    for _, row in sorted(rows.items()):
        lines.append("".join(row.get(c, " ") for c in range(max(row) + 1)).rstrip())
    return "\n".join(lines) + "\n"


def masked(text: str) -> str:
    """Temporary paths differ per run."""
    return re.sub(r"/tmp/\S*", "<tmp>", text)


def check(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") or not path.exists():
        path.write_text(text)
        if not os.environ.get("UPDATE_SNAPSHOTS"):
            pytest.skip(f"wrote the missing snapshot {path.name}")
    assert text == path.read_text(), f"{name} changed: regenerate with UPDATE_SNAPSHOTS=1 if intended"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_help_screen(home, size):
    async def go():
        app = make_app(home=home.root, preset="smoke-mnist1d", poll=False)
        async with app.run_test(size=size) as pilot:
            app.sub_title = "<store>"  # the real one is a temporary path, centered in the header
            await pilot.press("question_mark")
            await pilot.pause(0.3)
            return svg_text(app.export_screenshot())

    text = masked(asyncio.run(go()))
    assert "overfit-tui" in text and "everywhere" in text
    check(f"help-{size[0]}x{size[1]}", text)


def test_empty_store_pane(home):
    async def go():
        app = make_app(home=home.root, preset="smoke-mnist1d", poll=False)
        async with app.run_test(size=(120, 40)) as pilot:
            app.sub_title = "<store>"
            await pilot.pause(0.5)
            return svg_text(app.export_screenshot())

    text = masked(asyncio.run(go()))
    assert "no runs yet: pick a preset and press enter" in text and "smoke-mnist1d" in text
    check("pane-empty-120x40", text)
