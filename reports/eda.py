"""The EDA report: one self-contained HTML file (charts embedded) plus a Markdown twin.

`harness.tracking.eda_log` logs the files; this module only renders them.

Input is an `EdaResult` (or the `summary.json` + chart files it wrote), so a report can be re-rendered from
files without re-reading the dataset.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from harness.eda import CHART_TITLES, EdaResult
from reports.render import embed_png, render_html, render_markdown, write_text

HTML_FILE = "report.html"
MARKDOWN_FILE = "report.md"
LENGTH_LABELS = (
    ("question_chars", "question (characters)"),
    ("answer_chars", "gold answer (characters)"),
    ("question_tokens", "question (tokens)"),
    ("answer_tokens", "gold answer (tokens)"),
    ("prompt_text_tokens", "prompt text incl. template (tokens)"),
    ("image_tokens", "image tokens per example"),
    ("prompt_tokens", "whole prompt (tokens)"),
    ("prompt_answer_tokens", "prompt + gold answer (tokens)"),
)


@dataclass(frozen=True)
class EdaReport:
    html: Path
    markdown: Path


def _chart_entries(charts: dict[str, Path], *, embed: bool, relative_to: Path | None) -> dict[str, dict[str, Any]]:
    entries = {}
    for name, path in charts.items():
        path = Path(path)
        with Image.open(path) as img:
            width, height = img.size
        if embed:
            src = embed_png(path)
        else:
            src = path.relative_to(relative_to).as_posix() if relative_to else path.as_posix()
        entries[name] = {"src": src, "title": CHART_TITLES.get(name, name), "width": width, "height": height}
    return entries


def _context(summary: dict[str, Any], title: str | None) -> dict[str, Any]:
    levels = Counter(f["level"] for f in summary["findings"])
    source = summary["dataset"].get("source") or "dataset"
    return {
        "summary": summary,
        "title": title or f"Exploratory data analysis — {source}",
        "generated_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "counts": {"error": levels.get("error", 0), "warning": levels.get("warning", 0), "info": levels.get("info", 0)},
        "length_labels": LENGTH_LABELS,
    }


def render_eda_html(summary: dict[str, Any], charts: dict[str, Path], *, title: str | None = None) -> str:
    """The report as one HTML string with every chart embedded as a data URI."""
    return render_html("eda.html.j2", charts=_chart_entries(charts, embed=True, relative_to=None),
                       **_context(summary, title))


def render_eda_markdown(
    summary: dict[str, Any], charts: dict[str, Path], *, relative_to: Path, title: str | None = None
) -> str:
    """Markdown version; charts are linked by path relative to the report's folder."""
    return render_markdown("eda.md.j2", charts=_chart_entries(charts, embed=False, relative_to=relative_to),
                           **_context(summary, title))


def write_eda_report(result: EdaResult, out_dir: str | Path | None = None, *, title: str | None = None) -> EdaReport:
    """Write `report.html` (self-contained) and `report.md` next to the EDA outputs."""
    out = Path(out_dir) if out_dir is not None else result.out_dir
    html = write_text(out / HTML_FILE, render_eda_html(result.summary, result.charts, title=title))
    markdown = write_text(
        out / MARKDOWN_FILE, render_eda_markdown(result.summary, result.charts, relative_to=out, title=title)
    )
    return EdaReport(html=html, markdown=markdown)


def load_summary(out_dir: str | Path) -> tuple[dict[str, Any], dict[str, Path]]:
    """(summary, charts) back from a finished EDA folder, for re-rendering."""
    out = Path(out_dir)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    charts = {name: out / rel for name, rel in summary.get("artifacts", {}).get("charts", {}).items()}
    return summary, charts
