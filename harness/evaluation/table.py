"""The per-domain × per-tier table `mmrl eval` prints: accuracy with its uncertainty and sample count."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from harness.evaluation.results import DomainResult, EvalResult


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def _acc_cell(row: DomainResult) -> str:
    stderr = f" ± {_pct(row.acc_stderr)}" if row.acc_stderr is not None else ""
    return f"{_pct(row.acc)}{stderr}"


def _caption(result: EvalResult) -> str:
    smallest = min((d.n for d in result.domains.values()), default=result.overall.n)
    return (
        "acc and rates in %; ± = standard error; 95% CI = Wilson interval; tier columns = share of examples "
        f"decided by that tier. The smallest domain has n={smallest}: one example moves it by "
        f"{100 / max(smallest, 1):.0f} points."
    )


def eval_table(result: EvalResult) -> Table:
    """Rows: each domain then `all`; columns: n, acc ± stderr, Wilson 95% CI, tier hit rates, answer found (%)."""
    table = Table(
        title=f"{result.task} · {result.model} · {result.data['source']} ({result.data['split']} split)",
        caption=_caption(result),
    )
    table.add_column("domain")
    table.add_column("n", justify="right")
    table.add_column("acc ± se", justify="right")
    table.add_column("95% CI", justify="right")
    for tier in result.tier_names:
        table.add_column(tier, justify="right")
    table.add_column("answer found", justify="right")
    rows = list(result.domains.values()) + [result.overall]
    for index, row in enumerate(rows):
        low, high = row.acc_ci95
        table.add_row(
            row.name,
            str(row.n),
            _acc_cell(row),
            f"[{_pct(low)}, {_pct(high)}]",
            *(_pct(row.tier_rates.get(tier, 0.0)) for tier in result.tier_names),
            _pct(row.answer_found),
            end_section=index == len(rows) - 2,
            style="bold" if row is result.overall else None,
        )
    return table


def print_eval_table(result: EvalResult, console: Console | None = None) -> None:
    console = console or Console()
    console.print(eval_table(result))
    if result.overall.verify_error:
        console.print(
            f"[yellow]warning: the verifier failed on {_pct(result.overall.verify_error)}% of examples "
            "(scored wrong; see the log for ids)[/yellow]"
        )
    if result.samples_per_s is not None:
        console.print(
            f"{result.n} examples, {result.samples_per_s:.2f} examples/s, {result.seconds:.1f} s total"
        )
