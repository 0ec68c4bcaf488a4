"""Watching and listing at scale: the feed reads only what can change (finished runs once,
running runs' logs when they grow); `runs` filters by study, group, status, tag and time
and streams `--json`; events are thinned with their spikes kept; the app's cache is bounded."""

from __future__ import annotations

import json
import math
import time

from overfit_tui.core.records import RunRecord
from overfit_tui.core.status import Status
from overfit_tui.runs.feed import RunFeed
from overfit_tui.store.metrics import MetricWriter, thin_events
from overfit_tui.ui.cache import RunCache

from ..fault.conftest import group_record, run_record

G1, G2 = "g1-0101-000000-00000001", "g2-0101-000000-00000002"


def _two_groups(store) -> None:
    store.add_group({**group_record(G1), "created": 1_700_000_000.0}, [run_record("done-a", group=G1, tags=["keep"])])
    live = [run_record("live-b", group=G2, status="running", pid=None, created=time.time())]
    store.add_group({**group_record(G2), "created": time.time()}, live)
    for rid, n in (("done-a", 3), ("live-b", 2)):
        w = MetricWriter(store.metrics_path(rid))
        for i in range(n):
            w.write({"kind": "step", "step": i, "train_loss": 1.0})
        w.close()


def test_the_feed_reads_finished_runs_once_and_follows_running_ones(store, monkeypatch):
    _two_groups(store)
    monkeypatch.setattr("overfit_tui.runs.feed.reconcile", lambda s: [])  # live-b has no worker here
    feed = RunFeed(store, groups=())
    first = feed.poll()
    assert set(first.index) == {G1, G2}  # every group's entry: study, times, counts
    assert set(first.groups) == {G2} and len(first.events["live-b"]) == 2  # only the active group
    feed.want([G1])
    second = feed.poll()
    assert second.index is None and set(second.groups) == {G1} and len(second.events["done-a"]) == 3
    for rid in ("done-a", "live-b"):  # a finished run's file is never read again; a running one is
        w = MetricWriter(store.metrics_path(rid))
        w.write({"kind": "step", "step": 9, "train_loss": 0.5})
        w.close()
    third = feed.poll()
    assert list(third.events) == ["live-b"] and not third.groups
    store.transition("live-b", ("running",), status="finished")
    fourth = feed.poll()
    assert fourth.groups[G2][0].status == "finished" and fourth.index is not None  # the group ended:
    assert fourth.gone == {G2}  # read a last time, then no longer followed (nobody wants it)
    assert not feed.poll()  # nothing changed: nothing read, nothing sent


def test_runs_filters_and_streamed_json(store, cli):
    _two_groups(store)
    store.add_runs([run_record("other-c", group=G1, status="failed", index=1)])

    def ids(*args):
        code, out, err = cli("runs", "--json", *args)
        assert code == 0, err
        return [r["id"] for r in json.loads(out)]

    assert ids() == ["done-a", "other-c", "live-b"]
    assert ids("--status", "failed,running") == ["other-c", "live-b"]
    assert ids("--tag", "keep") == ["done-a"] and ids("--group", G2) == ["live-b"]
    assert ids("--group", G2[:-2]) == ["live-b"]  # a unique prefix, as every other command takes
    code, _, err = cli("runs", "--group", "zzz")
    assert code == 2 and "--group 'zzz'" in err and err.count("\n") == 1, err
    assert ids("--since", "1d") == ["live-b"] and ids("--since", "2024-01-01") == ["live-b"]
    assert ids("--study", "randomization", "--status", "finished") == ["done-a"]
    code, out, _ = cli("runs", "--json", "--tag", "nothing")
    assert code == 0 and json.loads(out) == []
    code, out, _ = cli("runs", "--status", "failed")
    assert code == 0 and "other-c" in out and "done-a" not in out
    for args, needle in ((["--status", "finish"], "did you mean 'finished'"), (["--since", "soon"], "--since")):
        code, _, err = cli("runs", *args)
        assert code == 2 and needle in err and err.count("\n") == 1, err
    code, _, err = cli("runs", "--study", "randomisation")
    assert code == 2 and "did you mean 'randomization'" in err


def _series(n: int) -> list[dict]:
    evs = [{"kind": "step", "step": i, "train_loss": 1.0 / (1 + i)} for i in range(n)]
    evs[1234]["train_loss"] = 50.0  # a spike
    evs[4321]["train_loss"] = math.nan  # a divergence marker
    evs.insert(10, {"kind": "point", "name": "width", "x": 3.0, "values": {}, "wall": 0.0})
    return evs


def test_thinning_keeps_spikes_points_and_ends_within_the_limit():
    evs = _series(20_000)
    thin = thin_events(evs, 1000)
    assert len(thin) <= 1001 and thin[0] is evs[0] and thin[-1] is evs[-1]
    losses = [e.get("train_loss") for e in thin]
    assert 50.0 in losses and any(v != v for v in losses if v is not None)  # the spike and the NaN stay
    assert sum(e["kind"] == "point" for e in thin) == 1
    assert [e.get("step", -1) for e in thin if e["kind"] == "step"] == sorted(e["step"] for e in thin if "step" in e)
    assert thin_events(evs[:500], 1000) == evs[:500]  # short enough: untouched


def test_the_cache_keeps_what_views_want_within_its_bounds():
    cache = RunCache(groups_kept=2, per_run=1000, events_max=3000)
    for g in ("a", "b", "c"):
        assert not cache.want(g) and cache.wake.is_set()
        cache.set_group(g, [RunRecord(f"{g}-run", g, "s", "run", Status.FINISHED, {}, 0.0)])
        cache.add_events({f"{g}-run": _series(5000)})
        assert len(cache.events[f"{g}-run"]) <= 1000  # thinned, spike kept
        assert 50.0 in [e.get("train_loss") for e in cache.events[f"{g}-run"]]
    assert set(cache.records) == {"b-run", "c-run"} and cache.wanted() == ["b", "c"]  # "a" went first
    assert cache.n_events == sum(len(v) for v in cache.events.values()) <= 3000
    cache.add_events({"c-run": _series(4500)})
    assert cache.n_events <= 3000 and set(cache.events) <= {"b-run", "c-run"}
