"""Tier 2: both sides are written real numbers that agree.

Rules: a side written as an integer must match exactly (``12`` = ``12.0`` but
not ``12.0000001``); two decimals agree within ``rel_tol`` (relative, default
1e-6). Percentages: a gold ``p%`` equals ``p`` (sign dropped) and ``p/100``. A
predicted ``p%`` against a plain gold ``g`` always means ``p/100``; it may also mean
``p`` only when ``|g| > 1`` (``50%`` for a gold of ``50``), so ``0.5%`` never earns a
gold of ``0.5`` (a 100x error). Without a ``%`` on either side nothing is rescaled, so
``50`` never equals ``0.5``.
"""

from __future__ import annotations

from fractions import Fraction

from ..normalize import drop_degree, has_degree
from ..numbers import ParsedNumber, parse_number
from .base import GOLD_UNPARSED, PRED_UNPARSED, Equal, Match, NotEqual, Undecided, short


def numbers_agree(p: ParsedNumber, g: ParsedNumber, rel_tol: float) -> bool:
    pred_values = [p.value]
    gold_values = [g.value]
    if p.percent and not g.percent:
        pred_values = [p.value / 100] + ([p.value] if abs(g.value) > 1 else [])
    if g.percent and not p.percent:
        gold_values.append(g.value / 100)
    exact = p.exact or g.exact
    for pv in pred_values:
        for gv in gold_values:
            if values_agree(pv, gv, exact=exact, rel_tol=rel_tol):
                return True
    return False


def values_agree(a: Fraction, b: Fraction, *, exact: bool, rel_tol: float) -> bool:
    if a == b:
        return True
    if exact:
        return False
    return abs(a - b) <= Fraction(rel_tol) * max(abs(a), abs(b))


class NumericTier:
    name = "numeric"
    sandboxed = False

    def __init__(self, rel_tol: float = 1e-6) -> None:
        self.rel_tol = rel_tol

    def match(self, pred: str, gold: str) -> Match:
        one_side_degrees = has_degree(pred) != has_degree(gold)
        g = parse_number(drop_degree(gold))
        if g is None:
            return Undecided(GOLD_UNPARSED)
        p = parse_number(drop_degree(pred))
        if p is None:
            return Undecided(PRED_UNPARSED)
        if numbers_agree(p, g, self.rel_tol):
            return Equal(f"{short(p.value)} ≈ {short(g.value)}")
        if one_side_degrees:
            return Undecided(PRED_UNPARSED, "degrees vs radians: left to the latex tier")
        return NotEqual(f"{short(p.value)} != {short(g.value)}")
