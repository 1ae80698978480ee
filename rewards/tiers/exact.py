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
        if exact_key(pred) == exact_key(gold):
            return Equal("same normalised string")
        return Undecided(NO_MATCH)
