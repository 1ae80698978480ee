"""How a question becomes a GRPO prompt, in TRL's conversational form and in verl's string form.

TRL (1.16) fills `{"type": "image"}` placeholder blocks from the row's `images` column and only inserts blocks
itself when a user message is a plain string; we always write the blocks, one per image, so the rendered
prompt holds exactly one image token per image whatever TRL version reads it. verl/EasyR1 instead split the
user text on literal `<image>` tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

QUESTION_SLOT = "{question}"
IMAGE_TOKEN = "<image>"
DEFAULT_INSTRUCTION = (
    "Think through the problem step by step, then give only the final answer inside \\boxed{}."
)
DEFAULT_TEMPLATE = QUESTION_SLOT + "\n\n" + DEFAULT_INSTRUCTION


@dataclass(frozen=True)
class PromptSpec:
    """The user-text template (must contain `{question}`) and an optional system message.

    The template is filled with `str.replace`, not `str.format`, so LaTeX braces such as `\\boxed{}` need no
    escaping.
    """

    template: str = DEFAULT_TEMPLATE
    system_prompt: str | None = None

    def __post_init__(self) -> None:
        if QUESTION_SLOT not in self.template:
            raise ValueError(f"prompt template must contain {QUESTION_SLOT!r}, got {self.template!r}")

    def user_text(self, question: str) -> str:
        return self.template.replace(QUESTION_SLOT, question.strip())

    def manifest(self) -> dict[str, Any]:
        return {"template": self.template, "system_prompt": self.system_prompt}


def trl_prompt(spec: PromptSpec, question: str, n_images: int) -> list[dict[str, Any]]:
    """Conversational prompt: optional system turn, then one user turn of image blocks followed by the text.

    The system turn also uses content blocks: a JSON column mixing string and list `content` cannot be
    loaded by `datasets` (Arrow needs one type per field).
    """
    messages: list[dict[str, Any]] = []
    if spec.system_prompt:
        messages.append({"role": "system", "content": [{"type": "text", "text": spec.system_prompt}]})
    content: list[dict[str, Any]] = [{"type": "image"} for _ in range(n_images)]
    content.append({"type": "text", "text": spec.user_text(question)})
    messages.append({"role": "user", "content": content})
    return messages


def verl_prompt(spec: PromptSpec, question: str, n_images: int) -> list[dict[str, str]]:
    """verl/EasyR1 chat: string contents, images marked by `<image>` tokens at the start of the user text."""
    messages: list[dict[str, str]] = []
    if spec.system_prompt:
        messages.append({"role": "system", "content": spec.system_prompt})
    messages.append({"role": "user", "content": IMAGE_TOKEN * n_images + spec.user_text(question)})
    return messages


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
