"""Each randomization keeps its invariants (Zhang et al. 2017's conditions)."""

from __future__ import annotations

import torch

from overfit_tui.engine import transforms as T
from overfit_tui.studies.shared.data import randomize


def test_corrupted_fraction_matches_p(mnist1d):
    y = mnist1d.y_train
    for p in (0.2, 0.6, 1.0):
        yc = T.corrupt_labels(y, p, 10, torch.Generator().manual_seed(0))
        changed = (yc != y).float().mean().item()
        # a corrupted label is redrawn uniformly, so it stays equal with prob. 1/10
        assert abs(changed - p * 0.9) < 0.03, (p, changed)


def test_labels_fixed_and_test_labels_untouched(mnist1d):
    a = randomize(mnist1d, "labels", 0.5, seed=3)
    b = randomize(mnist1d, "labels", 0.5, seed=3)
    assert torch.equal(a.y_train, b.y_train)  # drawn once, the same every time
    assert torch.equal(a.y_test, mnist1d.y_test)
    assert torch.equal(a.x_train, mnist1d.x_train)


def test_shuffled_pixels_one_permutation_for_train_and_test(mnist1d):
    d = randomize(mnist1d, "shuffled_pixels", 0.0, seed=1)
    flat_tr, flat_te = mnist1d.x_train.flatten(1), mnist1d.x_test.flatten(1)
    # recover the permutation from one training image's values and check it fits every image
    perm = T.pixel_permutation(flat_tr.shape[1], torch.Generator().manual_seed(1))
    assert torch.equal(d.x_train.flatten(1), flat_tr[:, perm])
    assert torch.equal(d.x_test.flatten(1), flat_te[:, perm])
    assert not torch.equal(d.x_train, mnist1d.x_train)
    assert torch.equal(d.y_train, mnist1d.y_train)


def test_random_pixels_permute_each_image_independently(mnist1d):
    d = randomize(mnist1d, "random_pixels", 0.0, seed=1)
    a, b = mnist1d.x_train.flatten(1), d.x_train.flatten(1)
    # same multiset of values per image
    assert torch.allclose(a.sort(1).values, b.sort(1).values)
    # different permutations for different images: positions of each image's maximum disagree
    moved = (a.argmax(1) != b.argmax(1)).float().mean()
    assert moved > 0.8


def test_gaussian_inputs_match_mean_and_std(mnist1d):
    d = randomize(mnist1d, "gaussian", 0.0, seed=2)
    m, s = mnist1d.x_train.mean().item(), mnist1d.x_train.std().item()
    assert abs(d.x_train.mean().item() - m) < 0.02 and abs(d.x_train.std().item() - s) < 0.02
    assert d.x_test.shape == mnist1d.x_test.shape


def test_augmentations_keep_shape_and_content():
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
    torch.manual_seed(0)
    out = T.augment_batch(x)
    assert out.shape == x.shape
    s = torch.randn(4, 1, 40)
    out1 = T.augment_batch_1d(s, pad=2)
    assert out1.shape == s.shape
    # a shift by at most 2: every output interior value comes from the same signal
    for i in range(4):
        assert any(torch.equal(out1[i, 0, 2:-2], s[i, 0, 2 - k : 38 - k]) for k in range(-2, 3))


def test_pixel_conditions_move_colour_pixels_whole():
    # each pixel's three channels encode its position: (p, p + 1000, p + 2000)
    pos = torch.arange(16, dtype=torch.float32).view(1, 1, 4, 4)
    x = torch.cat([pos, pos + 1000, pos + 2000], 1).repeat(5, 1, 1, 1)
    perm = T.pixel_permutation(T.num_positions(x), torch.Generator().manual_seed(0))
    assert len(perm) == 16
    for out in (T.shuffle_pixels(x, perm), T.random_pixels(x, torch.Generator().manual_seed(0))):
        assert out.shape == x.shape
        assert torch.equal(out[:, 1] - out[:, 0], torch.full_like(out[:, 0], 1000))  # channels stay together
        assert torch.equal(out[:, 2] - out[:, 0], torch.full_like(out[:, 0], 2000))
        assert torch.equal(out[:, 0].flatten(1).sort(1).values, pos.flatten(1).expand(5, 16))  # a permutation
    shuffled = T.shuffle_pixels(x, perm)
    assert torch.equal(shuffled[0, 0].flatten(), perm.float())  # one permutation for every image
    assert (shuffled == shuffled[:1]).all()
    rand = T.random_pixels(x, torch.Generator().manual_seed(0))
    assert not (rand == rand[:1]).all()  # a different permutation per image


def test_image_crops_are_moves_of_at_most_two_pixels_never_flips():
    x = torch.randn(64, 3, 12, 12)
    out = T.augment_batch(x, pad=2, gen=torch.Generator().manual_seed(0))
    moves = set()
    for i in range(64):
        found = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if torch.equal(out[i, :, 2:-2, 2:-2], x[i, :, 2 - dy : 10 - dy, 2 - dx : 10 - dx])
        ]
        assert len(found) == 1, i  # the interior is the image moved, never mirrored
        moves.add(found[0])
    assert len(moves) > 10  # the moves vary across images
