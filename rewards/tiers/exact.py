"""Tier 1: normalised string equality (the cheapest proof of a correct answer)."""

from __future__ import annotations

from ..normalize import exact_key
from .base import NO_MATCH, Equal, Match, Undecided


class ExactTier:
    """Equal when both sides normalise to the same string; never says NotEqual.

    Normalisation (see :mod:`rewards.normalize`) removes delimiters, spacing,
    ``\\text{}``, ``\\left/\\right``, degree signs, ``%``, trailing periods,
    thousands separators and safe units, and folds case for words and letters.
    """

    name = "exact"
    sandboxed = False

    def match(self, pred: str, gold: str) -> Match:
        if "%" in pred and "%" not in gold:
            # `0.5%` against `0.5` is a 100x question, not a spelling one: the numeric tier's rule decides
            return Undecided(NO_MATCH, "percentage against a plain number")
        if exact_key(pred) == exact_key(gold):
            return Equal("same normalised string")
        return Undecided(NO_MATCH)
