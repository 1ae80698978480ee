"""Mean reward of a model on a set of GRPO prompts: the honest check that training moved the reward.

lm-eval measures held-out accuracy; this measures what GRPO optimises (the weighted accuracy + format reward)
on the prompts it trained on, with greedy decoding, for the starting and the trained model alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch


@dataclass
class RewardProbe:
    model: str
    n: int
    mean_reward: float
    per_function: dict[str, float]

    def metrics(self, prefix: str = "") -> dict[str, float]:
        out = {f"{prefix}mean_reward": self.mean_reward, f"{prefix}n": float(self.n)}
        out.update({f"{prefix}reward/{k}": v for k, v in self.per_function.items()})
        return out


@torch.no_grad()
def probe_mean_reward(
    model_path: str,
    dataset: Any,
    reward_funcs: Sequence[Callable[..., list[float]]],
    weights: Sequence[float],
    *,
    limit: int = 16,
    max_new_tokens: int = 64,
    batch_size: int = 4,
    samples_per_prompt: int = 4,
    temperature: float = 1.0,
    seed: int = 0,
    device: str | None = None,
    generation: Any = None,
) -> RewardProbe:
    """Expected reward under the model's own sampling (what GRPO maximises), estimated with a fixed seed.

    `temperature=0` switches to greedy decoding (one sample per prompt). The model runs on `device` (default:
    the GPU when there is one) in the dtype it was saved in, so the probe costs seconds on a GPU rather than
    minutes on the CPU beside it. `generation`: a `harness.generation.FastGeneration` (static cache, compiled
    decoding, prompt buckets) or None.
    """
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from harness.generation import from_mapping, generate_kwargs, pad_left_to_bucket

    fast = from_mapping(generation)
    processor = AutoProcessor.from_pretrained(model_path)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = AutoModelForImageTextToText.from_pretrained(model_path, dtype="auto").to(device).eval()
    tokenizer = getattr(processor, "tokenizer", processor)
    tokenizer.padding_side = "left"
    image_token_id = getattr(model.config, "image_token_id", None)
    rows = [dataset[i] for i in range(min(limit, len(dataset)))]
    greedy = temperature <= 0
    repeats = 1 if greedy else max(1, samples_per_prompt)
    rows = [row for row in rows for _ in range(repeats)]
    torch.manual_seed(seed)
    completions: list[str] = []
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        texts = [processor.apply_chat_template(r["prompt"], add_generation_prompt=True) for r in batch]
        images = [r["images"] for r in batch]
        inputs = processor(text=texts, images=images, return_tensors="pt", padding=True)
        if fast.fast:
            pad_left_to_bucket(inputs, tokenizer.pad_token_id, fast.prompt_bucket)
        inputs = inputs.to(model.device)
        if "pixel_values" in inputs:  # the processor returns fp32 pixels; the vision tower wants the model's dtype
            inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
        sampling = {"do_sample": False} if greedy else {"do_sample": True, "temperature": temperature, "top_k": 0}
        out = model.generate(
            **inputs, max_new_tokens=max_new_tokens, **sampling,
            suppress_tokens=[image_token_id] if image_token_id is not None else None,
            **generate_kwargs(fast),
        )
        new_tokens = out[:, inputs["input_ids"].shape[1]:]
        completions.extend(tokenizer.batch_decode(new_tokens, skip_special_tokens=True))
    columns = {k: [r[k] for r in rows] for k in rows[0] if k not in ("images",)} if rows else {}
    total = [0.0] * len(rows)
    per_function: dict[str, float] = {}
    for fn, weight in zip(reward_funcs, weights):
        scores = fn(
            prompts=columns.get("prompt"),
            completions=completions,
            **{k: v for k, v in columns.items() if k != "prompt"},
        )
        scores = [0.0 if s is None else float(s) for s in scores]
        per_function[getattr(fn, "__name__", "reward")] = sum(scores) / max(1, len(scores))
        total = [t + weight * s for t, s in zip(total, scores)]
    return RewardProbe(
        model=model_path, n=len(rows), mean_reward=sum(total) / max(1, len(total)), per_function=per_function
    )
