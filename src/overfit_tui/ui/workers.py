"""Thread workers that never hold the app open: quitting returns at once.

Textual runs thread workers on the event loop's default executor, and leaving `asyncio.run`
waits for every one of them: a feed thread in the middle of a slow store read (a loaded
machine) kept the screen blank for 15 s after "Leave them running". Here each worker gets a
daemon thread that nobody waits for. Workers that read (the feed, a pane's events, a log)
are simply dropped; the few that write (launch, cancel, tags, exports) are awaited by the
app before it exits, with the screen still up (`writing`). Runs themselves are never
affected: they belong to the detached scheduler, not to this process.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

WRITES = frozenset({"launch", "cancel", "tags", "export", "report"})  # worker groups that change files


class DaemonExecutor(ThreadPoolExecutor):  # asyncio takes no other kind as a default executor
    """One daemon thread per task (the app's thread workers are few and long-lived); shutdown
    waits for nothing. The pool's own threads are never started."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        fut: Future = Future()

        def run() -> None:
            if not fut.set_running_or_notify_cancel():
                return
            try:
                fut.set_result(fn(*args, **kwargs))
            except BaseException as e:  # the worker reports it, as with the default executor
                fut.set_exception(e)

        threading.Thread(target=run, daemon=True, name="overfit-tui-worker").start()
        return fut

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: readers are dropped, writers were awaited by the app."""


def writing(workers) -> list:
    """The workers still changing files (launch, cancel, ...): the app waits for these alone."""
    return [w for w in workers if w.group in WRITES and not w.is_finished]
