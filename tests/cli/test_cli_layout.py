"""The CLI's run lists as a user reads them in an 80-column terminal or a pipe: no number cut,
status and progress for active runs, copyable --detach commands; Ctrl+C during `run` exits
nonzero and prints no study figures from half-trained runs."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys

from overfit_tui.core.records import RunRecord
from overfit_tui.core.schema import Field
from overfit_tui.ui_text import runs_table

from ..conftest import TINY_TOML
from ..runs.polling import HANG, wait_for
from ..ui.finished_store import load_into


def cli(*args, home, columns=80, **kw):
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "overfit_tui", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        **kw,
    )


def test_runs_at_80_columns_cut_no_number(home):
    load_into(home)
    out = cli("runs", home=home.root)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    from overfit_tui.store import Store

    for r in Store(home).runs():
        acc = r.summary.get("final_test_acc")
        if acc is not None:  # every test accuracy is printed whole, as its field formats it
            assert f"{100 * acc:.1f}%" in out.stdout, (r.label, acc)
    assert "hidden at 80 columns:" in out.stdout  # what did not fit is named, not cut


def test_active_runs_show_status_progress_and_eta():
    f = Field("final_test_acc", "test acc", "%", ".1f", "higher", priority=1)
    spec = {"train": {"epochs": 100, "target_train_acc": 1.0}}
    runs = [
        {"id": "a" * 13, "label": "true labels", "status": "running", "spec": spec, "summary": {}},
        {"id": "b" * 13, "label": "random labels", "status": "queued", "spec": spec, "summary": {}},
        {"id": "c" * 13, "label": "p=0.5", "status": "finished", "spec": spec, "summary": {"final_test_acc": 0.5}},
    ]
    runs = [  # as the store returns them: typed records
        RunRecord.from_dict(
            {
                **r,
                "group": "g",
                "study": "randomization",
                "created": 0.0,
                "spec": {"study": "randomization", "label": r["label"], **spec},
            }
        )
        for r in runs
    ]
    evals = [
        {"kind": "eval", "epoch": e, "step": 10 * e, "wall": 2.0 * e, "train_acc": 0.5 + e / 100, "test_acc": 0.4}
        for e in (10, 20)
    ]
    from rich.console import Console

    t, hidden = runs_table(runs, [f], {"a" * 13: evals}, 120)
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(t)
    text = console.export_text()
    assert hidden == ["device"] or hidden == []
    row = next(line for line in text.splitlines() if line.startswith("a" * 13))
    assert "running" in row and "20%" in row and "40.0%~" in row  # live test acc, marked as live
    assert re.search(r"\d+s-\d+[sm]", row)  # ETA as a range: fits early at this pace, or trains on
    assert "not fitted" not in text
    assert "50.0%" in next(line for line in text.splitlines() if line.startswith("c" * 13))


def test_detach_commands_are_not_wrapped_in_a_pipe(tmp_path):
    preset = tmp_path / "tiny-detach.toml"
    preset.write_text(TINY_TOML)
    home = tmp_path / "home"
    out = cli("run", str(preset), "--device", "cpu", "--detach", home=home, columns=40)
    assert out.returncode == 0, out.stderr
    gid = re.search(r"cancel (\S+)", out.stdout).group(1)
    assert f"overfit-tui cancel {gid}" in out.stdout.splitlines()[-1]
    cli("cancel", gid, home=home)


def test_ctrl_c_during_run_exits_nonzero_without_figures(tmp_path):
    preset = tmp_path / "tiny-int.toml"
    preset.write_text(TINY_TOML.replace("epochs = 30", "epochs = 100000").replace("lr = 0.05", "lr = 0.000001"))
    home = tmp_path / "home"
    env = {**os.environ, "COLUMNS": "100"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "overfit_tui", "run", str(preset), "--device", "cpu", "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    from overfit_tui.core.paths import Home
    from overfit_tui.store import Store

    store = Store(Home.resolve(home))
    try:
        # wait on states, under the one hang ceiling (a loaded machine is slow, never this slow)
        assert wait_for(lambda: any(r.status == "running" for r in store.runs()))
        proc.send_signal(signal.SIGINT)
        try:
            stdout, stderr = proc.communicate(timeout=HANG)
        except subprocess.TimeoutExpired:
            log = home / "queue" / "scheduler.log"
            states = [(r.id, r.status) for r in store.runs()]
            raise AssertionError(
                f"run did not stop after SIGINT: {states}; {log.read_text()[-2000:] if log.exists() else ''}"
            ) from None
    finally:  # a 100,000-epoch run must never outlive a failed test
        from ..conftest import _kill_leftovers

        proc.kill()
        _kill_leftovers(Home.resolve(home))
    assert proc.returncode == 130, (stdout[-2000:], stderr[-2000:])
    assert "interrupted" in stderr and "cancelled" in stdout
    assert "Test error vs label corruption" not in stdout  # no figure from half-trained runs
    assert {r.status for r in store.runs()} == {"cancelled"}


def test_table_width_is_what_rich_measures():
    """The run table fits its columns from widths it already knows (no Rich table is built and
    measured per try): the arithmetic must equal Rich's own measurement, wide characters,
    wrapping headers and ellipsised labels included."""
    import random

    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from overfit_tui.ui_text import middle, table_width

    rng = random.Random(0)
    headers = ["status", "ETA", "test acc", "final test acc (%)", "steps to fit", "device", "a b c d e f"]
    alphabet = "abc 0.1%-█░字…"
    probe = Console(width=10_000)
    for _ in range(300):
        n_runs = rng.randrange(1, 6)
        labels = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40))) for _ in range(n_runs)]
        ids = ["".join(rng.choice("0123456789abcdef") for _ in range(rng.randrange(3, 14))) for _ in range(n_runs)]
        cols = [("run", ids)]
        for h in rng.sample(headers, rng.randrange(1, len(headers) + 1)):
            cols.append((h, ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12))) for _ in ids]))
        need = [max([cell_len(x) for x in c] + [max(cell_len(w) for w in h.split())]) for h, c in cols]
        label_max = rng.randrange(14, 29)
        t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        t.add_column("run", no_wrap=True, min_width=need[0])
        t.add_column("condition", no_wrap=True, overflow="ellipsis", max_width=label_max)
        for (h, _), nd in zip(cols[1:], need[1:]):
            t.add_column(h, justify="right", min_width=nd)
        for i in range(n_runs):
            t.add_row(Text(ids[i]), Text(middle(labels[i], label_max)), *(Text(c[i]) for _, c in cols[1:]))
        measured = probe.measure(t, options=probe.options).maximum
        widths = [(nd, cell_len(h)) for (h, _), nd in zip(cols, need)]
        assert table_width(widths, labels, label_max) == measured, (cols, labels, label_max)


def test_fitted_table_prints_what_rich_prints():
    """A fitted run table is printed as the lines Rich's Table would print (title, bold header,
    rule, rows), character for character."""
    import random

    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from overfit_tui.ui_text import _fitted_lines, middle

    rng = random.Random(1)
    headers = ["status", "ETA", "test acc", "final test acc (%)", "steps to fit", "device", "a b c d e f"]
    alphabet = "abc 0.1%-█░字…"
    for _ in range(200):
        n_runs = rng.randrange(1, 6)
        ids = ["".join(rng.choice("0123456789abcdef") for _ in range(rng.randrange(3, 14))) for _ in range(n_runs)]
        labels = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40))).strip() or "x" for _ in ids]
        kept = [("run", ids, 0, False)]
        for h in rng.sample(headers, rng.randrange(1, len(headers) + 1)):
            cells = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12))).strip() for _ in ids]
            kept.append((h, cells, 2, rng.random() < 0.5))
        need = [max([cell_len(x) for x in c[1]] + [max(cell_len(w) for w in c[0].split())]) for c in kept]
        label_max = rng.randrange(14, 29)
        title = rng.choice(["", "g-0123 (randomization)", "字 x"])
        t = Table(title=Text(title) if title else None, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        t.add_column("run", no_wrap=True, min_width=need[0])
        t.add_column("condition", no_wrap=True, overflow="ellipsis", max_width=label_max)
        for c, nd in zip(kept[1:], need[1:]):
            t.add_column(c[0], justify="right" if c[3] else "left", min_width=nd)
        for i in range(n_runs):
            t.add_row(Text(ids[i]), Text(middle(labels[i], label_max)), *(Text(c[1][i]) for c in kept[1:]))
        mine = _fitted_lines(kept, [middle(x, label_max) for x in labels], label_max, title)
        outs = []
        for r in (t, mine):
            console = Console(width=400, record=True, file=io.StringIO(), force_terminal=True)
            console.print(r)
            outs.append(console.export_text())
        assert outs[0] == outs[1], (kept, labels, label_max, title)
        assert "\x1b[1mrun" in console.file.getvalue()  # the header in bold, as the Table prints it
