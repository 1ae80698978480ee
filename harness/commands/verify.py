"""`mmrl verify PRED GOLD`: check one prediction against a gold answer with the reward library.

Prints the verdict, the tier that proved it, the extracted answer and the reason; exits 0 when
correct and 1 when not, so shell scripts and CI can use it directly.
"""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()


def _parse_tiers(value: str | None) -> list[str] | None:
    if value is None:
        return None
    tiers = [t.strip() for t in value.split(",") if t.strip()]
    if not tiers:
        raise typer.BadParameter("give at least one tier, e.g. --tiers exact,numeric")
    return tiers


def verify_command(
    pred: str = typer.Argument(
        ..., help="The model output (or, with --no-extract, the answer itself)."
    ),
    gold: str = typer.Argument(
        ...,
        help="The gold answer as the dataset writes it (math delimiters, \\text{} units and spacing are fine).",
    ),
    domain: str | None = typer.Option(
        None, "--domain", "-d", help="Domain for the tier policy (Math, geometry, Chemistry...)."
    ),
    tiers: str | None = typer.Option(
        None, "--tiers", "-t", help="Comma-separated tiers to run in order, overriding the policy."
    ),
    no_extract: bool = typer.Option(
        False, "--no-extract", help="Treat PRED as the final answer; skip extraction."
    ),
    timeout: float = typer.Option(
        2.0, "--timeout", min=0.05, help="Hard time limit in seconds for the latex/symbolic tiers."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the verdict as JSON instead of a table."
    ),
) -> None:
    """Verify PRED against GOLD and print the verdict (exit code 0 = correct, 1 = not)."""
    import rewards
    from rewards.tiers import TIERS

    tier_list = _parse_tiers(tiers)
    unknown = [t for t in tier_list or [] if t not in TIERS]
    if unknown:
        raise typer.BadParameter(
            f"unknown tier(s) {unknown}; known: {', '.join(TIERS)}", param_hint="--tiers"
        )
    verdict = rewards.verify(
        pred, gold, domain=domain, tiers=tier_list, extract=not no_extract, timeout_s=timeout
    )
    if as_json:
        typer.echo(json.dumps(verdict.to_dict(), ensure_ascii=False))
    else:
        table = Table(show_header=False, box=None)
        table.add_row(
            "verdict", "[bold green]correct[/]" if verdict.correct else "[bold red]incorrect[/]"
        )
        table.add_row("tier", escape(verdict.tier or "-"))
        table.add_row(
            "extracted", escape(repr(verdict.extracted)) if verdict.extracted is not None else "-"
        )
        table.add_row("reason", escape(verdict.reason))
        if verdict.detail:
            table.add_row("detail", escape(verdict.detail))
        console.print(table, highlight=False, markup=True)
    raise typer.Exit(code=0 if verdict.correct else 1)


def register(app: typer.Typer) -> None:
    app.command(
        name="verify",
        help="Verify a prediction against a gold answer (verdict, tier, extracted answer, reason).",
    )(verify_command)
