"""`mmrl leaderboard-demo`: the leaderboard on offline models that genuinely differ (harness.pipeline.board_demo)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from harness.commands.train import FALLBACK_HELP

console = Console()


def leaderboard_demo_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Evaluations and the board's report go here.")] = Path(
        "runs/leaderboard-demo"),
    budgets: Annotated[str, typer.Option(help="Warm-up steps of the tiny models to compare, comma-separated.")] = (
        "0,150,300"),
    split: Annotated[str, typer.Option(help="Split to rank on: train (diagnostic: seen data) or eval (held out, "
                                            "where every offline model scores near zero).")] = "train",
    limit: Annotated[int | None, typer.Option(min=1, help="Evaluate only the first N examples.")] = None,
    tracking_uri: Annotated[str | None, typer.Option(help="MLflow store (default: MLFLOW_TRACKING_URI or "
                                                          "./mlruns.db).")] = None,
    tracking_fallback: Annotated[str | None, typer.Option(help=FALLBACK_HELP)] = None,
) -> None:
    """Rank tiny models warmed up for different budgets (0 / 150 / 300 steps) on the bundled sample.

    Offline, a 0.9M-parameter model cannot solve held-out problems, so the held-out board is a tie near zero;
    the models do differ in how much of their training data they learned. The board ranks them on the train
    split and says so ("diagnostic: seen data"). Takes a few minutes on a 2-core CPU the first time (the models
    are built once and cached).
    """
    from harness.commands._common import fail
    from harness.defaults import EVAL_SPLITS
    from harness.leaderboard.table import print_leaderboard
    from harness.pipeline.board_demo import DEMO_EXPERIMENT, run_board_demo
    from harness.tracking import resolve_tracking_uri

    try:
        steps = [int(b) for b in budgets.split(",") if b.strip()]
    except ValueError as exc:
        raise fail(f"--budgets {budgets!r}: expected comma-separated integers, e.g. 0,150,300") from exc
    if len(steps) < 2 or any(s < 0 for s in steps):
        raise fail(f"--budgets {budgets!r}: give at least two non-negative warm-up budgets")
    if split not in EVAL_SPLITS:
        raise fail(f"--split {split!r}: choose one of {', '.join(EVAL_SPLITS)}")
    uri = resolve_tracking_uri(tracking_uri, fallback=tracking_fallback, experiment=DEMO_EXPERIMENT)
    demo = run_board_demo(out, tracking_uri=uri, budgets=steps, split=split, limit=limit,
                          say=lambda m: console.print(f"[dim]{m}[/dim]"))
    print_leaderboard(demo.board, console)
    console.print("report: " + str(demo.report["html"]))
    print(f"mlflow ui --backend-store-uri {uri}")


def register(app: typer.Typer) -> None:
    app.command("leaderboard-demo")(leaderboard_demo_cmd)
