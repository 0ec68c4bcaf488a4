"""Messages the background feed posts to the app (small dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message


@dataclass
class RunsChanged(Message):
    """The stored run records changed (status, summary, new runs)."""

    records: list[dict]


@dataclass
class MetricsArrived(Message):
    """New metric events, by run id."""

    events: dict[str, list[dict]] = field(default_factory=dict)


@dataclass
class DeviceStatus(Message):
    """A fresh line of device utilisation."""

    text: str
