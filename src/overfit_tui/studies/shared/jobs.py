"""How a study packs its runs into worker jobs (stacked MLPs, one job per seed) and the
input conditions of the randomization tests: descriptions read them, so no torch here."""

from __future__ import annotations

from overfit_tui.core.specs import RunSpec

INPUT_CONDITIONS = ("shuffled_pixels", "random_pixels", "gaussian")

INPUT_DIM = {"mnist1d": 40, "mnist": 784, "fashion-mnist": 784, "cifar10": 3072}
STACK_MAX_PARAMS = 200_000  # above this an MLP step is compute-bound on CPU and stacking stops paying (bench/)


def fusable_spec(run: RunSpec, on_gpu: bool = False) -> bool:
    """Whether runs with this spec should train stacked under vmap (mirrors engine.models.fusable).

    Only small MLPs: vmapped convolutions are slower than a loop on CPU, and big MLPs are
    compute-bound, where stacking saves no time (bench/bench_engine.py shows both)."""
    m, d = run.model, run.data
    if run.train.fuse != "auto" or m.batchnorm or m.dropout or m.name not in ("linear", "mlp"):
        return False
    dim = d.gaussian_dim if d.name == "gaussian" else INPUT_DIM[d.name]
    if d.crop and d.name != "mnist1d":
        dim = dim // (28 * 28 if d.name != "cifar10" else 32 * 32) * d.crop * d.crop
    w = m.width or 512
    params = dim * w + max(0, m.depth - 1) * w * w + w * 10 if m.name == "mlp" else dim * 10
    return on_gpu or params <= STACK_MAX_PARAMS  # on a GPU stacking pays at every MLP size


def fused_jobs(runs: list[RunSpec], on_gpu: bool = False, max_members: int = 16) -> list[list[int]]:
    """Same model, data and training spec -> one stacked job (up to `max_members`); others alone."""
    groups: dict[tuple, list[int]] = {}
    jobs: list[list[int]] = []
    for i, r in enumerate(runs):
        if not fusable_spec(r, on_gpu):
            jobs.append([i])
            continue
        groups.setdefault((r.model, r.data, r.train), []).append(i)
    for idx in groups.values():
        jobs += [idx[j : j + max_members] for j in range(0, len(idx), max_members)]
    return sorted(jobs)


def seed_jobs(runs: list[RunSpec]) -> list[list[int]]:
    """One job per replicate (its `Seeds`), its runs in expansion order: for studies whose runs
    of one seed build on each other or share what the seed draws."""
    by_seed: dict = {}
    for i, r in enumerate(runs):
        by_seed.setdefault(r.seeds, []).append(i)
    return list(by_seed.values())
