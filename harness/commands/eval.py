"""`mmrl eval`: score a model on the held-out Open-MM-RL split with lm-eval and record it in MLflow."""

from __future__ import annotations

import logging
from pathlib import Path

import typer
from rich.console import Console

from harness.commands._common import (
    ALLOW_ABSOLUTE_OPTION,
    IMAGE_ROOT_OPTION,
    MAX_IMAGE_BYTES_OPTION,
    explain,
    fail,
    image_policy,
)

console = Console()
log = logging.getLogger(__name__)

TINY_MODEL = "tiny"
# The tiny model writes junk until it stops; 64 tokens hold a boxed answer and keep CPU evals quick.
TINY_GEN_KWARGS = "max_gen_toks=64"


def _resolve_model(model: str) -> tuple[str, bool]:
    """`tiny` -> the cached, warmed-up demo model (built on first use); returns (model, is_tiny_build)."""
    from harness.models import DEMO_WARMUP_STEPS, build_tiny_vlm, read_build_info

    if model == TINY_MODEL and not Path(model).exists():
        return str(build_tiny_vlm(warmup_steps=DEMO_WARMUP_STEPS)), True
    return model, Path(model).is_dir() and read_build_info(model) is not None


def eval_command(
    model: str = typer.Option(
        ...,
        "--model",
        "-m",
        help="Hub id (HuggingFaceTB/SmolVLM-256M-Instruct), local checkpoint directory, or 'tiny' (offline demo model, warmed up; built on first use).",
    ),
    data: str = typer.Option(
        None,
        "--data",
        "-d",
        envvar="MMRL_DATA_SOURCE",
        help="'sample' (offline), a hub id (default TuringEnterprises/Open-MM-RL) or a local parquet/jsonl/arrow file.",
    ),
    tiers: str = typer.Option(
        None,
        help="Comma-separated matching tiers to run, e.g. exact,numeric (ablations); default: the verifier's per-domain cascade.",
    ),
    limit: int = typer.Option(None, min=1, help="Evaluate at most N examples per domain."),
    batch_size: int = typer.Option(1, min=1, help="Generation batch size."),
    backend: str = typer.Option(
        "hf", help="'hf' (transformers, CPU/GPU) or 'vllm' (GPU, needs vLLM)."
    ),
    gen_kwargs: str = typer.Option(
        None,
        help="Generation overrides, e.g. 'max_gen_toks=256,temperature=0' (tiny model default: max_gen_toks=64).",
    ),
    eval_fraction: float = typer.Option(
        0.25, help="Held-out share of each domain in the deterministic split."
    ),
    split_seed: int = typer.Option(0, help="Seed of the deterministic split."),
    split: str = typer.Option(
        "eval", help="Which side to score: 'eval' (held out), 'train' or 'all'."
    ),
    revision: str = typer.Option(None, help="Hub dataset revision to pin."),
    max_images: int = typer.Option(
        None, min=1, help="At most N images per example (hf-multimodal's max_images)."
    ),
    device: str = typer.Option(
        None, help="Torch device for the hf backend (default: cuda if available, else cpu)."
    ),
    task: str = typer.Option(
        "open_mm_rl", help="lm-eval task: the open_mm_rl group or one task (open_mm_rl_all, ...)."
    ),
    output_dir: Path = typer.Option(
        Path("out/eval"), "--output-dir", "-o", help="Where lm-eval writes results and samples."
    ),
    mlflow: bool = typer.Option(True, "--mlflow/--no-mlflow", help="Record the run in MLflow."),
    tracking_uri: str = typer.Option(
        None, help="MLflow tracking URI (default: MLFLOW_TRACKING_URI or ./mlruns.db)."
    ),
    tracking_fallback: str = typer.Option(
        None, "--tracking-fallback",
        help="'local': record into the local SQLite store if the tracking store is unreachable or read-only.",
    ),
    image_root: Path = IMAGE_ROOT_OPTION,
    allow_absolute_image_paths: bool = ALLOW_ABSOLUTE_OPTION,
    max_image_bytes: int = MAX_IMAGE_BYTES_OPTION,
    fast_generation: bool = typer.Option(
        False, "--fast-generation/--no-fast-generation",
        help="Static KV cache, compiled decoding (on CUDA) and prompts padded to multiples of 64 tokens "
        "(an experiment's generation.fast); greedy outputs are unchanged.",
    ),
    experiment: str = typer.Option(None, help="MLflow experiment (default: open-mm-rl)."),
    run_name: str = typer.Option(None, help="MLflow run name."),
) -> None:
    """Run the open_mm_rl lm-eval task on MODEL and print accuracy per domain and matching tier.

    Writes lm-eval's results JSON and per-sample JSONL under OUTPUT_DIR, prints a domain × tier table with
    sample counts, standard errors and 95% intervals, and records params, metrics and files in MLflow.
    """
    from harness.data.errors import DataError
    from harness.evaluation import run_eval
    from harness.evaluation.table import print_eval_table
    from harness.fs import ensure_writable_dir
    from harness.tracking.eval_log import log_eval_result, write_summary
    from harness.training.config import ConfigError, check_model_reference

    tracking = None
    if mlflow:  # fail before the (long) evaluation, not after it; errors are one line (harness.commands._common)
        from harness.tracking import resolve_tracking_uri

        tracking = resolve_tracking_uri(tracking_uri, fallback=tracking_fallback, experiment=experiment)
    try:
        check_model_reference(model, where="--model")
    except ConfigError as exc:
        raise fail(str(exc)) from exc
    ensure_writable_dir(output_dir, what="eval output folder")
    policy = image_policy(image_root, allow_absolute_image_paths, max_image_bytes)
    try:
        model_ref, is_tiny = _resolve_model(model)
        if is_tiny and gen_kwargs is None:
            gen_kwargs = TINY_GEN_KWARGS
        result = run_eval(
            model_ref,
            data,
            tiers=tiers,
            limit=limit,
            batch_size=batch_size,
            backend=backend,
            output_dir=output_dir,
            gen_kwargs=gen_kwargs,
            eval_fraction=eval_fraction,
            seed=split_seed,
            split=split,
            revision=revision,
            task=task,
            max_images=max_images,
            device=device,
            image_root=policy.root,
            allow_absolute_image_paths=policy.allow_absolute,
            model_args={"fast_generation": {"fast": fast_generation}},
        )
    except (DataError, ValueError, OSError, RuntimeError) as exc:  # OSError: model not found / hub offline
        known = explain(exc)  # disk full, read-only, permission denied: exit 4 naming the path
        if known is not None:
            raise fail(*known) from exc
        raise fail(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc
    print_eval_table(result, console)
    summary, _ = write_summary(result)
    console.print(f"lm-eval results: {result.results_path}\nsummary: {summary}")
    if mlflow:
        run_id = log_eval_result(
            result, run_name=run_name, experiment=experiment, tracking_uri=tracking
        )
        console.print(f"MLflow run {run_id} ({tracking})")


def register(app: typer.Typer) -> None:
    app.command(name="eval")(eval_command)
