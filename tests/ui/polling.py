"""Polling for the UI pilots: poll instead of a fixed pause, since a loaded machine (two xdist
workers, training workers beside them) can be slow to draw."""

from __future__ import annotations

import asyncio


async def until(pilot, pred, timeout: float = 10.0) -> bool:
    """True as soon as `pred()` holds, checked every 0.1 s; its last answer after `timeout` s."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if pred():
            return True
        await pilot.pause(0.1)
    return pred()
