"""The query language: fields, ranges, named terms, words, and did-you-mean on field names."""

from __future__ import annotations

import pytest

from overfit_tui.core.where import MISSING, QueryError, filter_records, flatten, parse_where

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


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("final_test_acc>>0.5", "'>>' is not an operator"),
        ("final_test_acc=>0.5", "'=>' is not an operator"),
        ("final_test_acc>abc", "'>' compares numbers and 'abc' is not one"),
        ("status:finshed", "no status 'finshed' (did you mean 'finished'?)"),
        ("stauts:finished", "no term 'stauts:' (did you mean 'status:'?)"),
        ("grup:smoke", "(did you mean 'group:'?)"),
    ],
)
def test_a_term_that_cannot_mean_what_it_says_is_one_line_naming_it(query, says):
    """These matched nothing, silently (the newcomer trial): each is now an error naming the term."""
    with pytest.raises(QueryError) as e:
        parse_where(query, {"final_test_acc"})
    assert says in str(e.value) and query in str(e.value) and "\n" not in str(e.value)


def test_group_takes_an_id_prefix_and_a_colon_in_a_word_is_still_a_word():
    from overfit_tui.core.records import RunRecord

    stored = {"id": "r1", "study": "randomization", "status": "finished", "created": 0.0, "spec": {}}
    recs = [RunRecord.from_dict({**stored, "group": "smoke-mnist1d-1207-132303-a4475828", "label": "mlp 1x512: true"})]
    assert filter_records(recs, "group:smoke") == recs and filter_records(recs, "group:mnist1d") == []
    assert filter_records(recs, "1x512:") == recs  # a bare word that happens to end in a colon
