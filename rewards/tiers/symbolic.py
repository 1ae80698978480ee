"""Tier 5: plain-text mathematics (``x^2+2*x+1``, ``(x+1)**2``).

Both sides go through the whitelisting parser (:mod:`rewards.safe_parser`)
only: no ``sympify``, no attribute access, no calls beyond known math
functions. Equality: ``simplify(a - b) == 0`` with a random-point fallback
(see :mod:`rewards.sympy_compare`).
"""

from __future__ import annotations

from .latex import LatexTier


class SymbolicTier(LatexTier):
    name = "symbolic"
    sandboxed = True
    parser_kind = "plain"
