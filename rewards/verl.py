"""verl's reward-function contract over this project's reward: point verl's `custom_reward_function` here.

verl's `default_compute_score` knows only the data sources it ships (gsm8k, MATH, geo3k, ...) and raises
`NotImplementedError` for ours, so a verl run on `mmrl export --format verl` needs this file::

    custom_reward_function.path=/path/to/open-mm-rl-harness/rewards/verl.py
    custom_reward_function.name=compute_score

verl loads the file by path (`importlib.util.spec_from_file_location("custom_module", path)`), not as
`rewards.verl`, and calls `compute_score(data_source=..., solution_str=..., ground_truth=..., extra_info=...)`
with the row's `data_source`, the decoded response, `reward_model.ground_truth` and `extra_info`, plus any
`custom_reward_function.reward_kwargs` as keyword arguments. The score is the one GRPO trains on in this
project: `rewards.verify` under the per-domain tier policy, keyed on the `domain` / `sub_domain` that the
verl export puts in `extra_info` (a row without them gets the answer-class default). Optional reward_kwargs:
`tiers` (a fixed tier list, as ablations use), `policy` (the `rewards.policy` mapping of an experiment YAML),
`format_weight` (adds `format_weight` × the format reward, as `rewards.format_weight` does in training).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Loaded as a file (verl's custom_module): import the `rewards` package this file belongs to, so the score
    # is the one of this checkout even when another copy is installed. It never imports the rest of the project.
    _checkout = str(Path(__file__).resolve().parent.parent)
    if "rewards" not in sys.modules and _checkout not in sys.path:
        sys.path.insert(0, _checkout)

from rewards import DomainPolicy, verify  # noqa: E402 - after the path set-up above
from rewards.reward_funcs import format_score  # noqa: E402
from rewards.sandbox import DEFAULT_TIMEOUT_S  # noqa: E402

__all__ = ["compute_score"]


@lru_cache(maxsize=16)
def _policy(config_json: str) -> DomainPolicy:
    """Parsed once per distinct mapping: verl calls `compute_score` once per response."""
    return DomainPolicy.from_dict(json.loads(config_json))


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (int, float)):
        return str(value)
    raise TypeError(f"compute_score: {what} must be a string, got {type(value).__name__}")


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: str,
    extra_info: Mapping[str, Any] | None = None,
    *,
    tiers: Sequence[str] | None = None,
    policy: Mapping[str, Any] | None = None,
    format_weight: float = 0.0,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    **_verl_kwargs: Any,
) -> dict[str, Any]:
    """verl's score of one response: `{"score": float, "acc": 0/1, "pred", "tier", "reason"}`.

    `score` is 1.0 when the response commits to `ground_truth` (plus `format_weight` × the format reward when
    set); verl uses `score` as the reward and logs the other keys per sample (the shape of verl's own
    `math_dapo` score, whose `pred` is also a string). Every call returns the same keys, as verl's reward
    managers collect them into equal-length lists. Further keyword arguments that some verl versions pass
    (`sandbox_fusion_url`, `concurrent_semaphore`, ...) are accepted and ignored: nothing here runs code.
    `data_source` does not change the score (every Open-MM-RL export scores the same way); it is accepted
    because verl passes it first.
    """
    del data_source
    info = extra_info if isinstance(extra_info, Mapping) else {}
    gold = _text(ground_truth, "ground_truth")
    response = _text(solution_str, "solution_str")
    domain_policy = _policy(json.dumps(policy, sort_keys=True)) if policy else None
    verdict = verify(
        response, gold, domain=info.get("domain") or None, sub_domain=info.get("sub_domain") or None,
        tiers=list(tiers) if tiers else None, policy=domain_policy, timeout_s=timeout_s,
    )
    accuracy = 1.0 if verdict.correct else 0.0
    score = accuracy + (float(format_weight) * format_score(response) if format_weight else 0.0)
    return {
        "score": score,
        "acc": accuracy,
        "pred": verdict.extracted or "",
        "tier": verdict.tier or "",
        "reason": verdict.reason,
    }
