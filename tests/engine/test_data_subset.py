"""data.n_train / n_test: a fixed, seeded, class-balanced draw, recorded in the runs' provenance."""

from __future__ import annotations

import pytest
import torch

from overfit_tui.core.errors import SpecError
from overfit_tui.core.specs import DataSpec
from overfit_tui.engine import data as D


def _labels(counts: list[int]) -> torch.Tensor:
    """Labels with these per-class counts, interleaved (not sorted by class)."""
    y = torch.cat([torch.full((c,), k) for k, c in enumerate(counts)])
    return y[torch.randperm(len(y), generator=torch.Generator().manual_seed(7))]


def test_draw_is_class_balanced():
    y = _labels([396, 387, 403, 414, 398, 391, 392, 395, 408, 416])  # the shared subset's counts
    keep = D.balanced_subset(y, 1000, 10, D.SUBSET_SEED, "data.n_train")
    assert len(keep) == 1000 and len(set(keep.tolist())) == 1000
    assert torch.bincount(y[keep], minlength=10).tolist() == [100] * 10
    assert keep.tolist() == sorted(keep.tolist())  # the samples keep their order


def test_remainder_goes_one_each_and_short_classes_give_all_they_have():
    y = _labels([50, 5, 50, 50])
    counts = torch.bincount(y[D.balanced_subset(y, 103, 4, 1, "data.n_train")], minlength=4).tolist()
    assert counts[1] == 5 and sum(counts) == 103
    assert max(counts) - min(c for k, c in enumerate(counts) if k != 1) <= 1  # the rest as even as it gets
    assert sorted(counts) == [5, 32, 33, 33]


def test_draw_is_deterministic_and_the_seed_changes_it():
    y = _labels([400] * 10)
    a = D.balanced_subset(y, 500, 10, D.SUBSET_SEED, "data.n_train")
    b = D.balanced_subset(y, 500, 10, D.SUBSET_SEED, "data.n_train")
    c = D.balanced_subset(y, 500, 10, D.SUBSET_SEED + 1, "data.n_train")
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert len(set(a.tolist()) & set(c.tolist())) < 400  # a different draw, not a shifted one


def test_all_samples_asked_keeps_every_sample_in_order():
    y = _labels([3, 9, 4])
    assert D.balanced_subset(y, 16, 3, 5, "data.n_train").tolist() == list(range(16))


def test_more_samples_than_available_is_a_one_line_error_naming_the_key():
    y = _labels([10, 10])
    with pytest.raises(SpecError) as e:
        D.balanced_subset(y, 21, 2, 0, "data.n_test", "mnist")
    msg = str(e.value)
    assert "data.n_test" in msg and "21" in msg and "20" in msg and "\n" not in msg


def test_prepare_draws_balanced_subsets_and_records_them(mnist_dir, tmp_path):
    ds = D.prepare(DataSpec(name="mnist", n_train=2000, n_test=500), mnist_dir, tmp_path)
    assert torch.bincount(ds.y_train, minlength=10).tolist() == [200] * 10
    assert torch.bincount(ds.y_test, minlength=10).tolist() == [50] * 10
    again = D.prepare(DataSpec(name="mnist", n_train=2000, n_test=500), mnist_dir, tmp_path)
    assert torch.equal(ds.x_train, again.x_train) and torch.equal(ds.y_test, again.y_test)
    rec = D.DRAWS[DataSpec(name="mnist", n_train=2000, n_test=500)]
    assert rec["data_subset"] == "mnist: n_train 2,000, n_test 500, class-balanced, seed 1234"
    assert rec["data_train_per_class"] == ",".join(["200"] * 10)

    from overfit_tui.engine.provenance import provenance

    prov = provenance("cpu", rec)
    assert prov["data_subset"] == rec["data_subset"] and prov["data_test_per_class"] == ",".join(["50"] * 10)


def test_prepare_rejects_a_subset_larger_than_the_data(mnist_dir, tmp_path):
    with pytest.raises(SpecError, match=r"data.n_train.*5,000 training samples asked, mnist has 4,000"):
        D.prepare(DataSpec(name="mnist", n_train=5000), mnist_dir, tmp_path)


def test_mnist1d_subset_is_balanced(_data_cache):
    ds = D.prepare(DataSpec(n_train=1000), _data_cache, _data_cache)
    assert torch.bincount(ds.y_train, minlength=10).tolist() == [100] * 10
    assert len(ds.y_test) == 1000
