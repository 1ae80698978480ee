"""Short supervised warm-up that teaches a model to answer training prompts as `\\boxed{...}`.

A randomly initialised model never produces a correct boxed answer, so every GRPO group gets reward 0, the
advantages are all zero and nothing is learned. A few hundred cheap steps on the *train* side of the split
(never the eval side) give the tiny demo model the answer format and some correct answers on training
prompts. It does not make the model good at the task: held-out accuracy stays near zero.

The targets are written the way models really write answers, not only the way the dataset does (`TargetMix`):
a seeded share of them uses another equivalent form of the gold (`rewards.mutations.equivalent_forms`: a
decimal for a fraction, `1/8` for `\\frac{1}{8}`, `x = 5`, `(B)`, reordered terms, ...) and a share is written
on a final-answer line instead of inside the prompt's answer wrapper. A model warmed up on the gold's own
spelling only would make every tier after `exact` idle, and a tier ablation on it would say nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from harness.data import PromptSpec, open_image
from rewards.mutations import equivalent_forms

log = logging.getLogger(__name__)

_DELIMITERS = re.compile(r"^\s*(\\\[|\\\(|\$\$|\$)\s*|\s*(\\\]|\\\)|\$\$|\$)\s*$")


def boxed_target(gold: str) -> str:
    """The gold's own spelling without its math delimiters, inside `\\boxed{}` (`TargetMix` varies it)."""
    core = gold.replace("\r\n", "\n").strip()
    previous = None
    while previous != core:
        previous = core
        core = _DELIMITERS.sub("", core).strip()
    core = re.sub(r"\s*\n\s*", " ", core)
    return f"\\boxed{{{core}}}"


