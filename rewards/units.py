"""Units written after a value: recognise them, and compare two of them exactly.

Why a table of our own rather than a general unit library: the reward needs three answers only — "is this
trailing word a unit at all?" (an unknown word is *not* dropped: ``9 \\text{ is wrong}`` stays as written),
"do two units measure the same kind of thing?" and "by which exact factor do they differ?". Exact factors
(rationals times a power of π, so ``rad`` ↔ ``°`` is exact) keep ``5 km`` = ``5000 m`` free of float noise.
Absolute temperatures (°C, °F) are their own kinds: ``30 °C`` never equals ``30 °F`` or ``303.15 K``.

A unit expression is a product of atoms with exponents (``m/s^2``, ``kg·m^{2}·s^{-2}``, ``J/(mol·K)``,
``cm³``); an atom is a known unit, optionally with an SI prefix (``km``, ``µs``, ``MeV``). Counted nouns
(``12 students``, ``4 ways``) are dimensionless counts: they may follow a number, and two different nouns
never match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache


@dataclass(frozen=True)
class Unit:
    """A unit as an exact multiple of SI base units: ``scale · π^pi_power`` per unit of ``dims``."""

    dims: tuple[int, ...]
    scale: Fraction = Fraction(1)
    pi_power: int = 0
    #: counted noun (``students``): dimensionless, and only equal to itself
    noun: str | None = None

    def __mul__(self, other: Unit) -> Unit:
        return Unit(
            tuple(a + b for a, b in zip(self.dims, other.dims)),
            self.scale * other.scale,
            self.pi_power + other.pi_power,
            self.noun or other.noun,
        )

    def __pow__(self, k: int) -> Unit:
        return Unit(tuple(d * k for d in self.dims), self.scale**k, self.pi_power * k, self.noun)

    def same_kind(self, other: Unit) -> bool:
        return self.dims == other.dims and self.noun == other.noun

    def factor_to(self, other: Unit) -> tuple[Fraction, int]:
        """(rational, power of π) such that 1 self = rational · π^power other."""
        return self.scale / other.scale, self.pi_power - other.pi_power


def _dim(**powers: int) -> tuple[int, ...]:
    """Exponents of length, mass, time, current, kelvin, amount, luminosity, angle, money, and one slot per
    absolute-temperature scale (°C, °F) so that those never convert into anything."""
    return tuple(powers.get(name, 0) for name in ("L", "M", "T", "I", "K", "N", "J", "A", "money", "degC", "degF"))


_ONE = _dim()


def _u(dims: tuple[int, ...], scale: Fraction | int | str = 1, pi: int = 0) -> Unit:
    return Unit(dims, Fraction(scale), pi)


# SI-derived and common units; `True` in the second slot: SI prefixes allowed.
_LENGTH, _MASS, _TIME = _dim(L=1), _dim(M=1), _dim(T=1)
_BASE: dict[str, tuple[Unit, bool]] = {
    "m": (_u(_LENGTH), True),
    "g": (_u(_MASS, Fraction(1, 1000)), True),
    "s": (_u(_TIME), True),
    "A": (_u(_dim(I=1)), True),
    "K": (_u(_dim(K=1)), True),
    "mol": (_u(_dim(N=1)), True),
    "cd": (_u(_dim(J=1)), False),
    "L": (_u(_dim(L=3), Fraction(1, 1000)), True),
    "l": (_u(_dim(L=3), Fraction(1, 1000)), True),
    "M": (_u(_dim(N=1, L=-3), 1000), True),  # molar, mol/L
    "N": (_u(_dim(M=1, L=1, T=-2)), True),
    "J": (_u(_dim(M=1, L=2, T=-2)), True),
    "W": (_u(_dim(M=1, L=2, T=-3)), True),
    "Wh": (_u(_dim(M=1, L=2, T=-2), 3600), True),
    "Pa": (_u(_dim(M=1, L=-1, T=-2)), True),
    "V": (_u(_dim(M=1, L=2, T=-3, I=-1)), True),
    "Ω": (_u(_dim(M=1, L=2, T=-3, I=-2)), True),
    "S": (_u(_dim(M=-1, L=-2, T=3, I=2)), True),
    "C": (_u(_dim(I=1, T=1)), True),
    "F": (_u(_dim(M=-1, L=-2, T=4, I=2)), True),
    "H": (_u(_dim(M=1, L=2, T=-2, I=-2)), True),
    "T": (_u(_dim(M=1, T=-2, I=-1)), True),
    "Wb": (_u(_dim(M=1, L=2, T=-2, I=-1)), True),
    "Hz": (_u(_dim(T=-1)), True),
    "eV": (_u(_dim(M=1, L=2, T=-2), Fraction("1.602176634e-19")), True),
    "cal": (_u(_dim(M=1, L=2, T=-2), Fraction("4.184")), True),
    "bar": (_u(_dim(M=1, L=-1, T=-2), 100_000), True),
    "rad": (_u(_dim(A=1)), True),
    "Da": (_u(_MASS, Fraction("1.66053906660e-27")), True),
    "Bq": (_u(_dim(T=-1)), True),
    "Gy": (_u(_dim(L=2, T=-2)), True),
    "Sv": (_u(_dim(L=2, T=-2)), True),
    "lm": (_u(_dim(J=1)), True),
    "lx": (_u(_dim(J=1, L=-2)), True),
    "dB": (_u(_ONE), False),
    # not prefixable
    "min": (_u(_TIME, 60), False),
    "h": (_u(_TIME, 3600), False),
    "hr": (_u(_TIME, 3600), False),
    "d": (_u(_TIME, 86400), False),
    "yr": (_u(_TIME, 31_557_600), False),
    "°": (_u(_dim(A=1), Fraction(1, 180), 1), False),
    "deg": (_u(_dim(A=1), Fraction(1, 180), 1), False),
    "rev": (_u(_dim(A=1), 2, 1), False),
    "rpm": (_u(_dim(A=1, T=-1), Fraction(2, 60), 1), False),
    "°C": (_u(_dim(degC=1)), False),
    "°F": (_u(_dim(degF=1)), False),
    "in": (_u(_LENGTH, Fraction("0.0254")), False),
    "ft": (_u(_LENGTH, Fraction("0.3048")), False),
    "yd": (_u(_LENGTH, Fraction("0.9144")), False),
    "mi": (_u(_LENGTH, Fraction("1609.344")), False),
    "Å": (_u(_LENGTH, Fraction(1, 10**10)), False),
    "mph": (_u(_dim(L=1, T=-1), Fraction("0.44704")), False),
    "kph": (_u(_dim(L=1, T=-1), Fraction(1000, 3600)), False),
    "lb": (_u(_MASS, Fraction("0.45359237")), False),
    "oz": (_u(_MASS, Fraction("0.028349523125")), False),
    "atm": (_u(_dim(M=1, L=-1, T=-2), 101_325), False),
    "mmHg": (_u(_dim(M=1, L=-1, T=-2), Fraction(101_325, 760)), False),  # conventional: 760 mmHg = 1 atm
    "Torr": (_u(_dim(M=1, L=-1, T=-2), Fraction(101_325, 760)), False),
    "torr": (_u(_dim(M=1, L=-1, T=-2), Fraction(101_325, 760)), False),
    "psi": (_u(_dim(M=1, L=-1, T=-2), Fraction("6894.757293168")), False),
    "gal": (_u(_dim(L=3), Fraction("0.003785411784")), False),
    "ha": (_u(_dim(L=2), 10_000), False),
    "$": (_u(_dim(money=1)), False),
    "¢": (_u(_dim(money=1), Fraction(1, 100)), False),
    "€": (Unit(_dim(money=1), Fraction(1), 0, "EUR"), False),
    "£": (Unit(_dim(money=1), Fraction(1), 0, "GBP"), False),
    "¥": (Unit(_dim(money=1), Fraction(1), 0, "JPY"), False),
}
# Spelled-out names (singular and plural) → table symbol.
_WORDS = {
    "meter": "m", "metre": "m", "gram": "g", "second": "s", "sec": "s", "ampere": "A", "amp": "A",
    "kelvin": "K", "mole": "mol", "liter": "L", "litre": "L", "newton": "N", "joule": "J", "watt": "W",
    "pascal": "Pa", "volt": "V", "ohm": "Ω", "coulomb": "C", "farad": "F", "henry": "H", "tesla": "T",
    "hertz": "Hz", "calorie": "cal", "radian": "rad", "minute": "min", "hour": "h", "day": "d",
    "year": "yr", "degree": "°", "inch": "in", "inches": "in", "foot": "ft", "feet": "ft", "yard": "yd",
    "mile": "mi", "pound": "lb", "ounce": "oz", "gallon": "gal", "hectare": "ha", "dollar": "$",
    "cent": "¢", "USD": "$", "sq": None, "square": None, "cubic": None, "celsius": "°C", "fahrenheit": "°F",
    "week": None, "month": None,
}
_WORD_PREFIXES = {"kilo": "k", "centi": "c", "milli": "m", "micro": "µ", "nano": "n", "mega": "M"}
_EXTRA_TIME = {"week": 604_800, "weeks": 604_800, "wk": 604_800}
_PREFIXES = {
    "Y": Fraction(10) ** 24, "Z": Fraction(10) ** 21, "E": Fraction(10) ** 18, "P": Fraction(10) ** 15,
    "T": Fraction(10) ** 12, "G": Fraction(10) ** 9, "M": Fraction(10) ** 6, "k": Fraction(1000),
    "h": Fraction(100), "da": Fraction(10), "d": Fraction(1, 10), "c": Fraction(1, 100),
    "m": Fraction(1, 1000), "µ": Fraction(1, 10**6), "u": Fraction(1, 10**6), "n": Fraction(1, 10**9),
    "p": Fraction(1, 10**12), "f": Fraction(1, 10**15), "a": Fraction(1, 10**18),
}
#: counted nouns that may follow a number (``12 students``): a fixed list, so ``9 is wrong`` is never a unit
COUNT_NOUNS = frozenset(
    re.findall(
        r"\S+",
        """unit units item items way ways people person persons student students time times case cases pair
    pairs point points number numbers digit digits term terms solution solutions root roots triangle
    triangles square squares cube cubes ball balls coin coins card cards marble marbles apple apples book
    books page pages game games step steps move moves outcome outcomes arrangement arrangements combination
    combinations permutation permutations subset subsets sequence sequences integer integers element elements
    vertex vertices edge edges face faces side sides child children adult adults boy boys girl girls man men
    woman women friend friends member members team teams box boxes bag bags car cars tree trees cell cells
    molecule molecules atom atoms electron electrons proton protons neutron neutrons photon photons bond
    bonds gene genes allele alleles chromosome chromosomes codon codons nucleotide nucleotides base bases
    individual individuals organism organisms species generation generations offspring trial trials
    round rounds hour-long tile tiles block blocks letter letters word words line lines region regions
    chair chairs seat seats table tables dot dots path paths choice choices possibility possibilities
    configuration configurations""",
    )
)
_UNIT_CHARS = re.compile(r"^[A-Za-zµμΩ°Å$¢€£¥%·*/^{}()\-−0-9.\s²³⁻¹\\]+$")
_LATEX_UNIT_MACROS = (
    ("\\Omega", "Ω"), ("\\ohm", "Ω"), ("\\mu", "µ"), ("\\AA", "Å"), ("\\circ", "°"), ("\\degree", "°"),
    ("\\%", "%"), ("\\$", "$"), ("\\cdot", "·"), ("\\times", "·"), ("μ", "µ"), ("−", "-"),
    ("²", "^2"), ("³", "^3"), ("⁻¹", "^-1"), ("⁻²", "^-2"), ("⋅", "·"), ("\\,", " "), ("\\ ", " "), ("\\;", " "),
)
_TEXT_WRAPPER = re.compile(r"\\(?:text|mathrm|textrm|mbox|rm|textnormal|operatorname|mathit|textit)\s*\{")
MAX_UNIT_CHARS = 60


class UnitError(ValueError):
    """Not a unit we know."""


@lru_cache(maxsize=8192)
def parse_unit(text: str) -> Unit:
    """The unit written in ``text`` (``km/h``, ``\\text{m}^{2}``, ``J/(mol·K)``); raises UnitError."""
    s = _flatten(text)
    if not s or len(s) > MAX_UNIT_CHARS or not _UNIT_CHARS.match(s):
        raise UnitError(f"not a unit: {text[:40]!r}")
    words = s.split()
    lowered = [w.lower() for w in words]
    if len(words) == 1 and lowered[0] in COUNT_NOUNS and s not in _BASE:
        singular = lowered[0][:-1] if lowered[0].endswith("s") and lowered[0][:-1] in COUNT_NOUNS else lowered[0]
        return Unit(_ONE, noun=singular)
    if (
        len(words) == 2
        and lowered[0] in ("degree", "degrees", "deg", "°")
        and lowered[1] in ("celsius", "fahrenheit", "c", "f")
    ):
        return _BASE["°C" if lowered[1].startswith("c") else "°F"][0]
    if len(words) == 2 and lowered[0] in ("square", "sq", "cubic"):
        if lowered[1] in COUNT_NOUNS:
            return Unit(_ONE, noun="unit")
        return atom(words[1]) ** (3 if lowered[0] == "cubic" else 2)
    return _UnitParser(s).parse()


def _flatten(text: str) -> str:
    s = text.strip()
    for _ in range(4):  # \text{m}/\text{s} and nested wrappers
        m = _TEXT_WRAPPER.search(s)
        if not m:
            break
        depth, k = 1, m.end()
        while k < len(s) and depth:
            depth += {"{": 1, "}": -1}.get(s[k], 0)
            k += 1
        s = s[: m.start()] + s[m.end() : k - 1] + s[k:]
    for macro, plain in _LATEX_UNIT_MACROS:
        s = s.replace(macro, plain)
    s = re.sub(r"\^\s*\{?\s*°\s*\}?", "°", s)
    s = re.sub(r"\s*([·*/^])\s*", r"\1", s)
    s = re.sub(r"\^\{\s*([+-]?\d+)\s*\}", r"^\1", s)
    s = re.sub(r"°\s*([CF])(?![A-Za-z])", r"°\1", s)
    s = re.sub(r"µ\s+(?=[A-Za-zΩ])", "µ", s)
    return re.sub(r"\s+", " ", s).strip()


class _UnitParser:
    """product := factor (('·'|'*'|' '|'/') factor)*;  factor := atom ('^' int)? | '(' product ')' ('^' int)?"""

    _TOKEN = re.compile(r"\s*(?:(?P<atom>[A-Za-zµΩ°Å$¢€£¥%]+)|(?P<op>[·*/^() ])|(?P<num>[+-]?\d+))")

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos] == " ":
                self.tokens.append(("op", " "))
                pos += 1
                continue
            m = self._TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise UnitError(f"unexpected {text[pos]!r} in a unit")
            kind = m.lastgroup or "op"
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def parse(self) -> Unit:
        unit = self.product()
        if self.peek() is not None:
            raise UnitError("trailing text after a unit")
        return unit

    def product(self) -> Unit:
        unit = self.factor()
        while (tok := self.peek()) is not None and tok[1] in ("·", "*", " ", "/"):
            self.i += 1
            if self.peek() is None:
                raise UnitError("dangling operator")
            rhs = self.factor()
            unit = unit * (rhs ** -1 if tok[1] == "/" else rhs)
        return unit

    def factor(self) -> Unit:
        tok = self.peek()
        if tok is None:
            raise UnitError("missing unit")
        self.i += 1
        if tok == ("op", "("):
            unit = self.product()
            if self.peek() != ("op", ")"):
                raise UnitError("unclosed bracket")
            self.i += 1
        elif tok[0] == "atom":
            unit = atom(tok[1])
        else:
            raise UnitError(f"unexpected {tok[1]!r}")
        if self.peek() == ("op", "^"):
            self.i += 1
            exp = self.peek()
            if exp is None or exp[0] != "num" or abs(int(exp[1])) > 6:
                raise UnitError("bad unit exponent")
            self.i += 1
            unit = unit ** int(exp[1])
        elif (nxt := self.peek()) is not None and nxt[0] == "num" and 0 < int(nxt[1]) <= 4:
            self.i += 1  # m2, s-1: an exponent written without ^
            unit = unit ** int(nxt[1])
        return unit


@lru_cache(maxsize=4096)
def atom(name: str) -> Unit:
    """One unit symbol or word, with an SI prefix where the unit takes one."""
    if name in _BASE:
        return _BASE[name][0]
    if name in _EXTRA_TIME:
        return _u(_TIME, _EXTRA_TIME[name])
    if len(name) > 2 and name.endswith("s") and name[:-1] in _BASE:
        return _BASE[name[:-1]][0]  # hrs, mins, mols
    lowered = name.lower()
    for word in (
        lowered,
        lowered[:-1] if lowered.endswith("s") else None,
        lowered[:-2] if lowered.endswith("es") else None,
    ):
        if word and word in _WORDS and _WORDS[word] is not None:
            return _BASE[_WORDS[word]][0]
        if word:
            for spelled, symbol in _WORD_PREFIXES.items():
                rest = word[len(spelled):]
                if word.startswith(spelled) and rest in _WORDS and _WORDS[rest] in _BASE and _BASE[_WORDS[rest]][1]:
                    base = _BASE[_WORDS[rest]][0]
                    return Unit(base.dims, base.scale * _PREFIXES[symbol], base.pi_power)
    for prefix in sorted(_PREFIXES, key=len, reverse=True):
        rest = name[len(prefix):]
        if name.startswith(prefix) and rest in _BASE and _BASE[rest][1]:
            base = _BASE[rest][0]
            return Unit(base.dims, base.scale * _PREFIXES[prefix], base.pi_power)
    raise UnitError(f"unknown unit {name!r}")


def is_unit(text: str) -> bool:
    try:
        parse_unit(text)
    except UnitError:
        return False
    return True
