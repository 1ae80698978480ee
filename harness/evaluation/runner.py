"""Run the `open_mm_rl` lm-eval task on a model and summarise it (`run_eval`).

The evaluation goes through lm-eval's own `simple_evaluate` and task files, so `mmrl eval`, the training
pipeline's baseline/re-evaluation and the stock `lm_eval` CLI score the same docs with the same prompt and
the same metrics. Everything is in one `EvalRequest`; the result records the held-out ids and the data
fingerprint to prove which rows were scored, and the request itself (`EvalResult.request`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.data import HUB_DATASET, EvalSelection, describe_eval_rows
from harness.evaluation.lm import make_lm
from harness.evaluation.request import DEFAULT_TASK, EvalRequest
from harness.evaluation.results import EvalResult, summarize_samples
from harness.evaluation.taskdir import tasks_dir
from rewards import TIER_NAMES

log = logging.getLogger(__name__)

GROUP_DOMAINS = ("Math", "Physics", "Chemistry", "Biology")


def _model_label(model: Any) -> str:
    if isinstance(model, (str, Path)):
        return str(model)
    name = getattr(model, "name_or_path", "") or getattr(
        getattr(model, "config", None), "_name_or_path", ""
    )
    return str(name) or type(model).__name__


def select_tasks(task: str, domain_counts: Mapping[str, int]) -> list[str]:
    """The lm-eval tasks that cover `task` on this data: lm-eval cannot run a task without docs.

    The group needs all four domains; with fewer, run the per-domain tasks present; with rows of other
    domains, run `open_mm_rl_all` (the summary still breaks results down by each doc's domain).
    """
    if task != DEFAULT_TASK:
        return [task]
    present = {domain for domain, n in domain_counts.items() if n > 0}
    outside = sorted(present - set(GROUP_DOMAINS))
    if outside:
        log.warning(
            "domains %s are not in the %s group: evaluating open_mm_rl_all instead",
            outside,
            DEFAULT_TASK,
        )
        return ["open_mm_rl_all"]
    if present == set(GROUP_DOMAINS):
        return [DEFAULT_TASK]
    chosen = [f"open_mm_rl_{domain.lower()}" for domain in GROUP_DOMAINS if domain in present]
    log.info("the data has only %s: evaluating %s", sorted(present), chosen)
    return chosen


def _parse_gen_kwargs(gen_kwargs: Mapping[str, Any] | str | None) -> dict[str, Any] | None:
    if gen_kwargs is None or gen_kwargs == "":
        return None
    if isinstance(gen_kwargs, str):
        from lm_eval.utils import simple_parse_args_string

        return simple_parse_args_string(gen_kwargs)
    return dict(gen_kwargs)


def run_eval(request: EvalRequest) -> EvalResult:
    """Evaluate `request.model` as `request` says and write lm-eval's results and per-sample logs."""
    source = request.data or os.environ.get("MMRL_DATA_SOURCE") or HUB_DATASET
    selection = request.selection(source)
    described = describe_eval_rows(selection)
    task_names = select_tasks(request.task, described["domains"])
    lm = make_lm(
        request.model, processor=request.processor, backend=request.backend, batch_size=request.batch_size,
        max_images=request.max_images, device=request.device, model_args=dict(request.model_args or {}),
    )
    run = _run_lm_eval(request, lm, task_names, request.task_metadata(source))
    return _result(request, selection, described, task_names, run, lm)


@dataclass
class _LmEvalRun:
    results: dict[str, Any]
    samples: dict[str, list[dict[str, Any]]]
    seconds: float
    results_path: Path
    samples_paths: list[Path]


def _git_describe_quietly() -> str | None:
    """lm-eval's `get_git_commit_hash` (`git describe --always` in the working directory) without its noise.

    lm-eval runs git with stderr inherited, so outside a checkout every evaluation printed
    `fatal: not a git repository`; the value it records is the same (the hash, or None).
    """
    try:
        out = subprocess.run(["git", "describe", "--always"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


@contextlib.contextmanager
def _quiet_git_hash() -> Iterator[None]:
    """Swap lm-eval's git lookup for the quiet one while `simple_evaluate` runs (it imports the function into
    `lm_eval.evaluator`, so that is the name to replace)."""
    import lm_eval.evaluator

    original = lm_eval.evaluator.get_git_commit_hash
    lm_eval.evaluator.get_git_commit_hash = _git_describe_quietly
    try:
        yield
    finally:
        lm_eval.evaluator.get_git_commit_hash = original


def _run_lm_eval(request: EvalRequest, lm: Any, task_names: list[str], metadata: dict[str, Any]) -> _LmEvalRun:
    """lm-eval's own `simple_evaluate` on our task folder, outputs written as its CLI writes them."""
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    # Only our folder: indexing lm-eval's ~14k built-in task files would add ~12 s to every evaluation.
    task_manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False, metadata=metadata)
    output_dir = Path(request.output_dir)
    tracker = EvaluationTracker(output_path=str(output_dir))
    seed = request.random_seed
    start = time.perf_counter()
    with _quiet_git_hash():
        results = simple_evaluate(
            model=lm,
            model_args={"pretrained": _model_label(request.model)},
            tasks=task_names,
            task_manager=task_manager,
            limit=request.limit,
            log_samples=True,
            apply_chat_template=True,
            system_instruction=request.prompt.system_prompt,
            gen_kwargs=_parse_gen_kwargs(request.gen_kwargs),
            evaluation_tracker=tracker,
            random_seed=seed,
            numpy_random_seed=seed,
            torch_random_seed=seed,
            fewshot_random_seed=seed,
        )
    seconds = time.perf_counter() - start
    if results is None:  # only non-zero ranks of a distributed run get None
        raise RuntimeError("lm-eval returned no results (not the main process?)")
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)
    for task_name in results["configs"]:
        tracker.save_results_samples(task_name=task_name, samples=samples[task_name])
    written = output_dir / str(tracker.general_config_tracker.model_name_sanitized)
    return _LmEvalRun(results, samples, seconds, written / f"results_{tracker.date_id}.json",
                      sorted(written.glob(f"samples_*_{tracker.date_id}.jsonl")))


def _result(request: EvalRequest, selection: EvalSelection, described: dict[str, Any], task_names: list[str],
            run: _LmEvalRun, lm: Any) -> EvalResult:
    overall, domains = summarize_samples(run.samples, TIER_NAMES)
    task_configs = run.results.get("configs", {})
    effective_gen = next(iter(task_configs.values()), {}).get("generation_kwargs", {}) if task_configs else {}
    generated_seconds = getattr(lm, "generation_seconds", None)
    return EvalResult(
        model=_model_label(request.model),
        backend=request.backend,
        task=",".join(task_names),
        overall=overall,
        domains=domains,
        tiers=request.tiers,
        tier_names=TIER_NAMES,
        data={
            "source": selection.source,
            "revision": selection.revision,
            "split": selection.split,
            "eval_fraction": selection.eval_fraction,
            "split_seed": selection.split_seed,
            "fingerprint": described["fingerprint"],
            "n_available": described["n"],
            "domains_available": described["domains"],
        },
        eval_ids=sorted(described["ids"]),
        evaluated_ids=[str(s["doc"].get("id")) for task_samples in run.samples.values() for s in task_samples],
        gen_kwargs=dict(effective_gen),
        settings={
            "limit": request.limit,
            "batch_size": request.batch_size,
            "max_images": request.max_images,
            "apply_chat_template": True,
            "random_seed": request.random_seed,
            "lm_eval_version": run.results.get("lm_eval_version") or _lm_eval_version(),
        },
        request=request.with_(data=selection.source).record(),
        seconds=run.seconds,
        generation_seconds=generated_seconds if generated_seconds else None,
        output_dir=Path(request.output_dir),
        results_path=run.results_path if run.results_path.exists() else None,
        samples_paths=run.samples_paths,
        lm_eval_results=run.results,
    )


def _lm_eval_version() -> str:
    from importlib.metadata import version

    return version("lm_eval")
