"""`mmrl data ...`: look at a source and map its images to disk."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

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

data_app = typer.Typer(help="Inspect datasets and map their images to a content-addressed store.", no_args_is_help=True)
console = Console()

@data_app.command("info")
def info(
    positional: str = SOURCE_ARGUMENT,
    data: str = DATA_OPTION,
    split: str = typer.Option("train", help="Split to load."),
    revision: str = typer.Option(None, help="Hub revision (commit, tag or branch) to pin."),
    image_root: Path = IMAGE_ROOT_OPTION,
    allow_absolute_image_paths: bool = ALLOW_ABSOLUTE_OPTION,
) -> None:
    """Print rows, columns, detected image columns, the domain mix, and rows the loader rejected."""
    from harness.data import fingerprint, load_source
    from harness.data.normalize import find_image_columns

    source = resolve_source(data, positional)
    policy = image_policy(image_root, allow_absolute_image_paths, None)
    loaded = load_source(source, split=split, revision=revision, images=policy)
    ds, raw = loaded.dataset, loaded.raw
    image_columns = find_image_columns(raw)
    table = Table(title=f"{source} ({split})", show_header=False)
    table.add_row("rows", str(len(ds)))
    table.add_row("source columns", ", ".join(raw.column_names))
    table.add_row("image columns (detected)", ", ".join(image_columns))
    table.add_row("canonical columns", ", ".join(ds.column_names))
    table.add_row("fingerprint", fingerprint(ds))
    n_images, refused = _image_counts(ds)
    table.add_row("images", f"{sum(n_images)} ({min(n_images)}–{max(n_images)} per row)" if n_images else "0")
    if refused:
        table.add_row("image paths refused", ", ".join(f"{n} {reason}" for reason, n in sorted(refused.items())))
    reasons = Counter(r["reason"] for r in loaded.rejected)
    table.add_row("rows rejected", ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items())) or "0")
    console.print(table)
    for item in loaded.rejected[:10]:
        console.print(f"[yellow]rejected[/yellow] {item['reason']}: {item['detail']}", highlight=False)
    if len(loaded.rejected) > 10:
        console.print(f"[yellow]... and {len(loaded.rejected) - 10} more[/yellow]")
    for column in ("domain", "format"):
        counts = Counter(ds[column])
        t = Table(title=column)
        t.add_column(column)
        t.add_column("rows", justify="right")
        t.add_column("share", justify="right")
        for value, n in counts.most_common():
            t.add_row(value, str(n), f"{n / len(ds):.1%}")
        console.print(t)


def _image_counts(ds) -> tuple[list[int], Counter]:
    """Images per row and refused image paths by reason, reading the path column only (never image bytes)."""
    import pyarrow.compute as pc

    from harness.data.image_access import parse_refused

    per_row: list[int] = []
    refused: Counter = Counter()
    for batch in ds.select_columns(["images"]).with_format("arrow").iter(batch_size=1024):
        column = batch.column("images")
        per_row.extend(pc.fill_null(pc.list_value_length(column), 0).to_pylist())
        for path in pc.struct_field(pc.list_flatten(column), "path").to_pylist():
            parsed = parse_refused(path) if path else None
            if parsed is not None:
                refused[parsed[0]] += 1
    return per_row, refused


@data_app.command("materialize")
def materialize(
    positional: str = SOURCE_ARGUMENT,
    data: str = DATA_OPTION,
    out: Path = typer.Option(..., "--out", "-o", help="Root of the image store; receives <sha[:2]>/<sha>.<ext> files."),
    split: str = typer.Option("train", help="Split to load."),
    revision: str = typer.Option(None, help="Hub revision to pin."),
    batch_size: int = typer.Option(64, help="Rows per batch (bounds memory)."),
    image_root: Path = IMAGE_ROOT_OPTION,
    allow_absolute_image_paths: bool = ALLOW_ABSOLUTE_OPTION,
    max_image_bytes: int = MAX_IMAGE_BYTES_OPTION,
) -> None:
    """Write every distinct image of the source once to OUT and save the path-mapped records as OUT/records.jsonl."""
    from tqdm import tqdm

    from harness.data import load_source, materialize_images
    from harness.fs import atomic_target, ensure_writable_dir, write_text_atomic

    source = resolve_source(data, positional)
    ensure_writable_dir(out, what="image store")
    policy = image_policy(image_root, allow_absolute_image_paths, max_image_bytes)
    loaded = load_source(source, split=split, revision=revision, images=policy)
    with tqdm(total=len(loaded.dataset), unit="row", desc="materialising") as bar:
        result = materialize_images(loaded.dataset, out, batch_size=batch_size, on_row=bar.update,
                                    prior_rejections=loaded.rejected)
    with atomic_target(out / "records.jsonl") as tmp:
        result.dataset.to_json(str(tmp), lines=True, force_ascii=False)
    summary = result.summary()
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2))
    console.print_json(data=summary)
    if result.rejected:
        console.print(f"[yellow]{len(result.rejected)} rows rejected; see {out / 'rejected.jsonl'}[/yellow]")


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
