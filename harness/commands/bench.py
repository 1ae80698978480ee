"""`mmrl bench train` and `mmrl bench eval`: measured throughput of GRPO steps and of evaluation.

Users size a run before they spend hours on it, and the README's hardware table quotes these commands.
`--json` prints exactly one JSON object on stdout (everything else goes to stderr), for scripts and CI.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import typer
from rich.console import Console

from harness.commands._common import fail

bench_app = typer.Typer(help="Measure GRPO step and evaluation throughput on this machine.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

SHAPE_HELP = ("Model shape to build (random init, offline): tiny, smolvlm-256m, smolvlm-500m. Also picks the "
              "default --config (demo.yaml, smolvlm-256m.yaml, smolvlm-500m.yaml).")
MODEL_HELP = "A real checkpoint (local folder or hub id) instead of the built shape."
CONFIG_HELP = "Experiment YAML whose grpo/eval/generation settings are measured (default: the shape's)."
SET_HELP = "Override a config field, e.g. --set generation.fast=true (repeatable)."
FALLBACK_HELP = "'local': record into the local SQLite store if the tracking store is unreachable or read-only."

# options both `bench train` and `bench eval` take (one declaration, one spelling)
DATA_OPTION = typer.Option("sample", "--data", "-d", help="Data source (default: the bundled offline sample).")
SET_OPTION = typer.Option(None, "--set", help=SET_HELP)
JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object instead of the table.")
MLFLOW_OPTION = typer.Option(True, "--mlflow/--no-mlflow", help="Record the figures as an MLflow run.")
TRACKING_URI_OPTION = typer.Option(
    None, "--tracking-uri", help="MLflow store; default MLFLOW_TRACKING_URI or sqlite:///mlruns.db."
)
FALLBACK_OPTION = typer.Option(None, "--tracking-fallback", help=FALLBACK_HELP)
EXPERIMENT_OPTION = typer.Option("open-mm-rl-bench", "--experiment", help="MLflow experiment.")


def _options(shape: str, model: str | None, config: Path | None, overrides: list[str] | None, **extra):
    from harness.bench import SHAPES, BenchOptions
    from harness.training.config import ConfigError, check_model_reference, parse_override

    if shape not in SHAPES:
        raise fail(f"--shape {shape!r}: choose one of {', '.join(SHAPES)}")
    if model is not None:
        try:
            check_model_reference(model, where="--model")
        except ConfigError as exc:
            raise fail(str(exc)) from exc
    try:
        pairs = dict(parse_override(o) for o in overrides or [])
    except ConfigError as exc:
        raise fail(f"config: {exc}") from exc
    return BenchOptions(shape=shape, model=model, config=config, overrides=pairs, **extra)


def _tracking(enabled: bool, uri: str | None, experiment: str, fallback: str | None = None) -> str | None:
    if not enabled:
        return None
    from harness.tracking import resolve_tracking_uri

    # before the work: a bad store fails in seconds
    return resolve_tracking_uri(uri, fallback=fallback, experiment=experiment)


def _finish(record: dict, as_json: bool, tracking: str | None, experiment: str) -> None:
    from harness.bench.report import log_record, print_record

    if tracking is not None:
        record["mlflow_run_id"] = log_record(record, tracking_uri=tracking, experiment=experiment)
    if as_json:
        sys.stdout.write(json.dumps(record, default=str) + "\n")
        sys.stdout.flush()
        return
    print_record(record, console)
    if tracking is not None:
        console.print(f"MLflow run {record['mlflow_run_id']} ({tracking})")


def _run(fn, opts, as_json: bool, tracking: str | None, experiment: str) -> None:
    # With --json, stdout carries the one JSON object: libraries that print go to stderr meanwhile.
    quiet = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    with quiet:
        record = fn(opts)
    _finish(record, as_json, tracking, experiment)


def train_cmd(
    shape: str = typer.Option("tiny", "--shape", help=SHAPE_HELP),
    model: str = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP, exists=True, dir_okay=False),
    steps: int = typer.Option(5, "--steps", min=1, help="GRPO steps to run."),
    warmup_steps: int = typer.Option(
        1, "--warmup-steps", min=0, help="Leading steps left out of the means (compilation, allocator warm-up)."
    ),
    data: str = DATA_OPTION,
    overrides: list[str] = SET_OPTION,
    output_dir: Path = typer.Option(
        None, "--out", "--output-dir", "-o", help="Keep the run folder here (default: a temporary one)."
    ),
    as_json: bool = JSON_OPTION,
    mlflow: bool = MLFLOW_OPTION,
    tracking_uri: str = TRACKING_URI_OPTION,
    tracking_fallback: str = FALLBACK_OPTION,
    experiment: str = EXPERIMENT_OPTION,
) -> None:
    """Run N GRPO steps (stock TRL GRPOTrainer) and report seconds per step, the share spent generating,
    generated tokens/s, GPU utilisation and peak memory."""
    from harness.bench import bench_train

    opts = _options(shape, model, config, overrides, steps=steps, warmup_steps=warmup_steps, data=data,
                    output_dir=output_dir)
    _run(bench_train, opts, as_json, _tracking(mlflow, tracking_uri, experiment, tracking_fallback), experiment)


def eval_cmd(
    shape: str = typer.Option("tiny", "--shape", help=SHAPE_HELP),
    model: str = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP, exists=True, dir_okay=False),
    limit: int = typer.Option(
        4, "--limit", min=1, help="Held-out docs to evaluate (the open_mm_rl_all task: all domains together)."
    ),
    batch_size: int = typer.Option(
        None, "--batch-size", min=1, help="Generation batch size (default: eval.batch_size)."
    ),
    data: str = DATA_OPTION,
    overrides: list[str] = SET_OPTION,
    output_dir: Path = typer.Option(
        None, "--out", "--output-dir", "-o", help="Keep lm-eval's outputs here (default: a temporary folder)."
    ),
    as_json: bool = JSON_OPTION,
    mlflow: bool = MLFLOW_OPTION,
    tracking_uri: str = TRACKING_URI_OPTION,
    tracking_fallback: str = FALLBACK_OPTION,
    experiment: str = EXPERIMENT_OPTION,
) -> None:
    """Evaluate (lm-eval, the open_mm_rl task) on a few held-out docs and report samples/s, generated tokens/s
    and peak memory."""
    from harness.bench import bench_eval

    opts = _options(shape, model, config, overrides, limit=limit, batch_size=batch_size, data=data,
                    output_dir=output_dir)
    _run(bench_eval, opts, as_json, _tracking(mlflow, tracking_uri, experiment, tracking_fallback), experiment)


def register(app: typer.Typer) -> None:
    bench_app.command("train")(train_cmd)
    bench_app.command("eval")(eval_cmd)
    app.add_typer(bench_app, name="bench")
