"""Parsing answers into SymPy for the latex and symbolic tiers (runs in the sandbox).

Each side is screened by :func:`rewards.limits.screen` first. Results (and
failures) are cached per string, so a gold is parsed once per worker however
many predictions are compared with it.
"""

from __future__ import annotations

from functools import lru_cache

from ..limits import screen
from ..normalize import is_prose
from ..numbers import parse_number
from ..safe_parser import ParseError, parse_latex_subset, parse_plain

_CACHE_SIZE = 8192


class Refused(ValueError):
    """The input failed the size screen (a likely bomb); it never reached SymPy."""


def _looks_plain(s: str) -> bool:
    return "\\" not in s and "{" not in s and "}" not in s


@lru_cache(maxsize=_CACHE_SIZE)
def _cached(kind: str, s: str):
    """(value, None) or (None, exception) — failures are cached too."""
    try:
        return _parse(kind, s), None
    except Exception as exc:  # noqa: BLE001 - every failure becomes a reason
        return None, exc


def parse(kind: str, s: str):
    """Parse ``s`` as ``"latex"`` or ``"plain"``; raises Refused or ParseError."""
    value, error = _cached(kind, s)
    if error is not None:
        raise error
    return value


def _parse(kind: str, s: str):
    refusal = screen(s)
    if refusal:
        raise Refused(refusal)
    if is_prose(s):
        raise ParseError("words, not mathematics")
    number = parse_number(s)
    if number is not None and not number.percent:
        import sympy

        exact = sympy.Rational(number.value.numerator, number.value.denominator)
        # a decimal literal stays inexact (a Float): comparisons then use the tolerance
        return exact if number.exact else exact.evalf(30)
    if kind == "plain":
        return parse_plain(s)
    if _looks_plain(s):
        try:
            return parse_plain(s)
        except ParseError:
            pass
    try:
        return parse_latex_subset(s)  # fast path for common LaTeX; same reading as latex2sympy
    except ParseError:
        return parse_with_latex2sympy(s)


def parse_with_latex2sympy(s: str):
    """latex2sympy2_extended with the configuration the latex tier uses (no screening, no cache)."""
    import sympy
    from latex2sympy2_extended.latex2sympy2 import (
        ConversionConfig,
        NormalizationConfig,
        latex2sympy,
    )

    try:
        value = latex2sympy(
            s,
            normalization_config=NormalizationConfig(
                basic_latex=True,
                units=False,
                malformed_operators=True,
                nits=True,
                boxed="all",
                equations=False,
            ),
            conversion_config=ConversionConfig(lowercase_symbols=False),
        )
    except RecursionError as exc:
        raise ParseError("nested too deeply") from exc
    except Exception as exc:
        raise ParseError(f"latex2sympy: {type(exc).__name__}: {exc}"[:200]) from exc
    if not isinstance(value, (sympy.Basic, sympy.MatrixBase)):
        raise ParseError(f"latex2sympy returned {type(value).__name__}")
    return value
