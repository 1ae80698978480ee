"""Turning answers as written (by a model or a dataset) into one canonical form.

Golds and predictions go through the same functions, so ``\\[12\\]``,
``$12$``, ``12.`` and ``\\boxed{12}`` all meet the tiers as ``12``. Only
presentation is removed here (delimiters, spacing, ``\\text{}`` wrappers,
trailing units, thousands separators); anything that could change the value is
left for the tiers to judge.
"""

from __future__ import annotations

import re
from functools import lru_cache

# --- delimiters -------------------------------------------------------------

_DELIMS = (("\\[", "\\]"), ("\\(", "\\)"), ("$$", "$$"), ("$", "$"))
_WRAPPERS = ("\\boxed", "\\fbox", "\\displaystyle")


def strip_delimiters(text: str) -> str:
    """Remove math delimiters and ``\\boxed{}`` that wrap the whole text, repeatedly."""
    s = text.strip()
    changed = True
    while changed and s:
        changed = False
        for left, right in _DELIMS:
            if len(s) >= len(left) + len(right) and s.startswith(left) and s.endswith(right):
                inner = s[len(left) : len(s) - len(right)]
                if left == "$" and "$" in inner:
                    continue  # "$a$ and $b$" is two math spans, not one
                s = inner.strip()
                changed = True
        for cmd in ("\\boxed", "\\fbox"):
            if s.startswith(cmd):
                body = s[len(cmd) :].lstrip()
                if body.startswith("{"):
                    end = matching_brace(body, 0)
                    if end == len(body) - 1:
                        s = body[1:-1].strip()
                        changed = True
    return s


