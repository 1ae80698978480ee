"""`mmrl verify`: the reward on one pair, or its hack audit on a whole dataset.

* `mmrl verify PRED GOLD` (the default sub-command, also `mmrl verify check …`) prints the verdict, the tier
  that proved it, the committed answer and the reason; exit 0 when correct, 1 when not.
* `mmrl verify audit --data SOURCE` turns every gold into wrong answers a policy could produce and right
  answers in other forms (see `harness.reward_audit`) and reports hack acceptance and equivalence recall per
  domain and per mutation: a rich table, `--json`, and an MLflow run. Exit 1 when any hack was accepted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from harness.yaml_text import load_yaml

console = Console()


class _CheckByDefault(TyperGroup):
    """`mmrl verify PRED GOLD` stays the short form: anything that is not a sub-command name goes to `check`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["check", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_CheckByDefault,
    no_args_is_help=True,
    help=(
        "Verify a prediction against a gold answer, or audit the reward on a dataset.\n\n"
        "mmrl verify PRED GOLD [--domain D] [--sub-domain S] [--tiers T] [--policy P] [--no-extract] [--json]  "
        "(short for `mmrl verify check …`)\n\n"
        "mmrl verify audit --data SOURCE [--json] [--no-mlflow]"
    ),
)


def _parse_tiers(value: str | None) -> list[str] | None:
    if value is None:
        return None
    tiers = [t.strip() for t in value.split(",") if t.strip()]
    if not tiers:
        raise typer.BadParameter("give at least one tier, e.g. --tiers exact,numeric")
    from rewards.tiers import TIERS

    unknown = [t for t in tiers if t not in TIERS]
    if unknown:
        raise typer.BadParameter(f"unknown tier(s) {unknown}; known: {', '.join(TIERS)}", param_hint="--tiers")
    return tiers


def _parse_policy(value: str | None):
    """`--policy`: a JSON/YAML mapping, or a path to a YAML/JSON file (a whole experiment YAML works too)."""
    if value is None:
        return None
    import yaml

    import rewards

    path = Path(value)
    text = path.read_text(encoding="utf-8") if path.suffix in (".yaml", ".yml", ".json") and path.exists() else value
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise typer.BadParameter(f"not YAML/JSON: {exc}", param_hint="--policy") from exc
    if isinstance(data, dict) and isinstance(data.get("rewards"), dict):
        data = data["rewards"].get("policy")  # an experiment YAML: its rewards.policy
    if data is not None and not isinstance(data, dict):
        raise typer.BadParameter("expected a mapping with by_class / by_domain / extras", param_hint="--policy")
    try:
        return rewards.DomainPolicy.from_dict(data)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--policy") from exc


