"""Bundled offline sample of Open-MM-RL: a seeded generator of rows in exactly the real dataset's schema.

Tests, demos and CI need data without the Hub. The generator renders real figures (charts, function plots,
geometry, circuits, force diagrams, skeletal formulas, complex ions, counting scenes, tables, sequence read-outs)
and asks questions whose gold answers are computed from the same parameters the figure is drawn from, covering
integers, decimals, fractions, LaTeX and symbolic expressions, equations, intervals/tuples, multiple-choice
letters and free text, in all four domains and all three formats. Same seed -> byte-identical parquet.
"""

from __future__ import annotations

import os
from pathlib import Path

import datasets

SAMPLE_VERSION = "1"  # bump whenever generated content changes (it names the cache directory)

COLUMNS = (
    "conversation_id",
    "domain",
    "subDomain",
    "author_id",
    "question",
    "answer",
    "format",
    "images",
)


def sample_features() -> datasets.Features:
    """The real dataset's features: seven string columns and a list of (decoded) images."""
    text = datasets.Value("string")
    return datasets.Features(
        {**{name: text for name in COLUMNS[:-1]}, "images": datasets.Sequence(datasets.Image())}
    )


def plan_sample(n_rows: int = 320, *, seed: int = 0):
    """Rows without rendering any image (cheap): records, template names, answer kinds and lazy image jobs."""
    from harness.data.sample import build  # imports matplotlib; only pay for it when generating

    return build.plan(n_rows, seed)


def generate_sample(out_path: str | os.PathLike, *, n_rows: int = 320, seed: int = 0) -> Path:
    """Write the sample as ONE parquet file at out_path (atomic: temp file + rename); return the path."""
    from harness.data.sample import build

    return build.write(build.plan(n_rows, seed), out_path, sample_features())


__all__ = ["COLUMNS", "SAMPLE_VERSION", "generate_sample", "plan_sample", "sample_features"]
