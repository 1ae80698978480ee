"""Plan the sample rows (questions, answers, image jobs) and write them as one parquet file.

Row i depends only on (seed, i): the template comes from a seeded schedule that repeats with a fixed period,
and each row draws from its own generator, so rows never depend on generation order or on n_rows, and a
smaller sample is a prefix of a larger one.
"""

from __future__ import annotations

import hashlib
import os
import random
import uuid
from dataclasses import dataclass
from pathlib import Path

import datasets
import pyarrow.parquet as pq

# Importing the item modules fills the template registry.
from harness.data.sample import biology_items, chemistry_items, math_items, physics_items  # noqa: F401
from harness.data.sample.render import ImageJob, encode
from harness.data.sample.templates import REGISTRY, Template
from harness.fs import atomic_target

_NAMESPACE = "open-mm-rl-sample"
_ROW_GROUP_SIZE = (
    100  # what `datasets` uses for image datasets, keeps row groups small for lazy readers
)
IMAGES_PER_FORMAT = {"single_image": (1, 1), "multi_image": (2, 4), "multi_panel": (1, 1)}


def _authors(domain: str, n: int) -> tuple[str, ...]:
    return tuple(
        hashlib.sha256(f"{_NAMESPACE}/author/{domain}/{k}".encode()).hexdigest()[:24]
        for k in range(n)
    )


# A few annotators per domain plus one who writes across domains, as in the real data.
_GENERALIST = hashlib.sha256(f"{_NAMESPACE}/author/generalist".encode()).hexdigest()[:24]
AUTHORS: dict[str, tuple[str, ...]] = {
    d: (*_authors(d, 2), _GENERALIST) for d in ("Math", "Physics", "Chemistry", "Biology")
}


@dataclass(frozen=True)
class PlannedRow:
    index: int
    template: str
    answer_kind: str
    record: dict[str, str]  # every column except images, named as in the real dataset
    images: tuple[ImageJob, ...]


def schedule(seed: int) -> list[Template]:
    """One period of the row schedule: pass p holds every template whose weight exceeds p, shuffled.

    The first pass contains every template once, so any sample at least one pass long covers every template
    (hence every domain, format and answer kind)."""
    rng = random.Random(f"{_NAMESPACE}/schedule/{seed}")
    templates = [REGISTRY[name] for name in sorted(REGISTRY)]
    period: list[Template] = []
    for p in range(max(t.weight for t in templates)):
        batch = [t for t in templates if t.weight > p]
        rng.shuffle(batch)
        period.extend(batch)
    return period


def conversation_id(seed: int, index: int) -> str:
    return str(
        uuid.UUID(
            bytes=hashlib.sha256(f"{_NAMESPACE}/{seed}/{index}".encode()).digest()[:16], version=4
        )
    )


def plan_row(index: int, seed: int, tmpl: Template) -> PlannedRow:
    rng = random.Random(f"{_NAMESPACE}/row/{seed}/{index}/{tmpl.name}")
    item = tmpl.build(rng)
    lo, hi = IMAGES_PER_FORMAT[tmpl.format]
    where = f"sample row {index} (template {tmpl.name})"
    if not lo <= len(item.images) <= hi:
        raise ValueError(
            f"{where}: format {tmpl.format} needs {lo}-{hi} images, got {len(item.images)}"
        )
    if not item.question.strip() or not item.answer.strip():
        raise ValueError(f"{where}: empty question or answer")
    record = {
        "conversation_id": conversation_id(seed, index),
        "domain": tmpl.domain,
        "subDomain": item.sub_domain,
        "author_id": rng.choice(AUTHORS[tmpl.domain]),
        "question": item.question,
        "answer": item.answer,
        "format": tmpl.format,
    }
    return PlannedRow(index, tmpl.name, item.answer_kind, record, tuple(item.images))


def plan(n_rows: int, seed: int) -> list[PlannedRow]:
    if n_rows < 1:
        raise ValueError(f"n_rows must be positive, got {n_rows}")
    period = schedule(seed)
    return [plan_row(i, seed, period[i % len(period)]) for i in range(n_rows)]


def write(rows: list[PlannedRow], out_path: str | os.PathLike, features: datasets.Features) -> Path:
    columns: dict[str, list] = {name: [] for name in features}
    for row in rows:
        for name, value in row.record.items():
            columns[name].append(value)
        columns["images"].append(
            [
                {"bytes": encode(job, where=f"row {row.index} image {k}"), "path": None}
                for k, job in enumerate(row.images)
            ]
        )
    table = datasets.Dataset.from_dict(
        columns, features=features
    ).data.table  # carries the HF features metadata
    out = Path(out_path)
    with atomic_target(out) as tmp:
        pq.write_table(table, tmp, row_group_size=_ROW_GROUP_SIZE, compression="snappy")
    return out
