"""The one prompt: what a model is asked, for training, for evaluation and for the tiny model's warm-up.

A prompt is the images first, then the question, then an instruction, optionally after a system message.
GRPO rows (TRL's conversational form), the lm-eval task's `doc_to_text` (text with `<image>` placeholders,
which lm-eval's hf-multimodal turns back into image blocks followed by the text) and the warm-up all build
it here, so after the chat template they are the same string: a re-evaluation after GRPO measures the effect
of training, not transfer to another wording.

The experiment YAML picks it (`prompt: boxed`, or a mapping with `name`, `template`, `system_prompt`) and
every run records it (`PromptSpec.to_dict()`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

QUESTION_SLOT = "{question}"
IMAGE_TOKEN = "<image>"

#: named prompts; the template's `{question}` is replaced verbatim (LaTeX braces need no escaping)
PROMPTS: dict[str, str] = {
    "boxed": QUESTION_SLOT + "\n\nSolve the problem. Put your final answer in \\boxed{}.",
    "think-boxed": QUESTION_SLOT
    + "\n\nThink through the problem step by step, then give only the final answer inside \\boxed{}.",
    "answer-tags": QUESTION_SLOT
    + "\n\nSolve the problem. Write your final answer inside <answer></answer> tags.",
}
DEFAULT_PROMPT = "boxed"


@dataclass(frozen=True)
class PromptSpec:
    """A named user-text template (must contain `{question}`) and an optional system message."""

    name: str = DEFAULT_PROMPT
    template: str = PROMPTS[DEFAULT_PROMPT]
    system_prompt: str | None = None

    def __post_init__(self) -> None:
        if QUESTION_SLOT not in self.template:
            raise ValueError(f"prompt template must contain {QUESTION_SLOT!r}, got {self.template!r}")

    def user_text(self, question: str) -> str:
        return self.template.replace(QUESTION_SLOT, question.strip())

    def conversation(self, question: str, n_images: int) -> list[dict[str, Any]]:
        """TRL's conversational prompt: an optional system turn, then one user turn of image blocks followed
        by the text. Content is always a list of blocks (Arrow needs one type per field)."""
        messages: list[dict[str, Any]] = []
        if self.system_prompt:
            messages.append({"role": "system", "content": [{"type": "text", "text": self.system_prompt}]})
        content: list[dict[str, Any]] = [{"type": "image"} for _ in range(n_images)]
        content.append({"type": "text", "text": self.user_text(question)})
        messages.append({"role": "user", "content": content})
        return messages

    def placeholder_text(self, question: str, n_images: int) -> str:
        """The user text with one `<image>` per image in front: what lm-eval's `doc_to_text` returns and verl
        splits on (hf-multimodal removes the placeholders and puts the image blocks first, as above)."""
        return IMAGE_TOKEN * n_images + self.user_text(question)

    def verl_messages(self, question: str, n_images: int) -> list[dict[str, str]]:
        messages: list[dict[str, str]] = []
        if self.system_prompt:
            messages.append({"role": "system", "content": self.system_prompt})
        messages.append({"role": "user", "content": self.placeholder_text(question, n_images)})
        return messages

    def wrap_answer(self, answer: str) -> str:
        """The final answer written as this prompt asks for it: `<answer>…</answer>` when the template asks for
        answer tags, else `\\boxed{…}` (the tiny model's warm-up writes its targets this way)."""
        if "<answer>" in self.template:
            return f"<answer>{answer}</answer>"
        return f"\\boxed{{{answer}}}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


def prompt_spec(value: Any = None) -> PromptSpec:
    """A PromptSpec from a name (`"boxed"`), a mapping (`{name, template, system_prompt}`), its JSON, a
    PromptSpec, or None (the default). Raises ValueError naming what is wrong."""
    if value is None or value == "":
        return PromptSpec()
    if isinstance(value, PromptSpec):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                return prompt_spec(json.loads(text))
            except json.JSONDecodeError as exc:
                raise ValueError(f"prompt: not a JSON mapping ({exc})") from exc
        if text not in PROMPTS:
            raise ValueError(f"prompt: unknown name {text!r}; named prompts: {', '.join(PROMPTS)}")
        return PromptSpec(name=text, template=PROMPTS[text])
    if isinstance(value, Mapping):
        unknown = set(value) - {"name", "template", "system_prompt"}
        if unknown:
            raise ValueError(f"prompt: unknown field(s) {sorted(unknown)}; valid: name, template, system_prompt")
        name = value.get("name") or ("custom" if value.get("template") else DEFAULT_PROMPT)
        if value.get("template") is None and name not in PROMPTS:
            raise ValueError(f"prompt.name: unknown name {name!r}; named prompts: {', '.join(PROMPTS)}")
        template = value.get("template") or PROMPTS[name]
        system = value.get("system_prompt") or None
        if not isinstance(template, str) or (system is not None and not isinstance(system, str)):
            raise ValueError("prompt.template and prompt.system_prompt must be strings")
        return PromptSpec(name=str(name), template=template, system_prompt=system)
    raise ValueError(f"prompt: expected a name or a mapping, got {type(value).__name__}")


def image_slots(messages: list[dict[str, Any]]) -> int:
    """Image positions a chat template will render: image blocks plus literal `<image>` tokens in text.

    A question that itself contains `<image>` would give the processor more image tokens than images
    ("Image features and image tokens do not match"), so both kinds count.
    """
    total = 0
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            total += content.count(IMAGE_TOKEN)
            continue
        for block in content or []:
            if block.get("type") == "image":
                total += 1
            elif block.get("type") == "text":
                total += (block.get("text") or "").count(IMAGE_TOKEN)
    return total
