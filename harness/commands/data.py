"""`mmrl data ...`: look at a source and map its images to disk."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

data_app = typer.Typer(help="Inspect datasets and map their images to a content-addressed store.", no_args_is_help=True)
console = Console()

SOURCE_HELP = "'sample' (bundled offline sample), a hub id (TuringEnterprises/Open-MM-RL) or a local parquet/jsonl/arrow file or folder."


@data_app.command("info")
def info(
    source: str = typer.Argument("sample", help=SOURCE_HELP),
    split: str = typer.Option("train", help="Split to load."),
    revision: str = typer.Option(None, help="Hub revision (commit, tag or branch) to pin."),
) -> None:
    """Print rows, columns, detected image columns and the domain mix of SOURCE."""
    from harness.data import fingerprint
    from harness.data.errors import DataError
    from harness.data.normalize import find_image_columns, normalize
    from harness.data.sources import load_raw

    try:
        raw, base_dir = load_raw(source, split=split, revision=revision)
        image_columns = find_image_columns(raw)
        ds = normalize(raw, base_dir=base_dir, source_name=source)
    except DataError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    table = Table(title=f"{source} ({split})", show_header=False)
    table.add_row("rows", str(len(ds)))
    table.add_row("source columns", ", ".join(raw.column_names))
    table.add_row("image columns (detected)", ", ".join(image_columns))
    table.add_row("canonical columns", ", ".join(ds.column_names))
    table.add_row("fingerprint", fingerprint(ds))
    n_images = [len(x) for x in ds["images"]]
    table.add_row("images", f"{sum(n_images)} ({min(n_images)}–{max(n_images)} per row)")
    console.print(table)
    for column in ("domain", "format"):
        counts = Counter(ds[column])
        t = Table(title=column)
        t.add_column(column)
        t.add_column("rows", justify="right")
        t.add_column("share", justify="right")
        for value, n in counts.most_common():
            t.add_row(value, str(n), f"{n / len(ds):.1%}")
        console.print(t)


@data_app.command("materialize")
def materialize(
    source: str = typer.Argument("sample", help=SOURCE_HELP),
    out: Path = typer.Option(..., "--out", "-o", help="Root of the image store; receives <sha[:2]>/<sha>.<ext> files."),
    split: str = typer.Option("train", help="Split to load."),
    revision: str = typer.Option(None, help="Hub revision to pin."),
    batch_size: int = typer.Option(64, help="Rows per batch (bounds memory)."),
) -> None:
    """Write every distinct image of SOURCE once to OUT and save the path-mapped records as OUT/records.jsonl."""
    from tqdm import tqdm

    from harness.data import load_dataset, materialize_images
    from harness.data.errors import DataError

    try:
        ds = load_dataset(source, split=split, revision=revision)
    except DataError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    with tqdm(total=len(ds), unit="row", desc="materialising") as bar:
        result = materialize_images(ds, out, batch_size=batch_size, on_row=bar.update)
    result.dataset.to_json(str(out / "records.jsonl"), lines=True, force_ascii=False)
    summary = result.summary()
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    console.print_json(data=summary)
    if result.rejected:
        console.print(f"[yellow]{len(result.rejected)} rows rejected; see {out / 'rejected.jsonl'}[/yellow]")


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
