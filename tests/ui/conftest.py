"""The UI pilots wait on states: Textual's pilot gives up after a fixed 30 s when a key or a
click is not handled, which a loaded machine can exceed; here that ceiling is HANG. And after
a key it waits for the widgets on screen only: Textual's pilot queues a callback on every
widget of the screen, the hidden panes' too (900 widgets once every pane was built: two thirds
of a pilot's CPU went to those callbacks, none to the app's work)."""

from __future__ import annotations

import asyncio

import pytest

from .finished_store import load_into
from .polling import HANG


def shown(node) -> list:
    """`node` and its descendants that are displayed: a hidden subtree (another pane's tab, a
    view the pane does not show) is skipped whole."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if n.display:
            out.append(n)
            stack.extend(n._nodes)
    return out


@pytest.fixture
def finished(home):
    """A home holding the recorded runs (finished_store.py)."""
    load_into(home)
    return home


@pytest.fixture(autouse=True)
def _patient_pilot(monkeypatch):
    from textual.pilot import Pilot, WaitForScreenTimeout

    async def settled(self, timeout: float = HANG) -> bool:
        """Every displayed widget (and the app) has handled the messages queued before now; False
        if the app raised first. A hang past HANG raises, as Textual's own wait does."""
        try:
            screen = self.app.screen
        except Exception:
            return False
        pending = 0
        done = asyncio.Event()

        def one_done() -> None:
            nonlocal pending
            pending -= 1
            if pending == 0:
                done.set()

        for node in (self.app, *shown(screen)):
            if node.call_later(one_done):
                pending += 1
        if not pending:
            return True
        waits = [asyncio.create_task(done.wait()), asyncio.create_task(self.app._exception_event.wait())]
        _, left = await asyncio.wait(waits, timeout=max(timeout, HANG), return_when=asyncio.FIRST_COMPLETED)
        for task in left:
            task.cancel()
        if len(left) == len(waits):
            raise WaitForScreenTimeout("the widgets on screen did not handle their messages within HANG")
        return pending == 0

    monkeypatch.setattr(Pilot, "_wait_for_screen", settled)
