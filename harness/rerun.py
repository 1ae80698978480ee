"""Re-execute a recorded run from what MLflow holds about it (`mmrl rerun` is the thin command over this).

Pipeline, train and ablation runs carry their full config as the `config/config.yaml` artifact; evaluation
runs carry their `EvalRequest` as params (`EvalRequest.record()`), read back with `EvalRequest.from_record`.
The re-run records into a new run tagged `mmrl.rerun_of`, writes into a fresh output folder (never over the
original's), and warns when the code or package versions differ from the recorded ones, since then a
different result may not be a non-determinism bug.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.yaml_text import load_yaml

CONFIG_ARTIFACT = "config/config.yaml"
RERUN_TAG = "mmrl.rerun_of"
RERUNNABLE_KINDS = ("eval", "pipeline", "train", "ablation")

Say = Callable[[Any], None]


class RerunError(RuntimeError):
    """The run cannot be re-executed (unknown id, missing record, unsupported kind); the message says why."""


@dataclass
class RecordedRun:
    run_id: str
    run_name: str
    experiment: str
    kind: str
    tags: dict[str, str]
    params: dict[str, str]
    metrics: dict[str, float]
    config_yaml: str | None = None
    child_stages: list[str] = field(default_factory=list)

    @property
    def is_stage(self) -> bool:
        """A step inside a larger run (a pipeline stage or an ablation's audit): re-run the larger one."""
        if "mlflow.parentRunId" not in self.tags:
            return False
        return "mmrl.stage" in self.tags or self.kind == "audit"


def fetch_run(run_id: str, tracking_uri: str) -> RecordedRun:
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    try:
        run = client.get_run(run_id)
    except MlflowException as exc:
        raise RerunError(f"no run {run_id!r} in {tracking_uri}") from exc
    experiment = client.get_experiment(run.info.experiment_id)
    config_yaml = None
    names = {a.path for a in client.list_artifacts(run_id, "config")}
    if CONFIG_ARTIFACT in names:
        with tempfile.TemporaryDirectory() as tmp:
            config_yaml = Path(client.download_artifacts(run_id, CONFIG_ARTIFACT, tmp)).read_text(encoding="utf-8")
    children = client.search_runs([run.info.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{run_id}'")
    stages = [c.data.tags["mmrl.stage"] for c in children if c.data.tags.get("mmrl.stage")]
    tags = dict(run.data.tags)
    return RecordedRun(run_id=run_id, run_name=run.info.run_name or "", experiment=experiment.name,
                       kind=tags.get("mmrl.kind", ""), tags=tags, params=dict(run.data.params),
                       metrics=dict(run.data.metrics), config_yaml=config_yaml, child_stages=stages)


def provenance_warnings(run: RecordedRun) -> list[str]:
    """Differences between the recorded code/package versions and the ones installed now."""
    from harness.tracking.provenance import git_commit, package_versions

    out = []
    recorded = run.tags.get("mmrl.git_commit")
    current = git_commit()
    if not recorded:
        out.append("the run recorded no git commit: cannot check that the code is the same")
    elif recorded != current:
        out.append(f"git commit differs: recorded {recorded}, now {current}")
    elif current.endswith("-dirty"):
        out.append(f"same commit, but uncommitted changes ({current}): the code may still differ from the run's")
    changed = []
    for name, version in package_versions().items():
        before = run.tags.get(f"mmrl.version.{name}")
        if before is not None and before != version:
            changed.append(f"{name} {before} -> {version}")
    if changed:
        out.append("package versions differ: " + ", ".join(changed))
    return out


def recorded_request(run: RecordedRun, *, output_dir: str | Path, model: str | None = None):
    """The `EvalRequest` an evaluation run was made with (its model replaced by `model` when given)."""
    from harness.evaluation import EvalRequest

    target = model or run.params.get("model")
    if not target or "data_split" not in run.params:
        raise RerunError(f"eval run {run.run_id} lacks its request params (model, data_split, ...): "
                         "it was not recorded by harness.tracking.eval_log")
    try:
        return EvalRequest.from_record(run.params, model=target, output_dir=output_dir)
    except (ValueError, TypeError) as exc:
        raise RerunError(f"eval run {run.run_id}: recorded params do not make a request ({exc})") from exc


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


def _output_dir(raw: dict[str, Any], run: RecordedRun, output_dir: Path | None, default: str) -> str:
    return str(output_dir or f"{raw.get('output_dir', default)}-rerun-{run.run_id[:8]}-{_stamp()}")


def config_hash_without_output(config: dict[str, Any]) -> str:
    """Hash of a config minus its output folder: a re-run must write elsewhere but is otherwise the same."""
    data = {k: v for k, v in config.items() if k != "output_dir"}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:12]


def rerun_pipeline(run: RecordedRun, uri: str, output_dir: Path | None, say: Say) -> str:
    from harness.ablation.tracking import seed_pipeline_run
    from harness.pipeline import STAGES, run_pipeline
    from harness.training.config import config_from_dict

    raw = load_yaml(run.config_yaml or "") or {}
    recorded_hash = config_hash_without_output(raw)
    raw["output_dir"] = _output_dir(raw, run, output_dir, "runs/pipeline")
    cfg = config_from_dict(raw)
    listed = run.tags.get("mmrl.stages")
    wanted = set(listed.split(",")) if listed else set(run.child_stages) or set(STAGES)
    stages = tuple(s for s in STAGES if s in wanted)
    same = config_hash_without_output(cfg.to_dict()) == recorded_hash
    say(f"re-running pipeline stages {', '.join(stages)} of {run.run_id} into {cfg.output_dir} "
        f"(config {'identical' if same else 'CHANGED'} apart from output_dir)")
    new_id = seed_pipeline_run(cfg, tracking_uri=uri, run_name=f"rerun-{run.run_name or run.run_id[:8]}",
                               tags={RERUN_TAG: run.run_id, "mmrl.stages": ",".join(stages)})
    run_pipeline(cfg, stages=stages, tracking_uri=uri, say=say)
    return new_id


def rerun_train(run: RecordedRun, uri: str, output_dir: Path | None, say: Say) -> str:
    from harness.pipeline.train_stage import run_train_job
    from harness.training.config import config_from_dict

    raw = load_yaml(run.config_yaml or "") or {}
    raw["output_dir"] = _output_dir(raw, run, output_dir, "runs/train")
    job = run_train_job(config_from_dict(raw), tracking_uri=uri, tags={RERUN_TAG: run.run_id})
    say(f"trained {job.result.global_step} steps; model saved to {job.result.model_dir}")
    if job.run_id is None:
        raise RerunError("training finished but recorded no MLflow run")
    return job.run_id


def rerun_eval(run: RecordedRun, uri: str, output_dir: Path | None, say: Say, model: str | None = None) -> str:
    from harness.evaluation import run_eval
    from harness.evaluation.table import print_eval_table
    from harness.tracking.eval_log import ROLE_STANDALONE, ROLE_TAG, record_evaluation

    out = output_dir or Path("out") / f"eval-rerun-{run.run_id[:8]}-{_stamp()}"
    request = recorded_request(run, output_dir=out, model=model)
    target = str(request.model)
    looks_local = Path(target).is_absolute() or target.startswith(".") or target.count("/") > 1  # hub: org/name
    if looks_local and not Path(target).exists():
        raise RerunError(f"the recorded model {target!r} no longer exists here; pass --model with its new location")
    result = run_eval(request)
    print_eval_table(result)
    new_id = record_evaluation(result, role=run.tags.get(ROLE_TAG, ROLE_STANDALONE),
                               run_name=f"rerun-{run.run_name or run.run_id[:8]}", experiment=run.experiment,
                               tracking_uri=uri, tags={RERUN_TAG: run.run_id})
    before, after = run.metrics.get("acc"), result.overall.acc
    same_data = run.tags.get("mmrl.data_fingerprint") == str(result.data["fingerprint"])
    say(f"recorded acc {before if before is None else f'{before:.4f}'} -> re-run acc {after:.4f}; "
        f"data fingerprint {'unchanged' if same_data else 'CHANGED'}")
    return new_id


def rerun_ablation(run: RecordedRun, uri: str, output_dir: Path | None, say: Say) -> str:
    from mlflow.tracking import MlflowClient

    from harness.ablation.config import ablation_from_dict
    from harness.ablation.runner import run_ablation

    raw = load_yaml(run.config_yaml or "") or {}
    raw["output_dir"] = _output_dir(raw, run, output_dir, "runs/ablation")
    audit_only = run.tags.get("mmrl.ablation_mode") == "audit"
    outcome = run_ablation(ablation_from_dict(raw), tracking_uri=uri, audit_only=audit_only, say=say)
    MlflowClient(uri).set_tag(outcome.parent_run_id, RERUN_TAG, run.run_id)
    say(f"report: {outcome.report['html']}")
    return outcome.parent_run_id


def check_rerunnable(run: RecordedRun) -> None:
    if run.is_stage:
        parent = run.tags.get("mlflow.parentRunId")
        raise RerunError(f"run {run.run_id} is the {run.tags.get('mmrl.stage') or run.kind!r} step of run {parent}: "
                         f"re-run that one (mmrl rerun {parent})")
    if run.kind not in RERUNNABLE_KINDS:
        raise RerunError(f"run {run.run_id} has mmrl.kind={run.kind!r}; re-runnable kinds: "
                         f"{', '.join(RERUNNABLE_KINDS)}")
    if run.kind != "eval" and not run.config_yaml:
        raise RerunError(f"run {run.run_id} ({run.kind}) has no {CONFIG_ARTIFACT} artifact to re-run from")


def rerun(run_id: str, *, tracking_uri: str, output_dir: Path | None = None, model: str | None = None,
          dry_run: bool = False, record_uri: str | None = None, say: Say = print) -> str | None:
    """Re-execute `run_id` read from `tracking_uri`, recording into `record_uri` (default: the same store);
    returns the new run id (None for a dry run, which only shows what would run)."""
    run = fetch_run(run_id, tracking_uri)
    record_uri = record_uri or tracking_uri
    check_rerunnable(run)
    for warning in provenance_warnings(run):
        say(f"[yellow]warning:[/yellow] {warning}")
    if dry_run:
        if run.kind == "eval":
            say(recorded_request(run, output_dir=output_dir or "out", model=model).record())
        else:
            say(run.config_yaml)
        return None
    if run.kind == "eval":
        return rerun_eval(run, record_uri, output_dir, say, model)
    handlers = {"pipeline": rerun_pipeline, "train": rerun_train, "ablation": rerun_ablation}
    return handlers[run.kind](run, record_uri, output_dir, say)
