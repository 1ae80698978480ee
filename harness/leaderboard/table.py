"""The leaderboard as a rich terminal table: rank, model, accuracy with its interval, domains, tiers, speed."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from harness.leaderboard.board import Leaderboard, short_model


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


def _ci(low: float | None, high: float | None) -> str:
    return "—" if low is None or high is None else f"[{_pct(low)}, {_pct(high)}]"


def _tier_hits(rates: dict[str, float]) -> str:
    hits = [f"{tier} {_pct(rate)}" for tier, rate in rates.items() if rate]
    return "\n".join(hits) or "—"


def leaderboard_table(board: Leaderboard) -> Table:
    table = Table(title=board.title, caption=(
        f"acc and rates in %; 95% CI = percentile bootstrap over examples ({board.resamples} resamples, "
        "seed {seed}); tier hits = share of examples each tier decided (nonzero only); "
        "found = answer found; ex/s = samples/s; 'vs next' = paired "
        "difference to the next row, * when its interval excludes 0.".format(seed=board.seed)))
    table.add_column("#", justify="right")
    table.add_column("model", overflow="fold", min_width=14)
    table.add_column("n", justify="right")
    table.add_column("acc", justify="right")
    table.add_column("95% CI", justify="right")
    for domain in board.domains:
        table.add_column(domain, justify="right")
    table.add_column("tier hits", justify="right")
    table.add_column("found", justify="right")
    table.add_column("ex/s", justify="right")
    table.add_column("vs next", justify="right")
    for entry in board.entries:
        gap = entry.vs_next
        gap_text = "—" if gap is None else f"{100 * gap.diff:+.1f}{'*' if gap.significant else ''}"
        table.add_row(
            str(entry.rank),
            f"{short_model(entry.run.model)}\n[dim]{entry.run.role} {entry.run.run_id[:8]}[/dim]",
            str(entry.overall.n),
            _pct(entry.overall.acc),
            _ci(entry.overall.ci_low, entry.overall.ci_high),
            *(_pct(entry.domains[d].acc) if d in entry.domains else "—" for d in board.domains),
            _tier_hits({t: entry.tier_rates.get(t, 0.0) for t in board.tiers}),
            _pct(entry.answer_found),
            "—" if entry.samples_per_s is None else f"{entry.samples_per_s:.2f}",
            gap_text,
        )
    return table


def print_leaderboard(board: Leaderboard, console: Console | None = None) -> None:
    console = console or Console()
    if board.note:
        console.print(f"[bold yellow]{board.note}[/bold yellow]")
    console.print(leaderboard_table(board))
    for warning in board.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
