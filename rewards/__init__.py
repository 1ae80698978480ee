"""Verifiable rewards: final-answer extraction and a tiered, sandboxed answer matcher.

The public API is small on purpose (the GRPO trainer, the lm-eval tasks and
the CI corpus all call the same names)::

    from rewards import verify
    verify("... so the answer is $\\boxed{\\frac{1}{2}}$.", "\\[0.5\\]")
    # Verdict(correct=True, tier='fraction', extracted='\\frac{1}{2}', reason='ok', ...)

Extraction lives in :mod:`rewards.extraction`, comparison in :mod:`rewards.grader`
and the tier modules under :mod:`rewards.tiers`.
"""

from .classify import ANSWER_CLASSES, classify_answer
from .extraction import extract_final_answer
from .grader import clear_caches, verify, verify_batch
from .policy import DomainPolicy, policy_json
from .reward_funcs import make_format_reward, make_reward_func
from .tiers import DEFAULT_TIERS, TIER_NAMES, TIERS, parse_tiers, register_tier
from .verdict import Verdict

__all__ = [
    "ANSWER_CLASSES",
    "DEFAULT_TIERS",
    "TIERS",
    "TIER_NAMES",
    "DomainPolicy",
    "Verdict",
    "classify_answer",
    "clear_caches",
    "extract_final_answer",
    "make_format_reward",
    "make_reward_func",
    "parse_tiers",
    "policy_json",
    "register_tier",
    "verify",
    "verify_batch",
]
