"""Polling for the run tests: workers and schedulers are other processes."""

from __future__ import annotations

import time


def wait_for(pred, timeout: float = 60.0) -> bool:
    """True as soon as `pred()` holds; False after `timeout` seconds."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return True
        time.sleep(0.2)
    return False
