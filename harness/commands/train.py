"""`mmrl train` and `mmrl pipeline`: GRPO training and the whole baseline → GRPO → re-eval job."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from harness.commands._common import EXIT_BAD_INPUT, EXIT_TRACKING, fail

console = Console()

CONFIG_HELP = "Experiment YAML (see experiments/demo.yaml)."
SET_HELP = "Override a config field, e.g. --set grpo.max_steps=4 (repeatable)."
FALLBACK_HELP = "'local': record into the local SQLite store if the tracking store is unreachable or read-only."


def _config(config: Path, overrides: list[str] | None):
    from harness.training.config import ConfigError, load_config, parse_override

    try:
        return load_config(config, dict(parse_override(o) for o in overrides or []))
    except (ConfigError, FileNotFoundError) as exc:
        raise fail(f"config error: {exc}", EXIT_BAD_INPUT) from exc


def _tracking(uri: str | None, fallback: str | None, cfg) -> str:
    """The store, proven to take writes before any work (one-line error and exit 3 otherwise)."""
    from harness.tracking import TrackingUnavailableError, resolve_tracking_uri

    try:
        return resolve_tracking_uri(uri or cfg.tracking.uri, fallback=fallback or cfg.tracking.fallback,
                                    experiment=cfg.tracking.experiment)
    except TrackingUnavailableError as exc:
        raise fail(f"tracking error: {exc}", EXIT_TRACKING) from exc


def _preflight_training(cfg) -> None:
    """Model and output folder, checked before the export and the model build start."""
    from harness.fs import ensure_writable_dir
    from harness.training.config import ConfigError, check_model_reference

    try:
        check_model_reference(cfg.model.name_or_path)
    except ConfigError as exc:
        raise fail(f"config error: {exc}", EXIT_BAD_INPUT) from exc
    ensure_writable_dir(cfg.output_dir, what="output_dir")


def train_cmd(
    config: Path = typer.Option(..., "--config", "-c", help=CONFIG_HELP, exists=True, dir_okay=False),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint in <output_dir>/checkpoints."),
    tracking_uri: str = typer.Option(None, "--tracking-uri", help="MLflow store; default MLFLOW_TRACKING_URI or sqlite:///mlruns.db."),
    tracking_fallback: str = typer.Option(None, "--tracking-fallback", help=FALLBACK_HELP),
    overrides: list[str] = typer.Option(None, "--set", help=SET_HELP),
) -> None:
    """Export the data (images by path) and run TRL's GRPOTrainer, recording every step in MLflow."""
    import contextlib

    import mlflow
    from accelerate import PartialState

    from harness.pipeline.train_stage import export_data, run_training
    from harness.tracking import log_params_safe
    from harness.tracking.provenance import log_provenance

    cfg = _config(config, overrides)
    # Under `accelerate launch` every process runs this: only the main one exports and records to MLflow.
    import torch

    state = PartialState(cpu=not torch.cuda.is_available())
    uri = _tracking(tracking_uri, tracking_fallback, cfg) if state.is_main_process else None
    if state.is_main_process:
        _preflight_training(cfg)
    data_dir = Path(cfg.output_dir) / "data"
    fingerprint = None
    if state.is_main_process:
        fingerprint = export_data(cfg, data_dir).get("fingerprint")
    state.wait_for_everyone()
    run_context = contextlib.nullcontext()
    if state.is_main_process:
        mlflow.set_tracking_uri(uri)
        mlflow.set_experiment(cfg.tracking.experiment)
        run_context = mlflow.start_run(run_name=f"train-{cfg.name}", tags={"mmrl.kind": "train"})
    with run_context:
        if state.is_main_process:
            log_provenance(cfg.to_yaml(), cfg.config_hash(), {"seed": cfg.seed, "name": cfg.name,
                                                              "num_processes": state.num_processes,
                                                              "data_fingerprint": fingerprint})
            log_params_safe({f"grpo.{k}": v for k, v in cfg.grpo.items()} | {
                "model": cfg.model.name_or_path, "tiers": cfg.rewards.tiers or "policy",
                "rewards.policy": json.dumps(cfg.rewards.policy, sort_keys=True) if cfg.rewards.policy else "default",
                "format_weight": cfg.rewards.format_weight})
        result = run_training(cfg, data_dir, resume=resume)
    if state.is_main_process:
        console.print(f"trained {result.global_step} steps on {state.num_processes} process(es); "
                      f"model saved to [bold]{result.model_dir}[/bold]")


def pipeline_cmd(
    config: Path = typer.Option(..., "--config", "-c", help=CONFIG_HELP, exists=True, dir_okay=False),
    stages: str = typer.Option(None, help="Comma-separated subset of stages: data,eda,baseline_eval,train,final_eval,report."),
    fresh: bool = typer.Option(False, "--fresh", help="Forget finished stages and start over."),
    tracking_uri: str = typer.Option(None, "--tracking-uri", help="MLflow store; default MLFLOW_TRACKING_URI or sqlite:///mlruns.db."),
    tracking_fallback: str = typer.Option(None, "--tracking-fallback", help=FALLBACK_HELP),
    overrides: list[str] = typer.Option(None, "--set", help=SET_HELP),
) -> None:
    """The main job: data → EDA → baseline eval → GRPO → re-eval → report, resumable by stage, nested MLflow runs.

    Before the first stage it checks the tracking store (a write probe), that every chosen stage's inputs
    exist or are produced earlier in this run, the model reference, and that output_dir is writable and not
    in use by another pipeline.
    """
    from harness.pipeline import STAGES, run_pipeline

    cfg = _config(config, overrides)
    chosen = tuple(s.strip() for s in stages.split(",") if s.strip()) if stages else STAGES
    unknown = set(chosen) - set(STAGES)
    if unknown or not chosen:
        raise fail(f"unknown stage(s) {sorted(unknown)}; valid: {', '.join(STAGES)}", EXIT_BAD_INPUT)
    uri = _tracking(tracking_uri, tracking_fallback, cfg)
    state = run_pipeline(cfg, stages=chosen, tracking_uri=uri, say=console.print, fresh=fresh)
    report = state.completed.get("report", {}).get("html")
    if report:
        console.print(f"\nreport: [bold]{report}[/bold]")
    console.print(f"MLflow: parent run {state.parent_run_id}; browse with [bold]mlflow ui --backend-store-uri {uri}[/bold]")


def register(app: typer.Typer) -> None:
    app.command("train")(train_cmd)
    app.command("pipeline")(pipeline_cmd)


if __name__ == "__main__":
    # `python -m harness.commands.train --config X.yaml`: the entry point for `accelerate launch`
    # (multi-GPU DDP, DeepSpeed, or two CPU processes), which starts one such process per device.
    from harness.commands._common import guard

    typer.run(guard(train_cmd))
