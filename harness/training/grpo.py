"""GRPO training with a stock `trl.GRPOTrainer` on the GRPO export.

Our job here is wiring, not re-implementing: the export's lazy loader supplies prompts and disk images, the
`rewards` library supplies the reward functions, and the experiment YAML's `grpo:` section becomes the
`GRPOConfig`. Defaults are chosen for the machine actually present (CPU: fp32, no gradient checkpointing).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from harness.generation import enable_compiled_decoding, grpo_fields
from harness.training.config import ExperimentConfig
from harness.training.progress import use_progress_bar

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    model_dir: Path
    checkpoint_dir: Path
    global_step: int
    log_history: list[dict[str, Any]] = field(default_factory=list)
    train_ids: list[str] = field(default_factory=list)
    #: data loading during training (`MlflowGRPOCallback.io_summary`), filled by the caller that measured it
    io: dict[str, float] = field(default_factory=dict)


def resolve_model(cfg: ExperimentConfig) -> str:
    """Hub id or path of the starting model; "tiny" builds (or reuses) the offline demo model.

    The tiny model is saved in the dtype GRPO trains in, so the baseline and the trained model (which TRL
    saves in that dtype) are evaluated at the same precision.
    """
    from harness.models import resolve_model_reference

    return resolve_model_reference(cfg.model.name_or_path, seed=cfg.model.tiny_seed,
                                   warmup_steps=cfg.model.tiny_warmup_steps, prompt=cfg.prompt_spec(),
                                   dtype=config_dtype(cfg)).path


def config_dtype(cfg: ExperimentConfig) -> torch.dtype:
    """The dtype the policy is loaded, trained and saved in: bf16 when `grpo.bf16` (default: on a GPU that supports
    it, the rule `grpo_args` applies), else fp32 (fp16 is mixed precision over fp32 weights)."""
    cuda = torch.cuda.is_available()
    if cfg.grpo.get("bf16", bool(cuda and torch.cuda.is_bf16_supported())) and not cfg.grpo.get("fp16"):
        return torch.bfloat16
    return torch.float32


def grpo_args(cfg: ExperimentConfig, checkpoint_dir: Path):
    """GRPOConfig from the YAML section, over defaults that fit this device."""
    from trl import GRPOConfig

    cuda = torch.cuda.is_available()
    defaults: dict[str, Any] = {
        "output_dir": str(checkpoint_dir),
        "seed": cfg.seed,
        "report_to": "none",  # our MLflow callback logs TRL's metrics plus tier and I/O metrics
        "logging_steps": 1,
        "save_strategy": "steps",
        "save_steps": 10,
        "use_cpu": not cuda,
        "bf16": bool(cuda and torch.cuda.is_bf16_supported()),
        "activation_checkpointing": cuda,  # transformers 5's name; `gradient_checkpointing` is its deprecated alias
        "reward_weights": [cfg.rewards.accuracy_weight, cfg.rewards.format_weight],
        "dataloader_num_workers": 0,
        "disable_tqdm": True,
    }
    values = {**defaults, **cfg.grpo}
    if "gradient_checkpointing" in cfg.grpo:  # the YAML may use the old name: pass it under the new one, no warning
        values["activation_checkpointing"] = values.pop("gradient_checkpointing")
    values.update(grpo_fields(cfg.generation, cfg.grpo))  # static cache + prompt buckets when generation.fast
    values["output_dir"] = str(checkpoint_dir)
    return GRPOConfig(**values)


class VLLMPromptExpansionError(RuntimeError):
    """TRL would send processor-expanded image tokens to vLLM (TRL issue 6294): rollouts come back garbage."""


def trl_feeds_vllm_unexpanded_prompts() -> bool:
    """True when the installed TRL carries the fix for TRL issue 6294 (a separate un-expanded vLLM prompt track)."""
    import inspect

    from trl import GRPOTrainer

    try:
        source = inspect.getsource(GRPOTrainer)
    except (OSError, TypeError):
        return False
    return "vllm_prompt_ids" in source


def check_vllm_vlm_prompts(args: Any, model_path: str) -> None:
    """Refuse GRPO + vLLM on an image model when TRL would double-expand `<image>` tokens.

    With SmolVLM/Idefics3, TRL up to at least 1.16 hands vLLM prompt ids in which each `<image>` is already
    expanded to its image-token block; vLLM expands them again and generations are garbage, silently. Set
    `MMRL_ALLOW_VLLM_VLM=1` once your TRL carries the fix (PRs 6718/6719) or you patched it.
    """
    if not getattr(args, "use_vllm", False) or os.environ.get("MMRL_ALLOW_VLLM_VLM") == "1":
        return
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(model_path)
    is_vlm = getattr(config, "vision_config", None) is not None or getattr(config, "image_token_id", None) is not None
    if is_vlm and not trl_feeds_vllm_unexpanded_prompts():
        import trl

        raise VLLMPromptExpansionError(
            f"use_vllm=True with the vision-language model {model_path} on trl {trl.__version__}: this TRL sends "
            "processor-expanded image tokens to vLLM (huggingface/trl#6294), which corrupts every rollout. "
            "Use use_vllm: false (transformers generation), or a TRL with the fix (PRs 6718/6719) and set "
            "MMRL_ALLOW_VLLM_VLM=1."
        )


def build_reward_funcs(cfg: ExperimentConfig) -> list:
    """Accuracy (tier cascade under the domain policy, or fixed tiers for ablations) and format rewards."""
    import rewards
    from harness.training.config import reward_policy

    accuracy = rewards.make_reward_func(tiers=cfg.rewards.tiers, policy=reward_policy(cfg))
    fmt = rewards.make_format_reward()
    return [accuracy, fmt]


def training_dataset(cfg: ExperimentConfig, data_dir: str | os.PathLike, model_path: str):
    """The GRPO prompts: the export's train split, optionally narrowed to the warm-up examples and capped.

    `data.train_subset: warmup` keeps only the prompts the tiny model was warmed up on: a ~1M-parameter model
    cannot solve unseen problems, so GRPO on the demo can only sharpen answers the warm-up half-learned.
    """
    from harness.grpo_data import load_grpo_dataset

    ds = load_grpo_dataset(data_dir, "train")
    if cfg.data.train_subset == "warmup":
        from harness.models import read_build_info

        info = read_build_info(model_path) or {}
        keep = set((info.get("warmup") or {}).get("example_ids") or [])
        if not keep:
            raise ValueError(f"data.train_subset=warmup but {model_path} records no warm-up examples")
        ds = ds.select([i for i, row_id in enumerate(ds["id"]) if row_id in keep])
    elif cfg.data.train_subset not in (None, "all"):
        raise ValueError(f"data.train_subset must be 'all' or 'warmup', got {cfg.data.train_subset!r}")
    if cfg.data.train_limit:
        ds = ds.select(range(min(cfg.data.train_limit, len(ds))))
    return ds


def last_checkpoint(checkpoint_dir: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    if not checkpoint_dir.is_dir():
        return None
    return get_last_checkpoint(str(checkpoint_dir))


def train(
    cfg: ExperimentConfig,
    data_dir: str | os.PathLike,
    *,
    model: str | None = None,
    callbacks: list | None = None,
    reward_funcs: list | None = None,
    resume: bool | str = False,
) -> TrainResult:
    """Run GRPO on `data_dir/train.jsonl` (the export); save the final model next to the checkpoints.

    `resume=True` (the user's `--resume`) continues from the last checkpoint and warns when there is none;
    `resume="auto"` (the pipeline, which reruns interrupted stages) continues from one if present, silently.
    """
    from transformers import AutoModelForImageTextToText, AutoProcessor
    from trl import GRPOTrainer

    out = Path(cfg.output_dir)
    checkpoint_dir = out / "checkpoints"
    model_path = model or resolve_model(cfg)
    train_ds = training_dataset(cfg, data_dir, model_path)
    args = grpo_args(cfg, checkpoint_dir)
    check_vllm_vlm_prompts(args, model_path)
    processor = AutoProcessor.from_pretrained(model_path)
    peft_config = None
    if cfg.lora.enabled:
        from peft import LoraConfig

        peft_config = LoraConfig(
            r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
            target_modules=cfg.lora.target_modules, task_type="CAUSAL_LM",
        )
    dtype = torch.bfloat16 if args.bf16 else torch.float32
    policy = AutoModelForImageTextToText.from_pretrained(model_path, dtype=dtype)
    # With beta > 0 TRL rebuilds the reference model from this name: it must point at the saved directory.
    policy.config._name_or_path = model_path
    trainer = GRPOTrainer(
        model=policy,
        reward_funcs=reward_funcs or build_reward_funcs(cfg),
        args=args,
        train_dataset=train_ds,
        processing_class=processor,
        callbacks=callbacks or [],
        peft_config=peft_config,
    )
    if not args.use_vllm:
        enable_compiled_decoding(trainer.generation_config, cfg.generation)
    # A bar with reward/acc/loss/s-per-step instead of one raw dict per step; `mmrl -v` keeps the raw dicts.
    use_progress_bar(trainer, raw_logs=log.isEnabledFor(logging.DEBUG))
    resume_from = last_checkpoint(checkpoint_dir) if resume else None
    if resume is True and resume_from is None:
        log.warning("--resume given but no checkpoint under %s; starting from step 0", checkpoint_dir)
    trainer.train(resume_from_checkpoint=resume_from)
    final_dir = out / "final"
    if trainer.accelerator.is_main_process:
        if peft_config is not None:
            # Keep the adapter, and save a merged full model so evaluation loads `final` like any checkpoint.
            trainer.save_model(str(out / "final-adapter"))
            merged = trainer.accelerator.unwrap_model(trainer.model).merge_and_unload()
            merged.save_pretrained(str(final_dir))
        else:
            trainer.save_model(str(final_dir))
        processor.save_pretrained(str(final_dir))
    return TrainResult(
        model_dir=final_dir,
        checkpoint_dir=checkpoint_dir,
        global_step=trainer.state.global_step,
        log_history=list(trainer.state.log_history),
        train_ids=list(train_ds["id"]) if "id" in train_ds.column_names else [],
    )
