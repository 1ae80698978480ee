"""The contract between the cascade and a tier.

A tier answers one question, "are these two answers equal in my sense?", with
one of three outcomes. ``NotEqual`` is a strong statement: the tier fully
understood both sides and they differ, so the cascade stops there. A tier that
is unsure (cannot parse a side, the input is outside its domain) must say
``Undecided`` so later tiers get their chance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# Reasons a tier may attach to ``Undecided``; the cascade turns them into the
# verdict's reason when no tier decides.
GOLD_UNPARSED = "gold_unparsed"
PRED_UNPARSED = "pred_unparsed"
NO_MATCH = "no_match"
TIMEOUT = "timeout"
REFUSED = "refused"
UNAVAILABLE = "unavailable"
ERROR = "error"


@dataclass(frozen=True)
class Equal:
    detail: str = ""


@dataclass(frozen=True)
class NotEqual:
    detail: str = ""


@dataclass(frozen=True)
class Undecided:
    reason: str = NO_MATCH
    detail: str = ""


Match = Equal | NotEqual | Undecided


def short(value: object, limit: int = 60) -> str:
    """A value for a verdict's detail: bounded length, never raising (huge ints refuse ``str``)."""
    try:
        if isinstance(value, float):
            text = f"{value:.10g}"
        else:
            text = str(value)
    except (ValueError, OverflowError):
        return f"<{type(value).__name__} too large to print>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


@runtime_checkable
class Tier(Protocol):
    """What ``register_tier`` accepts.

    ``name`` is the registry key. ``sandboxed`` tiers run in a killable worker
    process under the hard time limit (their module must be importable there,
    and importing it must register the tier); others run in the caller's process
    and must be fast and bounded on any input.
    """

    name: str
    sandboxed: bool

    def match(self, pred: str, gold: str) -> Match: ...
