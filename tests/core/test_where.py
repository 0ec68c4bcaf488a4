"""The query language: fields, ranges, named terms, words, and did-you-mean on field names."""

from __future__ import annotations

import pytest

from overfit_tui.core.where import MISSING, QueryError, flatten, parse_where

RUNS = [
    {"spec": {"train": {"lr": 0.1}, "params": {"corruption": 1.0}}, "summary": {"test_acc": 0.1},
     "status": "finished", "tags": ["paper"], "label": "mlp p=1.0"},
    {"spec": {"train": {"lr": 0.01}, "params": {"corruption": 0.0}}, "summary": {"test_acc": 0.6},
     "status": "finished", "tags": [], "label": "mlp p=0.0"},
    {"spec": {"train": {"lr": 0.001}, "params": {"corruption": 1.0}}, "summary": {},
     "status": "running", "tags": ["paper"], "label": "cnn p=1.0"},
]  # fmt: skip


def getter(run):
    flat = {**flatten(run["spec"]), **run["summary"], "status": run["status"], "tag": run["tags"]}
    return lambda key: flat.get(key, MISSING)


def known():
    keys = {"status", "tag"}
    for r in RUNS:
        keys |= set(flatten(r["spec"])) | set(r["summary"])
    return keys


def labels(q: str) -> list[str]:
    w = parse_where(q, known())
    return [r["label"] for r in RUNS if w.match(getter(r), r["label"])]


def test_fields_ranges_named_terms_and_words_all_hold():
    assert labels("train.lr>=0.01") == ["mlp p=1.0", "mlp p=0.0"]
    assert labels("params.corruption=1 test_acc<0.2") == ["mlp p=1.0"]  # a run without test_acc: no match
    assert labels("status:finished tag:paper") == ["mlp p=1.0"]
    assert labels("tag:paper cnn") == ["cnn p=1.0"]
    assert labels("train.lr!=0.1 status:running") == ["cnn p=1.0"]
    assert labels("") == [r["label"] for r in RUNS]


def test_an_unknown_field_says_the_nearest_one():
    with pytest.raises(QueryError) as e:
        labels("train.lrr>=0.01")
    assert "did you mean 'train.lr'?" in str(e.value) and "\n" not in str(e.value)


def test_a_term_with_a_misplaced_operator_is_refused():
    with pytest.raises(QueryError, match="KEY OP VALUE"):
        parse_where(">=0.1")
