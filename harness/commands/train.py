"""`mmrl train` and `mmrl pipeline`: GRPO training and the whole baseline → GRPO → re-eval job."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from harness.commands._common import EXIT_BAD_INPUT, EXIT_TRACKING, fail

console = Console()

CONFIG_HELP = "Experiment YAML (see experiments/demo.yaml)."
SET_HELP = "Override a config field, e.g. --set grpo.max_steps=4 (repeatable)."
LIMIT_HELP = "Evaluate at most N held-out examples per domain (= --set eval.limit=N)."
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


def train_cmd(
    config: Path = typer.Option(..., "--config", "-c", help=CONFIG_HELP, exists=True, dir_okay=False),
    resume: bool = typer.Option(
        False, "--resume", help="Continue from the last checkpoint in <output_dir>/checkpoints."
    ),
    tracking_uri: str = typer.Option(
        None, "--tracking-uri", help="MLflow store; default MLFLOW_TRACKING_URI or sqlite:///mlruns.db."
    ),
    tracking_fallback: str = typer.Option(None, "--tracking-fallback", help=FALLBACK_HELP),
    overrides: list[str] = typer.Option(None, "--set", help=SET_HELP),
) -> None:
    """Export the data (images by path) and run TRL's GRPOTrainer, recording every step in MLflow."""
    from harness.pipeline.train_stage import is_main_process, run_train_job

    cfg = _config(config, overrides)
    # Under `accelerate launch` every process runs this: only the main one checks the store and records.
    main = is_main_process()
    uri = _tracking(tracking_uri, tracking_fallback, cfg) if main else None
    job = run_train_job(cfg, tracking_uri=uri, resume=resume)
    if main:
        console.print(f"trained {job.result.global_step} steps on {job.num_processes} process(es); "
                      f"model saved to [bold]{job.result.model_dir}[/bold]")


def pipeline_cmd(
    config: Path = typer.Option(..., "--config", "-c", help=CONFIG_HELP, exists=True, dir_okay=False),
    stages: str = typer.Option(
        None, help="Comma-separated subset of stages: data,eda,baseline_eval,train,final_eval,report."
    ),
    fresh: bool = typer.Option(False, "--fresh", help="Forget finished stages and start over."),
    tracking_uri: str = typer.Option(
        None, "--tracking-uri", help="MLflow store; default MLFLOW_TRACKING_URI or sqlite:///mlruns.db."
    ),
    tracking_fallback: str = typer.Option(None, "--tracking-fallback", help=FALLBACK_HELP),
    overrides: list[str] = typer.Option(None, "--set", help=SET_HELP),
    limit: int = typer.Option(None, "--limit", min=1, help=LIMIT_HELP),
) -> None:
    """The main job: data → EDA → baseline eval → GRPO → re-eval → report, resumable by stage, nested MLflow runs.

    Before the first stage it checks the tracking store (a write probe), that every chosen stage's inputs
    exist or are produced earlier in this run, the model reference, and that output_dir is writable and not
    in use by another pipeline.
    """
    from harness.pipeline import STAGES, run_pipeline

    cfg = _config(config, [*(overrides or []), *([f"eval.limit={limit}"] if limit is not None else [])])
    chosen = tuple(s.strip() for s in stages.split(",") if s.strip()) if stages else STAGES
    unknown = set(chosen) - set(STAGES)
    if unknown or not chosen:
        raise fail(f"unknown stage(s) {sorted(unknown)}; valid: {', '.join(STAGES)}", EXIT_BAD_INPUT)
    uri = _tracking(tracking_uri, tracking_fallback, cfg)
    state = run_pipeline(cfg, stages=chosen, tracking_uri=uri, say=console.print, fresh=fresh)
    print_pipeline_end(state, uri, console)


def before_after_table(baseline: dict, trained: dict):
    """Held-out accuracy per domain before and after GRPO, and the mean reward on the training prompts: the
    pipeline's answer in five short columns (fits 80 columns; the report has the uncertainties and charts)."""
    from rich.table import Table

    from reports.comparison import comparison_rows

    def pct(value) -> str:
        return "–" if value is None else f"{100 * value:.1f}"

    table = Table(title="held-out accuracy (%)")
    for name, justify in (("domain", "left"), ("n", "right"), ("before", "right"), ("after GRPO", "right"),
                          ("change", "right")):
        table.add_column(name, justify=justify)
    for row in comparison_rows(baseline, trained):
        delta = row.get("delta")
        table.add_row(row["domain"], str(row.get("n") or ""), pct(row.get("baseline")), pct(row.get("trained")),
                      "–" if delta is None else f"{100 * delta:+.1f}", style="bold" if row["domain"] == "overall"
                      else None)
    before = (baseline.get("train_prompts_probe") or {}).get("mean_reward")
    after = (trained.get("train_prompts_probe") or {}).get("mean_reward")
    if before is not None and after is not None:
        table.caption = f"train-prompt reward: {before:.3f} → {after:.3f}"
    return table


def print_pipeline_end(state, uri: str, out: Console) -> None:
    """The before/after table, the report, and one `mlflow ui` line that is never wrapped (so it pastes)."""
    import json

    done = state.completed
    if "baseline_eval" in done and "final_eval" in done:
        summaries = [json.loads(Path(done[s]["summary"]).read_text(encoding="utf-8"))
                     for s in ("baseline_eval", "final_eval")]
        out.print()
        out.print(before_after_table(*summaries))
    report = done.get("report", {}).get("html")
    if report:
        out.print(f"report: {report}", soft_wrap=True, highlight=False, markup=False)
    out.print(f"MLflow parent run: {state.parent_run_id}; browse with:", highlight=False)
    out.print(f"mlflow ui --backend-store-uri {uri}", soft_wrap=True, highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("train")(train_cmd)
    app.command("pipeline")(pipeline_cmd)


if __name__ == "__main__":
    # `python -m harness.commands.train --config X.yaml`: the entry point for `accelerate launch`
    # (multi-GPU DDP, DeepSpeed, or two CPU processes), which starts one such process per device.
    from harness.commands._common import guard

    typer.run(guard(train_cmd))
