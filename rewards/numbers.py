"""Exact parsing of written numbers into ``fractions.Fraction``.

Why not ``float()`` or ``Fraction(str)``: ``Fraction("1e-999999999")`` builds a
billion-digit integer (a hang), floats make ``1/2004!`` equal ``1/2006!``, and
both accept forms we do not want (``"nan"``, ``"inf"``, underscores). Here every
literal is matched by a strict regular expression, exponents are bounded, and
values stay exact rationals; tolerance is applied by the caller and only where
a side was written as a decimal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

MAX_EXPONENT = 400  # |e| in 1.5e-400 / 10^{400}; beyond that a literal is refused
MAX_DIGITS = 400

_SIGN = r"[+-]?"
_UNSIGNED = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+"
_EXP = (
    r"(?:[eE](?P<e1>[+-]?\d{1,4})"
    r"|\s*(?:\\times|\\cdot|\*|×|·)\s*10\s*(?:\^|\*\*)\s*(?:\{\s*(?P<e2>[+-]?\d{1,4})\s*\}|(?P<e3>[+-]?\d{1,4})))"
)
_NUMBER_RE = re.compile(
    rf"^\s*(?P<sign>{_SIGN})\s*(?P<body>{_UNSIGNED})(?:{_EXP})?\s*(?P<pct>\\?%)?\s*$"
)
_PLAIN_RE = re.compile(rf"^\s*(?P<sign>{_SIGN})\s*(?P<body>{_UNSIGNED})\s*$")


@dataclass(frozen=True)
class ParsedNumber:
    """A real number as written: ``exact`` is False for decimal/scientific literals."""

    value: Fraction
    exact: bool
    percent: bool = False


def _literal(sign: str, body: str) -> tuple[Fraction, bool] | None:
    body = body.replace(",", "")
    if len(body) > MAX_DIGITS:
        return None
    value = Fraction(body) if "." not in body else _decimal(body)
    if sign == "-":
        value = -value
    return value, "." not in body


def _decimal(body: str) -> Fraction:
    whole, _, frac = body.partition(".")
    whole = whole or "0"
    if not frac:
        return Fraction(int(whole))
    return Fraction(int(whole + frac), 10 ** len(frac))


def parse_number(text: str) -> ParsedNumber | None:
    """Parse an int, decimal, scientific or percent literal; None if ``text`` is anything else.

    ``12`` and ``1,234`` are exact; ``0.5``, ``1.5e3`` and ``1.5\\times10^{3}``
    are decimal (inexact) literals; ``50%``/``50\\%`` carry ``percent=True`` and
    the value 50 (the caller decides how percentages compare).
    """
    m = _NUMBER_RE.match(text)
    if not m:
        return None
    lit = _literal(m.group("sign"), m.group("body"))
    if lit is None:
        return None
    value, exact = lit
    exp_text = m.group("e1") or m.group("e2") or m.group("e3")
    if exp_text is not None:
        exponent = int(exp_text)
        if abs(exponent) > MAX_EXPONENT:
            return None
        value *= Fraction(10) ** exponent
        exact = False
    return ParsedNumber(value=value, exact=exact, percent=m.group("pct") is not None)


def _plain(text: str) -> tuple[Fraction, bool] | None:
    m = _PLAIN_RE.match(text)
    if not m:
        return None
    return _literal(m.group("sign"), m.group("body"))


_FRAC_RE = re.compile(
    r"^\s*(?P<sign>[+-]?)\s*\\frac\s*(?:\{(?P<num>[^{}]*)\}|(?P<num1>\d))\s*(?:\{(?P<den>[^{}]*)\}|(?P<den1>\d))\s*$"
)
_SLASH_RE = re.compile(r"^\s*(?P<num>[^/]+?)\s*/\s*(?P<den>[^/]+?)\s*$")
_MIXED_LATEX_RE = re.compile(r"^\s*(?P<sign>[+-]?)\s*(?P<whole>\d+)\s*(?P<frac>\\frac.*)$")
_MIXED_SLASH_RE = re.compile(r"^\s*(?P<sign>[+-]?)\s*(?P<whole>\d+)\s+(?P<frac>\d+\s*/\s*\d+)\s*$")


@dataclass(frozen=True)
class ParsedRational:
    value: Fraction
    exact: bool  # False when a decimal literal took part


def parse_rational(text: str) -> ParsedRational | None:
    """Parse ``a/b``, ``\\frac{a}{b}``, mixed numbers and plain numbers as exact rationals.

    Signs may sit anywhere (``-\\frac{1}{2}``, ``\\frac{-1}{2}``, ``1/-2``). A
    mixed number ``2\\frac{1}{2}`` / ``2 1/2`` means 2 + 1/2 (and ``-2 1/2`` is
    -(2 + 1/2)). Division by zero and anything not purely numeric give None.
    """
    text = _strip_outer_parens(text.strip())
    if not text:
        return None
    mixed = _MIXED_LATEX_RE.match(text) or _MIXED_SLASH_RE.match(text)
    if mixed:
        part = _simple_fraction(mixed.group("frac"))
        if part is not None and part.value >= 0 and part.exact:
            magnitude = Fraction(int(mixed.group("whole"))) + part.value
            return ParsedRational(-magnitude if mixed.group("sign") == "-" else magnitude, True)
        return None
    simple = _simple_fraction(text)
    if simple is not None:
        return simple
    plain = _plain(text)
    if plain is not None:
        return ParsedRational(plain[0], plain[1])
    return None


def _simple_fraction(text: str) -> ParsedRational | None:
    m = _FRAC_RE.match(text)
    if m:
        num_text = m.group("num") if m.group("num") is not None else m.group("num1")
        den_text = m.group("den") if m.group("den") is not None else m.group("den1")
        outer = -1 if m.group("sign") == "-" else 1
    else:
        m = _SLASH_RE.match(text)
        if not m:
            return None
        num_text, den_text, outer = m.group("num"), m.group("den"), 1
    num = _plain(_strip_outer_parens(num_text))
    den = _plain(_strip_outer_parens(den_text))
    if num is None or den is None or den[0] == 0:
        return None
    return ParsedRational(outer * num[0] / den[0], num[1] and den[1])


def _strip_outer_parens(text: str) -> str:
    """Drop one pair of brackets that encloses the whole text (``(1/2)`` → ``1/2``)."""
    while len(text) >= 2 and text[0] == "(" and text[-1] == ")":
        depth = 0
        for i, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(text) - 1:
                return text
        text = text[1:-1].strip()
    return text
