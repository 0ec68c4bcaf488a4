"""Typed errors with messages a user can act on. The CLI prints them without a traceback."""

from __future__ import annotations

import difflib
import reprlib

_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlist, _repr.maxdict, _repr.maxlevel = 60, 60, 6, 4, 3


def show(value) -> str:
    """A short, one-line repr of a user's value for an error message (long or nested values are cut)."""
    return _repr.repr(value)


def printable(text: object, limit: int = 120) -> str:
    """`text` on one line: control characters escaped, cut at `limit` characters."""
    s = str(text)
    s = "".join(c if c.isprintable() else repr(c)[1:-1] for c in s)
    return s if len(s) <= limit else s[: limit - 3] + "..."


class OverfitError(Exception):
    """Base class of every error overfit-tui raises on purpose."""


class SpecError(OverfitError):
    """A spec or preset value is unknown, ill-typed or out of range."""

    def __init__(self, key: str, reason: str, source: str | None = None):
        self.key, self.reason, self.source = key, reason, source
        where = f"{printable(source, 200)}: " if source else ""
        super().__init__(f"{where}key '{printable(key, 80)}': {printable(reason, 300)}")

    def with_source(self, source: str) -> SpecError:
        return SpecError(self.key, self.reason, source)


class PresetError(OverfitError):
    """A preset file is missing or does not parse."""


class DataUnavailable(OverfitError):
    """A data set is not on disk and downloading was not allowed."""


class StoreError(OverfitError):
    """The run store is damaged or cannot be written."""


class PathError(OverfitError):
    """A path is unusable (not a folder, not writable) or would leave the home folder."""


class RefError(OverfitError):
    """A run or group reference matches nothing, or more than one thing."""


class ImportRejected(OverfitError):
    """An import file is not a valid overfit-tui export; nothing was written."""


def did_you_mean(name: str, choices) -> str:
    """' (did you mean 'x'?)' when a close match exists, else a list of the valid choices."""
    choices = sorted(str(c) for c in choices)
    close = difflib.get_close_matches(str(name)[:200], choices, n=1, cutoff=0.5)
    if close:
        return f"did you mean '{close[0]}'?"
    return "valid: " + ", ".join(choices)
