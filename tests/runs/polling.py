"""Polling for the run tests: workers and schedulers are other processes. Every wait is on a
state, under one generous ceiling, HANG, that only catches a hang (a loaded machine is slow,
never this slow; OVERFIT_TUI_TEST_HANG_S changes it)."""

from __future__ import annotations

import os
import time

HANG = float(os.environ.get("OVERFIT_TUI_TEST_HANG_S", "600"))


def wait_for(pred, timeout: float = HANG) -> bool:
    """True as soon as `pred()` holds; False after `timeout` seconds (pass a smaller one only to
    check that something does NOT happen)."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return True
        time.sleep(0.2)
    return pred()
