"""`run_eda`: dataset in, `summary.json` + charts + CSV tables out (the HTML report is `reports.eda`'s job)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from harness.eda.charts import make_charts
from harness.eda.frames import AnswerClassifier, build_frames
from harness.eda.summary import DEFAULT_MAX_DOMAIN_SHARE, DEFAULT_MIN_SUBDOMAIN_EXAMPLES, summarize
from harness.eda.tables import build_tables, write_tables
from harness.fs import ensure_writable_dir, write_text_atomic

log = logging.getLogger(__name__)

SUMMARY_FILE = "summary.json"
CHARTS_DIR = "charts"
TABLES_DIR = "tables"


@dataclass
class EdaResult:
    """Everything one EDA run produced; paths point inside `out_dir`."""

    out_dir: Path
    summary: dict[str, Any]
    examples: pd.DataFrame
    images: pd.DataFrame
    summary_path: Path
    charts: dict[str, Path] = field(default_factory=dict)
    tables: dict[str, Path] = field(default_factory=dict)

    @property
    def findings(self) -> list[dict[str, Any]]:
        return self.summary["findings"]


def run_eda(
    source_or_dataset: Any = "sample",
    out_dir: str | Path = "eda",
    processor: Any = None,
    *,
    max_domain_share: float = DEFAULT_MAX_DOMAIN_SHARE,
    min_subdomain_examples: int = DEFAULT_MIN_SUBDOMAIN_EXAMPLES,
    answer_classifier: AnswerClassifier | None = None,
    batch_size: int = 32,
    source_name: str | None = None,
    tokenizer_note: str | None = None,
    progress: Callable[[int], None] | None = None,
    charts: bool = True,
    source_rejections: list[dict[str, Any]] | None = None,
    image_policy: Any = None,
) -> EdaResult:
    """Analyse a source ("sample", hub id, local file; see `harness.data.load_dataset`) or a loaded dataset.

    Writes `out_dir/summary.json`, `out_dir/charts/*.png` and `out_dir/tables/*.csv`. `processor` as in
    `build_frames`; `tokenizer_note` records why token statistics are missing (e.g. a tokenizer that did
    not load) so the summary and report can say so instead of silently omitting them. Rows the loader
    rejected (repeated ids, unreadable JSONL lines) are reported in the summary: given a source, they come
    from `load_source` (with `image_policy`, a `harness.data.ImagePolicy`); given a dataset, pass them as
    `source_rejections`.
    """
    if isinstance(source_or_dataset, (str, Path)):
        from harness.data import load_source

        source_name = source_name or str(source_or_dataset)
        loaded = load_source(str(source_or_dataset), images=image_policy)
        dataset, source_rejections = loaded.dataset, loaded.rejected
    else:
        dataset = source_or_dataset
    out = ensure_writable_dir(out_dir, what="EDA output folder")
    examples, images = build_frames(
        dataset, processor, answer_classifier=answer_classifier, batch_size=batch_size, progress=progress
    )
    if processor is None and tokenizer_note:
        examples.attrs["tokenizer"] = {"available": False, "reason": tokenizer_note}
    summary = summarize(
        examples, images, max_domain_share=max_domain_share, min_subdomain_examples=min_subdomain_examples,
        source=source_name, source_rejections=source_rejections,
    )
    result = EdaResult(out_dir=out, summary=summary, examples=examples, images=images,
                       summary_path=out / SUMMARY_FILE)
    if charts:
        result.charts = make_charts(examples, images, out / CHARTS_DIR)
    result.tables = write_tables(build_tables(summary, examples, images), out / TABLES_DIR)
    summary["artifacts"] = {
        "charts": {name: path.relative_to(out).as_posix() for name, path in result.charts.items()},
        "tables": {name: path.relative_to(out).as_posix() for name, path in result.tables.items()},
    }
    write_text_atomic(result.summary_path, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    log.info("EDA of %s: %d examples, %d images, %d finding(s) -> %s", source_name or "dataset",
             len(examples), len(images), len(summary["findings"]), out)
    return result
