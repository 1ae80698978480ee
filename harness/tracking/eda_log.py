"""Record an EDA run in MLflow: its params, a flat metric view of the summary, and the files it wrote.

`reports.eda` renders the report; this module logs what was rendered (reports never log themselves).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.eda import EdaResult


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


def log_eda(result: EdaResult, report_files: Sequence[str | Path] = ()) -> dict[str, float]:
    """Log params, metrics and artifacts (summary, the rendered report files, charts, tables) into the ACTIVE run."""
    import mlflow

    from harness.tracking import log_metrics_safe, log_params_safe

    if mlflow.active_run() is None:
        raise RuntimeError("log_eda needs an active MLflow run (use harness.tracking.mlflow_run)")
    log_params_safe(eda_params(result.summary))
    logged = log_metrics_safe(eda_metrics(result.summary))
    mlflow.log_artifact(str(result.summary_path), artifact_path="eda")
    for path in report_files:
        mlflow.log_artifact(str(path), artifact_path="eda")
    for folder in {p.parent for p in result.charts.values()} | {p.parent for p in result.tables.values()}:
        mlflow.log_artifacts(str(folder), artifact_path=f"eda/{folder.name}")
    return logged
