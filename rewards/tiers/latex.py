"""Tier 4: LaTeX → SymPy (through ``latex2sympy2_extended``), then mathematical equality.

Plain-text sides (no backslash or braces) go through the whitelisting parser
instead, since latex2sympy reads ``sqrt(2)`` as the product s·q·r·t·2. Angles:
when exactly one side carries a degree sign, the other side is also tried as
radians (``30^\\circ`` = ``\\pi/6``). Comparison rules: :mod:`rewards.sympy_compare`.
"""

from __future__ import annotations

from ..normalize import drop_degree, has_degree
from ..safe_parser import ParseError, TooLarge
from ._sympy_parsing import Refused, parse
from .base import ERROR, GOLD_UNPARSED, PRED_UNPARSED, REFUSED, Equal, Match, NotEqual, Undecided


class LatexTier:
    name = "latex"
    sandboxed = True
    parser_kind = "latex"

    def __init__(self, rel_tol: float = 1e-6) -> None:
        self.rel_tol = rel_tol

    def match(self, pred: str, gold: str) -> Match:
        from .. import sympy_compare

        pred_deg, gold_deg = has_degree(pred), has_degree(gold)
        try:
            g = parse(self.parser_kind, drop_degree(gold))
        except (Refused, TooLarge) as exc:
            return Undecided(GOLD_UNPARSED, f"gold refused: {exc}")
        except ParseError as exc:
            return Undecided(GOLD_UNPARSED, str(exc))
        try:
            p = parse(self.parser_kind, drop_degree(pred))
        except (Refused, TooLarge) as exc:
            return Undecided(REFUSED, str(exc))
        except ParseError as exc:
            return Undecided(PRED_UNPARSED, str(exc))
        if _set_against_written_tuple(p, pred, g, gold):
            return NotEqual("a set against a parenthesised (ordered) tuple")
        try:
            result = sympy_compare.equal(p, g, self.rel_tol)
            if isinstance(result, Equal) or pred_deg == gold_deg:
                return result
            import sympy

            factor = sympy.pi / 180
            if gold_deg:  # the gold is in degrees: read the prediction as radians
                converted = (p / factor, g)
            else:  # the prediction is in degrees, the gold in radians
                converted = (p * factor, g)
            second = sympy_compare.equal(*converted, self.rel_tol)
            return second if isinstance(second, Equal) else result
        except (TypeError, ValueError, AttributeError, RecursionError) as exc:
            return Undecided(ERROR, f"{type(exc).__name__}: {exc}"[:200])


def _bracketed(text: str) -> bool:
    t = text.strip()
    return t.startswith(("(", "\\left(")) and t.endswith((")", "\\right)"))


def _set_against_written_tuple(p, pred: str, g, gold: str) -> bool:
    """`\\{4, 2/3\\}` must not match the point `(2/3, 4)`: order-free comparison is only for bare lists."""
    import sympy

    def is_tuple(x) -> bool:
        return isinstance(x, sympy.Tuple)

    def is_set(x) -> bool:
        return isinstance(x, sympy.FiniteSet) and len(x) > 1

    return (is_set(p) and is_tuple(g) and _bracketed(gold)) or (is_set(g) and is_tuple(p) and _bracketed(pred))
