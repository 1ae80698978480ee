"""What one evaluation is asked to do: the single object `run_eval` takes, and what every eval run records.

`EvalRequest.record()` is the flat, string-valued form written as the run's params; `from_record` reads it
back, so `mmrl rerun` and the leaderboard read one schema instead of guessing parameter names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import rewards
from harness.data import (
    DEFAULT_EVAL_FRACTION,
    DEFAULT_SPLIT_SEED,
    EvalSelection,
    PromptSpec,
    prompt_spec,
)

DEFAULT_TASK = "open_mm_rl"


@dataclass
class EvalRequest:
    """One evaluation: the model, the rows (source + split), the prompt, the scoring and the generation.

    `model`: hub id, local path, in-memory `PreTrainedModel` (give `processor` unless it can be reloaded from
    `model.name_or_path`) or a ready lm-eval `LM`. `data`: "sample", a hub id or a local file (None: the hub
    dataset, or `MMRL_DATA_SOURCE`). `split` is "eval" (held out), "train" or "all". `limit` caps the examples
    *per domain task*. `tiers` restricts the matching cascade (ablations); `policy` is the reward policy
    (the experiment YAML's `rewards.policy`); `prompt` a `PromptSpec`, a prompt name or mapping.
    `gen_kwargs` override the task's generation settings (`"max_gen_toks=64"` or a mapping).
    `image_root`/`allow_absolute_image_paths`: where relative image paths may point (`harness.data.ImagePolicy`).
    """

    model: Any
    data: str | None = None
    output_dir: str | Path = "eval_out"
    processor: Any = None
    tiers: tuple[str, ...] | None = None
    policy: Mapping[str, Any] | None = None
    prompt: PromptSpec = field(default_factory=PromptSpec)
    limit: int | None = None
    batch_size: int = 1
    backend: str = "hf"
    gen_kwargs: Mapping[str, Any] | str | None = None
    eval_fraction: float = DEFAULT_EVAL_FRACTION
    split_seed: int = DEFAULT_SPLIT_SEED
    split: str = "eval"
    revision: str | None = None
    task: str = DEFAULT_TASK
    max_images: int | None = None
    device: str | None = None
    model_args: Mapping[str, Any] | None = None
    random_seed: int = 0
    image_root: str | None = None
    allow_absolute_image_paths: bool = False

    def __post_init__(self) -> None:
        self.tiers = rewards.parse_tiers(self.tiers)
        self.prompt = prompt_spec(self.prompt)
        rewards.policy_json(self.policy)  # validate now, not inside lm-eval
        if self.image_root is not None:
            self.image_root = str(self.image_root)

    def selection(self, default_source: str) -> EvalSelection:
        return EvalSelection(self.data or default_source, self.revision, self.eval_fraction, self.split_seed,
                             self.split, self.image_root, self.allow_absolute_image_paths)

    def task_metadata(self, source: str) -> dict[str, Any]:
        """What the lm-eval task reads (`tasks/open_mm_rl/utils.py: resolve_options`)."""
        return {
            "source": source,
            "revision": self.revision,
            "tiers": ",".join(self.tiers) if self.tiers else "",
            "policy": rewards.policy_json(self.policy),
            "prompt": self.prompt.to_json(),
            "eval_fraction": self.eval_fraction,
            "split_seed": self.split_seed,
            "split": self.split,
            "image_root": self.image_root or "",
            "allow_absolute_image_paths": self.allow_absolute_image_paths,
        }

    def record(self) -> dict[str, str]:
        """The settings as run params (strings): enough to repeat the evaluation (`from_record`)."""
        gen = self.gen_kwargs
        return {
            "data_source": str(self.data or ""),
            "data_revision": self.revision or "",
            "data_split": self.split,
            "eval_fraction": str(self.eval_fraction),
            "split_seed": str(self.split_seed),
            "tiers": ",".join(self.tiers) if self.tiers else "",
            "reward_policy": rewards.policy_json(self.policy) or "default",
            "prompt": self.prompt.to_json(),
            "prompt_name": self.prompt.name,
            "limit": "" if self.limit is None else str(self.limit),
            "batch_size": str(self.batch_size),
            "backend": self.backend,
            "task": self.task,
            "max_images": "" if self.max_images is None else str(self.max_images),
            "random_seed": str(self.random_seed),
            "request_gen_kwargs": json.dumps(gen, sort_keys=True) if isinstance(gen, Mapping) else (gen or ""),
            "image_root": self.image_root or "",
            "allow_absolute_image_paths": str(self.allow_absolute_image_paths).lower(),
        }

    @classmethod
    def from_record(cls, params: Mapping[str, str], *, model: Any, output_dir: str | Path) -> EvalRequest:
        """The request a recorded eval run was made with (the inverse of `record`)."""

        def get(key: str, default: str = "") -> str:
            value = params.get(key)
            return default if value is None else str(value)

        gen = get("request_gen_kwargs")
        policy = get("reward_policy")
        return cls(
            model=model,
            data=get("data_source") or None,
            output_dir=output_dir,
            tiers=get("tiers") or None,
            policy=None if policy in ("", "default") else json.loads(policy),
            prompt=get("prompt") or None,
            limit=int(get("limit")) if get("limit") else None,
            batch_size=int(get("batch_size", "1") or 1),
            backend=get("backend", "hf") or "hf",
            gen_kwargs=(json.loads(gen) if gen.startswith("{") else gen) or None,
            eval_fraction=float(get("eval_fraction", str(DEFAULT_EVAL_FRACTION))),
            split_seed=int(get("split_seed", str(DEFAULT_SPLIT_SEED))),
            split=get("data_split", "eval") or "eval",
            revision=get("data_revision") or None,
            task=get("task", DEFAULT_TASK) or DEFAULT_TASK,
            max_images=int(get("max_images")) if get("max_images") else None,
            random_seed=int(get("random_seed", "0") or 0),
            image_root=get("image_root") or None,
            allow_absolute_image_paths=get("allow_absolute_image_paths") == "true",
        )

    def with_(self, **changes: Any) -> EvalRequest:
        return replace(self, **changes)
