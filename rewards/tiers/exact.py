"""Tier 1: normalised string equality (the cheapest proof of a correct answer)."""

from __future__ import annotations

from ..normalize import case_matters, exact_key, formula_key, is_formula
from .base import NO_MATCH, Equal, Match, Undecided


class ExactTier:
    """Equal when both sides normalise to the same string; never says NotEqual.

    Normalisation (see :mod:`rewards.normalize`) removes delimiters, spacing,
    ``\\text{}``, ``\\left/\\right``, degree signs, ``%``, trailing periods,
    thousands separators and known units. Case is folded only where it carries no meaning: words and
    sentences (``Anterior`` = ``anterior``), never formulas, SMILES or symbols (``CO`` ≠ ``Co``,
    ``C1CCCCC1`` ≠ ``c1ccccc1``, ``x`` ≠ ``X``).
    """

    name = "exact"
    sandboxed = False

    def match(self, pred: str, gold: str) -> Match:
        if "%" in pred and "%" not in gold:
            # `0.5%` against `0.5` is a 100x question, not a spelling one: the numeric tier's rule decides
            return Undecided(NO_MATCH, "percentage against a plain number")
        if is_formula(gold) and is_formula(pred) and formula_key(pred) == formula_key(gold):
            return Equal("the same formula")
        fold = not case_matters(gold)
        if exact_key(pred, fold_case=fold) == exact_key(gold, fold_case=fold):
            return Equal("same normalised string")
        return Undecided(NO_MATCH)
