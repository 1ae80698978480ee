"""`mmrl export`: write a source as GRPO training files (TRL JSONL or verl parquet) with images on disk."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from harness.commands._common import (
    ALLOW_ABSOLUTE_OPTION,
    IMAGE_ROOT_OPTION,
    MAX_IMAGE_BYTES_OPTION,
    DataOpt,
    SourceArg,
    err_console,
    fail,
    image_policy,
    resolve_source,
)
from harness.defaults import DEFAULT_EVAL_FRACTION, DEFAULT_SPLIT_SEED

console = Console()

def export(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Export directory: <split>.jsonl|parquet, images/, manifest.json.")
    ],
    positional: SourceArg = None,
    data: DataOpt = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f",
            help="'trl': JSONL with image paths for TRL's GRPOTrainer; "
            "'verl': parquet in the verl/EasyR1 geo3k schema.",
        ),
    ] = "trl",
    split: Annotated[
        str, typer.Option("--split", help="Side of the deterministic train/eval split to write: train, eval or all.")
    ] = "all",
    eval_fraction: Annotated[float, typer.Option(help="Share of every domain held out for eval.")] = (
        DEFAULT_EVAL_FRACTION),
    split_seed: Annotated[int, typer.Option(
        "--split-seed", help="Seed of the hash-based split (same seed, same split).")] = DEFAULT_SPLIT_SEED,
    seed: Annotated[int | None, typer.Option(
        "--seed", hidden=True, help="Deprecated alias of --split-seed (the split seed is --split-seed everywhere).",
    )] = None,
    prompt: Annotated[
        str | None,
        typer.Option(
            help="The prompt: a name (boxed, think-boxed, answer-tags; default boxed, what evaluation asks) or a "
            'JSON mapping {"template": "...{question}...", "system_prompt": "..."}.'
        ),
    ] = None,
    system_prompt: Annotated[
        str | None, typer.Option(help="System message prepended to every prompt (overrides the prompt's own).")
    ] = None,
    revision: Annotated[str | None, typer.Option(help="Hub revision (commit, tag or branch) to pin.")] = None,
    batch_size: Annotated[int, typer.Option(help="Rows read per batch (bounds memory).")] = 64,
    relative_paths: Annotated[
        bool,
        typer.Option(
            "--relative-paths",
            help="TRL JSONL: image paths relative to the export folder (to move it) instead of absolute ones "
            "(stock TRL from any directory). load_grpo_dataset reads either.",
        ),
    ] = False,
    image_root: Path = IMAGE_ROOT_OPTION,
    allow_absolute_image_paths: bool = ALLOW_ABSOLUTE_OPTION,
    max_image_bytes: int = MAX_IMAGE_BYTES_OPTION,
) -> None:
    """Export a data source for GRPO: <split> files, a content-addressed images/, rejected.jsonl and manifest.json.

    Deterministic (same input, byte-identical output) and streaming. Resumable: rerun the same command after an
    interruption; images already written are reused, and manifest.json appears only when everything is done.
    """
    from tqdm import tqdm

    from harness.data import prompt_spec
    from harness.data.errors import DataError
    from harness.grpo_data import export_grpo

    source = resolve_source(data, positional)
    if seed is not None:
        if split_seed != DEFAULT_SPLIT_SEED and split_seed != seed:
            raise fail(f"--seed {seed} and --split-seed {split_seed} disagree; --seed is the old name of --split-seed")
        err_console.print("[yellow]warning:[/yellow] `mmrl export --seed` is deprecated; use --split-seed "
                          "(the name every command uses for the split seed)", highlight=False)
        split_seed = seed
    policy = image_policy(image_root, allow_absolute_image_paths, max_image_bytes)
    try:
        spec = prompt_spec(prompt)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if system_prompt is not None:
        spec = dataclasses.replace(spec, system_prompt=system_prompt or None)
    try:
        with tqdm(unit="row", desc=f"exporting ({fmt})") as bar:
            result = export_grpo(
                source,
                out,
                fmt=fmt,
                splits=split,
                eval_fraction=eval_fraction,
                seed=split_seed,
                prompt=spec,
                revision=revision,
                batch_size=batch_size,
                on_row=bar.update,
                image_root=policy.root,
                allow_absolute_image_paths=policy.allow_absolute,
                relative_paths=relative_paths,
            )
    except (DataError, ValueError) as exc:
        raise fail(str(exc)) from exc
    console.print_json(data=result.summary())
    if result.rejected:
        console.print(f"[yellow]{len(result.rejected)} rows rejected; see {out / 'rejected.jsonl'}[/yellow]")


def register(app: typer.Typer) -> None:
    app.command(name="export")(export)
