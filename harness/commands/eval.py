"""`mmrl eval`: score a model on the held-out Open-MM-RL split with lm-eval and record it in MLflow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
from harness.defaults import DEFAULT_EVAL_FRACTION as EVAL_FRACTION
from harness.defaults import DEFAULT_SPLIT_SEED as SPLIT_SEED

console = Console()

ModelOpt = Annotated[str, typer.Option(
    "--model", "-m", help="Hub id (HuggingFaceTB/SmolVLM-256M-Instruct), local checkpoint directory, or 'tiny' "
    "(offline demo model, warmed up; built on first use).")]
DataOpt = Annotated[str | None, typer.Option(
    "--data", "-d", envvar="MMRL_DATA_SOURCE",
    help="'sample' (offline), a hub id (default TuringEnterprises/Open-MM-RL) or a local parquet/jsonl/arrow file.")]
TiersOpt = Annotated[str | None, typer.Option(
    help="Comma-separated matching tiers to run, e.g. exact,numeric (ablations); default: the per-domain policy.")]
PromptOpt = Annotated[str | None, typer.Option(
    help="Prompt: a name (boxed, think-boxed, answer-tags; default boxed) or a JSON mapping "
    '{"template": "...{question}...", "system_prompt": "..."}; use the one the model was trained with.')]
GenOpt = Annotated[str | None, typer.Option(
    help="Generation overrides, e.g. 'max_gen_toks=256,temperature=0' (tiny model default: max_gen_toks=64).")]
TrackingUriOpt = Annotated[str | None, typer.Option(
    help="MLflow tracking URI (default: MLFLOW_TRACKING_URI or ./mlruns.db).")]
FallbackOpt = Annotated[str | None, typer.Option(
    "--tracking-fallback",
    help="'local': record into the local SQLite store if the tracking store is unreachable or read-only.")]


def eval_command(
    model: ModelOpt,
    data: DataOpt = None,
    tiers: TiersOpt = None,
    prompt: PromptOpt = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Evaluate at most N examples per domain.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Generation batch size.")] = 1,
    backend: Annotated[str, typer.Option(help="'hf' (transformers, CPU/GPU) or 'vllm' (GPU, needs vLLM).")] = "hf",
    gen_kwargs: GenOpt = None,
    eval_fraction: Annotated[float, typer.Option(help="Held-out share of each domain in the split.")] = EVAL_FRACTION,
    split_seed: Annotated[int, typer.Option(help="Seed of the deterministic split.")] = SPLIT_SEED,
    split: Annotated[str, typer.Option(help="Which side to score: 'eval' (held out), 'train' or 'all'.")] = "eval",
    revision: Annotated[str | None, typer.Option(help="Hub dataset revision to pin.")] = None,
    max_images: Annotated[int | None, typer.Option(min=1, help="At most N images per example.")] = None,
    device: Annotated[str | None, typer.Option(help="Torch device (default: cuda if available, else cpu).")] = None,
    task: Annotated[str, typer.Option(help="lm-eval task: the open_mm_rl group or one of its tasks.")] = "open_mm_rl",
    output_dir: Annotated[Path, typer.Option(
        "--out", "--output-dir", "-o", help="Where lm-eval writes (--output-dir: the older name).")] = Path("out/eval"),
    mlflow: Annotated[bool, typer.Option("--mlflow/--no-mlflow", help="Record the run in MLflow.")] = True,
    tracking_uri: TrackingUriOpt = None,
    tracking_fallback: FallbackOpt = None,
    image_root: Path = IMAGE_ROOT_OPTION,
    allow_absolute_image_paths: bool = ALLOW_ABSOLUTE_OPTION,
    max_image_bytes: int = MAX_IMAGE_BYTES_OPTION,
    fast_generation: Annotated[bool, typer.Option(
        "--fast-generation/--no-fast-generation",
        help="Static KV cache, compiled decoding (on CUDA) and prompts padded to multiples of 64 tokens "
        "(an experiment's generation.fast); greedy outputs are unchanged.",
    )] = False,
    experiment: Annotated[str | None, typer.Option(help="MLflow experiment (default: open-mm-rl).")] = None,
    run_name: Annotated[str | None, typer.Option(help="MLflow run name.")] = None,
) -> None:
    """Run the open_mm_rl lm-eval task on MODEL and print accuracy per domain and matching tier.

    Writes lm-eval's results JSON and per-sample JSONL under OUT, prints a domain × tier table with
    sample counts, standard errors and 95% intervals, and records params, metrics and files in MLflow.
    """
    from harness.evaluation import EvalRequest, run_eval
    from harness.evaluation.table import print_eval_table
    from harness.fs import ensure_writable_dir
    from harness.tracking.eval_log import record_evaluation, write_summary
    from harness.training.config import check_model_reference

    tracking = _tracking(tracking_uri, tracking_fallback, experiment) if mlflow else None  # before the long part
    check_model_reference(model, where="--model")
    ensure_writable_dir(output_dir, what="eval output folder")
    policy = image_policy(image_root, allow_absolute_image_paths, max_image_bytes)
    with _one_line_errors():
        resolved = _resolve(model, prompt)
        request = EvalRequest(
            model=resolved.path, data=data, output_dir=output_dir, tiers=tiers, prompt=prompt, limit=limit,
            batch_size=batch_size, backend=backend, eval_fraction=eval_fraction, split_seed=split_seed, split=split,
            gen_kwargs=gen_kwargs if gen_kwargs is not None or not resolved.tiny else _tiny_gen_kwargs(),
            revision=revision, task=task, max_images=max_images, device=device, image_root=policy.root,
            allow_absolute_image_paths=policy.allow_absolute,
            model_args={"fast_generation": {"fast": fast_generation}},
        )
        result = run_eval(request)
    print_eval_table(result, console)
    summary, _ = write_summary(result)
    # paths unwrapped (soft_wrap), so they can be copied whole from a narrow terminal
    console.print(f"lm-eval results: {result.results_path}\nsummary: {summary}", soft_wrap=True, highlight=False)
    if mlflow:
        run_id = record_evaluation(result, run_name=run_name, experiment=experiment, tracking_uri=tracking)
        console.print(f"MLflow run {run_id} ({tracking})", soft_wrap=True, highlight=False)


def _tracking(uri: str | None, fallback: str | None, experiment: str | None) -> str:
    from harness.tracking import resolve_tracking_uri

    return resolve_tracking_uri(uri, fallback=fallback, experiment=experiment)


def _resolve(model: str, prompt: str | None):
    """`tiny` → the cached demo build, warmed up on the prompt it will be asked with."""
    from harness.data import prompt_spec
    from harness.models import resolve_model_reference

    return resolve_model_reference(model, prompt=prompt_spec(prompt))


def _tiny_gen_kwargs() -> dict[str, int]:
    from harness.models import TINY_GEN_KWARGS

    return dict(TINY_GEN_KWARGS)


class _one_line_errors:
    """Bad data, a missing model or an offline hub: one line and an exit code, not a traceback."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        from harness.data.errors import DataError

        if exc is None or not isinstance(exc, (DataError, ValueError, OSError, RuntimeError)):
            return False
        known = explain(exc)  # disk full, read-only, permission denied: exit 4 naming the path
        if known is not None:
            raise fail(*known) from exc
        raise fail(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc


def register(app: typer.Typer) -> None:
    app.command(name="eval")(eval_command)
