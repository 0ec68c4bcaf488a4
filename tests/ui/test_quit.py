"""Quitting returns at once: "Leave them running" exits while a reading thread is stuck in a
slow store read (a loaded machine once kept a blank screen for 15 s), and the event loop's
shutdown does not wait for that thread; a launch still writing is waited for."""

from __future__ import annotations

import asyncio
import threading
import time

from overfit_tui.core.status import Status
from overfit_tui.ui.app import make_app

from .finished_store import load_into
from .polling import until


def test_leave_them_running_returns_without_waiting_for_a_slow_read(home):
    load_into(home)
    stuck, released = threading.Event(), threading.Event()

    def slow_read() -> None:  # the feed, mid-poll on a store that takes long to answer
        stuck.set()
        released.wait(60)

    async def go() -> float:
        app = make_app(home=home.root, poll=False, preset="smoke-mnist1d")
        async with app.run_test(size=(100, 30)) as pilot:
            app.cache.set_records([r.replace(status=Status.RUNNING) for r in app.store.runs()])
            app.run_worker(slow_read, thread=True, group="feed")
            assert await until(pilot, stuck.is_set)
            await pilot.press("q")
            assert await until(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
            await pilot.press("enter")  # the first answer: leave them running
            t0 = time.perf_counter()
            assert await until(pilot, lambda: not app.is_running, timeout=5)
        loop = asyncio.get_running_loop()  # what asyncio.run does on the way out: it waits for no one
        await asyncio.wait_for(loop.shutdown_default_executor(), timeout=2)
        return time.perf_counter() - t0

    try:
        took = asyncio.run(go())
    finally:
        released.set()
    assert took < 3, f"quit took {took:.1f} s"
    assert not (home.root / "runs").exists() or not any(home.root.glob("runs/*/cancel"))  # nothing stopped


def test_quit_waits_for_a_launch_still_writing(home):
    load_into(home)
    writing, done = threading.Event(), threading.Event()

    def launch() -> None:
        writing.set()
        time.sleep(0.5)
        done.set()

    async def go() -> None:
        app = make_app(home=home.root, poll=False)
        async with app.run_test(size=(100, 30)) as pilot:
            app.run_worker(launch, thread=True, group="launch")
            assert await until(pilot, writing.is_set)
            await pilot.press("q")
            assert await until(pilot, lambda: not app.is_running, timeout=10)
            assert done.is_set()  # the launch finished before the app left

    asyncio.run(go())


def test_a_redraw_timer_during_shutdown_finds_no_pane_and_raises_nothing(home):
    """Shutting down removes the screens' widgets while the app's timers still fire: the redraw
    timer found the active tab's pane gone and raised NoMatches (the every-preset pilot, at exit,
    on 3 busy workers)."""
    load_into(home)

    async def go() -> None:
        app = make_app(home=home.root, poll=False, preset="overparam-xor")
        async with app.run_test(size=(120, 40)) as pilot:
            pane = app.active_pane()
            await until(pilot, lambda: pane.is_mounted)
            app._running = False  # as App._shutdown sets it first
            await pane.parent.remove()  # the active tab's pane, pruned
            app._polled = app.cache.dirty = True
            app._redraw_if_dirty()  # the timer's tick
            assert app.active_pane() is None
            app._running = True  # the test harness shuts the app down itself

    asyncio.run(go())
