"""The app on a built home, in its own process (bench/bench_store.py runs it): a headless pilot
measures start to first screen (as `overfit-tui` opens: the randomization pane, its newest
group's runs in the table; from `make_app`, and from
the process's first import, torch and Textual included), the
CPU the idle app uses over 10 s, its memory, and opening a 50-run comparison. Prints one JSON
line.

    python bench/bench_app_probe.py HOME
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key + ":"))


async def probe(home: str) -> dict:
    t0 = time.perf_counter()
    from overfit_tui.store.reads import RunFilter
    from overfit_tui.ui.app import make_app
    from overfit_tui.ui.compare_screen import CompareScreen
    from overfit_tui.ui.run_table import RunTable

    imported = time.perf_counter() - t0
    t_app = time.perf_counter()
    app = make_app(home=home, preset="smoke-mnist1d")  # as `overfit-tui` opens: the smoke preset's pane
    out: dict = {"import_s": imported}

    async def until(pred, timeout: float = 60.0) -> float:
        start = time.perf_counter()
        while not pred():
            if time.perf_counter() - start > timeout:
                raise TimeoutError("the app did not get there in time")
            await asyncio.sleep(0.01)
        return time.perf_counter()

    async with app.run_test(size=(160, 48)) as pilot:

        def first_screen() -> bool:
            pane = app.active_pane()
            gid = pane.current_group() if pane else None
            return bool(gid and app.cache.loaded(gid) and pane.query_one(RunTable).row_count)

        first = await until(first_screen)
        out["start_s"], out["start_with_imports_s"] = first - t_app, first - t0
        await pilot.pause(2.0)  # settle: the first screen is drawn, the feed idles
        cpu, wall = time.process_time(), time.perf_counter()
        await pilot.pause(10.0)
        out["idle_cpu_pct"] = 100 * (time.process_time() - cpu) / (time.perf_counter() - wall)
        out["rss_mb"], out["peak_mb"] = _status_kb("VmRSS") / 1024, _status_kb("VmHWM") / 1024
        ids = []
        for r in app.store.iter_runs(RunFilter(status=("finished",)), newest_first=True):
            ids.append(r.id)
            if len(ids) == 50:
                break
        t = time.perf_counter()
        app.open_compare(ids)
        await until(lambda: isinstance(app.screen, CompareScreen))
        await pilot.pause(0)
        out["compare_s"] = time.perf_counter() - t
        out["compare_runs"] = len(app.screen.comparison().records)
        out["peak_mb"] = _status_kb("VmHWM") / 1024
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(sys.argv[1]))))
