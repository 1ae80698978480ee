"""What a question template is and the registry the per-domain modules fill.

A template turns a per-row random generator into one `Item`: the question, its exact gold answer, and lazy
image jobs. Answers are computed from the same parameters the figure is drawn from, so they are correct by
construction.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from harness.data.sample.render import ImageJob

Domain = Literal["Math", "Physics", "Chemistry", "Biology"]
Format = Literal["single_image", "multi_image", "multi_panel"]
# Answer kinds the sample must cover (checked by the tests over the default composition).
AnswerKind = Literal[
    "integer",
    "decimal",
    "fraction",
    "expression",
    "symbolic",
    "equation",
    "interval",
    "tuple",
    "choice",
    "text",
]
ANSWER_KINDS: tuple[str, ...] = AnswerKind.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Item:
    sub_domain: str
    question: str
    answer: str
    answer_kind: AnswerKind
    images: list[ImageJob] = field(default_factory=list)


@dataclass(frozen=True)
class Template:
    name: str
    domain: Domain
    format: Format
    weight: int  # appearances per cycle of the row schedule
    build: Callable[[random.Random], Item]


REGISTRY: dict[str, Template] = {}


def template(
    domain: Domain, format: Format, weight: int = 1
) -> Callable[[Callable[[random.Random], Item]], Callable[[random.Random], Item]]:
    def register(fn: Callable[[random.Random], Item]) -> Callable[[random.Random], Item]:
        name = f"{domain.lower()}.{fn.__name__}"
        if name in REGISTRY:
            raise ValueError(f"duplicate sample template {name}")
        REGISTRY[name] = Template(name=name, domain=domain, format=format, weight=weight, build=fn)
        return fn

    return register


def choice_letters(n: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(n)]


def letter_answer(letter: str, rng: random.Random) -> str:
    """Multiple-choice gold: a bare letter or the letter in display math, both occur in the real data."""
    return letter if rng.random() < 0.5 else f"\\[{letter}\\]"
