"""Tier 3: exact rational comparison (``1/2 == 0.5 == 2/4 == \\frac{2}{4}``).

Fractions, mixed numbers and plain numbers become ``fractions.Fraction``; two
exact sides must be identical rationals. A side written as a decimal is
inexact, so it is compared with the same relative tolerance as the numeric
tier (``0.3333333`` vs ``1/3`` at the default 1e-6) unless the other side is an
integer, which must be matched exactly.
"""

from __future__ import annotations

from ..numbers import parse_rational
from .base import GOLD_UNPARSED, PRED_UNPARSED, Equal, Match, NotEqual, Undecided, short
from .numeric import values_agree


class FractionTier:
    name = "fraction"
    sandboxed = False

    def __init__(self, rel_tol: float = 1e-6) -> None:
        self.rel_tol = rel_tol

    def match(self, pred: str, gold: str) -> Match:
        if "%" in pred or "%" in gold or "^{\\circ}" in pred or "^{\\circ}" in gold:
            return Undecided(GOLD_UNPARSED, "percent/degree: not a plain rational")
        g = parse_rational(gold)
        if g is None:
            return Undecided(GOLD_UNPARSED)
        p = parse_rational(pred)
        if p is None:
            return Undecided(PRED_UNPARSED)
        integer_side = (p.exact and p.value.denominator == 1) or (
            g.exact and g.value.denominator == 1
        )
        exact = integer_side or (p.exact and g.exact)
        if values_agree(p.value, g.value, exact=exact, rel_tol=self.rel_tol):
            return Equal(f"{short(p.value)} == {short(g.value)}")
        return NotEqual(f"{short(p.value)} != {short(g.value)}")
