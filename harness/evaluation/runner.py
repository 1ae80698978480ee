"""Run the `open_mm_rl` lm-eval task on a model and summarise it (`run_eval`).

The evaluation goes through lm-eval's own `simple_evaluate` and task files, so `mmrl eval`, the training
pipeline's baseline/re-evaluation and the stock `lm_eval` CLI score the same docs with the same prompt and
the same metrics. The split parameters are explicit arguments: the training pipeline passes the values it
trained with, and the result records the held-out ids and data fingerprint to prove which rows were scored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.evaluation.lm import make_lm
from harness.evaluation.results import EvalResult, summarize_samples
from harness.evaluation.taskdir import tasks_dir

log = logging.getLogger(__name__)

DEFAULT_TASK = "open_mm_rl"
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


def run_eval(
    model: Any,
    data_source: str | None = None,
    *,
    processor: Any = None,
    tiers: Sequence[str] | str | None = None,
    policy: Mapping[str, Any] | None = None,
    limit: int | None = None,
    batch_size: int = 1,
    backend: str = "hf",
    output_dir: str | Path = "eval_out",
    gen_kwargs: Mapping[str, Any] | str | None = None,
    eval_fraction: float | None = None,
    seed: int | None = None,
    split: str = "eval",
    revision: str | None = None,
    task: str = DEFAULT_TASK,
    max_images: int | None = None,
    device: str | None = None,
    model_args: Mapping[str, Any] | None = None,
    random_seed: int = 0,
    image_root: str | None = None,
    allow_absolute_image_paths: bool = False,
) -> EvalResult:
    """Evaluate `model` on the held-out side of `data_source` and write lm-eval's results and samples.

    `model`: hub id, local path, in-memory `PreTrainedModel` (give `processor` unless it can be reloaded from
    `model.name_or_path`), or a ready lm-eval `LM`. `data_source`: "sample", a hub id or a local file (None:
    the hub dataset, or `MMRL_DATA_SOURCE`). `eval_fraction`/`seed` pick the split (defaults 0.25 / 0); `split`
    is "eval" (held out), "train" or "all". `limit` caps the examples *per domain task*. `tiers` restricts the
    matching cascade (ablations); `policy` is the reward policy (`rewards.DomainPolicy.from_dict` mapping, the
    experiment YAML's `rewards.policy`). `gen_kwargs` override the task's generation settings, e.g. "max_gen_toks=64".
    `image_root` / `allow_absolute_image_paths`: where the source's relative image paths may point (see
    `harness.data.ImagePolicy`); the export of the same data must use the same values.
    """
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    from tasks.open_mm_rl.utils import TIER_NAMES, describe_rows, resolve_options

    options = resolve_options(
        {
            "source": data_source,
            "revision": revision,
            "tiers": tiers,
            "policy": policy,
            "eval_fraction": eval_fraction,
            "split_seed": seed,
            "split": split,
            "image_root": None if image_root is None else str(image_root),
            "allow_absolute_image_paths": allow_absolute_image_paths,
        }
    )
    described = describe_rows(options)
    task_names = select_tasks(task, described["domains"])
    metadata = {
        "source": options.source,
        "revision": options.revision,
        "tiers": ",".join(options.tiers) if options.tiers else "",
        "policy": options.policy,
        "eval_fraction": options.eval_fraction,
        "split_seed": options.split_seed,
        "split": options.split,
        "image_root": options.image_root or "",
        "allow_absolute_image_paths": options.allow_absolute_image_paths,
    }
    # Only our folder: indexing lm-eval's ~14k built-in task files would add ~12 s to every evaluation.
    task_manager = TaskManager(
        include_path=str(tasks_dir()), include_defaults=False, metadata=metadata
    )
    lm = make_lm(
        model,
        processor=processor,
        backend=backend,
        batch_size=batch_size,
        max_images=max_images,
        device=device,
        model_args=dict(model_args or {}),
    )
    label = _model_label(model)
    output_dir = Path(output_dir)
    tracker = EvaluationTracker(output_path=str(output_dir))
    overrides = _parse_gen_kwargs(gen_kwargs)

    start = time.perf_counter()
    results = simple_evaluate(
        model=lm,
        model_args={"pretrained": label},
        tasks=task_names,
        task_manager=task_manager,
        limit=limit,
        log_samples=True,
        apply_chat_template=True,
        gen_kwargs=overrides,
        evaluation_tracker=tracker,
        random_seed=random_seed,
        numpy_random_seed=random_seed,
        torch_random_seed=random_seed,
        fewshot_random_seed=random_seed,
    )
    seconds = time.perf_counter() - start
    if results is None:  # only non-zero ranks of a distributed run get None
        raise RuntimeError("lm-eval returned no results (not the main process?)")

    samples = results.pop("samples")
    overall, domains = summarize_samples(samples, TIER_NAMES)
    evaluated_ids = [
        str(s["doc"].get("id")) for task_samples in samples.values() for s in task_samples
    ]
    task_configs = results.get("configs", {})
    effective_gen = (
        next(iter(task_configs.values()), {}).get("generation_kwargs", {}) if task_configs else {}
    )

    tracker.save_results_aggregated(results=results, samples=samples)
    for task_name in results["configs"]:
        tracker.save_results_samples(task_name=task_name, samples=samples[task_name])
    written = output_dir / str(tracker.general_config_tracker.model_name_sanitized)
    results_path = written / f"results_{tracker.date_id}.json"

    generated_seconds = getattr(lm, "generation_seconds", None)
    return EvalResult(
        model=label,
        backend=backend,
        task=",".join(task_names),
        overall=overall,
        domains=domains,
        tiers=options.tiers,
        tier_names=TIER_NAMES,
        data={
            "source": options.source,
            "revision": options.revision,
            "split": options.split,
            "eval_fraction": options.eval_fraction,
            "split_seed": options.split_seed,
            "fingerprint": described["fingerprint"],
            "n_available": described["n"],
            "domains_available": described["domains"],
        },
        eval_ids=sorted(described["ids"]),
        evaluated_ids=evaluated_ids,
        gen_kwargs=dict(effective_gen),
        settings={
            "limit": limit,
            "batch_size": batch_size,
            "max_images": max_images,
            "apply_chat_template": True,
            "random_seed": random_seed,
            "reward_policy": options.policy or "default",
            "lm_eval_version": results.get("lm_eval_version") or _lm_eval_version(),
        },
        seconds=seconds,
        generation_seconds=generated_seconds if generated_seconds else None,
        output_dir=output_dir,
        results_path=results_path if results_path.exists() else None,
        samples_paths=sorted(written.glob(f"samples_*_{tracker.date_id}.jsonl")),
        lm_eval_results=results,
    )


def _lm_eval_version() -> str:
    from importlib.metadata import version

    return version("lm_eval")
