"""Reward functions in the form TRL's ``GRPOTrainer`` calls them.

TRL calls ``fn(prompts=..., completions=..., completion_ids=..., trainer_state=...,
log_extra=..., log_metric=..., **dataset_columns)`` and logs
``rewards/<fn.__name__>/mean``. Completions are strings or conversational
``[{"role": "assistant", "content": ...}]`` lists (content may itself be a list
of ``{"type": "text", "text": ...}`` blocks).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from . import verdict as R
from .extraction import _drop_reasoning, find_boxed
from .grader import verify_batch
from .policy import DomainPolicy
from .sandbox import DEFAULT_TIMEOUT_S

log = logging.getLogger(__name__)


class TierStats:
    """Thread-safe counters of which tier proved each correct answer and why others failed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter = Counter()

    def record(self, verdicts: Sequence) -> None:
        with self._lock:
            for v in verdicts:
                self._counts["total"] += 1
                self._counts["correct"] += int(v.correct)
                if v.correct:
                    self._counts[f"tier/{v.tier}"] += 1
                else:
                    self._counts[f"reason/{v.reason}"] += 1

    def snapshot(self) -> dict[str, int]:
        """A copy of the counters: ``total``, ``correct``, ``tier/<name>``, ``reason/<reason>``."""
        with self._lock:
            return dict(self._counts)

    def reset(self) -> dict[str, int]:
        """Return the counters and start from zero (call once per logging step)."""
        with self._lock:
            snap = dict(self._counts)
            self._counts.clear()
            return snap


