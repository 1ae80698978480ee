"""An offline, ~1M-parameter model with SmolVLM (v1) architecture, saved like a hub checkpoint.

lm-eval, TRL and the demo need a vision-language model without network access. This builds
`Idefics3ForConditionalGeneration` (SmolVLM v1's class) with a few small layers, a tokenizer trained on the
sample's train text, and a real `Idefics3Processor` (image processor, image tokens, SmolVLM chat template),
so `AutoModelForImageTextToText.from_pretrained(path)` / `AutoProcessor.from_pretrained(path)` and
`lm_eval --model hf-multimodal` load it exactly as they load `HuggingFaceTB/SmolVLM-256M-Instruct`.

It is a plumbing/demo model: its answers are near-random on held-out questions, even after the warm-up.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import (
    GenerationConfig,
    Idefics3Config,
    Idefics3ForConditionalGeneration,
    Idefics3Processor,
)

from harness.data import (
    DEFAULT_EVAL_FRACTION,
    DEFAULT_SPLIT_SEED,
    PromptSpec,
    fingerprint,
    load_dataset,
    split_dataset,
)
from harness.models.chat_template import SMOLVLM_CHAT_TEMPLATE
from harness.models.tokenizer import END_OF_UTTERANCE, IMAGE_TOKEN, train_tokenizer
from harness.models.warmup import TargetMix, WarmupReport, boxed_target, supervised_warmup, warmup_target
from harness.paths import cache_dir

log = logging.getLogger(__name__)

BUILD_FILE = "mmrl_build.json"
# Warm-up used by the demo (`mmrl eval --model tiny`) and GRPO smoke tests: under a minute on 2 CPU cores, after
# which about half of its 32 warm-up prompts get a right answer when sampled (greedy: more), in the target's
# form (harness.models.warmup.TargetMix); held-out accuracy stays near zero.
DEMO_WARMUP_STEPS = 200
# Bump when the build recipe changes so cached models are rebuilt.
BUILD_VERSION = 3  # 2: the warm-up asks the run's prompt (harness.data.prompt); 3: targets in mixed forms


@dataclass(frozen=True)
class TinyVLMSpec:
    """Sizes of the tiny model; the defaults give ~1M parameters and millisecond generation on CPU."""

    vocab_size: int = 2048
    text_hidden: int = 128
    text_intermediate: int = 256
    text_layers: int = 2
    text_heads: int = 4
    text_kv_heads: int = 2
    max_positions: int = 8192
    vision_hidden: int = 64
    vision_intermediate: int = 128
    vision_layers: int = 2
    vision_heads: int = 2
    image_size: int = 32
    patch_size: int = 8
    scale_factor: int = 2
    warmup_learning_rate: float = 3e-3
    warmup_batch_size: int = 4
    warmup_examples: int = 32
    # warm-up targets in the forms models write (harness.models.warmup.TargetMix): share in another equivalent
    # form of the gold, share on a final-answer line instead of the prompt's wrapper
    warmup_equivalent_share: float = 0.6
    warmup_unwrapped_share: float = 0.2

    @property
    def image_seq_len(self) -> int:
        """Idefics3 requires `(image_size // patch_size)**2 // scale_factor**2` image tokens per image."""
        return (self.image_size // self.patch_size) ** 2 // self.scale_factor**2


def _image_processor(spec: TinyVLMSpec) -> Any:
    # The PIL backend needs no torchvision; the default class falls back to it with a warning anyway.
    try:
        from transformers.models.idefics3.image_processing_pil_idefics3 import (
            Idefics3ImageProcessorPil as cls,
        )
    except ImportError:  # older transformers
        from transformers import Idefics3ImageProcessor as cls
    edge = {"longest_edge": spec.image_size}
    return cls(do_image_splitting=False, size=edge, max_image_size=edge)


def build_processor(texts: list[str], spec: TinyVLMSpec) -> Idefics3Processor:
    """Tokenizer trained on `texts` + Idefics3 image processor + SmolVLM chat template."""
    tokenizer = train_tokenizer(
        texts, vocab_size=spec.vocab_size, model_max_length=spec.max_positions
    )
    return Idefics3Processor(
        image_processor=_image_processor(spec),
        tokenizer=tokenizer,
        image_seq_len=spec.image_seq_len,
        chat_template=SMOLVLM_CHAT_TEMPLATE,
    )


def build_model(
    processor: Idefics3Processor, spec: TinyVLMSpec, seed: int
) -> Idefics3ForConditionalGeneration:
    """Randomly initialised Idefics3 whose config agrees with the processor (vocab, image token, sequence length)."""
    tokenizer = processor.tokenizer
    special = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.convert_tokens_to_ids(END_OF_UTTERANCE),
        "pad_token_id": tokenizer.pad_token_id,
    }
    config = Idefics3Config(
        vision_config={
            "hidden_size": spec.vision_hidden,
            "intermediate_size": spec.vision_intermediate,
            "num_hidden_layers": spec.vision_layers,
            "num_attention_heads": spec.vision_heads,
            "image_size": spec.image_size,
            "patch_size": spec.patch_size,
        },
        text_config={
            "model_type": "llama",
            "vocab_size": len(tokenizer),
            "hidden_size": spec.text_hidden,
            "intermediate_size": spec.text_intermediate,
            "num_hidden_layers": spec.text_layers,
            "num_attention_heads": spec.text_heads,
            "num_key_value_heads": spec.text_kv_heads,
            "max_position_embeddings": spec.max_positions,
            "rms_norm_eps": 1e-5,
            **special,
        },
        image_token_id=tokenizer.convert_tokens_to_ids(IMAGE_TOKEN),
        scale_factor=spec.scale_factor,
        **special,
    )
    torch.manual_seed(seed)
    model = Idefics3ForConditionalGeneration(config)
    model.generation_config = GenerationConfig(**special)
    model.eval()
    return model


def _training_split(source: str, eval_fraction: float, split_seed: int) -> Any:
    return split_dataset(load_dataset(source), eval_fraction=eval_fraction, seed=split_seed).train


def _build_key(spec: TinyVLMSpec, seed: int, warmup_steps: int, data_fingerprint: str, prompt: PromptSpec,
               dtype: torch.dtype = torch.float32) -> str:
    payload: dict[str, Any] = {
        "version": BUILD_VERSION,
        "spec": dataclasses.asdict(spec),
        "seed": seed,
        "warmup_steps": warmup_steps,
        "data": data_fingerprint,
        "prompt": prompt.to_dict(),
    }
    if dtype != torch.float32:  # fp32 builds keep the keys they had before dtypes were recorded
        payload["dtype"] = str(dtype)
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _read_build(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads((path / BUILD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def build_tiny_vlm(
    out_dir: str | os.PathLike | None = None,
    seed: int = 0,
    *,
    warmup_steps: int = 0,
    spec: TinyVLMSpec | None = None,
    source: str = "sample",
    eval_fraction: float = DEFAULT_EVAL_FRACTION,
    split_seed: int = DEFAULT_SPLIT_SEED,
    prompt: PromptSpec | None = None,
    force: bool = False,
    dtype: torch.dtype = torch.float32,
) -> Path:
    """Build (or reuse) the tiny model and return its directory, loadable with `from_pretrained`.

    The tokenizer and the optional warm-up use only the train side of `split_dataset(source, eval_fraction,
    split_seed)`, so evaluating on that split's eval side stays honest. Without `out_dir` the model lives in
    the harness cache under a key of (recipe, spec, seed, warm-up steps, training-data fingerprint, dtype); a
    directory already holding the same build is returned as is unless `force`. The warm-up runs in fp32; the
    weights are then saved in `dtype` (the experiment's training dtype), so evaluating the built model and the
    GRPO-trained one compares the same precision.
    """
    spec = spec or TinyVLMSpec()
    prompt = prompt or PromptSpec()
    train = _training_split(source, eval_fraction, split_seed)
    if len(train) == 0:
        raise ValueError(f"the train split of {source!r} is empty; cannot train a tokenizer")
    data_fp = fingerprint(train)
    key = _build_key(spec, seed, warmup_steps, data_fp, prompt, dtype)
    target = Path(out_dir) if out_dir is not None else cache_dir() / "models" / f"tiny-vlm-{key}"
    existing = _read_build(target)
    if existing is not None and existing.get("key") == key and not force:
        log.info("reusing tiny VLM build %s at %s", key, target)
        return target
    if target.exists() and any(target.iterdir()) and existing is None:
        raise FileExistsError(
            f"{target} exists and is not a tiny-VLM build; choose an empty or new directory"
        )

    rows = list(train)
    mix = TargetMix(spec.warmup_equivalent_share, spec.warmup_unwrapped_share, seed=seed)
    texts = [
        text
        for row in rows
        for text in (row["question"], row["answer"], boxed_target(row["answer"]), warmup_target(row, prompt, mix).text)
    ]
    texts.append(prompt.template)
    if prompt.system_prompt:
        texts.append(prompt.system_prompt)
    processor = build_processor(texts, spec)
    model = build_model(processor, spec, seed)
    report = (
        supervised_warmup(
            model,
            processor,
            rows,
            steps=warmup_steps,
            seed=seed,
            learning_rate=spec.warmup_learning_rate,
            batch_size=spec.warmup_batch_size,
            max_examples=spec.warmup_examples,
            prompt=prompt,
            mix=mix,
        )
        if warmup_steps > 0
        else WarmupReport(steps=0, examples=0, seconds=0.0)
    )
    model.to(dtype)
    build_info = {
        "key": key,
        "version": BUILD_VERSION,
        "seed": seed,
        "spec": dataclasses.asdict(spec),
        "parameters": sum(p.numel() for p in model.parameters()),
        "dtype": str(dtype).removeprefix("torch."),
        "source": source,
        "eval_fraction": eval_fraction,
        "split_seed": split_seed,
        "train_rows": len(rows),
        "train_fingerprint": data_fp,
        "prompt": prompt.to_dict(),
        "warmup": report.summary(),
        "note": "tiny demo model with SmolVLM's architecture; not SmolVLM's quality",
    }
    _save_atomically(model, processor, build_info, target)
    log.info("built tiny VLM (%d parameters) at %s", build_info["parameters"], target)
    return target


def _save_atomically(model: Any, processor: Any, build_info: dict[str, Any], target: Path) -> None:
    """Write into a sibling temp folder and rename, so a crash or a concurrent build never leaves half a model."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        model.save_pretrained(tmp)
        processor.save_pretrained(tmp)
        (tmp / BUILD_FILE).write_text(json.dumps(build_info, indent=1), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:
            # Another process finished the same build first; keep theirs if it is complete.
            if (_read_build(target) or {}).get("key") != build_info["key"]:
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_build_info(path: str | os.PathLike) -> dict[str, Any] | None:
    """The `mmrl_build.json` a tiny-model directory carries (None for other checkpoints)."""
    return _read_build(Path(path))
