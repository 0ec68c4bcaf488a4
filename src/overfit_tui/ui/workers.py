"""Thread workers that never hold the app open: quitting returns at once.

Textual runs thread workers on the event loop's default executor, and leaving `asyncio.run`
waits for every one of them: a feed thread in the middle of a slow store read (a loaded
machine) kept the screen blank for 15 s after "Leave them running". Here each worker gets a
daemon thread that nobody waits for. Workers that read (the feed, a pane's events, a log)
are simply dropped; the few that write (launch, cancel, tags, exports) are awaited by the
app's quit with the screen still up (`writing`), and by the executor's shutdown however
else the app ends. Runs themselves are never
affected: they belong to the detached scheduler, not to this process.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

WRITES = frozenset({"launch", "cancel", "tags", "export", "report"})  # worker groups that change files


class DaemonExecutor(ThreadPoolExecutor):  # asyncio takes no other kind as a default executor
    """One daemon thread per task (the app's thread workers are few and long-lived); shutdown
    waits for nothing. The pool's own threads are never started."""

    def __init__(self) -> None:
        super().__init__()
        self._writers: set[threading.Thread] = set()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        from textual.worker import active_worker

        fut: Future = Future()
        worker = active_worker.get(None)  # submit runs in the worker's own task: its group is known
        writes = worker is not None and worker.group in WRITES

        def run() -> None:
            if not fut.set_running_or_notify_cancel():
                return
            try:
                fut.set_result(fn(*args, **kwargs))
            except BaseException as e:  # the worker reports it, as with the default executor
                fut.set_exception(e)

        thread = threading.Thread(target=run, daemon=not writes, name=f"overfit-tui-{worker and worker.group}")
        if writes:
            self._writers = {t for t in self._writers if t.is_alive()} | {thread}
        thread.start()
        return fut

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Readers are dropped; a writer still running (the app left some other way than its
        quit, which waits with the screen up) is finished first."""
        if wait:
            for t in list(self._writers):
                t.join()


def writing(workers) -> list:
    """The workers still changing files (launch, cancel, ...): the app waits for these alone."""
    return [w for w in workers if w.group in WRITES and not w.is_finished]
