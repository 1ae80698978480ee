"""`mmrl leaderboard`: rank every evaluated model, with intervals that show which gaps are real."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console()


def leaderboard_command(
    experiment: list[str] = typer.Option(None, "--experiment", "-e",
                                         help="MLflow experiment(s) to read (repeatable); default: all."),
    out: Path = typer.Option(None, "--out", "-o",
                             help="Write leaderboard.csv, .md and .html (with a chart) into this folder."),
    fingerprint: str = typer.Option(None, help="Only runs on this data fingerprint (a prefix is enough)."),
    all_runs: bool = typer.Option(False, "--all-runs",
                                  help="One row per run; default keeps the newest run per model and data setting."),
    role: list[str] = typer.Option(None, "--role",
                                   help="Only evaluations of this role (repeatable): standalone (mmrl eval), baseline, "
                                   "trained (the pipeline's), ablation (every variant); default: all."),
    split: str = typer.Option("eval", "--split",
                              help="Rank evaluations of this split: eval (held out, the default), train or all "
                              "(diagnostic: examples the models may have trained on), or any (every split)."),
    resamples: int = typer.Option(1000, min=10, help="Bootstrap resamples for the 95% intervals."),
    seed: int = typer.Option(0, help="Bootstrap seed (same seed, same intervals)."),
    tracking_uri: str = typer.Option(None, help="MLflow store (default: MLFLOW_TRACKING_URI or ./mlruns.db)."),
) -> None:
    """Read every evaluation run (tag mmrl.kind=eval: mmrl eval, pipeline baseline/trained, ablation variants)
    from MLflow and rank them by overall accuracy.

    Columns: per-domain accuracy, tier hit rates, answer-found rate, samples/s, and a 95% bootstrap interval
    computed from each run's per-sample log, plus a paired interval for the gap to the next row. Warns when
    runs evaluated different data, splits, tier sets or limits.
    """
    from harness.leaderboard import find_eval_runs, latest_per_model, leaderboard_from_store
    from harness.leaderboard.table import print_leaderboard
    from harness.tracking import TrackingUnavailableError, resolve_tracking_uri

    try:
        uri = resolve_tracking_uri(tracking_uri, write=False)  # reads only: no write probe, no fallback
    except TrackingUnavailableError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    from harness.defaults import EVAL_SPLITS

    if split not in (*EVAL_SPLITS, "any"):
        console.print(f"[red]error:[/red] --split {split!r}: choose one of {', '.join((*EVAL_SPLITS, 'any'))}")
        raise typer.Exit(2)
    wanted_split = None if split == "any" else split
    try:
        runs = find_eval_runs(tracking_uri=uri, experiments=experiment or None, roles=role or None,
                              fingerprint=fingerprint, split=wanted_split)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if not all_runs:
        runs = latest_per_model(runs)
    if not runs:
        where = f" of the {split} split" if wanted_split else ""
        console.print(f"[yellow]no finished eval runs{where} in {uri}[/yellow] (run `mmrl eval` first"
                      + (", or pass --split any" if wanted_split else "") + ")")
        raise typer.Exit(1)
    board = leaderboard_from_store(runs, uri, resamples=resamples, seed=seed, split=wanted_split)
    print_leaderboard(board, console)
    if out:
        from reports.leaderboard import write_leaderboard

        paths = write_leaderboard(board, out)
        console.print("written: " + ", ".join(str(p) for p in paths.values()))


def register(app: typer.Typer) -> None:
    app.command(name="leaderboard")(leaderboard_command)
