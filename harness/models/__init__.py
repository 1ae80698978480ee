"""Models the harness can build offline: a tiny SmolVLM-architecture VLM for tests, demos and CI."""

from harness.models.chat_template import SMOLVLM_CHAT_TEMPLATE, user_content
from harness.models.resolve import (
    TINY_GEN_KWARGS,
    TINY_MODEL,
    ResolvedModel,
    resolve_model_reference,
)
from harness.models.tiny_vlm import (
    DEMO_WARMUP_STEPS,
    TinyVLMSpec,
    build_model,
    build_processor,
    build_tiny_vlm,
    read_build_info,
)
from harness.models.tokenizer import train_tokenizer
from harness.models.warmup import (
    GOLD_ONLY,
    TargetMix,
    WarmupReport,
    WarmupTarget,
    boxed_target,
    prompt_messages,
    supervised_warmup,
    warmup_target,
)

__all__ = [
    "DEMO_WARMUP_STEPS",
    "GOLD_ONLY",
    "SMOLVLM_CHAT_TEMPLATE",
    "TINY_MODEL",
    "ResolvedModel",
    "TINY_GEN_KWARGS",
    "TargetMix",
    "TinyVLMSpec",
    "WarmupReport",
    "WarmupTarget",
    "boxed_target",
    "build_model",
    "build_processor",
    "build_tiny_vlm",
    "prompt_messages",
    "read_build_info",
    "resolve_model_reference",
    "supervised_warmup",
    "train_tokenizer",
    "user_content",
    "warmup_target",
]