def matching_brace(text: str, i: int) -> int:
    """Index of the ``}`` that closes the ``{`` at ``i``; -1 when unbalanced."""
    depth = 0
    for k in range(i, len(text)):
        ch = text[k]
        if ch == "\\":
            continue
        if ch == "{" and (k == 0 or text[k - 1] != "\\"):
            depth += 1
        elif ch == "}" and (k == 0 or text[k - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return k
    return -1


# --- canonical "clean" form -------------------------------------------------

_SPACING = re.compile(
    r"\\(?:,|;|:|!|>|quad|qquad|displaystyle|textstyle|scriptstyle|nonumber)(?![A-Za-z])|\\ |~"
)
_LEFT_RIGHT = re.compile(
    r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![A-Za-z])\s*"
)
_LEFT_RIGHT_DOT = re.compile(r"\\(?:left|right)\s*\.")
_DEGREE = re.compile(
    r"\s*(?:\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\degree(?![A-Za-z])|\^\s*\{\s*o\s*\})"
    r"(?:\s*(?:\\(?:text|mathrm)\s*\{\s*[CFK]\s*\}|[CF](?![A-Za-z])))?"  # °C / °F: a temperature unit
)
_TEXT_CMDS = (
    "text",
    "textbf",
    "textit",
    "textrm",
    "mathrm",
    "mathbf",
    "mathit",
    "mbox",
    "rm",
    "operatorname",
    "textnormal",
)
_TEXT_CMD_RE = re.compile(r"\\(" + "|".join(_TEXT_CMDS) + r")\s*\{")
_TRAILING_TEXT_UNIT = re.compile(
    r"^(?P<body>.*?\S)\s*\\(?:text|mathrm|textrm|mbox|rm|textnormal)\s*\{\s*(?P<unit>[A-Za-zµΩ°][A-Za-zµΩ°\s/.·\-]*\d?)\s*\}"
    r"(?P<exp>\s*\^\s*\{?\s*-?\d\s*\}?)?\s*$"
)
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_LATEX_THOUSANDS = re.compile(r"(?<=\d)\{,\}(?=\d{3})")
_NUMBER_PREFIX = (  # longest forms first: the unit is whatever follows the whole number
    r"[+-]?\\frac\{\d+\}\{\d+\}|[+-]?\d+/\d+"
    r"|[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:\s*(?:\\times|\\cdot)\s*10\^\{?-?\d+\}?)?"
)
#: unit macros (ohm, micro-, angstrom) may follow a number without a space
_LATEX_UNIT = re.compile(r"^(?:[kMmG]?\\Omega|\\mu\s*[A-Za-z]+|\\AA|\\ohm)(?:\^\{?-?\d\}?)?$")
_UNITS = {
    # length, area, volume
    "m",
    "cm",
    "mm",
    "km",
    "nm",
    "um",
    "μm",
    "µm",
    "in",
    "inch",
    "inches",
    "ft",
    "feet",
    "foot",
    "yd",
    "mi",
    "mile",
    "miles",
    "meter",
    "meters",
    "metre",
    "metres",
    "centimeters",
    "millimeters",
    "kilometers",
    "L",
    "l",
    "mL",
    "ml",
    "liter",
    "liters",
    "litre",
    "litres",
    # mass, amount, time
    "g",
    "kg",
    "mg",
    "µg",
    "ug",
    "gram",
    "grams",
    "kilograms",
    "mol",
    "mmol",
    "moles",
    "M",
    "mM",
    "µM",
    "s",
    "sec",
    "second",
    "seconds",
    "ms",
    "min",
    "minute",
    "minutes",
    "h",
    "hr",
    "hrs",
    "hour",
    "hours",
    "day",
    "days",
    "week",
    "weeks",
    "year",
    "years",
    # physics
    "N",
    "kN",
    "J",
    "kJ",
    "MJ",
    "eV",
    "keV",
    "MeV",
    "GeV",
    "W",
    "kW",
    "MW",
    "V",
    "mV",
    "kV",
    "A",
    "mA",
    "Pa",
    "kPa",
    "MPa",
    "atm",
    "bar",
    "K",
    "Hz",
    "kHz",
    "MHz",
    "GHz",
    "C",
    "F",
    "T",
    "ohm",
    "ohms",
    "Ω",
    "cal",
    "kcal",
    "dB",
    "rad",
    "radians",
    "deg",
    "degrees",
    "m/s",
    "km/h",
    "mph",
    "m/s^2",
    "m/s^{2}",
    "cm^2",
    "cm^3",
    "m^2",
    "m^3",
    "km^2",
    "mm^2",
    "ft^2",
    "in^2",
    "cm^{2}",
    "cm^{3}",
    "m^{2}",
    "m^{3}",
    "g/mol",
    "kg/m^3",
    "J/mol",
    "kJ/mol",
    "N/m",
    "units",
    "unit",
    "square units",
    "sq units",
    # money and counts
    "dollars",
    "dollar",
    "cents",
    "cent",
    "USD",
    "percent",
}


def _unwrap_text_commands(s: str) -> str:
    """``\\text{abc}`` → ``abc`` (balanced braces; nested wrappers unwrap too)."""
    for _ in range(20):
        m = _TEXT_CMD_RE.search(s)
        if not m:
            return s
        open_at = m.end() - 1
        close_at = matching_brace(s, open_at)
        if close_at < 0:
            return s[: m.start()] + s[open_at + 1 :]
        s = s[: m.start()] + s[open_at + 1 : close_at] + s[close_at + 1 :]
    return s


def _split_units(s: str) -> tuple[str, str | None]:
    """(value, unit) when a recognised unit trails a value, else (s, None)."""
    unit: str | None = None
    m = _TRAILING_TEXT_UNIT.match(s)
    if m and "=" not in m.group("body") and not m.group("body").endswith(("\\", "{", "(")):
        s, unit = m.group("body").strip(), m.group("unit").strip() + (m.group("exp") or "").strip()
    m = re.match(rf"^({_NUMBER_PREFIX})(\s*)(.+)$", s)
    if m:
        tail = m.group(3).strip()
        if (m.group(2) and tail in _UNITS) or _LATEX_UNIT.match(tail):
            s, unit = m.group(1), tail
    return s, unit


def _strip_units(s: str) -> str:
    return _split_units(s)[0]


_UNIT_ALIASES = {
    "\\Omega": "Ω", "\\ohm": "Ω", "ohm": "Ω", "ohms": "Ω", "\\AA": "Å", "\\mu": "µ", "μ": "µ",
    "inches": "in", "inch": "in", "seconds": "s", "second": "s", "sec": "s", "meters": "m", "meter": "m",
    "grams": "g", "gram": "g", "degrees": "°", "degree": "°", "\\circ": "°", "^{\\circ}": "°",
}


def canonical_unit(unit: str) -> str:
    """Spelling-independent unit key (`\\Omega`, `ohm` -> `Ω`); case is kept: `mS` and `ms` differ."""
    u = re.sub(r"\s+", "", unit)
    for alias, canon in sorted(_UNIT_ALIASES.items(), key=lambda kv: -len(kv[0])):
        u = u.replace(alias, canon)
    return u.replace("{", "").replace("}", "")


@lru_cache(maxsize=65536)
def stated_unit(text: str) -> str | None:
    """The unit written after the value (what `clean` drops), canonicalised; None when there is none.

    `clean` removes units so `5\\,\\text{m}` and `5` can match; the grader compares units separately so
    that `5 km` never matches a gold of `5 m`.
    """
    s = text.replace("\u2212", "-")
    s = re.sub(r"\s+", " ", s).strip()
    s = strip_delimiters(s)
    s = _SPACING.sub(" ", s)
    s = s.replace("\\%", "%")
    for _ in range(2):
        s, unit = _split_units(s.rstrip(" .;,").strip())
        if unit:
            return canonical_unit(unit)
        s = _unwrap_text_commands(s)
    return None


@lru_cache(maxsize=65536)
def clean(text: str) -> str:
    """The canonical form every tier receives (value-preserving)."""
    s = text.replace("\u2212", "-")
    s = re.sub(r"\s+", " ", s).strip()  # first: later patterns then never scan long blank runs
    s = strip_delimiters(s)
    s = _LEFT_RIGHT_DOT.sub("", s)
    s = _LEFT_RIGHT.sub("", s)
    s = _SPACING.sub(" ", s)
    s = re.sub(r"\\[dt]frac(?![A-Za-z])", r"\\frac", s)
    s = re.sub(r"\\[dt]binom(?![A-Za-z])", r"\\binom", s)
    s = _DEGREE.sub(lambda _m: "^{\\circ}", s)
    s = s.replace("\\%", "%").replace("\\$", "").replace("\\&", "&")
    if s.startswith("$") and "$" not in s[1:]:
        s = s[1:]  # a dollar sign used as a currency prefix
    s = _strip_units(s)
    s = _unwrap_text_commands(s)
    s = _LATEX_THOUSANDS.sub("", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = strip_delimiters(s)
    s = s.rstrip(" .;,").strip()
    s = re.sub(r"^\*\*(.*)\*\*$", r"\1", s).strip()
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    s = _strip_units(s)
    return s


def has_degree(s: str) -> bool:
    return "^{\\circ}" in s


def drop_degree(s: str) -> str:
    return s.replace("^{\\circ}", "").strip()


_MATH_WORDS = {
    "sin",
    "cos",
    "tan",
    "cot",
    "sec",
    "csc",
    "log",
    "ln",
    "exp",
    "sqrt",
    "pi",
    "lim",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "max",
    "min",
    "gcd",
    "lcm",
    "det",
}
_WORD = re.compile(r"[A-Za-z]{3,}")


def is_prose(s: str) -> bool:
    """Words rather than mathematics (``Anterior``, ``2-methylpropan-1-ol``, ``CCO``)."""
    if "\\" in s:
        return False
    words = _WORD.findall(s)
    return any(w.lower() not in _MATH_WORDS for w in words)


def _fold_word(m: re.Match) -> str:
    """Case-fold a word, but not what case distinguishes: ``CO`` ≠ ``Co``, ``NaCl``, ``II``."""
    word = m.group()
    if (
        len(word) == 1
        or word.islower()
        or word[1:].islower()
        or (word.isupper() and len(word) >= 4)
    ):
        return word.lower()
    return word


def exact_key(s: str) -> str:
    """The string the exact tier compares: prose with words case-folded, space-free math."""
    s = drop_degree(s).replace("%", "").strip()
    if is_prose(s) or re.fullmatch(r"[A-Za-z][A-Za-z\s'\-]*", s):
        return re.sub(r"[A-Za-z]+", _fold_word, re.sub(r"\s+", " ", s)).rstrip(".")
    return re.sub(r"\s+", "", s)


_ASSIGN = re.compile(
    r"^\s*(?P<lhs>[A-Za-z](?:_\{?[A-Za-z0-9]+\}?)?|\\[A-Za-z]+(?:_\{?[A-Za-z0-9]+\}?)?|[A-Za-z]\([A-Za-z]\))"
    r"\s*(?:=|\\approx|≈)\s*(?P<rhs>[^=<>]+?)\s*$"
)


def split_assignment(s: str) -> tuple[str, str] | None:
    """``x = 5`` → (``x``, ``5``); ``y=2x+1`` → (``y``, ``2x+1``); None if not a simple assignment."""
    m = _ASSIGN.match(s)
    if not m or "\\le" in m.group("rhs") or "\\ge" in m.group("rhs"):
        return None
    return m.group("lhs"), m.group("rhs")
