"""The device line with a fake NVML reader (no GPU here): each GPU's utilisation with its
history sparkline, its memory, and the GPU memory each worker holds, named by its runs; a CPU
machine (no reader answer, or a reader that fails) shows the CPU line, never a crash."""

from __future__ import annotations

import asyncio

from textual.widgets import Static

from overfit_tui.core.records import RunRecord
from overfit_tui.core.status import Status
from overfit_tui.runs.devices import GpuSample, read_gpus
from overfit_tui.ui import device_status
from overfit_tui.ui.app import make_app
from overfit_tui.ui.device_status import BARS, HISTORY, DeviceProbe, sparkline

from .polling import until

G = 2**30


class FakeNvml:
    """Two GPUs; GPU 0's utilisation climbs 0, 50, 100, ...; worker 111 trains two stacked runs."""

    def __init__(self):
        self.calls = 0

    def __call__(self) -> list[GpuSample]:
        self.calls += 1
        util = min(100, 50 * (self.calls - 1))
        return [
            GpuSample(0, util, 6 * G, 80 * G, 61, {111: int(1.5 * G), 222: int(0.5 * G), 999: 3 * G}),
            GpuSample(1, 0, 0, 80 * G, 35, {}),
        ]


def test_sparkline_scales_and_clips():
    assert sparkline([0, 50, 100]) == BARS[0] + BARS[4] + BARS[-1]
    assert sparkline([-5, 250]) == BARS[0] + BARS[-1]


def test_gpu_line_names_each_workers_memory_and_keeps_history():
    fake = FakeNvml()
    probe = DeviceProbe(fake)  # the constructor asks once whether there is a GPU
    worker_runs = {111: ["aaaaaaaa11", "bbbbbbbb22"], 222: ["cccccccc33"]}  # 999: another user's process
    for _ in range(HISTORY + 3):
        line = probe.line({"cuda:0": 3}, {"cuda:0": 2}, worker_runs)
    gpu0, gpu1 = line.split("\n")
    assert gpu0.startswith("cuda:0 100% ") and "6.0/80G 61°C · runs 3" in gpu0
    assert gpu0.endswith("aaaaaaaa+1 1.5G, cccccccc 0.5G")  # the larger first; 999 is no run of ours
    assert len(probe.history[0]) == HISTORY and list(probe.history[0])[-1] == 100
    assert BARS[-1] * 3 in gpu0
    assert gpu1.startswith("cuda:1   0% ") and "runs 0" in gpu1 and "G, " not in gpu1


def test_a_cpu_machine_or_a_failing_reader_shows_the_cpu_line():
    assert "no GPU" in DeviceProbe(lambda: None).line({"cpu": 1}, {"cpu": 1}, {})

    def broken():
        raise RuntimeError("NVML went away")

    assert "no GPU" in DeviceProbe(broken).line({}, {}, {})
    calls = iter([[GpuSample(0, 5, G, 8 * G, 40)]])

    def flaky():  # answers once (the probe sees a GPU), then fails
        try:
            return next(calls)
        except StopIteration:
            raise RuntimeError("NVML_ERROR_GPU_IS_LOST") from None

    assert DeviceProbe(flaky).line({}, {}, {}) == "GPU status unavailable (RuntimeError)"


def test_read_gpus_without_nvml_is_none_not_a_crash():
    got = read_gpus()
    assert got is None or all(isinstance(s, GpuSample) for s in got)  # None on this CPU machine


def _bar(app) -> str:
    return str(app.query_one("#device-bar", Static).render())


def test_the_app_bar_shows_gpu_memory_per_run_and_a_growing_sparkline(home, monkeypatch):
    fake = FakeNvml()
    monkeypatch.setattr(device_status, "read_gpus", fake)

    async def go():
        app = make_app(home=home.root, poll=False)
        async with app.run_test(size=(120, 40)) as pilot:
            for rid, pid in (("aaaaaaaa11", 111), ("bbbbbbbb22", 111), ("cccccccc33", 222)):
                app.cache.records[rid] = RunRecord(  # what the device line reads; a study no pane shows
                    id=rid, group="g-elsewhere", study="elsewhere", label=rid, status=Status.RUNNING,
                    spec_data={}, created=0.0, device="cuda:0", pid=pid,
                )  # fmt: skip
            app.device_feed()
            assert await until(pilot, lambda: "aaaaaaaa+1 1.5G" in _bar(app) and "cccccccc 0.5G" in _bar(app))
            assert "runs 3" in _bar(app) and "cuda:1" in _bar(app)
            assert await until(pilot, lambda: app.query_one("#device-bar").size.height == 2)  # one line per GPU
            assert await until(pilot, lambda: (BARS[4] + BARS[-1]) in _bar(app))  # 50 %, then 100 %: the history

    asyncio.run(go())


def test_the_app_on_a_cpu_machine_shows_no_gpu_section(home, monkeypatch):
    monkeypatch.setattr(device_status, "read_gpus", lambda: None)

    async def go():
        app = make_app(home=home.root, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            app.device_feed()
            assert await until(pilot, lambda: "no GPU" in _bar(app))
            assert "cuda" not in _bar(app)
            assert await until(pilot, lambda: app.query_one("#device-bar").size.height == 1)

    asyncio.run(go())
