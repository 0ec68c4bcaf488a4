"""kill -9 of store writers at random points, in a bounded loop: after every kill the store
opens clean (no set-aside, no unreadable record), every write that returned is there, and
the temporary files of the killed writers are cleaned up."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import time

from overfit_tui.core.paths import Home
from overfit_tui.store import Store

from .conftest import run_record

ROUNDS = 16  # kills; each round lets a writer run for 10-150 ms (a store write takes ~15 ms with fsync)


def _writer(root: str, k: int, done_path: str, template: dict) -> None:
    """Add, tag, transition and remove runs as fast as it can; note each add that returned."""
    store = Store(Home.resolve(root))
    with open(done_path, "a") as done:
        for i in range(10_000):
            rid = f"w{k}-{i}"
            store.add_runs([{**template, "id": rid, "tags": [], "created": 1_700_000_000.0 + i}])
            done.write(rid + "\n")
            done.flush()
            store.modify_runs([rid], lambda r: r["tags"].append("t") or True)
            store.transition(rid, ("queued",), status="running", pid=os.getpid())
            if i % 3 == 0:
                store.remove_runs([f"w{k}-{i - 3}"])  # still running: kept (removal refuses active runs)
                store.transition(rid, ("running",), status="finished")
                store.remove_runs([rid])


def test_kill_9_of_writers_leaves_a_parsable_store(home, tmp_path):
    rng = random.Random(10)
    fork = mp.get_context("fork")
    done_path = tmp_path / "done.txt"
    template = run_record("x", status="queued")
    for k in range(ROUNDS):
        p = fork.Process(target=_writer, args=(str(home.root), k, str(done_path), template))
        p.start()
        time.sleep(rng.uniform(0.01, 0.15))
        os.kill(p.pid, signal.SIGKILL)
        p.join(10)
        store = Store(home)  # what the next command sees
        assert store.recovered_from is None and store.damage is None
        assert store.problems() == []
        assert not list(home.root.glob(".store.json.*.tmp")) + list(home.store_dir.rglob(".*.tmp"))  # cleaned on open
    store = Store(home)
    ids = {r.id for r in store.runs()}
    added = set(done_path.read_text().split()) if done_path.exists() else set()
    removed = {rid for rid in added if int(rid.split("-")[1]) % 3 == 0}  # each writer removes those itself
    assert len(added) >= 3, len(added)  # the writers got work done between the kills
    assert added - removed <= ids  # an add that returned is never lost, whatever came after
    assert all(r.status in ("queued", "running", "finished") and r.tags in ((), ("t",)) for r in store.runs())
