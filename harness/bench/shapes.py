"""Named model shapes for benchmarks: random-init SmolVLM-architecture models built offline.

A user sizing a run needs the speed of the real architecture, not its weights: `smolvlm-256m` and
`smolvlm-500m` have the text decoder and vision encoder of SmolVLM-256M/500M-Instruct (SmolLM2-135M/360M and
the SigLIP-base tower at 512 px, patch 16, pixel-shuffle 4), built from `TinyVLMSpec` with the local 2k-token
tokenizer. They differ from the hub checkpoints in the vocabulary (2k entries instead of ~49k, so the
embedding and head are smaller) and in image splitting (one 512-px tile per image, 64 image tokens); for the
real thing pass `--model HuggingFaceTB/SmolVLM-256M-Instruct`.
"""

from __future__ import annotations

from pathlib import Path

import torch

from harness.models import TinyVLMSpec
from harness.paths import repo_root

_SIGLIP_BASE_512 = {
    "vision_hidden": 768, "vision_intermediate": 3072, "vision_layers": 12, "vision_heads": 12,
    "image_size": 512, "patch_size": 16, "scale_factor": 4,
}

SHAPES: dict[str, TinyVLMSpec] = {
    "tiny": TinyVLMSpec(),
    "smolvlm-256m": TinyVLMSpec(text_hidden=576, text_intermediate=1536, text_layers=30, text_heads=9,
                                text_kv_heads=3, **_SIGLIP_BASE_512),
    "smolvlm-500m": TinyVLMSpec(text_hidden=960, text_intermediate=2560, text_layers=32, text_heads=15,
                                text_kv_heads=5, **_SIGLIP_BASE_512),
}

# The experiment whose GRPO / eval settings a shape is benchmarked with unless --config says otherwise.
DEFAULT_CONFIGS = {
    "tiny": "demo.yaml",
    "smolvlm-256m": "smolvlm-256m.yaml",
    "smolvlm-500m": "smolvlm-500m.yaml",
}


def default_config(shape: str) -> Path:
    return repo_root() / "experiments" / DEFAULT_CONFIGS[shape]


def build_shape(shape: str, *, dtype: torch.dtype = torch.float32, source: str = "sample") -> Path:
    """The model folder of `shape` (built once, then reused from the harness cache), saved in `dtype`.

    No warm-up: speed does not depend on the weights, except through completion lengths (a random model
    rarely stops early, so it generates the full `max_completion_length`: the worst case).
    """
    from harness.models import build_tiny_vlm

    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; choose one of {', '.join(SHAPES)}")
    return build_tiny_vlm(spec=SHAPES[shape], warmup_steps=0, source=source, dtype=dtype)