@app.command("check")
def check_command(
    pred: str = typer.Argument(..., help="The model output (or, with --no-extract, the answer itself)."),
    gold: str = typer.Argument(
        ..., help="The gold answer as the dataset writes it (math delimiters, \\text{} units and spacing are fine)."
    ),
    domain: str | None = typer.Option(
        None, "--domain", "-d", help="The row's domain (Math, Physics, Chemistry, Biology)."
    ),
    sub_domain: str | None = typer.Option(
        None, "--sub-domain", help="The row's sub-domain (e.g. 'Organic Chemistry')."
    ),
    tiers: str | None = typer.Option(
        None, "--tiers", "-t", help="Comma-separated tiers to run in order, overriding the policy."
    ),
    policy: str | None = typer.Option(
        None, "--policy", help="Reward policy: JSON/YAML text or a file (an experiment YAML's rewards.policy)."
    ),
    no_extract: bool = typer.Option(False, "--no-extract", help="Treat PRED as the final answer; skip extraction."),
    timeout: float = typer.Option(
        2.0, "--timeout", min=0.05, help="Hard time limit in seconds for the latex/symbolic tiers."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the verdict as JSON instead of a table."),
) -> None:
    """Verify PRED against GOLD and print the verdict (exit code 0 = correct, 1 = not)."""
    import rewards

    verdict = rewards.verify(
        pred, gold, domain=domain, sub_domain=sub_domain, tiers=_parse_tiers(tiers), policy=_parse_policy(policy),
        extract=not no_extract, timeout_s=timeout,
    )
    if as_json:
        typer.echo(json.dumps(verdict.to_dict(), ensure_ascii=False))
    else:
        table = Table(show_header=False, box=None)
        table.add_row("verdict", "[bold green]correct[/]" if verdict.correct else "[bold red]incorrect[/]")
        table.add_row("tier", escape(verdict.tier or "-"))
        table.add_row("extracted", escape(repr(verdict.extracted)) if verdict.extracted is not None else "-")
        table.add_row("reason", escape(verdict.reason))
        if verdict.detail:
            table.add_row("detail", escape(verdict.detail))
        console.print(table, highlight=False, markup=True)
    raise typer.Exit(code=0 if verdict.correct else 1)


@app.command("audit")
def audit_command(
    data: str = typer.Option(
        "sample", "--data", help="Data source: 'sample', a hub id or a local parquet/JSONL/Arrow path."
    ),
    split: str = typer.Option("train", "--split", help="Split of the source to load."),
    revision: str | None = typer.Option(None, "--revision", help="Hub revision to pin."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Audit only the first N rows."),
    seed: int = typer.Option(0, "--seed", help="Seed for the mutations' phrasing."),
    tiers: str | None = typer.Option(
        None, "--tiers", "-t", help="Comma-separated tiers for every domain, overriding the policy."
    ),
    policy: str | None = typer.Option(
        None, "--policy", help="Reward policy: JSON/YAML text or a file (an experiment YAML's rewards.policy)."
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Sandbox worker processes (default: CPU count, max 4)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Also write audit.json (summary and every failure) here."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
    mlflow: bool = typer.Option(True, "--mlflow/--no-mlflow", help="Record the audit as an MLflow run."),
    tracking_uri: str | None = typer.Option(
        None, "--tracking-uri", help="MLflow store (default: MLFLOW_TRACKING_URI or ./mlruns.db)."
    ),
    tracking_fallback: str | None = typer.Option(
        None, "--tracking-fallback", help="'local': use the local SQLite store if the server is unreachable."
    ),
    experiment: str | None = typer.Option(None, "--experiment", help="MLflow experiment (default: open-mm-rl)."),
) -> None:
    """Mutate every gold into hacks and equivalent forms; report what the reward accepts (exit 1 on any hack)."""
    from harness.data import DataError, load_dataset
    from harness.reward_audit import build_cases, run_audit

    tier_list, reward_policy = _parse_tiers(tiers), _parse_policy(policy)
    tracking = None
    if mlflow:  # the store must take a write before the audit runs, not after (one line on failure, exit 3)
        from harness.tracking import resolve_tracking_uri

        tracking = resolve_tracking_uri(tracking_uri, fallback=tracking_fallback, experiment=experiment)
    if out is not None:
        from harness.fs import ensure_writable_dir

        ensure_writable_dir(out, what="audit output folder")
    try:
        dataset = load_dataset(data, split=split, revision=revision)
    except DataError as exc:
        raise typer.BadParameter(str(exc), param_hint="--data") from exc
    columns = [c for c in ("id", "answer", "domain", "sub_domain") if c in dataset.column_names]
    rows = dataset.select_columns(columns).to_list()
    if limit is not None:
        rows = rows[:limit]
    cases = build_cases(rows, seed=seed)
    report = run_audit(cases, tiers=tier_list, policy=reward_policy, workers=workers, rows=len(rows))
    summary = report.summary()
    summary["data"] = data
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "audit.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    if mlflow:
        summary["mlflow_run_id"] = _log_audit(report, summary, data=data, seed=seed, tracking_uri=tracking,
                                              experiment=experiment)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        _print_audit(report, summary)
    raise typer.Exit(code=1 if summary["hacks_accepted"] else 0)


def _log_audit(report, summary: dict[str, Any], *, data: str, seed: int, tracking_uri: str,
               experiment: str | None) -> str:
    import mlflow as mlflow_lib

    from harness.tracking import log_metrics_safe, mlflow_run

    params = {"data": data, "seed": seed, "rows": summary["rows"],
              "tiers": ",".join(summary["tiers"]) if summary["tiers"] else "policy",
              "reward_policy": json.dumps(summary["policy"]) if summary["policy"] else "default"}
    with mlflow_run(f"reward-audit-{Path(data).name}", experiment=experiment, tracking_uri=tracking_uri,
                    tags={"mmrl.kind": "reward_audit"}, params=params) as run:
        log_metrics_safe(report.metrics())
        mlflow_lib.log_dict(summary, "audit/audit.json")
        return run.info.run_id


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.1f}%)" if whole else "-"


def _print_audit(report, summary: dict[str, Any]) -> None:
    head = Table(title=f"Reward audit: {summary['rows']} rows", show_lines=False)
    head.add_column("domain")
    head.add_column("hacks accepted", justify="right")
    head.add_column("equivalents recalled", justify="right")
    for domain, figures in summary["by_domain"].items():
        head.add_row(escape(domain or "?"), _pct(figures["hacks_accepted"], figures["hacks_total"]),
                     _pct(figures["equivalents_recalled"], figures["equivalents_total"]))
    head.add_row("[bold]all[/]", _pct(summary["hacks_accepted"], summary["hacks_total"]),
                 _pct(summary["equivalents_recalled"], summary["equivalents_total"]))
    console.print(head)
    kinds = Table(title="By mutation")
    kinds.add_column("mutation")
    kinds.add_column("should be")
    kinds.add_column("accepted", justify="right")
    for kind, figures in summary["by_mutation"].items():
        kinds.add_row(escape(kind), "accepted" if figures["should_accept"] else "refused",
                      _pct(figures["accepted"], figures["total"]))
    console.print(kinds)
    for title, examples in (
        ("accepted hacks", summary["accepted_hacks"]),
        ("missed equivalents", summary["missed_equivalents"]),
    ):
        for ex in examples[:10]:
            console.print(f"[red]{title}[/] [{escape(ex['kind'])}] gold {escape(repr(ex['gold'][:60]))} ← "
                          f"{escape(repr(ex['answer'][:60]))} ({escape(ex['reason'])})", highlight=False)
    if summary.get("mlflow_run_id"):
        console.print(f"MLflow run: {summary['mlflow_run_id']}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="verify")
