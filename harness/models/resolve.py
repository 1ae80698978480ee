"""The one way a model reference becomes a loadable model: `tiny` builds (or reuses) the offline demo model.

Training, evaluation, EDA's token counts and reruns all resolve through here, so "tiny" means the same
build everywhere (same seed, warm-up and prompt give the same cached model).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from harness.data import PromptSpec
from harness.defaults import TINY_MODEL
from harness.models.tiny_vlm import DEMO_WARMUP_STEPS, build_tiny_vlm, read_build_info

#: the tiny model writes junk until it stops; 64 tokens hold a boxed answer and keep CPU evaluations quick
TINY_GEN_KWARGS = {"max_gen_toks": 64}


@dataclass(frozen=True)
class ResolvedModel:
    path: str
    #: a tiny-model build (ours, offline): callers give it short generation settings (`TINY_GEN_KWARGS`)
    tiny: bool


def resolve_model_reference(
    name_or_path: str,
    *,
    seed: int = 0,
    warmup_steps: int = DEMO_WARMUP_STEPS,
    prompt: PromptSpec | None = None,
    dtype: torch.dtype = torch.float32,
) -> ResolvedModel:
    """`tiny` (unless a folder of that name exists) → the cached tiny build; anything else is returned as given
    (a hub id or a local folder), flagged `tiny` when the folder is a tiny build. `dtype`: the tiny build is
    saved in it (training's dtype, so the baseline and the trained model are evaluated at one precision)."""
    if name_or_path == TINY_MODEL and not Path(name_or_path).exists():
        return ResolvedModel(
            str(build_tiny_vlm(seed=seed, warmup_steps=warmup_steps, prompt=prompt, dtype=dtype)), True
        )
    is_tiny = Path(name_or_path).is_dir() and read_build_info(name_or_path) is not None
    return ResolvedModel(str(name_or_path), is_tiny)
