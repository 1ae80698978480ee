"""Deterministic, domain-stratified train/eval splits (the dataset ships only `train`).

Membership is decided by a hash of (seed, id), not by row order, so the same id lands on the same side
whatever order or subset the rows arrive in; the id sets are recorded so training can prove it never saw
an evaluation example.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import datasets

from harness.data.errors import DuplicateIdError, EmptyDatasetError
from harness.defaults import DEFAULT_EVAL_FRACTION, DEFAULT_SPLIT_SEED


@dataclass(frozen=True)
class Split:
    train: datasets.Dataset
    eval: datasets.Dataset
    train_ids: frozenset[str]
    eval_ids: frozenset[str]
    seed: int
    eval_fraction: float
    fold: int | None = None

    def __post_init__(self) -> None:
        overlap = self.train_ids & self.eval_ids
        if overlap:
            raise AssertionError(f"train and eval overlap on {sorted(overlap)[:5]}")

    def manifest(self) -> dict:
        return {
            "seed": self.seed,
            "eval_fraction": self.eval_fraction,
            "fold": self.fold,
            "train_ids": sorted(self.train_ids),
            "eval_ids": sorted(self.eval_ids),
        }

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.manifest(), indent=1), encoding="utf-8")
        return path


def _rank_key(seed: int, row_id: str) -> str:
    return hashlib.sha256(f"{seed}\0{row_id}".encode()).hexdigest()


def _ids_by_domain(ds: datasets.Dataset) -> dict[str, list[str]]:
    if len(ds) == 0:
        raise EmptyDatasetError("cannot split an empty dataset")
    ids, domains = ds["id"], ds["domain"]
    seen: set[str] = set()
    dupes = sorted({i for i in ids if i in seen or seen.add(i)})  # type: ignore[func-returns-value]
    if dupes:
        raise DuplicateIdError(f"{len(dupes)} duplicate ids, e.g. {dupes[:5]}; ids must be unique to split")
    groups: dict[str, list[str]] = defaultdict(list)
    for row_id, domain in zip(ids, domains):
        groups[domain].append(row_id)
    return groups


def _subset(ds: datasets.Dataset, keep: set[str]) -> datasets.Dataset:
    return ds.select([i for i, row_id in enumerate(ds["id"]) if row_id in keep])


def split_dataset(ds: datasets.Dataset, eval_fraction: float = DEFAULT_EVAL_FRACTION,
                  seed: int = DEFAULT_SPLIT_SEED) -> Split:
    """Hold out `eval_fraction` of every domain (at least one example of a domain with ≥ 2 rows)."""
    if not 0.0 < eval_fraction < 1.0:
        raise ValueError(f"eval_fraction must be in (0, 1), got {eval_fraction}")
    eval_ids: set[str] = set()
    for members in _ids_by_domain(ds).values():
        ranked = sorted(members, key=lambda rid: _rank_key(seed, rid))
        n_eval = round(eval_fraction * len(ranked))
        if len(ranked) >= 2:
            n_eval = min(max(n_eval, 1), len(ranked) - 1)
        eval_ids.update(ranked[:n_eval])
    train_ids = set(ds["id"]) - eval_ids
    return Split(
        train=_subset(ds, train_ids),
        eval=_subset(ds, eval_ids),
        train_ids=frozenset(train_ids),
        eval_ids=frozenset(eval_ids),
        seed=seed,
        eval_fraction=eval_fraction,
    )


def kfold_split(ds: datasets.Dataset, k: int = 5, seed: int = DEFAULT_SPLIT_SEED) -> list[Split]:
    """k splits whose eval sides partition the data, each stratified by domain (for tiny datasets)."""
    if k < 2:
        raise ValueError(f"k must be ≥ 2, got {k}")
    folds: list[set[str]] = [set() for _ in range(k)]
    offset = 0
    for domain in sorted(groups := _ids_by_domain(ds)):
        ranked = sorted(groups[domain], key=lambda rid: _rank_key(seed, rid))
        for rank, row_id in enumerate(ranked):
            folds[(rank + offset) % k].add(row_id)
        offset += len(ranked)  # rotate so small domains do not all land in fold 0
    all_ids = set(ds["id"])
    return [
        Split(
            train=_subset(ds, all_ids - fold),
            eval=_subset(ds, fold),
            train_ids=frozenset(all_ids - fold),
            eval_ids=frozenset(fold),
            seed=seed,
            eval_fraction=len(fold) / len(all_ids),
            fold=i,
        )
        for i, fold in enumerate(folds)
    ]


def fingerprint(ds: datasets.Dataset) -> str:
    """Content fingerprint of a canonical dataset (ids, questions, answers, image sizes): logged with every run."""
    h = hashlib.sha256()
    for batch in ds.select_columns(["id", "question", "answer"]).iter(batch_size=256):
        for rid, q, a in zip(batch["id"], batch["question"], batch["answer"]):
            h.update(f"{rid}\0{q}\0{a}\1".encode())
    h.update(str(len(ds)).encode())
    return h.hexdigest()[:16]


