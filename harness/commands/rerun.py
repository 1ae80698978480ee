"""`mmrl rerun RUN_ID`: re-execute a recorded run from what MLflow holds about it.

Pipeline, train and ablation runs carry their full config as the `config/config.yaml` artifact; eval runs
carry every `run_eval` argument as params. The re-run records into a new run tagged `mmrl.rerun_of`, writes
into a fresh output folder (never over the original's), and warns when the code or package versions differ
from the recorded ones, since then a different result may not be a non-determinism bug.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.console import Console

from harness.commands._common import EXIT_TRACKING, fail

console = Console()

CONFIG_ARTIFACT = "config/config.yaml"
RERUN_TAG = "mmrl.rerun_of"
# `mmrl.kind` values of runs that are a stage of a larger run: re-run the larger run instead.
STAGE_KINDS = {"data", "eda", "baseline_eval", "train", "final_eval", "report", "audit"}


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
        """A stage run inside a pipeline (`mmrl.kind` is the stage name and it has a parent)."""
        if "mlflow.parentRunId" not in self.tags:
            return False
        return self.kind == "audit" or (self.kind in STAGE_KINDS and "mmrl.stage" in self.tags)


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


def _none(value: str | None) -> str | None:
    return None if value in (None, "", "None") else value


def eval_kwargs_from_params(params: dict[str, str]) -> dict[str, Any]:
    """`run_eval` keyword arguments from the params `harness.tracking.eval_log.eval_params` logged."""
    missing = [k for k in ("model", "data_source", "task") if not params.get(k)]
    if missing:
        raise RerunError(f"eval run lacks param(s) {missing}: it was not recorded by `mmrl eval`")
    tiers = params.get("tiers") or ""
    task = params["task"]
    gen_kwargs = _none(params.get("gen_kwargs"))

    def number(key: str, cast, default=None):
        value = _none(params.get(key))
        try:
            return default if value is None else cast(value)
        except ValueError as exc:
            raise RerunError(f"param {key}={value!r} is not a {cast.__name__}") from exc

    return {
        "model": params["model"],
        "data_source": params["data_source"],
        "tiers": None if tiers.startswith("default:") or not tiers else tiers,
        "limit": number("limit", int),
        "batch_size": number("batch_size", int, 1),
        "backend": params.get("backend") or "hf",
        "gen_kwargs": json.loads(gen_kwargs) if gen_kwargs else None,
        "eval_fraction": number("eval_fraction", float),
        "seed": number("split_seed", int),
        "split": params.get("data_split") or "eval",
        "revision": _none(params.get("data_revision")),
        # a group run records the per-domain tasks it resolved to; asking for the group re-resolves them
        "task": "open_mm_rl" if "," in task else task,
        "max_images": number("max_images", int),
        "random_seed": number("random_seed", int, 0),
    }


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


def config_hash_without_output(config: dict[str, Any]) -> str:
    """Hash of a config minus its output folder: a re-run must write elsewhere but is otherwise the same."""
    data = {k: v for k, v in config.items() if k != "output_dir"}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:12]


def rerun_pipeline(run: RecordedRun, uri: str, output_dir: Path | None) -> str:
    from harness.ablation.tracking import seed_pipeline_run
    from harness.pipeline import STAGES, run_pipeline
    from harness.training.config import config_from_dict

    raw = yaml.safe_load(run.config_yaml or "") or {}
    recorded_hash = config_hash_without_output(raw)
    raw["output_dir"] = str(output_dir or f"{raw.get('output_dir', 'runs/pipeline')}-rerun-{run.run_id[:8]}-{_stamp()}")
    cfg = config_from_dict(raw)
    listed = run.tags.get("mmrl.stages")
    wanted = set(listed.split(",")) if listed else set(run.child_stages) or set(STAGES)
    stages = tuple(s for s in STAGES if s in wanted)
    console.print(f"re-running pipeline stages {', '.join(stages)} of {run.run_id} into {cfg.output_dir} "
                  f"(config {'identical' if config_hash_without_output(cfg.to_dict()) == recorded_hash else 'CHANGED'} "
                  "apart from output_dir)")
    new_id = seed_pipeline_run(cfg, tracking_uri=uri, run_name=f"rerun-{run.run_name or run.run_id[:8]}",
                               tags={RERUN_TAG: run.run_id, "mmrl.stages": ",".join(stages)})
    run_pipeline(cfg, stages=stages, tracking_uri=uri, say=console.print)
    return new_id


def rerun_train(run: RecordedRun, uri: str, output_dir: Path | None) -> str:
    import mlflow
    from mlflow.tracking import MlflowClient

    from harness.commands.train import train_cmd

    raw = yaml.safe_load(run.config_yaml or "") or {}
    raw["output_dir"] = str(output_dir or f"{raw.get('output_dir', 'runs/train')}-rerun-{run.run_id[:8]}-{_stamp()}")
    path = Path(raw["output_dir"]) / "rerun_config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    train_cmd(config=path, resume=False, tracking_uri=uri, tracking_fallback=None, overrides=None)
    new = mlflow.last_active_run()
    if new is None:
        raise RerunError("training finished but recorded no MLflow run")
    MlflowClient(uri).set_tag(new.info.run_id, RERUN_TAG, run.run_id)
    return new.info.run_id


def rerun_eval(run: RecordedRun, uri: str, output_dir: Path | None, model: str | None = None) -> str:
    from harness.evaluation import run_eval
    from harness.evaluation.table import print_eval_table
    from harness.tracking.eval_log import log_eval_result

    kwargs = eval_kwargs_from_params(run.params)
    if model:
        kwargs["model"] = model
    target = kwargs["model"]
    looks_local = Path(target).is_absolute() or target.startswith(".") or target.count("/") > 1  # hub ids: org/name
    if looks_local and not Path(target).exists():
        raise RerunError(f"the recorded model {target!r} no longer exists here; pass --model with its new location")
    out = output_dir or Path("out") / f"eval-rerun-{run.run_id[:8]}-{_stamp()}"
    result = run_eval(output_dir=out, **kwargs)
    print_eval_table(result, console)
    new_id = log_eval_result(result, run_name=f"rerun-{run.run_name or run.run_id[:8]}", experiment=run.experiment,
                             tracking_uri=uri, tags={RERUN_TAG: run.run_id})
    before, after = run.metrics.get("acc"), result.overall.acc
    fingerprint_before = run.tags.get("mmrl.data_fingerprint") or run.params.get("data_fingerprint")
    same_data = fingerprint_before == str(result.data["fingerprint"])
    console.print(f"recorded acc {before if before is None else f'{before:.4f}'} -> re-run acc {after:.4f}; "
                  f"data fingerprint {'unchanged' if same_data else 'CHANGED'}")
    return new_id


def rerun_ablation(run: RecordedRun, uri: str, output_dir: Path | None) -> str:
    from mlflow.tracking import MlflowClient

    from harness.ablation.config import ablation_from_dict
    from harness.ablation.runner import run_ablation

    raw = yaml.safe_load(run.config_yaml or "") or {}
    raw["output_dir"] = str(output_dir or f"{raw.get('output_dir', 'runs/ablation')}-rerun-{run.run_id[:8]}-{_stamp()}")
    acfg = ablation_from_dict(raw)
    audit_only = run.tags.get("mmrl.ablation_mode") == "audit"
    outcome = run_ablation(acfg, tracking_uri=uri, audit_only=audit_only, say=console.print)
    MlflowClient(uri).set_tag(outcome.parent_run_id, RERUN_TAG, run.run_id)
    console.print(f"report: {outcome.report['html']}")
    return outcome.parent_run_id


def rerun(run_id: str, *, tracking_uri: str, output_dir: Path | None = None, model: str | None = None,
          dry_run: bool = False, record_uri: str | None = None) -> str | None:
    """Re-execute `run_id` read from `tracking_uri`, recording into `record_uri` (default: the same store);
    returns the new run id (None for a dry run)."""
    run = fetch_run(run_id, tracking_uri)
    record_uri = record_uri or tracking_uri
    if run.is_stage:
        parent = run.tags.get("mlflow.parentRunId")
        raise RerunError(f"run {run_id} is the {run.tags.get('mmrl.stage') or run.kind!r} step of run {parent}: "
                         f"re-run that one (mmrl rerun {parent})")
    handlers = {"pipeline": rerun_pipeline, "train": rerun_train, "ablation": rerun_ablation}
    if run.kind not in handlers and run.kind != "eval":
        raise RerunError(f"run {run_id} has mmrl.kind={run.kind!r}; re-runnable kinds: eval, {', '.join(handlers)}")
    if run.kind != "eval" and not run.config_yaml:
        raise RerunError(f"run {run_id} ({run.kind}) has no {CONFIG_ARTIFACT} artifact to re-run from")
    for warning in provenance_warnings(run):
        console.print(f"[yellow]warning:[/yellow] {warning}")
    if dry_run:
        if run.kind == "eval":
            console.print(eval_kwargs_from_params(run.params))
        else:
            console.print(run.config_yaml)
        return None
    if run.kind == "eval":
        return rerun_eval(run, record_uri, output_dir, model)
    return handlers[run.kind](run, record_uri, output_dir)


def rerun_command(
    run_id: str = typer.Argument(..., help="MLflow run id of a pipeline, train, eval or ablation run."),
    tracking_uri: str = typer.Option(None, "--tracking-uri",
                                     help="MLflow store (default: MLFLOW_TRACKING_URI or ./mlruns.db)."),
    output_dir: Path = typer.Option(None, "--output-dir", "-o",
                                    help="Where the re-run writes (default: a new folder next to the original's)."),
    model: str = typer.Option(None, "--model", help="Eval runs only: evaluate this model instead of the recorded path "
                                                    "(e.g. the same checkpoint moved to another machine)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would run (config or eval arguments) and stop."),
    tracking_fallback: str = typer.Option(
        None, "--tracking-fallback",
        help="'local': record the re-run into the local SQLite store if the store it is read from does not take "
        "writes (read-only) or is unreachable.",
    ),
) -> None:
    """Re-execute a recorded run from its logged config (pipeline, train, ablation) or eval params.

    The new run is tagged mmrl.rerun_of=RUN_ID. Warns when the current git commit or package versions differ
    from those the run recorded.
    """
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one bar per file buries the table
    from harness.tracking import TrackingUnavailableError, resolve_tracking_uri

    try:
        uri = resolve_tracking_uri(tracking_uri, write=False)
        record_uri = None if dry_run else resolve_tracking_uri(tracking_uri, fallback=tracking_fallback)
    except TrackingUnavailableError as exc:
        raise fail(str(exc), EXIT_TRACKING) from exc
    try:
        new_id = rerun(run_id, tracking_uri=uri, output_dir=output_dir, model=model, dry_run=dry_run,
                       record_uri=record_uri)
    except RerunError as exc:
        raise fail(str(exc)) from exc
    if new_id:
        console.print(f"re-run recorded as MLflow run {new_id} ({RERUN_TAG}={run_id})")


def register(app: typer.Typer) -> None:
    app.command(name="rerun")(rerun_command)
