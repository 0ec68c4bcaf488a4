"""The run store: TinyDB records (atomic, locked) and per-run append-only metric logs."""

from overfit_tui.store.store import Store

__all__ = ["Store"]
