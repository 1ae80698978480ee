"""The one record of an evaluation in MLflow, whoever ran it: `mmrl eval`, the pipeline's baseline and
re-evaluation, an ablation variant or a re-run.

Every evaluation run carries the same tags (`mmrl.kind=eval`, `mmrl.role`, model, data fingerprint, provenance),
the same params (the `EvalRequest` as recorded by `EvalRequest.record()`, plus what the run resolved to) and the
same metric names, so the leaderboard and `mmrl rerun` read one schema. Kept apart from `run_eval` so
evaluation works without a tracking store; MLflow is imported only here and in `harness.tracking`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.evaluation.results import EvalResult
from harness.fs import write_text_atomic

SUMMARY_FILE = "mmrl_eval_summary.json"
EVAL_IDS_FILE = "eval_ids.json"
KIND_EVAL = "eval"
ROLE_TAG = "mmrl.role"
#: roles of an evaluation run; an ablation variant's is "ablation:<variant>"
ROLE_STANDALONE, ROLE_BASELINE, ROLE_TRAINED = "standalone", "baseline", "trained"


def ablation_role(variant: str) -> str:
    return f"ablation:{variant}"


@dataclass(frozen=True)
class RunConfig:
    """The config a run was made from, recorded as its `config/config.yaml` artifact and `mmrl.config_hash` tag
    (an experiment YAML for pipeline and ablation evaluations; the request itself for a standalone one)."""

    yaml: str
    hash: str
    extra: Mapping[str, Any] | None = None


def eval_params(result: EvalResult) -> dict[str, str]:
    """The request (enough to repeat it: `EvalRequest.from_record`) and what it resolved to."""
    data = result.data
    return {
        **result.request,
        "model": result.model,
        "tasks_run": result.task,
        "data_fingerprint": str(data["fingerprint"]),
        "n_available": str(data["n_available"]),
        "gen_kwargs": json.dumps(result.gen_kwargs, sort_keys=True, default=str),
        "lm_eval_version": str(result.settings.get("lm_eval_version", "")),
    }


def eval_tags(result: EvalResult, role: str) -> dict[str, str]:
    return {
        "mmrl.kind": KIND_EVAL,
        ROLE_TAG: role,
        "mmrl.model": result.model,
        "mmrl.data_fingerprint": str(result.data["fingerprint"]),
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


def log_evaluation(result: EvalResult, *, role: str, config: RunConfig | None = None) -> None:
    """Record `result` into the active run: tags, params, metrics, lm-eval's files, the prompt, provenance."""
    import mlflow

    from harness.tracking import log_metrics_safe, log_params_safe
    from harness.tracking.provenance import log_prompt, log_provenance

    mlflow.set_tags(eval_tags(result, role))
    params = eval_params(result)
    log_params_safe(params)
    log_metrics_safe(result.metrics())
    summary, ids = write_summary(result)
    for path in [summary, ids, result.results_path, *result.samples_paths]:
        if path is not None and Path(path).exists():
            mlflow.log_artifact(str(path), artifact_path="eval")
    log_prompt(json.loads(result.request["prompt"]), params=False)
    if config is None:
        config = standalone_config(params)
    log_provenance(
        config.yaml, config.hash, {"seed": result.settings.get("random_seed", 0), **dict(config.extra or {})}
    )


def standalone_config(params: Mapping[str, str]) -> RunConfig:
    import hashlib

    import yaml

    text = yaml.safe_dump({"kind": KIND_EVAL, **dict(params)}, sort_keys=True)
    return RunConfig(text, hashlib.sha256(text.encode()).hexdigest()[:12])


def record_evaluation(
    result: EvalResult,
    *,
    role: str = ROLE_STANDALONE,
    run_name: str | None = None,
    experiment: str | None = None,
    tracking_uri: str | None = None,
    tags: Mapping[str, str] | None = None,
    nested: bool = False,
    config: RunConfig | None = None,
) -> str:
    """Open a run for this evaluation (nested under the active one when `nested`) and record it; returns its id."""
    from harness.tracking import mlflow_run

    name = run_name or f"eval-{Path(result.model).name or result.model}"
    with mlflow_run(run_name=name, experiment=experiment, tags=dict(tags or {}), tracking_uri=tracking_uri,
                    nested=nested) as run:
        log_evaluation(result, role=role, config=config)
        return run.info.run_id
