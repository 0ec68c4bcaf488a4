"""A run's status, one enum for every layer (store, runs, studies, export, ui).

`Status` is a `str` enum, so a stored record's "finished" and `Status.FINISHED` compare
equal and serialise the same: records written before the enum existed load unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a run stands. ACTIVE ones may still change; ENDED ones never do."""

    QUEUED = "queued"  # waiting for a slot
    RUNNING = "running"  # a worker trains it
    FINISHED = "finished"  # trained to its budget (or its stop rule)
    FAILED = "failed"  # the worker raised; the record holds the reason
    DIVERGED = "diverged"  # the loss went non-finite; curves up to there are kept
    CANCELLED = "cancelled"  # the user stopped it
    LOST = "lost"  # its worker died without a word (kill -9, node gone)
    IMPORTED = "imported"  # queued or running on another machine when it was exported

    @property
    def ended(self) -> bool:
        return self in ENDED

    @property
    def active(self) -> bool:
        return self in ACTIVE


ACTIVE: tuple[Status, ...] = (Status.QUEUED, Status.RUNNING)
ENDED: tuple[Status, ...] = (
    Status.FINISHED,
    Status.FAILED,
    Status.DIVERGED,
    Status.CANCELLED,
    Status.LOST,
    Status.IMPORTED,
)
STATES: tuple[Status, ...] = ACTIVE + ENDED
# what a claim or a figure may read as a result: only runs that trained to their end
ENDED_OK: tuple[Status, ...] = (Status.FINISHED,)
