"""The per-domain × per-tier table `mmrl eval` prints: accuracy with its uncertainty and sample count."""

from __future__ import annotations

from rich.console import Console
from rich.measure import Measurement
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


def _rows(result: EvalResult) -> list[DomainResult]:
    return list(result.domains.values()) + [result.overall]


def _title(result: EvalResult) -> str:
    return f"{result.task} · {result.model} · {result.data['source']} ({result.data['split']} split)"


def eval_table(result: EvalResult, *, tiers: bool = True, accuracy: bool = True, caption: bool = True) -> Table:
    """Rows: each domain then `all`; columns: n, acc ± stderr, Wilson 95% CI, answer found (%) (`accuracy`) and
    the tier hit rates (`tiers`). The narrow layout prints the two halves as two tables."""
    table = Table(title=_title(result) if accuracy else "tier hit rates (%)", caption=_caption(result) if caption
                  else None)
    table.add_column("domain")
    table.add_column("n", justify="right")
    if accuracy:
        table.add_column("acc ± se", justify="right")
        table.add_column("95% CI", justify="right")
    if tiers:
        for tier in result.tier_names:
            table.add_column(tier, justify="right")
    if accuracy:
        table.add_column("answer found", justify="right")
    rows = _rows(result)
    for index, row in enumerate(rows):
        low, high = row.acc_ci95
        cells = [row.name, str(row.n)]
        if accuracy:
            cells += [_acc_cell(row), f"[{_pct(low)}, {_pct(high)}]"]
        if tiers:
            cells += [_pct(row.tier_rates.get(tier, 0.0)) for tier in result.tier_names]
        if accuracy:
            cells.append(_pct(row.answer_found))
        table.add_row(*cells, end_section=index == len(rows) - 2, style="bold" if row is result.overall else None)
    return table


def eval_tables(result: EvalResult, console: Console) -> list[Table]:
    """One table when it fits the console; else accuracy and tier rates as two narrower tables, so no column is
    cut to `dom…` at 80 columns."""
    wide = eval_table(result)
    if Measurement.get(console, console.options.update_width(10_000), wide).maximum <= console.width:
        return [wide]
    return [eval_table(result, tiers=False, caption=False), eval_table(result, accuracy=False)]


def print_eval_table(result: EvalResult, console: Console | None = None) -> None:
    console = console or Console()
    for table in eval_tables(result, console):
        console.print(table)
    if result.overall.verify_error:
        console.print(
            f"[yellow]warning: the verifier failed on {_pct(result.overall.verify_error)}% of examples "
            "(scored wrong; see the log for ids)[/yellow]"
        )
    if result.samples_per_s is not None:
        console.print(
            f"{result.n} examples, {result.samples_per_s:.2f} examples/s, {result.seconds:.1f} s total"
        )
