"""The one place an experiment config becomes an evaluation request.

The pipeline's baseline and re-evaluation and every ablation variant evaluate through `eval_request`, so they
score the same rows with the same prompt, policy and generation settings the config trains with.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.evaluation import EvalRequest
from harness.training.config import ExperimentConfig

#: every domain's docs in one lm-eval task: a config's data need not hold all four group domains
CONFIG_EVAL_TASK = "open_mm_rl_all"


def eval_request(
    cfg: ExperimentConfig,
    model: Any,
    output_dir: str | Path,
    *,
    tiers: Sequence[str] | None = None,
    split: str = "eval",
) -> EvalRequest:
    """`model` scored as `cfg` trains it: its data, split, prompt, reward policy and `eval:` settings.

    `tiers` overrides `cfg.rewards.tiers` (an ablation variant's tier set)."""
    e = cfg.eval
    d = cfg.data
    return EvalRequest(
        model=model,
        data=d.source,
        output_dir=output_dir,
        tiers=tuple(tiers) if tiers else (tuple(cfg.rewards.tiers) if cfg.rewards.tiers else None),
        policy=cfg.rewards.policy,
        prompt=cfg.prompt_spec(),
        limit=e.limit,
        batch_size=e.batch_size,
        backend=e.backend,
        gen_kwargs=e.gen_kwargs,
        eval_fraction=d.eval_fraction,
        split_seed=d.split_seed,
        split=split,
        revision=d.revision,
        task=CONFIG_EVAL_TASK,
        max_images=e.max_images,
        random_seed=cfg.seed,
        image_root=d.image_root,
        allow_absolute_image_paths=d.allow_absolute_image_paths,
        model_args={"fast_generation": cfg.generation},  # harness.generation: static cache, compiled decoding
    )
