"""`mmrl rerun RUN_ID`: re-execute a recorded run from what MLflow holds about it (logic: `harness.rerun`)."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

from harness.commands._common import EXIT_TRACKING, fail

console = Console()


def rerun_command(
    run_id: str = typer.Argument(..., help="MLflow run id of a pipeline, train, eval or ablation run."),
    tracking_uri: str = typer.Option(None, "--tracking-uri",
                                     help="MLflow store (default: MLFLOW_TRACKING_URI or ./mlruns.db)."),
    output_dir: Path = typer.Option(None, "--out", "--output-dir", "-o",
                                    help="Where the re-run writes (default: a new folder next to the original's)."),
    model: str = typer.Option(None, "--model", help="Eval runs only: evaluate this model instead of the recorded path "
                                                    "(e.g. the same checkpoint moved to another machine)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would run (config or eval request) and stop."),
    tracking_fallback: str = typer.Option(
        None, "--tracking-fallback",
        help="'local': record the re-run into the local SQLite store if the store it is read from does not take "
        "writes (read-only) or is unreachable.",
    ),
) -> None:
    """Re-execute a recorded run from its logged config (pipeline, train, ablation) or eval request.

    The new run is tagged mmrl.rerun_of=RUN_ID. Warns when the current git commit or package versions differ
    from those the run recorded.
    """
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one bar per file buries the table
    from harness.rerun import RERUN_TAG, RerunError, rerun
    from harness.tracking import TrackingUnavailableError, resolve_tracking_uri

    try:
        uri = resolve_tracking_uri(tracking_uri, write=False)
        record_uri = None if dry_run else resolve_tracking_uri(tracking_uri, fallback=tracking_fallback)
    except TrackingUnavailableError as exc:
        raise fail(str(exc), EXIT_TRACKING) from exc
    try:
        new_id = rerun(run_id, tracking_uri=uri, output_dir=output_dir, model=model, dry_run=dry_run,
                       record_uri=record_uri, say=console.print)
    except RerunError as exc:
        raise fail(str(exc)) from exc
    if new_id:
        console.print(f"re-run recorded as MLflow run {new_id} ({RERUN_TAG}={run_id})")


def register(app: typer.Typer) -> None:
    app.command(name="rerun")(rerun_command)
