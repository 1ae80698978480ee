"""`mmrl demo`: the main job on embedded defaults (bundled sample, offline tiny model, local MLflow)."""

from __future__ import annotations

from pathlib import Path

import typer

from harness.commands.train import FALLBACK_HELP, LIMIT_HELP
from harness.paths import repo_root


def demo_cmd(
    config: Path = typer.Option(None, "--config", "-c", help="Defaults to experiments/demo.yaml."),
    fresh: bool = typer.Option(False, "--fresh", help="Forget finished stages and start over."),
    tracking_uri: str = typer.Option(None, "--tracking-uri", help="MLflow store; default MLFLOW_TRACKING_URI or sqlite:///mlruns.db."),
    tracking_fallback: str = typer.Option(None, "--tracking-fallback", help=FALLBACK_HELP),
    limit: int = typer.Option(None, "--limit", min=1, help=LIMIT_HELP),
) -> None:
    """Run experiments/demo.yaml end to end offline (1.5 min on a 2-core CPU, tiny model build included)."""
    from harness.commands.train import pipeline_cmd

    pipeline_cmd(config=config or repo_root() / "experiments" / "demo.yaml", stages=None, fresh=fresh,
                 tracking_uri=tracking_uri, tracking_fallback=tracking_fallback, overrides=None, limit=limit)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
