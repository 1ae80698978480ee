"""GRPO training wired to MLflow: reward hit counters, I/O counters and completion samples → the callback."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from harness.tracking.callback import MlflowGRPOCallback
from harness.training.config import ExperimentConfig
from harness.training.grpo import TrainResult, build_reward_funcs, train
from harness.training.samples import CompletionRecorder

log = logging.getLogger(__name__)


def export_data(cfg: ExperimentConfig, data_dir: Path) -> dict[str, Any]:
    """GRPO export of both sides of the split (idempotent: unchanged input gives byte-identical files)."""
    from harness.grpo_data import export_grpo, read_manifest

    export_grpo(
        cfg.data.source, data_dir, fmt="trl", splits=("train", "eval"), revision=cfg.data.revision,
        eval_fraction=cfg.data.eval_fraction, seed=cfg.data.split_seed, system_prompt=cfg.data.system_prompt,
        image_root=cfg.data.image_root, allow_absolute_image_paths=cfg.data.allow_absolute_image_paths,
    )
    return read_manifest(data_dir)


def run_training(
    cfg: ExperimentConfig, data_dir: Path, *, model: str | None = None, resume: bool = False
) -> TrainResult:
    """Train inside the caller's active MLflow run (if any)."""
    from harness.grpo_data import get_io_stats
    from harness.training.config import reward_policy

    recorder = CompletionRecorder(maxlen=cfg.logging.completions_per_log, tiers=cfg.rewards.tiers,
                                  policy=reward_policy(cfg))
    accuracy, fmt = build_reward_funcs(cfg)
    funcs = [recorder.wrap(accuracy), fmt]
    reward_stats = {getattr(f, "__name__", f"reward{i}"): getattr(f, "stats", None) for i, f in enumerate(funcs)}
    callback = MlflowGRPOCallback(
        reward_stats={k: v for k, v in reward_stats.items() if v is not None},
        io_stats=get_io_stats(),
        completion_samples=recorder.samples,
        completions_every=cfg.logging.completions_every,
    )
    return train(cfg, data_dir, model=model, callbacks=[callback], reward_funcs=funcs, resume=resume)
