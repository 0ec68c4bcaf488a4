"""Messages the background feed posts to the app (small dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from overfit_tui.runs.feed import FeedBatch


@dataclass
class StoreChanged(Message):
    """What the feed found since its last poll (runs/feed.py's FeedBatch): index, groups, events."""

    batch: FeedBatch


@dataclass
class DeviceStatus(Message):
    """A fresh line of device utilisation, and each waiting run's place in the home's queue."""

    text: str
    queue: dict[str, int] | None = None  # run id -> its job's place (1 starts next)


@dataclass
class RestartsFound(Message):
    """The restart groups in the store: restart group id -> (its source group, the runs it redoes)."""

    restarts: dict[str, tuple[str, tuple[str, ...]]]