def completion_text(completion: Any) -> str:
    """The text of one completion in any of TRL's shapes."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return completion_text(completion.get("content", ""))
    if isinstance(completion, (list, tuple)):
        parts = []
        for item in completion:
            if isinstance(item, dict) and item.get("role") not in (None, "assistant"):
                continue
            if isinstance(item, dict) and item.get("type") == "text":
                parts.append(str(item.get("text", "")))
            else:
                parts.append(completion_text(item))
        return "".join(parts)
    return "" if completion is None else str(completion)


def make_reward_func(
    tiers: Sequence[str] | None = None,
    policy: DomainPolicy | None = None,
    *,
    name: str = "accuracy",
    answer_key: str = "answer",
    domain_key: str = "domain",
    sub_domain_key: str = "sub_domain",
    timeout_s: float = DEFAULT_TIMEOUT_S,
    workers: int | None = None,
    bad_gold_reward: float | None = 0.0,
) -> Callable[..., list[float | None]]:
    """A TRL reward function: 1.0 for a verified-correct final answer, else 0.0.

    ``tiers``/``policy`` are passed to :func:`rewards.verify_batch`, with each row's ``domain`` and
    ``sub_domain`` columns (the policy is keyed on them). A gold that
    no tier can parse earns ``bad_gold_reward`` (0.0; ``None`` makes TRL skip the
    row) and a logged warning, never a free 1.0. The function has ``__name__ ==
    name`` and a ``stats`` attribute (:class:`TierStats`); when TRL passes
    ``log_metric`` the per-batch share of each tier and failure reason is logged
    as ``<name>/tier_<t>`` and ``<name>/reason_<r>``.
    """
    stats = TierStats()

    def reward(
        prompts=None, completions=None, answer=None, domain=None, **kwargs
    ) -> list[float | None]:
        completions = list(completions or [])
        golds = answer if answer_key == "answer" else kwargs.get(answer_key)
        if golds is None:
            raise ValueError(
                f"reward function {name!r} needs the gold answers in the {answer_key!r} column"
            )
        golds = list(golds)
        if len(golds) != len(completions):
            raise ValueError(f"{len(completions)} completions but {len(golds)} answers")
        domains = _column(domain if domain_key == "domain" else kwargs.get(domain_key), len(golds))
        sub_domains = _column(kwargs.get(sub_domain_key), len(golds))
        texts = [completion_text(c) for c in completions]
        verdicts = verify_batch(
            texts,
            [g if isinstance(g, str) else ("" if g is None else str(g)) for g in golds],
            domains=domains,
            sub_domains=sub_domains,
            tiers=tiers,
            workers=workers,
            policy=policy,
            timeout_s=timeout_s,
        )
        stats.record(verdicts)
        _log_batch(kwargs.get("log_metric"), name, verdicts)
        return [
            1.0 if v.correct else (bad_gold_reward if v.reason == R.GOLD_UNPARSEABLE else 0.0)
            for v in verdicts
        ]

    reward.__name__ = name
    reward.__qualname__ = name
    reward.stats = stats  # type: ignore[attr-defined]
    return reward


def _column(values, n: int) -> list:
    """A per-row dataset column as TRL passes it (a list), or one value / None broadcast to every row."""
    if values is None or isinstance(values, str):
        return [values] * n
    values = list(values)
    return values if len(values) == n else [None] * n


def _log_batch(log_metric, name: str, verdicts: Sequence) -> None:
    if not callable(log_metric) or not verdicts:
        return
    counts = Counter()
    for v in verdicts:
        counts[f"tier_{v.tier}" if v.correct else f"reason_{v.reason}"] += 1
    try:
        for key, count in counts.items():
            log_metric(f"{name}/{key}", count / len(verdicts))
    except Exception:
        log.debug("log_metric failed", exc_info=True)


def format_score(text: str, *, style: str = "any", think: bool = False) -> float:
    """The format reward of one output (rule documented on :func:`make_format_reward`)."""
    if not isinstance(text, str):
        return 0.0
    think_ok = False
    body = text
    if think:
        stripped = text.lstrip()
        think_ok = (
            stripped.startswith("<think>")
            and text.count("<think>") == 1
            and text.count("</think>") == 1
            and bool(stripped[len("<think>") : stripped.find("</think>")].strip())
        )
        body = _drop_reasoning(text) or ""
    answer_ok = _single_answer(body, style)
    if not think:
        return 1.0 if answer_ok else 0.0
    return 0.5 * think_ok + 0.5 * answer_ok


def _single_answer(body: str, style: str) -> bool:
    lower = body.lower()
    n_open, n_close = lower.count("<answer>"), lower.count("</answer>")
    boxed = [b for b in find_boxed(body) if b.strip()]
    tags_ok = False
    if n_open == 1 and n_close == 1:
        start, end = lower.find("<answer>"), lower.find("</answer>")
        inner = body[start + len("<answer>") : end]
        tags_ok = (
            start < end
            and bool(inner.strip())
            and len([b for b in find_boxed(inner) if b.strip()]) <= 1
        )
    boxed_ok = len(boxed) == 1 and n_open == 0
    if style == "boxed":
        return boxed_ok
    if style == "answer_tags":
        return tags_ok
    if style == "any":
        return tags_ok or boxed_ok
    raise ValueError(f"unknown format style {style!r} (boxed, answer_tags, any)")


def make_format_reward(
    style: str = "any", *, think: bool = False, name: str = "format"
) -> Callable[..., list[float]]:
    """A TRL reward for answer *form*, not correctness.

    Rule: 1.0 when the output (after any ``<think>…</think>``) holds exactly one
    non-empty final-answer container of the requested ``style`` — ``"boxed"``
    (one ``\\boxed{}``), ``"answer_tags"`` (one ``<answer>…</answer>`` pair, at
    most one ``\\boxed`` inside) or ``"any"`` (either) — else 0.0. With
    ``think=True`` the score is split: 0.5 for exactly one non-empty
    ``<think>…</think>`` block at the start, 0.5 for the answer container.
    """
    if style not in ("boxed", "answer_tags", "any"):
        raise ValueError(f"unknown format style {style!r} (boxed, answer_tags, any)")

    def reward(prompts=None, completions=None, **kwargs) -> list[float]:
        return [
            format_score(completion_text(c), style=style, think=think) for c in (completions or [])
        ]

    reward.__name__ = name
    reward.__qualname__ = name
    return reward