@dataclass(frozen=True)
class TargetMix:
    """How the warm-up writes its targets; the choice per example is seeded by (seed, row id), so a build is
    reproducible and the same row keeps its form across builds of different warm-up lengths.

    Defaults: 60% of the targets use another equivalent form of the gold (where `equivalent_forms` has one), and
    one in five (of either kind) is written as `Final answer: …` without the prompt's wrapper. On the bundled
    sample the `exact` tier alone then refuses 12% of the targets (every one a right answer the default policy
    pays): the share a tier ablation can see.
    """

    equivalent_share: float = 0.6
    unwrapped_share: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("equivalent_share", "unwrapped_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"TargetMix.{name} must be within [0, 1], got {value}")


#: the targets the first tiny models were warmed up on: the gold's own spelling, always wrapped
GOLD_ONLY = TargetMix(equivalent_share=0.0, unwrapped_share=0.0)

FORM_GOLD = "gold"  # the dataset's own spelling
FORM_EQUIVALENT = "equivalent"  # another way of writing the same answer


@dataclass(frozen=True)
class WarmupTarget:
    text: str  # the completion the warm-up teaches (before end-of-utterance)
    answer: str  # the answer inside it
    form: str  # FORM_GOLD or FORM_EQUIVALENT
    wrapped: bool  # inside the prompt's answer wrapper (\\boxed{} or <answer> tags), else on a final-answer line


def _core(gold: str) -> str:
    return boxed_target(gold)[len("\\boxed{"):-1]


def warmup_target(row: dict[str, Any], prompt: PromptSpec | None = None, mix: TargetMix | None = None) -> WarmupTarget:
    """The completion the warm-up teaches for `row` under `mix` (the default mix: `TargetMix()`)."""
    prompt = prompt or PromptSpec()
    mix = mix if mix is not None else TargetMix()
    rng = random.Random(f"{mix.seed}|{row.get('id')}|{row['answer']}")
    answer, form = _core(row["answer"]), FORM_GOLD
    if rng.random() < mix.equivalent_share:
        others = [f for f in equivalent_forms(row["answer"], seed=mix.seed) if f.strip() and f != answer]
        if others:
            answer, form = rng.choice(others), FORM_EQUIVALENT
    wrapped = rng.random() >= mix.unwrapped_share
    text = prompt.wrap_answer(answer) if wrapped else f"Final answer: {answer}"
    return WarmupTarget(text=text, answer=answer, form=form, wrapped=wrapped)


def prompt_messages(question: str, n_images: int, prompt: PromptSpec | None = None) -> list[dict[str, Any]]:
    """The chat training and evaluation send for this question (`harness.data.prompt`: one prompt)."""
    return (prompt or PromptSpec()).conversation(question, n_images)


@dataclass
class WarmupReport:
    steps: int
    examples: int
    seconds: float
    losses: list[float] = field(default_factory=list)
    example_ids: list[str] = field(default_factory=list)
    targets: dict[str, str] = field(default_factory=dict)  # row id -> the completion taught
    forms: dict[str, Any] = field(default_factory=dict)  # the mix and how many targets took each form

    @property
    def first_loss(self) -> float | None:
        return self.losses[0] if self.losses else None

    @property
    def last_loss(self) -> float | None:
        return self.losses[-1] if self.losses else None

    def summary(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "examples": self.examples,
            "seconds": round(self.seconds, 2),
            "first_loss": self.first_loss,
            "last_loss": self.last_loss,
            "example_ids": self.example_ids,
            "targets": self.targets,
            "forms": self.forms,
        }


@dataclass
class _Example:
    input_ids: torch.Tensor  # (seq,)
    labels: torch.Tensor  # (seq,), -100 on the prompt
    pixel_values: torch.Tensor  # (n_images, 3, H, W)
    pixel_attention_mask: torch.Tensor  # (n_images, H, W)


def encode_examples(processor: Any, rows: Sequence[dict[str, Any]], prompt: PromptSpec | None = None,
                    mix: TargetMix | None = None) -> list[_Example]:
    """Tokenise prompt + target once per row; the loss covers only the answer and end-of-utterance."""
    eos = processor.tokenizer.eos_token
    examples = []
    for row in rows:
        images = [open_image(image).convert("RGB") for image in row["images"]]
        text = processor.apply_chat_template(
            prompt_messages(row["question"], len(images), prompt), add_generation_prompt=True
        )
        full = f"{text} {warmup_target(row, prompt, mix).text}{eos}"
        prompt_ids = processor(text=[text], images=[images], return_tensors="pt")["input_ids"][0]
        encoded = processor(text=[full], images=[images], return_tensors="pt")
        input_ids = encoded["input_ids"][0]
        if not torch.equal(input_ids[: len(prompt_ids)], prompt_ids):
            raise RuntimeError(
                f"row {row.get('id')}: prompt tokens change when the answer is appended"
            )
        labels = input_ids.clone()
        labels[: len(prompt_ids)] = -100
        examples.append(
            _Example(
                input_ids,
                labels,
                encoded["pixel_values"][0],
                encoded["pixel_attention_mask"][0].to(torch.bool),
            )
        )
    return examples


def _collate(batch: Sequence[_Example], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad text (so positions match unpadded inference) and zero-pad images (Idefics3 skips all-zero ones)."""
    seq = max(len(ex.input_ids) for ex in batch)
    n_img = max(ex.pixel_values.shape[0] for ex in batch)
    _, channels, height, width = batch[0].pixel_values.shape
    input_ids = torch.full((len(batch), seq), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), seq), -100, dtype=torch.long)
    attention = torch.zeros((len(batch), seq), dtype=torch.long)
    pixels = torch.zeros((len(batch), n_img, channels, height, width))
    pixel_mask = torch.zeros((len(batch), n_img, height, width), dtype=torch.bool)
    for i, ex in enumerate(batch):
        n, k = len(ex.input_ids), ex.pixel_values.shape[0]
        input_ids[i, :n], labels[i, :n], attention[i, :n] = ex.input_ids, ex.labels, 1
        pixels[i, :k], pixel_mask[i, :k] = ex.pixel_values, ex.pixel_attention_mask
    return {
        "input_ids": input_ids,
        "labels": labels,
        "attention_mask": attention,
        "pixel_values": pixels,
        "pixel_attention_mask": pixel_mask,
    }


def supervised_warmup(
    model: torch.nn.Module,
    processor: Any,
    rows: Sequence[dict[str, Any]],
    *,
    steps: int,
    seed: int = 0,
    learning_rate: float = 3e-3,
    batch_size: int = 4,
    max_examples: int | None = 32,
    prompt: PromptSpec | None = None,
    mix: TargetMix | None = None,
) -> WarmupReport:
    """Train `model` in place for `steps` AdamW steps on random batches of `rows` (train split only).

    `max_examples` picks a seeded subset: a ~1M-parameter model memorises a few dozen answers within a
    couple of hundred steps, but barely dents a few hundred, and a handful of reliably solved prompts is
    what gives GRPO non-zero advantages.
    """
    if steps <= 0 or not rows:
        return WarmupReport(steps=0, examples=0, seconds=0.0)
    start = time.perf_counter()
    rng = random.Random(seed)
    rows = list(rows)
    if max_examples is not None and len(rows) > max_examples:
        rows = rng.sample(rows, max_examples)
    examples = encode_examples(processor, rows, prompt, mix)
    targets = {str(row.get("id")): warmup_target(row, prompt, mix) for row in rows}
    torch.manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 - step / (steps + 1))
    pad_id = processor.tokenizer.pad_token_id
    model.train()
    losses = []
    for step in range(steps):
        batch = _collate(rng.sample(examples, min(batch_size, len(examples))), pad_id)
        loss = model(**batch).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        losses.append(float(loss.detach()))
        if step % 50 == 0 or step == steps - 1:
            log.info("warm-up step %d/%d loss %.3f", step + 1, steps, losses[-1])
    model.eval()
    return WarmupReport(
        steps=steps,
        examples=len(examples),
        seconds=time.perf_counter() - start,
        losses=losses,
        example_ids=[str(row.get("id")) for row in rows],
        targets={row_id: t.text for row_id, t in targets.items()},
        forms={
            "mix": dataclasses.asdict(mix if mix is not None else TargetMix()),
            "equivalent": sum(t.form == FORM_EQUIVALENT for t in targets.values()),
            "unwrapped": sum(not t.wrapped for t in targets.values()),
        },
    )
