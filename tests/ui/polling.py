"""Waiting in the UI pilots: on a state, never for a fixed time. A loaded machine (two xdist
workers, training workers beside them, a load average of 28 on 2 cores) can take minutes to
draw or to handle a key, so every wait is a condition polled under one generous ceiling, HANG,
that only catches a hang (set OVERFIT_TUI_TEST_HANG_S to change it). tests/ui/conftest.py
raises Textual's own 30 s ceiling on a key being handled (`Pilot._wait_for_screen`) to HANG."""

from __future__ import annotations

import asyncio
import os

HANG = float(os.environ.get("OVERFIT_TUI_TEST_HANG_S", "600"))  # seconds: a hang, never a slow machine


async def until(pilot, pred, timeout: float = HANG) -> bool:
    """True as soon as `pred()` holds, checked every 0.1 s; its last answer after `timeout` s
    (a ceiling against hangs: pass a smaller one only to check that something does NOT happen)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if pred():
            return True
        await pilot.pause(0.1)
    return pred()
