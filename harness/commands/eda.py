"""`mmrl eda SOURCE`: will this data make a model converge or collapse? Numbers, charts and an HTML report."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from harness.commands._common import (
    ALLOW_ABSOLUTE_OPTION,
    DATA_OPTION,
    IMAGE_ROOT_OPTION,
    MAX_IMAGE_BYTES_OPTION,
    SOURCE_ARGUMENT,
    image_policy,
    resolve_source,
)

log = logging.getLogger(__name__)
console = Console()

DEFAULT_OUT = Path("eda")


def _print_summary(summary: dict[str, Any], out: Path, report_html: Path) -> None:
    ds = summary["dataset"]
    console.print(f"[bold]EDA of {ds['source']}[/bold]: {ds['n_examples']} examples, {ds['n_images']} images, "
                  f"{ds['n_sub_domains']} sub-domains")
    table = Table()
    for col, justify in (("domain", "left"), ("examples", "right"), ("share", "right")):
        table.add_column(col, justify=justify)
    for row in summary["domains"]:
        flag = row["domain"] in summary["flags"]["imbalanced_domains"]
        share = f"{row['share']:.1%}"
        table.add_row(row["domain"], str(row["count"]), f"[yellow]{share}[/yellow]" if flag else share)
    console.print(table)
    ctx = summary["context_window"]
    if ctx["available"]:
        p = ctx["prompt_tokens"]
        console.print(
            f"prompt tokens p50/p90/p99/max: {p['p50']} / {p['p90']} / {p['p99']} / {p['max']} "
            f"(tokenizer {summary['tokenizer']['name']}); suggested max length {ctx['suggested_max_length']}"
        )
    else:
        console.print(f"[yellow]token statistics unavailable:[/yellow] {ctx['reason']}")
    colors = {"error": "red", "warning": "yellow", "info": "cyan"}
    for f in summary["findings"]:
        console.print(f"[{colors.get(f['level'], 'white')}]{f['level']}[/]: {f['message']}")
    if not summary["findings"]:
        console.print("[green]no findings[/green]")
    console.print(f"summary: {out / 'summary.json'}\nreport:  {report_html}")


def eda(
    positional: str = SOURCE_ARGUMENT,
    data: str = DATA_OPTION,
    tokenizer: str = typer.Option(
        "tiny",
        "--tokenizer",
        "-t",
        help="Model whose tokenizer/processor counts tokens: 'tiny' (offline tiny VLM, default), a hub id such as "
        "HuggingFaceTB/SmolVLM-256M-Instruct, or a local path. If it cannot load, token stats are skipped.",
    ),
    no_tokens: bool = typer.Option(False, "--no-tokens", help="Skip token statistics (characters only)."),
    out: Path = typer.Option(  # noqa: B008 - typer's documented pattern
        DEFAULT_OUT, "--out", "-o", help="Output folder (summary.json, charts/, tables/, report.html)."
    ),
    split: str = typer.Option("train", help="Split to load."),
    revision: str = typer.Option(None, help="Hub revision (commit, tag or branch) to pin."),
    max_domain_share: float = typer.Option(0.4, min=0.0, max=1.0, help="Flag a domain holding more than this share."),
    min_subdomain_examples: int = typer.Option(5, min=1, help="Flag a sub-domain with fewer examples than this."),
    batch_size: int = typer.Option(32, min=1, help="Rows per streamed batch (bounds memory)."),
    limit: int = typer.Option(None, "--limit", min=1, help="Analyse only the first N rows (a quick look)."),
    mlflow: bool = typer.Option(False, "--mlflow/--no-mlflow",
                                help="Log numbers as params/metrics and the report as artifacts."),
    tracking_uri: str = typer.Option(
        None, "--tracking-uri", help="MLflow store (default: MLFLOW_TRACKING_URI or ./mlruns.db)."
    ),
    experiment: str = typer.Option(None, "--experiment", help="MLflow experiment (default: open-mm-rl)."),
    run_name: str = typer.Option(None, "--run-name", help="MLflow run name (default: eda-<source>)."),
    tracking_fallback: str = typer.Option(
        None,
        "--tracking-fallback",
        help="With --mlflow: 'local' records into the local SQLite store if the tracking store is unreachable "
        "or read-only.",
    ),
    image_root: Path = IMAGE_ROOT_OPTION,
    allow_absolute_image_paths: bool = ALLOW_ABSOLUTE_OPTION,
    max_image_bytes: int = MAX_IMAGE_BYTES_OPTION,
) -> None:
    """Analyse a data source before training: domain balance, lengths in characters and in the target model's tokens
    (image tokens included: the context window you need), image formats and sizes, answer types, duplicates,
    corrupt images and missing answers. Writes OUT/summary.json, OUT/charts/*.png, OUT/tables/*.csv and a
    self-contained OUT/report.html."""
    from tqdm import tqdm

    from harness.data import load_source
    from harness.eda import run_eda
    from harness.fs import ensure_writable_dir
    from reports.eda import write_eda_report

    source = resolve_source(data, positional)
    run_uri = None
    if mlflow:  # the store and the output folder are checked before the (long) analysis
        from harness.tracking import resolve_tracking_uri

        run_uri = resolve_tracking_uri(tracking_uri, fallback=tracking_fallback, experiment=experiment)
    ensure_writable_dir(out, what="EDA output folder")
    loaded = load_source(source, split=split, revision=revision,
                         images=image_policy(image_root, allow_absolute_image_paths, max_image_bytes))
    dataset = loaded.dataset
    if limit is not None and limit < len(dataset):
        dataset = dataset.select(range(limit))
    loaded.log_rejections(source)
    from harness.eda import resolve_token_counter

    counter, why = resolve_token_counter(None if no_tokens else tokenizer)
    if counter is None:
        console.print(f"[yellow]continuing without token statistics:[/yellow] {why}")

    def analyse() -> None:
        with tqdm(total=len(dataset), unit="row", desc="eda") as bar:
            result = run_eda(
                dataset, out, counter, max_domain_share=max_domain_share,
                min_subdomain_examples=min_subdomain_examples, batch_size=batch_size, source_name=source,
                tokenizer_note=why, progress=bar.update, source_rejections=loaded.rejected,
            )
        report = write_eda_report(result)
        if mlflow:
            from harness.tracking.eda_log import log_eda

            log_eda(result, [report.html, report.markdown])
        _print_summary(result.summary, out, report.html)

    if not mlflow:
        analyse()
        return
    from harness.tracking import mlflow_run

    with mlflow_run(run_name or f"eda-{Path(source).name}", experiment=experiment, tracking_uri=run_uri,
                    tags={"mmrl.kind": "eda", "mmrl.source": source}):
        analyse()


def register(app: typer.Typer) -> None:
    app.command(name="eda")(eda)
