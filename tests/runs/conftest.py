"""The fault suite's in-process CLI fixture, for the listing tests here."""

from ..fault.conftest import cli  # noqa: F401 (a fixture)
