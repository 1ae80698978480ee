"""Fast generation: a static KV cache, a compiled decoding step and prompt-length buckets.

Why: on a GPU the GRPO loop of the 256m config spent ~87% of each step generating, at 13% GPU utilisation,
because transformers' default (dynamic) cache launches hundreds of small kernels per token. transformers
compiles the decoding step when the cache is static (`cache_implementation="static"`), which removes most of
that overhead. A compiled step is specialised to its shapes, so prompts are padded to a multiple of
`prompt_bucket` tokens and the static cache is kept at the largest length seen (or `max_cache_len`): a run
compiles a few shapes, not one per batch.

One `FastGeneration` (the experiment YAML's `generation:` section) drives the three places that generate:
GRPO rollouts (TRL's `cache_implementation` / `pad_to_multiple_of` / `generation_kwargs`), the reward probe
(`model.generate`) and evaluation (lm-eval's hf-multimodal model, see `harness.evaluation.lm`). On CPU the
tiny demo model gains nothing from it (see the README's hardware table), so the demo leaves it off.

This module sits low (torch and transformers only) so evaluation and training can both use it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

COMPILE_CHOICES = ("gpu", "all", "off")


@dataclass
class FastGeneration:
    """The `generation:` section of an experiment YAML.

    fast: static KV cache + compiled decoding + prompt buckets for rollouts, probe and evaluation.
    prompt_bucket: prompts are left-padded to a multiple of this many tokens (fewer shapes to compile).
    max_cache_len: static cache length; None sizes it for the longest call so far (it only grows).
    compile: "gpu" compiles where transformers does by default (CUDA/XPU), "all" on CPU too (slower for
      the tiny demo: ~50 s of compilation and no faster steps), "off" keeps the static cache uncompiled.
    """

    fast: bool = False
    prompt_bucket: int = 64
    max_cache_len: int | None = None
    compile: str = "gpu"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def from_mapping(values: FastGeneration | dict[str, Any] | None) -> FastGeneration:
    """A `FastGeneration` from itself, a mapping (lm-eval model args, JSON) or None (off)."""
    if values is None:
        return FastGeneration()
    if isinstance(values, FastGeneration):
        return values
    return FastGeneration(**values)


def grpo_fields(gen: FastGeneration, grpo: dict[str, Any]) -> dict[str, Any]:
    """GRPOConfig fields that switch TRL's transformers rollouts to the static cache, under the YAML's own.

    A field the `grpo:` section sets itself wins; `generation_kwargs` are merged key by key. Empty when
    `fast` is off, or when vLLM generates (its own engine; `generation_kwargs` go to its sampling
    parameters), so the GRPOConfig is exactly what the YAML says.
    """
    if not gen.fast or grpo.get("use_vllm"):
        return {}
    fields: dict[str, Any] = {}
    if "cache_implementation" not in grpo:
        fields["cache_implementation"] = "static"
    if "pad_to_multiple_of" not in grpo:
        fields["pad_to_multiple_of"] = gen.prompt_bucket
    if gen.max_cache_len is not None:
        fields["generation_kwargs"] = {"max_cache_len": gen.max_cache_len, **(grpo.get("generation_kwargs") or {})}
    return fields


def compile_config(gen: FastGeneration) -> Any:
    """transformers' `CompileConfig` for the decoding step, or None where transformers' default applies."""
    if gen.compile != "all":
        return None
    from transformers import CompileConfig

    config = CompileConfig()
    # transformers compiles only on accelerators unless this (class-level, documented as internal) flag is set
    config._compile_all_devices = True
    return config


def enable_compiled_decoding(generation_config: Any, gen: FastGeneration) -> None:
    """Let `generate` compile the decoding step with this `GenerationConfig`.

    TRL 1.16 builds its rollout config as `GenerationConfig(**generation_kwargs, disable_compile=True)`, a
    keyword that `generation_kwargs` cannot override (a duplicate keyword is a TypeError), so a static cache
    alone would run uncompiled. We flip the flag on the trainer's config after construction.
    """
    if not gen.fast:
        return
    generation_config.disable_compile = gen.compile == "off"
    config = compile_config(gen)
    if config is not None:
        generation_config.compile_config = config


def generate_kwargs(gen: FastGeneration) -> dict[str, Any]:
    """Keyword arguments for a direct `model.generate` call (the reward probe, evaluation)."""
    if not gen.fast:
        return {}
    kwargs: dict[str, Any] = {"cache_implementation": "static", "disable_compile": gen.compile == "off"}
    if gen.max_cache_len is not None:
        kwargs["max_cache_len"] = gen.max_cache_len
    config = compile_config(gen)
    if config is not None:
        kwargs["compile_config"] = config
    return kwargs


def pad_left_to_bucket(inputs: Any, pad_token_id: int, bucket: int | None) -> Any:
    """Left-pad `input_ids` / `attention_mask` (and any per-token field) to a multiple of `bucket`, in place.

    Left padding keeps the last prompt token at the end, where generation continues; padded positions are
    masked, so outputs are the same as with the batch's own padding.
    """
    import torch

    if not bucket or bucket <= 1:
        return inputs
    ids = inputs["input_ids"]
    length = ids.shape[1]
    extra = (-length) % bucket
    if extra == 0:
        return inputs
    for key in list(inputs.keys()):
        value = inputs[key]
        if not isinstance(value, torch.Tensor) or value.dim() != 2 or value.shape[1] != length:
            continue
        fill = pad_token_id if key == "input_ids" else 0
        pad = torch.full((value.shape[0], extra), fill, dtype=value.dtype, device=value.device)
        inputs[key] = torch.cat([pad, value], dim=1)
    return inputs
