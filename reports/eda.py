"""The EDA report: one self-contained HTML file (charts embedded) plus a Markdown twin, and MLflow logging.

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


# ---- MLflow -----------------------------------------------------------------------------------------------

def eda_params(summary: dict[str, Any]) -> dict[str, Any]:
    """Run parameters: what was analysed and how."""
    tok = summary["tokenizer"]
    return {
        "eda.source": summary["dataset"].get("source"),
        "eda.tokenizer": tok.get("name") if tok.get("available") else f"unavailable: {tok.get('reason')}",
        "eda.max_domain_share": summary["thresholds"]["max_domain_share"],
        "eda.min_subdomain_examples": summary["thresholds"]["min_subdomain_examples"],
        "eda.schema_version": summary["schema_version"],
    }


def eda_metrics(summary: dict[str, Any]) -> dict[str, float]:
    """Flat numeric view of the summary (names are sanitised later by `log_metrics_safe`)."""
    m: dict[str, Any] = {
        "eda.examples": summary["dataset"]["n_examples"],
        "eda.images": summary["dataset"]["n_images"],
        "eda.domains": summary["dataset"]["n_domains"],
        "eda.sub_domains": summary["dataset"]["n_sub_domains"],
        "eda.images_corrupt": summary["images"]["corrupt"]["count"],
        "eda.missing_answers": summary["missing_answers"]["count"],
        "eda.duplicate_questions": summary["duplicates"]["questions"]["duplicate_rows"],
        "eda.duplicate_images": summary["duplicates"]["images"]["duplicate_images"],
    }
    for row in summary["domains"]:
        m[f"eda.domain_count/{row['domain']}"] = row["count"]
        m[f"eda.domain_share/{row['domain']}"] = row["share"]
    for name, stats in summary["lengths"].items():
        for key in ("mean", "p50", "p90", "p99", "max"):
            if stats.get(key) is not None:
                m[f"eda.{name}/{key}"] = stats[key]
    for kind, n in summary["answer_types"]["overall"].items():
        m[f"eda.answer_type/{kind}"] = n
    for level in ("error", "warning", "info"):
        m[f"eda.findings/{level}"] = sum(1 for f in summary["findings"] if f["level"] == level)
    return {k: float(v) for k, v in m.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def log_eda_to_mlflow(result: EdaResult, report: EdaReport | None = None) -> dict[str, float]:
    """Log params, metrics and artifacts (summary, report, charts, tables) into the ACTIVE MLflow run."""
    import mlflow

    from harness.tracking import log_metrics_safe, log_params_safe

    if mlflow.active_run() is None:
        raise RuntimeError("log_eda_to_mlflow needs an active MLflow run (use harness.tracking.mlflow_run)")
    log_params_safe(eda_params(result.summary))
    logged = log_metrics_safe(eda_metrics(result.summary))
    mlflow.log_artifact(str(result.summary_path), artifact_path="eda")
    if report is not None:
        mlflow.log_artifact(str(report.html), artifact_path="eda")
        mlflow.log_artifact(str(report.markdown), artifact_path="eda")
    for folder in {p.parent for p in result.charts.values()} | {p.parent for p in result.tables.values()}:
        mlflow.log_artifacts(str(folder), artifact_path=f"eda/{folder.name}")
    return logged
