"""`mmrl ablate`: train and evaluate one experiment under several reward tier sets, plus a reward audit."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from harness.commands._common import EXIT_BAD_INPUT, EXIT_TRACKING, fail
from harness.commands.train import FALLBACK_HELP

console = Console()


def _audit_table(audit) -> Table:
    table = Table(title=f"Reward audit vs {audit.reference.name} · {audit.source}",
                  caption="FN: correct answers (per the reference) the tier set fails to reward; FP: the reverse.")
    table.add_column("tier set")
    for domain in audit.domains:
        table.add_column(f"{domain}\nacc · FN · FP", justify="right")
    for ts in audit.tier_sets:
        cells = []
        for domain in audit.domains:
            cell = audit.cell(ts.name, domain)
            cells.append(f"{100 * (cell.accuracy or 0):.1f}% · {cell.false_negatives} · {cell.false_positives}")
        table.add_row(ts.name, *cells)
    return table


def ablate_command(
    config: Path = typer.Option(
        Path("experiments/ablation-tiers.yaml"),
        "--config",
        "-c",
        exists=True,
        dir_okay=False,
        help="Ablation YAML: a base experiment plus tier-set variants.",
    ),
    audit_only: bool = typer.Option(
        False, "--audit-only", help="Only the reward audit: re-score fixed outputs under every tier set, no training."
    ),
    samples: str = typer.Option(
        None,
        "--samples",
        help="Audit input: an eval output folder, a samples_*.jsonl file, or an MLflow eval run id "
        "(default: the shared baseline eval's samples).",
    ),
    fresh: bool = typer.Option(False, "--fresh", help="Forget finished variants and start over."),
    tracking_uri: str = typer.Option(
        None, "--tracking-uri", help="MLflow store; default: the base config's, MLFLOW_TRACKING_URI or ./mlruns.db."
    ),
    tracking_fallback: str = typer.Option(None, "--tracking-fallback", help=FALLBACK_HELP),
    overrides: list[str] = typer.Option(
        None,
        "--set",
        help="Override a field of the ablation file, e.g. --set base.grpo.max_steps=2 "
        "or --set output_dir=runs/x (repeatable).",
    ),
) -> None:
    """Run the same training + held-out eval once per reward tier set (same seed, data and starting model).

    Each variant is a child MLflow run tagged mmrl.tier_set under one parent ablation run. Before training, a
    reward audit re-scores one fixed set of model outputs under every tier set and counts, per domain, the
    correct answers each set misses (false negatives) versus the full per-domain policy. The report (HTML +
    Markdown, a table and charts per domain) is written to <output_dir>/report and logged on the parent run.
    """
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one bar per file buries the table
    from harness.ablation.config import load_ablation_config
    from harness.ablation.runner import run_ablation
    from harness.leaderboard.samples import SampleLogError
    from harness.tracking import TrackingUnavailableError
    from harness.training.config import ConfigError, parse_override

    try:
        acfg = load_ablation_config(config, dict(parse_override(o) for o in overrides or []))
    except (ConfigError, FileNotFoundError) as exc:
        raise fail(f"config error: {exc}", EXIT_BAD_INPUT) from exc
    try:
        outcome = run_ablation(acfg, tracking_uri=tracking_uri, audit_only=audit_only, samples=samples, fresh=fresh,
                               say=console.print, fallback=tracking_fallback)
    except TrackingUnavailableError as exc:
        raise fail(f"tracking error: {exc}", EXIT_TRACKING) from exc
    except SampleLogError as exc:
        raise fail(f"samples error: {exc}", EXIT_BAD_INPUT) from exc
    console.print(_audit_table(outcome.audit))
    for variant in outcome.summary["variants"]:
        final = variant["final"]["overall"]
        console.print(f"{variant['name']:>24}: held-out acc {100 * final['acc']:.1f}% "
                      f"[{100 * final['ci_low']:.1f}, {100 * final['ci_high']:.1f}] (n={final['n']})")
    for warning in outcome.summary["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(f"report: [bold]{outcome.report['html']}[/bold]\nMLflow parent run {outcome.parent_run_id}")


def register(app: typer.Typer) -> None:
    app.command(name="ablate")(ablate_command)
