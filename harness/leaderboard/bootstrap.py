"""Percentile bootstrap over examples: how far an accuracy could move if the examples had come out differently.

With tens of examples per domain, two models a few points apart are often indistinguishable; an interval per
model and a *paired* interval for the gap between neighbours (same examples, resampled together) show which
differences are real. Seeded, so a leaderboard is reproducible to the digit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
LEVEL = 0.95


def _resampled_means(values: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(values), size=(resamples, len(values)))
    return values[index].mean(axis=1)


def bootstrap_ci(values: Sequence[float], *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                 level: float = LEVEL) -> tuple[float, float]:
    """Percentile interval of the mean of `values` (per-example scores, e.g. 0/1 correctness)."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples}")
    means = _resampled_means(data, resamples, seed)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def paired_difference_ci(a: Sequence[float], b: Sequence[float], *, resamples: int = DEFAULT_RESAMPLES,
                         seed: int = DEFAULT_SEED, level: float = LEVEL) -> tuple[float, float, float]:
    """Mean of a − b over the same examples, with its percentile interval: (difference, low, high)."""
    left, right = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if left.shape != right.shape:
        raise ValueError(f"paired scores must align: {left.shape} vs {right.shape}")
    diff = left - right
    low, high = bootstrap_ci(diff, resamples=resamples, seed=seed, level=level)
    return float(diff.mean()), low, high
