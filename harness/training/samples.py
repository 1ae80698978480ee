"""Keep the most recent completions so reviewers can read what the model wrote and how it was judged."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from rewards.reward_funcs import completion_text


class CompletionRecorder:
    """Thread-safe ring buffer of (completion, gold, domain, reward); verdicts are computed when read."""

    def __init__(self, maxlen: int = 8, tiers: Sequence[str] | None = None, policy: Any = None) -> None:
        self._buffer: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self.tiers = list(tiers) if tiers else None
        self.policy = policy

    def wrap(self, reward_func: Callable[..., list[float]]) -> Callable[..., list[float]]:
        """Same reward, same `__name__` (TRL logs `rewards/<name>/mean`), plus recording."""
        recorder = self

        def recorded(prompts=None, completions=None, answer=None, **kwargs):
            scores = reward_func(prompts=prompts, completions=completions, answer=answer, **kwargs)
            domains = kwargs.get("domain") or [None] * len(completions)
            sub_domains = kwargs.get("sub_domain") or [None] * len(completions)
            ids = kwargs.get("id") or [None] * len(completions)
            with recorder._lock:
                for i, completion in enumerate(completions):
                    recorder._buffer.append(
                        {"id": ids[i], "domain": domains[i], "sub_domain": sub_domains[i], "gold": answer[i],
                         "completion": completion_text(completion), "reward": scores[i]}
                    )
            return scores

        recorded.__name__ = getattr(reward_func, "__name__", "accuracy")
        if hasattr(reward_func, "stats"):  # the hit counters the MLflow callback reads
            recorded.stats = reward_func.stats
        return recorded

    def samples(self) -> list[dict[str, Any]]:
        import rewards

        with self._lock:
            items = list(self._buffer)
        out = []
        for item in items:
            verdict = rewards.verify(item["completion"], item["gold"] or "", domain=item["domain"],
                                     sub_domain=item.get("sub_domain"), tiers=self.tiers, policy=self.policy)
            out.append({**item, "correct": verdict.correct, "tier": verdict.tier,
                        "extracted": verdict.extracted, "reason": verdict.reason})
        return out
