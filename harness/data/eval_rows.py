"""The rows an evaluation runs on: one side of the deterministic split, images written to the shared store.

The lm-eval task (`tasks/open_mm_rl/utils.py`) and `harness.evaluation` both select rows here, so the task is
a thin adapter and the harness never imports it.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

import datasets

from harness.data.image_access import ImagePolicy
from harness.data.materialize import materialize_images
from harness.data.sources import load_dataset
from harness.data.split import fingerprint, split_dataset
from harness.defaults import (
    DEFAULT_EVAL_FRACTION,
    DEFAULT_SPLIT_SEED,
    EVAL_SPLITS,
    HUB_DATASET,
)
from harness.paths import cache_dir

log = logging.getLogger(__name__)

#: stamped into every row: lets logged samples keep short, machine-independent image paths
IMAGE_ROOT_COLUMN = "mmrl_image_root"


@dataclass(frozen=True)
class EvalSelection:
    """Which rows: the source, its revision, the split settings and the side, and where image paths may point."""

    source: str = HUB_DATASET
    revision: str | None = None
    eval_fraction: float = DEFAULT_EVAL_FRACTION
    split_seed: int = DEFAULT_SPLIT_SEED
    split: str = "eval"
    image_root: str | None = None
    allow_absolute_image_paths: bool = False

    def __post_init__(self) -> None:
        if not 0.0 < self.eval_fraction < 1.0:
            raise ValueError(f"eval_fraction must be in (0, 1), got {self.eval_fraction}")
        if self.split not in EVAL_SPLITS:
            raise ValueError(f"split must be one of {EVAL_SPLITS}, got {self.split!r}")


@functools.lru_cache(maxsize=8)
def select_eval_rows(selection: EvalSelection) -> datasets.Dataset:
    """The selected rows with their images in the shared store (computed once per process per selection)."""
    policy = ImagePolicy(root=selection.image_root, allow_absolute=selection.allow_absolute_image_paths)
    full = load_dataset(selection.source, revision=selection.revision, images=policy)
    if selection.split == "all":
        rows = full
    else:
        parts = split_dataset(full, eval_fraction=selection.eval_fraction, seed=selection.split_seed)
        rows = parts.eval if selection.split == "eval" else parts.train
    root = cache_dir() / "images"
    stored = materialize_images(rows, root)
    if stored.rejected:
        log.warning(
            "%d row(s) dropped from %s: undecodable images (ids %s); see %s/rejected.jsonl",
            len(stored.rejected), selection.source, [r.get("id") for r in stored.rejected][:10], root,
        )
    return stored.dataset.add_column(IMAGE_ROOT_COLUMN, [str(root)] * len(stored.dataset))


def describe_eval_rows(selection: EvalSelection) -> dict[str, Any]:
    """What an eval run saw, for tracking: ids, content fingerprint, per-domain counts (before any limit)."""
    rows = select_eval_rows(selection)
    counts: dict[str, int] = {}
    for domain in rows["domain"]:
        counts[domain] = counts.get(domain, 0) + 1
    return {
        "ids": list(rows["id"]),
        "fingerprint": fingerprint(rows) if len(rows) else "empty",
        "n": len(rows),
        "domains": dict(sorted(counts.items())),
    }
