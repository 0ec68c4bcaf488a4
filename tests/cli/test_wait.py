"""`overfit-tui wait`: a line as each run ends, and an exit status a script can chain on."""

from __future__ import annotations

import threading
import time

import pytest

from ..fault.conftest import group_record, run_record

G = "g-0101-000000-00000000"


@pytest.fixture
def group(store):
    store.add_group(group_record(G))
    return store


@pytest.mark.parametrize(
    ("statuses", "code", "says"),
    [
        (["finished", "finished"], 0, "2 of 2 run(s) finished"),
        (["finished", "diverged"], 1, "diverged"),
        (["finished", "cancelled"], 3, "1 run(s) cancelled"),
    ],
)
def test_an_ended_group_exits_with_its_outcome(cli, group, statuses, code, says):
    group.add_runs([run_record(f"r{i}", group=G, status=s, index=i) for i, s in enumerate(statuses)])
    got, out, err = cli("wait", G)
    assert got == code and says in out + err, (out, err)


def test_it_waits_for_the_run_to_end_and_says_so(cli, group):
    group.add_runs([run_record("r0", group=G, status="finished"), run_record("r1", group=G, status="queued", index=1)])

    def end_later():
        time.sleep(1.0)
        group.transition("r1", ("queued",), status="running")
        group.transition("r1", ("running",), status="finished", summary={}, ended=time.time())

    t = threading.Thread(target=end_later)
    t.start()
    got, out, err = cli("wait", G)
    t.join()
    assert got == 0 and "run r1 (run r1) finished" in out and "2 of 2" in out, (out, err)


def test_a_timeout_exits_124_naming_what_is_still_active(cli, group):
    group.add_runs([run_record("r0", group=G, status="queued")])
    got, out, err = cli("wait", G, "--timeout", "0.5")
    assert got == 124 and "1 of 1 run(s) still queued or running" in err
