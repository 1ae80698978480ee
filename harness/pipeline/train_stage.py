"""GRPO training wired to MLflow: reward hit counters, I/O counters and completion samples → the callback."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.tracking.callback import MlflowGRPOCallback
from harness.tracking.store import use_experiment
from harness.training.config import ExperimentConfig
from harness.training.grpo import TrainResult, build_reward_funcs, train
from harness.training.samples import CompletionRecorder

log = logging.getLogger(__name__)


def export_data(cfg: ExperimentConfig, data_dir: Path) -> dict[str, Any]:
    """GRPO export of both sides of the split (idempotent: unchanged input gives byte-identical files)."""
    from harness.grpo_data import export_grpo, read_manifest

    export_grpo(
        cfg.data.source, data_dir, fmt="trl", splits=("train", "eval"), revision=cfg.data.revision,
        eval_fraction=cfg.data.eval_fraction, seed=cfg.data.split_seed, prompt=cfg.prompt_spec(),
        image_root=cfg.data.image_root, allow_absolute_image_paths=cfg.data.allow_absolute_image_paths,
    )
    return read_manifest(data_dir)


def run_training(
    cfg: ExperimentConfig, data_dir: Path, *, model: str | None = None, resume: bool | str = False
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
    result = train(cfg, data_dir, model=model, callbacks=[callback], reward_funcs=funcs, resume=resume)
    result.io = callback.io_summary()  # for the comparison report: did training wait on images?
    return result


@dataclass
class TrainJob:
    """A finished `mmrl train`: the trained model and, on the main process, the MLflow run it recorded into."""

    result: TrainResult
    run_id: str | None
    num_processes: int


def _process_state():
    """accelerate's process state, CPU-only where there is no GPU (the first construction decides it)."""
    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def is_main_process() -> bool:
    return _process_state().is_main_process


def run_train_job(cfg: ExperimentConfig, *, tracking_uri: str | None, resume: bool = False,
                  tags: dict[str, str] | None = None) -> TrainJob:
    """Export the data and train, recorded as one `mmrl.kind=train` run (config, provenance, prompt, params).

    Under `accelerate launch` every process calls this: only the main one checks, exports and records;
    `tracking_uri` must be a resolved store (`harness.tracking.resolve_tracking_uri`) on the main process.
    """
    import contextlib

    import mlflow

    from harness.fs import ensure_writable_dir
    from harness.tracking import log_params_safe
    from harness.tracking.provenance import log_prompt, log_provenance
    from harness.training.config import check_model_reference

    state = _process_state()
    data_dir = Path(cfg.output_dir) / "data"
    fingerprint = None
    if state.is_main_process:
        check_model_reference(cfg.model.name_or_path)
        ensure_writable_dir(cfg.output_dir, what="output_dir")
        fingerprint = export_data(cfg, data_dir).get("fingerprint")
    state.wait_for_everyone()
    run_context: Any = contextlib.nullcontext()
    if state.is_main_process:
        use_experiment(cfg.tracking.experiment, tracking_uri)
        run_context = mlflow.start_run(run_name=f"train-{cfg.name}", tags={"mmrl.kind": "train", **(tags or {})})
    with run_context as run:
        if state.is_main_process:
            log_provenance(cfg.to_yaml(), cfg.config_hash(), {"seed": cfg.seed, "name": cfg.name,
                                                              "num_processes": state.num_processes,
                                                              "data_fingerprint": fingerprint})
            log_prompt(cfg.prompt_spec().to_dict())
            log_params_safe({f"grpo.{k}": v for k, v in cfg.grpo.items()} | {
                "model": cfg.model.name_or_path, "tiers": ",".join(cfg.rewards.tiers or []),
                "reward_policy": json.dumps(cfg.rewards.policy, sort_keys=True) if cfg.rewards.policy else "default",
                "format_weight": cfg.rewards.format_weight})
        result = run_training(cfg, data_dir, resume=resume)
    return TrainJob(result, run.info.run_id if state.is_main_process else None, state.num_processes)
