"""The UI pilots wait on states: Textual's pilot gives up after a fixed 30 s when a key or a
click is not handled, which a loaded machine can exceed; here that ceiling is HANG."""

from __future__ import annotations

import pytest

from .polling import HANG


@pytest.fixture(autouse=True)
def _patient_pilot(monkeypatch):
    from textual.pilot import Pilot

    original = Pilot._wait_for_screen

    async def patient(self, timeout: float = HANG) -> bool:
        return await original(self, timeout=max(timeout, HANG))

    monkeypatch.setattr(Pilot, "_wait_for_screen", patient)
