"""The result type every caller of the reward library sees.

A verdict is deliberately flat and immutable: it crosses process boundaries
(``verify_batch``), lands in logs and JSON, and is counted by reward functions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Why a verdict is what it is. Plain strings (not an Enum) so they serialise
# and compare without imports on the consumer side.
OK = "ok"
NO_ANSWER = "no_answer"
PARSE_ERROR = "parse_error"
TIMEOUT = "timeout"
REFUSED = "refused"
MISMATCH = "mismatch"
GOLD_UNPARSEABLE = "gold_unparseable"
ERROR = "error"

REASONS = (OK, NO_ANSWER, PARSE_ERROR, TIMEOUT, REFUSED, MISMATCH, GOLD_UNPARSEABLE, ERROR)


@dataclass(frozen=True)
class Verdict:
    """Outcome of comparing one prediction with one gold answer.

    ``tier`` names the tier that proved equality (None when not correct);
    ``reason`` is ``"ok"`` when correct, else one of :data:`REASONS`;
    ``detail`` is free text for humans (which tier refused, what differed).
    """

    correct: bool
    tier: str | None
    extracted: str | None
    reason: str
    detail: str = ""

    def __bool__(self) -> bool:  # lets callers write ``if verify(...):``
        return self.correct

    def to_dict(self) -> dict:
        return asdict(self)
