"""Record an `EvalResult` in MLflow (params, metrics, lm-eval outputs as artifacts).

Kept apart from `run_eval` so evaluation works without a tracking store; MLflow is imported only here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.evaluation.results import EvalResult
from harness.fs import write_text_atomic

SUMMARY_FILE = "mmrl_eval_summary.json"
EVAL_IDS_FILE = "eval_ids.json"


def eval_params(result: EvalResult) -> dict[str, Any]:
    """Everything needed to reproduce the run: model, data and split, tiers, generation and batch settings."""
    data = result.data
    return {
        "model": result.model,
        "backend": result.backend,
        "task": result.task,
        "data_source": data["source"],
        "data_revision": data.get("revision"),
        "data_fingerprint": data["fingerprint"],
        "data_split": data["split"],
        "eval_fraction": data["eval_fraction"],
        "split_seed": data["split_seed"],
        "n_available": data["n_available"],
        "tiers": ",".join(result.tiers)
        if result.tiers
        else "default:" + ",".join(result.tier_names),
        "gen_kwargs": json.dumps(result.gen_kwargs, sort_keys=True, default=str),
        **{key: value for key, value in result.settings.items()},
    }


def write_summary(result: EvalResult, directory: str | Path | None = None) -> tuple[Path, Path]:
    """Write the summary JSON and the held-out id list next to lm-eval's outputs."""
    directory = Path(directory or result.output_dir)
    directory.mkdir(parents=True, exist_ok=True)
    summary = write_text_atomic(directory / SUMMARY_FILE, json.dumps(result.to_dict(), indent=1, default=str))
    ids = write_text_atomic(
        directory / EVAL_IDS_FILE,
        json.dumps({"eval_ids": result.eval_ids, "evaluated_ids": result.evaluated_ids}, indent=1),
    )
    return summary, ids


def log_eval_metrics(
    result: EvalResult, *, prefix: str = "", step: int | None = None
) -> dict[str, float]:
    """Log the metrics into the active run (e.g. `prefix="baseline/"` inside a training run)."""
    from harness.tracking import log_metrics_safe

    return log_metrics_safe(
        {f"{prefix}{key}": value for key, value in result.metrics().items()}, step=step
    )


def log_eval_artifacts(result: EvalResult, *, artifact_path: str = "eval") -> None:
    """Attach lm-eval's results JSON, the per-sample JSONL files, the summary and the id list to the active run."""
    import mlflow

    summary, ids = write_summary(result)
    for path in [summary, ids, result.results_path, *result.samples_paths]:
        if path is not None and Path(path).exists():
            mlflow.log_artifact(str(path), artifact_path=artifact_path)


def log_eval_result(
    result: EvalResult,
    *,
    run_name: str | None = None,
    experiment: str | None = None,
    tracking_uri: str | None = None,
    tags: Mapping[str, str] | None = None,
    nested: bool = False,
) -> str:
    """Open an MLflow run for this evaluation and record everything; returns the run id."""
    from harness.tracking import mlflow_run

    all_tags = {
        "mmrl.kind": "eval",
        "mmrl.model": result.model,
        "mmrl.data_fingerprint": str(result.data["fingerprint"]),
        **dict(tags or {}),
    }
    name = run_name or f"eval-{Path(result.model).name or result.model}"
    with mlflow_run(
        run_name=name,
        experiment=experiment,
        tags=all_tags,
        params=eval_params(result),
        tracking_uri=tracking_uri,
        nested=nested,
    ) as run:
        log_eval_metrics(result)
        log_eval_artifacts(result)
        log_eval_provenance(result)
        return run.info.run_id


def log_eval_provenance(result: EvalResult) -> None:
    """Git commit, package versions, seed and the settings as a config artifact (what `mmrl rerun` reads)."""
    import hashlib

    import yaml

    from harness.tracking.provenance import log_provenance

    config_yaml = yaml.safe_dump({"kind": "eval", **{k: v for k, v in eval_params(result).items()}}, sort_keys=True)
    log_provenance(
        config_yaml,
        hashlib.sha256(config_yaml.encode()).hexdigest()[:12],
        {"seed": result.settings.get("random_seed", 0)},
    )
