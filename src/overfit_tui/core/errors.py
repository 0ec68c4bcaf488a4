"""Typed errors with messages a user can act on. The CLI prints them without a traceback."""

from __future__ import annotations

import difflib


class OverfitError(Exception):
    """Base class of every error overfit-tui raises on purpose."""


class SpecError(OverfitError):
    """A spec or preset value is unknown, ill-typed or out of range."""

    def __init__(self, key: str, reason: str, source: str | None = None):
        self.key, self.reason, self.source = key, reason, source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}key '{key}': {reason}")

    def with_source(self, source: str) -> SpecError:
        return SpecError(self.key, self.reason, source)


class PresetError(OverfitError):
    """A preset file is missing or does not parse."""


class DataUnavailable(OverfitError):
    """A data set is not on disk and downloading was not allowed."""


class StoreError(OverfitError):
    """The run store is damaged or cannot be written."""


class RunDiverged(OverfitError):
    """Training produced a NaN or infinite loss."""


class RunCancelled(OverfitError):
    """Training was asked to stop."""


def did_you_mean(name: str, choices) -> str:
    """' (did you mean 'x'?)' when a close match exists, else a list of the valid choices."""
    choices = sorted(str(c) for c in choices)
    close = difflib.get_close_matches(str(name), choices, n=1, cutoff=0.5)
    if close:
        return f"did you mean '{close[0]}'?"
    return "valid: " + ", ".join(choices)
