"""`mmrl model ...`: build the offline tiny SmolVLM-architecture model."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from harness.defaults import DEFAULT_EVAL_FRACTION, DEFAULT_SPLIT_SEED, SAMPLE_SOURCE

model_app = typer.Typer(
    help="Build models the harness can use without the Hugging Face Hub.", no_args_is_help=True
)

console = Console()


@model_app.command("build-tiny")
def build_tiny(
    out: Path = typer.Option(
        None, "--out", "-o", help="Directory to save the model in (default: the harness cache)."
    ),
    seed: int = typer.Option(0, help="Seed for the random weights and the warm-up."),
    warmup_steps: int = typer.Option(
        0,
        "--warmup-steps",
        min=0,
        help="Supervised steps on 32 rows of the TRAIN split teaching \\boxed{} answers "
        "(200 = the demo build, ~30 s on 2 CPU cores); 0 keeps random weights.",
    ),
    source: str = typer.Option(
        SAMPLE_SOURCE, "--data", "-d", "--source",
        help="Data whose train split trains the tokenizer and the warm-up (--source: the older name).",
    ),
    eval_fraction: float = typer.Option(
        DEFAULT_EVAL_FRACTION, help="Held-out share of the split (must match the eval's)."
    ),
    split_seed: int = typer.Option(DEFAULT_SPLIT_SEED, help="Seed of the split (must match the eval's)."),
    prompt: str = typer.Option(None, help="Prompt the warm-up teaches (name or JSON mapping; default boxed): "
                               "the one training and evaluation will ask with."),
    force: bool = typer.Option(False, "--force", help="Rebuild even if the same build exists."),
) -> None:
    """Build a ~1M-parameter Idefics3 (SmolVLM v1 architecture) model with a locally trained tokenizer.

    The result loads with AutoModelForImageTextToText / AutoProcessor.from_pretrained(DIR) and
    `lm_eval --model hf-multimodal`. It is a tiny demo model, not SmolVLM's quality: even after the warm-up
    its held-out accuracy stays near zero; the warm-up gives it the answer format and some training answers.
    """
    from harness.data import prompt_spec
    from harness.data.errors import DataError
    from harness.models import build_tiny_vlm, read_build_info

    try:
        path = build_tiny_vlm(
            out,
            seed,
            warmup_steps=warmup_steps,
            source=source,
            eval_fraction=eval_fraction,
            split_seed=split_seed,
            prompt=prompt_spec(prompt),
            force=force,
        )
    except (DataError, FileExistsError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    info = read_build_info(path) or {}
    console.print(
        json.dumps(
            {k: info.get(k) for k in ("parameters", "seed", "train_rows", "warmup")}, indent=1
        )
    )
    typer.echo(
        str(path)
    )  # last line, plain: `$(mmrl model build-tiny | tail -1)` gives the directory


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
