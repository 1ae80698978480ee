"""Exact answer strings in the dataset's style: LaTeX display math (with the wrapper variants seen in the real
data, some with Windows line endings) built from exact arithmetic, never from floats."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from fractions import Fraction

# Wrapper variants of the real answers and how often each appears: `\[12\]`, `\[-\frac{71}{4} \]`,
# `\n\[\n...\n\]`, and a few copied from Windows editors with `\r\n`.
_DISPLAY_STYLES: tuple[tuple[str, int], ...] = (
    ("\\[{}\\]", 6),
    ("\\[{} \\]", 2),
    ("\\[ {} \\]", 2),
    ("\n\\[\n{}\n\\]", 2),
    ("\\[\r\n{}\r\n\\]", 1),
    ("\r\n\\[\r\n{}\r\n\\]", 1),
)


def display(body: str, rng: random.Random) -> str:
    styles, weights = zip(*_DISPLAY_STYLES)
    return rng.choices(styles, weights=weights)[0].format(body)


def inline(body: str) -> str:
    return f"\\( {body} \\)"


def number(q: Fraction | int) -> str:
    """Integer or reduced \\frac{a}{b}, sign in front."""
    q = Fraction(q)
    if q.denominator == 1:
        return str(q.numerator)
    sign = "-" if q < 0 else ""
    return f"{sign}\\frac{{{abs(q.numerator)}}}{{{q.denominator}}}"


def terminates(q: Fraction) -> bool:
    d = Fraction(q).denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def decimal(q: Fraction | int | Decimal) -> str:
    """Exact decimal of a terminating fraction, without trailing zeros (37.5, 0.125, 12)."""
    q = Fraction(q)
    if not terminates(q):
        raise ValueError(f"{q} has no finite decimal expansion")
    d = Decimal(q.numerator) / Decimal(q.denominator)
    text = format(d.normalize(), "f")
    return text


def number_or_decimal(
    q: Fraction | int, rng: random.Random, p_decimal: float = 0.6
) -> tuple[str, str]:
    """(latex, kind): non-integers as a decimal when that is exact (often), else as a fraction."""
    q = Fraction(q)
    if q.denominator == 1:
        return str(q.numerator), "integer"
    if terminates(q) and rng.random() < p_decimal:
        return decimal(q), "decimal"
    return number(q), "fraction"


def simplify_sqrt(n: int) -> tuple[int, int]:
    """sqrt(n) = a * sqrt(b) with b square-free."""
    if n < 0:
        raise ValueError("negative radicand")
    a, b = 1, n
    f = 2
    while f * f <= b:
        while b % (f * f) == 0:
            a *= f
            b //= f * f
        f += 1
    return a, b


def radical(coef: Fraction | int, radicand: int) -> str:
    """coef * sqrt(radicand) as LaTeX: 25\\sqrt{3}, \\frac{\\sqrt{6}}{2}, -\\frac{5\\sqrt{2}}{2}, 7."""
    out, radicand = simplify_sqrt(radicand)
    coef = Fraction(coef) * out
    if radicand == 1 or coef == 0:
        return number(coef)
    sign = "-" if coef < 0 else ""
    num, den = abs(coef.numerator), coef.denominator
    root = f"\\sqrt{{{radicand}}}"
    top = root if num == 1 else f"{num}{root}"
    return f"{sign}{top}" if den == 1 else f"{sign}\\frac{{{top}}}{{{den}}}"


def sqrt_of(n: int) -> tuple[str, str]:
    """(latex, kind) of sqrt(n): an integer when n is a perfect square, else a simplified radical."""
    r = math.isqrt(n)
    if r * r == n:
        return str(r), "integer"
    return radical(1, n), "expression"


def _coef_term(c: Fraction, var: str) -> str:
    """|c|*var without the sign, omitting a unit coefficient."""
    c = abs(c)
    if c == 1:
        return var
    if c.denominator == 1:
        return f"{c.numerator}{var}"
    return f"\\frac{{{c.numerator}}}{{{c.denominator}}}{var}"


def polynomial(coeffs: list[Fraction | int], var: str = "x") -> str:
    """Coefficients from the highest power down: [1, 2, 1] -> x^2 + 2x + 1."""
    degree = len(coeffs) - 1
    parts: list[str] = []
    for i, c in enumerate(coeffs):
        c = Fraction(c)
        power = degree - i
        if c == 0:
            continue
        if power == 0:
            body = number(abs(c))
        else:
            base = var if power == 1 else f"{var}^{power}" if power < 10 else f"{var}^{{{power}}}"
            body = _coef_term(c, base)
        if not parts:
            parts.append(("-" if c < 0 else "") + body)
        else:
            parts.append((" - " if c < 0 else " + ") + body)
    return "".join(parts) if parts else "0"


def linear_equation(m: Fraction | int, b: Fraction | int, x: str = "x", y: str = "y") -> str:
    return f"{y} = {polynomial([m, b], x)}"


def pair(a: str, b: str) -> str:
    return f"\\left({a},\\,{b}\\right)"


def degrees(n: int) -> str:
    return f"{n}^\\circ"


def chem_formula(counts: list[tuple[str, int]]) -> str:
    """Hill-ordered counts -> \\mathrm{C_{5}H_{12}O}."""
    body = "".join(el if n == 1 else f"{el}_{{{n}}}" for el, n in counts if n > 0)
    return f"\\mathrm{{{body}}}"
