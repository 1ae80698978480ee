"""Build the lm-eval model object for a hub id, a local path or an in-memory model.

lm-eval 0.4.13's `HFMultimodalLM` accepts an in-memory `PreTrainedModel` but then reloads the processor from
`model.name_or_path`, and passing `tokenizer=<processor object>` crashes (its `_create_tokenizer` returns the
processor instead of storing it). `ProcessorAwareHFMultimodalLM` stores a given processor, times the
generation calls and counts the generated tokens so eval throughput can be reported, and applies the
experiment's fast-generation settings (`harness.generation`: static cache, compiled decoding, prompt buckets).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import transformers
from lm_eval.api.model import LM
from lm_eval.models.hf_vlms import HFMultimodalLM

from harness.generation import from_mapping, generate_kwargs, pad_left_to_bucket

log = logging.getLogger(__name__)

BACKENDS = ("hf", "vllm")


class ProcessorAwareHFMultimodalLM(HFMultimodalLM):
    """`hf-multimodal` that takes a processor object, records time spent generating and tokens generated, and
    generates with a static cache and prompt buckets when `fast_generation` asks for it."""

    def __init__(self, *args: Any, fast_generation: Any = None, **kwargs: Any) -> None:
        self.generation_seconds = 0.0
        self.generated = 0
        self.generated_tokens = 0
        self.generate_calls: list[tuple[float, int, int]] = []  # (seconds, new tokens, rows) per batch
        self.fast_generation = from_mapping(fast_generation)
        super().__init__(*args, **kwargs)

    def _create_tokenizer(self, pretrained: Any, tokenizer: Any, *args: Any, **kwargs: Any) -> None:
        if tokenizer is not None and not isinstance(tokenizer, str):
            if not isinstance(tokenizer, transformers.ProcessorMixin):
                raise TypeError(
                    f"expected a transformers processor, got {type(tokenizer).__name__}"
                )
            self.processor = tokenizer
            self.tokenizer = tokenizer.tokenizer
            return
        if (
            tokenizer is None
            and not isinstance(pretrained, str)
            and not getattr(pretrained, "name_or_path", "")
        ):
            raise ValueError(
                "an in-memory model without `name_or_path` needs its processor: pass processor=... to run_eval"
            )
        super()._create_tokenizer(pretrained, tokenizer, *args, **kwargs)

    def tok_batch_multimodal_encode(self, *args: Any, **kwargs: Any) -> Any:
        encoding = super().tok_batch_multimodal_encode(*args, **kwargs)
        if self.fast_generation.fast:  # few prompt lengths, so the compiled decoding step sees few shapes
            pad_left_to_bucket(encoding, self.tokenizer.pad_token_id, self.fast_generation.prompt_bucket)
        return encoding

    def _model_multimodal_generate(self, inputs: Any, max_length: int, stop: Any, **generation_kwargs: Any) -> Any:
        generation_kwargs = {**generate_kwargs(self.fast_generation), **generation_kwargs}
        start = time.perf_counter()
        out = super()._model_multimodal_generate(inputs, max_length, stop, **generation_kwargs)
        new = out[:, inputs["input_ids"].shape[1]:]
        pad = self.tokenizer.pad_token_id
        tokens = int((new != pad).sum()) if pad is not None else new.numel()  # .sum() waits for the GPU
        self.generated_tokens += tokens
        self.generate_calls.append((time.perf_counter() - start, tokens, int(out.shape[0])))
        return out

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        start = time.perf_counter()
        out = super().generate_until(requests, disable_tqdm=disable_tqdm)
        self.generation_seconds += time.perf_counter() - start
        self.generated += len(requests)
        return out


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def make_lm(
    model: Any,
    *,
    processor: Any = None,
    backend: str = "hf",
    batch_size: int = 1,
    max_images: int | None = None,
    device: str | None = None,
    model_args: dict[str, Any] | None = None,
) -> LM:
    """The lm-eval LM for `model` (hub id, path, or `PreTrainedModel`) on the chosen backend."""
    if isinstance(model, LM):
        return model
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    extra = dict(model_args or {})
    fast_generation = extra.pop("fast_generation", None)  # ours (harness.generation), not an lm-eval argument
    if max_images is not None:
        extra["max_images"] = max_images
    if backend == "vllm":
        if not isinstance(model, str):
            raise ValueError(
                "the vllm backend loads models by name or path: save the model and pass its directory"
            )
        try:
            from lm_eval.models.vllm_vlms import VLLM_VLM
        except ImportError as exc:  # vllm is an optional GPU dependency
            raise RuntimeError(
                "backend 'vllm' needs vLLM: pip install 'lm-eval[vllm]' on a GPU machine"
            ) from exc
        return VLLM_VLM(pretrained=model, batch_size=batch_size, **extra)
    return ProcessorAwareHFMultimodalLM(
        pretrained=model,
        tokenizer=processor,
        batch_size=batch_size,
        device=device or default_device(),
        fast_generation=fast_generation,
        **extra,
    )
