"""The CPU cost of the two listings a user types most, `overfit-tui presets` and `overfit-tui
runs`, on a small home, each in a fresh interpreter as a shell would start it (`python -m
overfit_tui ...`, interpreter start-up included): user + system seconds of the child, read with
`resource.getrusage(RUSAGE_CHILDREN)` around each call. The target (issue 27): under 0.5 s of
CPU each, torch never imported.

    python bench/bench_cli_cpu.py [--runs 40] [--repeat 5] [--root DIR] [--no-bytecode]

The modules run from bytecode, as an installed package's do (pip compiles them): the children
write it under a private cache (PYTHONPYCACHEPREFIX in the bench's folder) on a first, unmeasured
call. --no-bytecode measures with PYTHONDONTWRITEBYTECODE=1 instead (every module of the source
tree compiled at every call: what a checkout run with that variable set pays).

Prints the load average, then per command: the median and the least CPU seconds over the
repeats, the median wall seconds, whether torch was imported and which study packages were
(checked in one extra run with `-X importtime`). The home is built as bench_listing.py builds
it (the store API, shipped presets).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_listing import build_home  # a sibling script, not a package

TARGET_S = 0.5


def _cpu_of(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(CPU seconds, wall seconds, stderr) of one child running `argv` to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"{argv} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, p.stderr


def _study_packages() -> list[str]:
    """The study packages (studies/<name>/), found on disk: no study is imported to list them."""
    import pkgutil

    import overfit_tui.studies as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if m.ispkg and m.name != "shared")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40, help="runs in the small home")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--root", type=Path, default=None)
    ap.add_argument("--no-bytecode", action="store_true", help="compile every module at every call")
    a = ap.parse_args()
    root = a.root or Path(tempfile.mkdtemp(prefix="bench-cli-cpu-"))
    home = root / f"home-{a.runs}"
    build_home(home, a.runs)
    env = {**os.environ, "COLUMNS": "160"}
    if a.no_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    py = [sys.executable, "-m", "overfit_tui"]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs; {'no bytecode' if a.no_bytecode else 'bytecode'}")
    worst = 0.0
    for name, args in (("presets", ["presets"]), ("runs", ["runs", "--home", str(home)])):
        _cpu_of([*py, *args], env)  # unmeasured: writes the bytecode (a no-op with --no-bytecode)
        cpus, walls = [], []
        for _ in range(a.repeat):
            cpu, wall, _ = _cpu_of([*py, *args], env)
            cpus.append(cpu)
            walls.append(wall)
        _, _, trace = _cpu_of([sys.executable, "-X", "importtime", "-m", "overfit_tui", *args], env)
        imported = [ln.rsplit("|", 1)[-1].strip() for ln in trace.splitlines() if ln.startswith("import time:")]
        torch = "torch" in imported
        studies = [n for n in _study_packages() if any(m.startswith(f"overfit_tui.studies.{n}.") for m in imported)]
        med = statistics.median(cpus)
        worst = max(worst, med)
        print(
            f"overfit-tui {name}: cpu median {med:.2f} s, least {min(cpus):.2f} s, wall median "
            f"{statistics.median(walls):.2f} s over {a.repeat} runs; torch imported: {torch}; "
            f"study packages imported: {', '.join(studies) or 'none'}",
            flush=True,
        )
    print(f"target: under {TARGET_S} s of CPU each: {'met' if worst < TARGET_S else 'NOT met'}")
    if a.root is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
