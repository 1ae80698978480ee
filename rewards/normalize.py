"""Turning one answer as written (by a model or a dataset) into the form the tiers compare.

Golds and predictions go through the same functions, so ``\\[12\\]``, ``$12$``, ``12.`` and ``\\boxed{12}``
all meet the tiers as ``12``. Only presentation is removed here (delimiters, spacing, ``\\text{}`` wrappers,
thousands separators, a trailing *known* unit); anything that could change the value is left for the tiers.
A trailing word that is not a known unit is kept: ``9 \\text{ is wrong}`` stays as written.

Every function here is linear in its input (no regular expression with nested unbounded repetition).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .units import Unit, UnitError, parse_unit

# --- delimiters -------------------------------------------------------------

_DELIMS = (("\\[", "\\]"), ("\\(", "\\)"), ("$$", "$$"), ("$", "$"))


def strip_delimiters(text: str) -> str:
    """Remove math delimiters and ``\\boxed{}`` that wrap the whole text, repeatedly."""
    s = text.strip()
    changed = True
    while changed and s:
        changed = False
        for left, right in _DELIMS:
            if len(s) >= len(left) + len(right) and s.startswith(left) and s.endswith(right):
                inner = s[len(left) : len(s) - len(right)]
                if left == "$" and "$" in inner.replace("\\$", ""):
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
        if (
            s.startswith("(")
            and s.endswith(")")
            and s[1:].lstrip().startswith("\\begin{")
            and matching_paren(s, 0) == len(s) - 1
        ):
            s = s[1:-1].strip()  # (\begin{pmatrix}…\end{pmatrix}): brackets around a matrix are decoration
            changed = True
    return s


def matching_brace(text: str, i: int) -> int:
    """Index of the ``}`` that closes the ``{`` at ``i``; -1 when unbalanced (escaped braces are skipped)."""
    depth = 0
    k = i
    n = len(text)
    while k < n:
        ch = text[k]
        if ch == "\\":
            k += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return k
        k += 1
    return -1


def matching_paren(text: str, i: int) -> int:
    """Index of the bracket closing the one at ``i`` (any of ``([{``), -1 when unbalanced."""
    depth = 0
    for k in range(i, len(text)):
        ch = text[k]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return k
    return -1


# --- presentation -------------------------------------------------------------

#: `\\` (a row break) is consumed first, so its second backslash never reads as `\ ` (a space)
_SPACING = re.compile(
    r"\\\\|\\(?:,|;|:|!|>|qquad|quad|displaystyle|textstyle|scriptstyle|nonumber|hfill|hspace\{[^{}]{0,20}\})"
    r"|\\ |~"
)
_LEFT_RIGHT = re.compile(
    r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![A-Za-z])\s?"
)
_LEFT_RIGHT_DOT = re.compile(r"\\(?:left|right)\s?\.")
_DOUBLED_COMMANDS = (
    "frac|dfrac|tfrac|cfrac|sqrt|left|right|pi|cdot|times|boxed|fbox|text|mathrm|mbox|textbf|infty|le|ge|leq"
    "|geq|neq|ne|cup|cap|begin|end|pm|mp|circ|degree|alpha|beta|gamma|delta|theta|lambda|mu|sigma|omega|Omega"
    "|Delta|ln|log|sin|cos|tan|exp|mathbf|overline|vec|hat|ldots|cdots|dots|approx|quad|qquad|in|notin|binom"
)
_DOUBLED = re.compile(r"(?<!\\)\\\\(?=(?:" + _DOUBLED_COMMANDS + r")(?![A-Za-z]))")
_TEXT_CMDS = (
    "text", "textbf", "textit", "textrm", "textsf", "texttt", "mathrm", "mathbf", "mathit", "mathsf",
    "mathtt", "mbox", "rm", "operatorname", "textnormal", "emph", "boldsymbol", "bm",
)
_TEXT_CMD_RE = re.compile(r"\\(" + "|".join(_TEXT_CMDS) + r")\s*\{")
_DEGREE = re.compile(
    r"\s?(?:\^\s?\{\s?\\circ\s?\}|\^\s?\\circ(?![A-Za-z])|°|\\degree(?![A-Za-z])|\^\s?\{\s?o\s?\}|\\circ(?![A-Za-z]))"
)
_TEMPERATURE = re.compile(r"\^\{\\circ\}\s?(?:\\(?:text|mathrm)\s?\{\s?([CF])\s?\}|([CF])(?![A-Za-z]))")
_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$")
_SPACE_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}(?: \d{3})+(?:\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^([+-]?\d+),(\d+)$")
_LATEX_THOUSANDS = re.compile(r"(?<=\d)(?:\{,\}|,\\!\s?)(?=\d{3}(?!\d))")
#: ``0{,}5``, ``3{,}1416``: LaTeX's decimal comma (a group of exactly three digits is thousands, above)
_LATEX_DECIMAL_COMMA = re.compile(r"(?<=\d)\{,\}(?=\d)")


def _latex_thousands(m: re.Match) -> str:
    """``14{,}916``: thousands; ``0{,}500``: a decimal comma (no thousands group follows a lone 0)."""
    s = m.string
    i = m.start() - 1
    while i >= 0 and s[i].isdigit():
        i -= 1
    whole = s[i + 1 : m.start()]
    return "." if whole == "0" and m.group() == "{,}" else ""


def latex_separators(s: str) -> str:
    """LaTeX number separators: ``12{,}345`` and ``12,\\!345`` are thousands, ``0{,}5`` a decimal comma."""
    s = _LATEX_THOUSANDS.sub(_latex_thousands, s)
    return _LATEX_DECIMAL_COMMA.sub(".", s)
_PERCENT_WORD = re.compile(r"(?<=[\d}$])\s?(?:\\%|%|per\s?cent(?:age)?|pct)(?![A-Za-z])", re.IGNORECASE)
_CURRENCY_PREFIX = re.compile(r"^(?:\\\$|\$|€|£|¥|US\$)\s?(?=[+-]?\.?\d)")
_CURRENCY_SUFFIX = re.compile(r"(?<=\d)\s?(?:\\\$|\$|€|£|¥)$")
_NUMBER_PREFIX = (  # longest forms first: the unit is whatever follows the whole number
    r"[+-]?\\frac\{[^{}]{1,40}\}\{[^{}]{1,40}\}|[+-]?\d+/\d+|[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?"
    r"|[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:\s?(?:\\times|\\cdot)\s?10\^\{?-?\d+\}?)?"
)
_NUMBER_THEN_UNIT = re.compile(rf"^({_NUMBER_PREFIX})(\s?)([^\d\s].{{0,59}})$")
_TRAILING_WRAPPED = re.compile(
    r"^(?P<body>.*?\S)\s?\\(?:text|mathrm|textrm|mbox|rm|textnormal|operatorname)\s?\{"
)


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


def undouble_backslashes(s: str) -> str:
    """``\\\\frac`` → ``\\frac`` in text that was escaped twice (JSON inside JSON); row breaks stay."""
    if not _DOUBLED.search(s):
        return s
    s = s.replace("\\\\\\\\", "\\\\")  # an escaped row break
    return _DOUBLED.sub(r"\\", s)


def _spacing(m: re.Match) -> str:
    return m.group() if m.group() == "\\\\" else " "


_UNICODE_MATH = str.maketrans(
    {"∈": " \\in ", "∉": " \\notin ", "∪": " \\cup ", "∩": " \\cap ", "∞": "\\infty ", "±": "\\pm ", "∓": "\\mp ",
     "·": " \\cdot ", "×": " \\times ", "π": "\\pi ", "√": "\\sqrt", "⋅": " \\cdot "}
)


def presentation(text: str) -> str:
    """Delimiters, spacing, ``\\left``/``\\right``, ``\\dfrac`` and degree signs in one canonical spelling."""
    s = text.replace("\u2212", "-").replace("\u2013", "-").replace("\u00a0", " ")
    s = s.translate(_UNICODE_MATH)
    s = re.sub(r"\s+", " ", s).strip()  # first: later patterns then never scan long blank runs
    s = undouble_backslashes(s)
    s = strip_delimiters(s)
    s = _LEFT_RIGHT_DOT.sub("", s)
    s = _LEFT_RIGHT.sub("", s)
    s = _SPACING.sub(_spacing, s)
    s = re.sub(r"\\[dtc]frac(?![A-Za-z])", r"\\frac", s)
    s = re.sub(r"\\[dt]binom(?![A-Za-z])", r"\\binom", s)
    s = re.sub(r"\\(?:ne|not\s?=)(?![A-Za-z])", r"\\neq", s).replace("≠", "\\neq")
    s = re.sub(r"(?<![\d)!])!=", r"\\neq ", s)
    s = s.replace("≤", "\\le ").replace("≥", "\\ge ").replace("\\leqslant", "\\le").replace("\\geqslant", "\\ge")
    s = _DEGREE.sub(lambda _m: "^{\\circ}", s)
    s = _TEMPERATURE.sub(lambda m: f"^{{\\circ}}{m.group(1) or m.group(2)}", s)
    s = latex_separators(s)
    s = re.sub(r"([_^])\{\s?([A-Za-z0-9])\s?\}", r"\1\2", s)  # C_{5} = C_5, x^{2} = x^2
    s = s.replace("\\&", "&")
    s = re.sub(r"\s+", " ", s).strip()
    return s


# --- values and units -----------------------------------------------------------


@dataclass(frozen=True)
class Canon:
    """One answer ready for the tiers: its value text, and the unit written after it (if any)."""

    value: str
    unit: Unit | None = None
    unit_text: str | None = None


def _split_unit(s: str) -> tuple[str, Unit | None, str | None]:
    """(value, unit, unit as written) when a *known* unit trails a value, else (s, None, None)."""
    temp = re.match(r"^(.*\S)\s?\^\{\\circ\}([CF])$", s)
    if temp:
        return temp.group(1).strip(), parse_unit(f"°{temp.group(2)}"), f"°{temp.group(2)}"
    m = _TRAILING_WRAPPED.match(s)
    if m and "=" not in m.group("body") and not m.group("body").endswith(("\\", "{", "(", "^", "_")):
        open_at = m.end() - 1
        close_at = matching_brace(s, open_at)
        if close_at > 0:
            tail = s[m.start("body") + len(m.group("body")) :].strip()
            unit = _known_unit(tail)
            if unit is not None:
                return m.group("body").strip(), unit, tail
    m = _NUMBER_THEN_UNIT.match(s)
    if m:
        tail = m.group(3).strip()
        if (m.group(2) or tail.startswith(("\\", "µ", "Ω", "Å", "%"))) or _glued_unit(tail):
            unit = _known_unit(tail)
            if unit is not None:
                return m.group(1), unit, tail
    return s, None, None


_GLUED_UNITS = frozenset(
    re.findall(
        r"\S+", "km cm mm nm µm kg mg ms µs ns mL ml min kJ MJ kW MW kV mV mA kHz MHz GHz Hz kPa MPa Pa mol mmol kcal"
    )
)


def _glued_unit(tail: str) -> bool:
    """``5km``, ``12cm^2``, ``1,000.99m²``: a unit written without a space. One letter (``5m``, ``3h``) could be
    a product with a variable, so only multi-letter symbols and symbols with an exponent count."""
    head = re.split(r"[\^²³/·*]", tail, maxsplit=1)[0]
    return head in _GLUED_UNITS or (
        len(head) >= 1 and head.isalpha() and len(tail) > len(head) and len(tail) <= 10 and tail[len(head)] in "^²³"
    )


def _known_unit(tail: str) -> Unit | None:
    try:
        return parse_unit(tail)
    except UnitError:
        return None


def _value_forms(s: str) -> str:
    """Currency signs, percent words and thousands/decimal separators of a written number."""
    s = _CURRENCY_PREFIX.sub("", s)
    s = _CURRENCY_SUFFIX.sub("", s)
    s = _PERCENT_WORD.sub("%", s)
    if _THOUSANDS.match(s):
        return s.replace(",", "")
    if _SPACE_THOUSANDS.match(s):
        return s.replace(" ", "")
    m = _DECIMAL_COMMA.match(s)
    if m:  # 1000,5 / 0,111 / 1,22: a decimal comma (a thousands group has exactly three digits)
        return f"{m.group(1)}.{m.group(2)}"
    return s


@lru_cache(maxsize=65536)
def canonical(text: str) -> Canon:
    """The value every tier receives, and the unit that was written after it (compared separately)."""
    s = presentation(text)
    currency = _CURRENCY_PREFIX.match(s) is not None or _CURRENCY_SUFFIX.search(s) is not None
    s = _value_forms(s)
    value, unit, unit_text = _split_unit(s)
    value = _unwrap_text_commands(value)
    value = re.sub(r"\s+", " ", value).strip()
    value = strip_delimiters(value)
    value = value.rstrip(" .;,").strip()
    value = re.sub(r"^\*\*(.*)\*\*$", r"\1", value).strip()
    value = _value_forms(value)
    if unit is None:
        value, unit, unit_text = _split_unit(value)
    if unit is None and currency and parse_number_like(value):
        unit, unit_text = parse_unit("$"), "$"
    if unit is None and "=" in value:
        named = split_assignment(value)  # x = 5 km: the unit belongs to the value
        if named is not None:
            rhs, unit, unit_text = _split_unit(_value_forms(named[1]))
            if unit is not None:
                value = f"{named[0]} = {rhs}"
    return Canon(value, unit, unit_text)


def parse_number_like(s: str) -> bool:
    return re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", s) is not None


@lru_cache(maxsize=65536)
def clean(text: str) -> str:
    """The canonical value text (units removed; see :func:`canonical`)."""
    return canonical(text).value


def has_degree(s: str) -> bool:
    return "^{\\circ}" in s


def drop_degree(s: str) -> str:
    return s.replace("^{\\circ}", "").strip()


# --- words versus mathematics ----------------------------------------------------

_MATH_WORDS = {
    "sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "exp", "sqrt", "pi", "lim", "arcsin", "arccos",
    "arctan", "sinh", "cosh", "tanh", "max", "min", "gcd", "lcm", "det", "infty", "inf", "frac",
}
_WORD = re.compile(r"[A-Za-z]{3,}")


def is_prose(s: str) -> bool:
    """Words rather than mathematics (``Anterior``, ``2-methylpropan-1-ol``, ``CCO``)."""
    if "\\" in s:
        return False
    words = _WORD.findall(s)
    return any(w.lower() not in _MATH_WORDS for w in words)


_ELEMENTS = (
    "He|Li|Be|Ne|Na|Mg|Al|Si|Cl|Ar|Ca|Sc|Ti|Cr|Mn|Fe|Co|Ni|Cu|Zn|Ga|Ge|As|Se|Br|Kr|Rb|Sr|Zr|Nb|Mo|Tc|Ru|Rh"
    "|Pd|Ag|Cd|In|Sn|Sb|Te|Xe|Cs|Ba|La|Ce|Pr|Nd|Pm|Sm|Eu|Gd|Tb|Dy|Ho|Er|Tm|Yb|Lu|Hf|Ta|Re|Os|Ir|Pt|Au|Hg"
    "|Tl|Pb|Bi|Po|At|Rn|Fr|Ra|Ac|Th|Pa|Np|Pu|Am|Cm|Bk|Cf|Es|Fm|Md|No|Lr|Rf|Db|Sg|Bh|Hs|Mt|Ds|Rg|Cn|Nh|Fl"
    "|Mc|Lv|Ts|Og|[HBCNOFPSKVYIWU]"
)
_FORMULA = re.compile(
    rf"^(?:\(?(?:{_ELEMENTS})(?:_?\{{?\d{{0,3}}\}}?)?\)?(?:_?\{{?\d{{0,3}}\}}?)?)+(?:\^?\{{?\d?[+-]\}}?)?$"
)
_HYDRATE = re.compile(r"\s?[·.*]\s?\d*")
_SMILES_MARKS = re.compile(r"[=#@\[\]()\\/]|\d")
_SMILES_CHARS = re.compile(r"^[A-Za-z0-9@+\-\[\]()=#$/\\%.:*]+$")
_CASELESS_WORDS = {"yes", "no", "true", "false", "none"}
#: a run of letters that SMILES cannot spell (vowels such as a, e, u): a word of a name, not a molecule
_NON_SMILES_WORD = re.compile(r"(?:(?!Cl|Br)[A-Za-z])*[ADEGHJKLMQRTUVWXYZadeghijkmqtuvwxyz](?:[A-Za-z])*")


def formula_key(value: str) -> str:
    """One spelling of a formula: ``H_2SO_4`` = ``H2SO4``, ``CuSO_4\\cdot 5H_2O`` = ``CuSO4·5H2O``,
    ``SO_4^{2-}`` = ``SO4^2-`` = ``SO4^{-2}``, ``NH_4^{+}`` = ``NH4+``. Case is kept (``Co`` is not ``CO``)."""
    s = value.strip()
    for dot in ("\\cdot", "\\bullet", "⋅", "•"):
        s = s.replace(dot, "·")
    s = re.sub(r"[\s{}_]", "", s).replace("*", "·")
    s = re.sub(r"(?<=[A-Za-z)\d])\.(?=\d*[A-Z])", "·", s)  # CuSO4.5H2O
    charge = re.search(r"\^(?:(\d*)([+-])|([+-])(\d*))$", s) or re.search(r"(?<!\^)([+-])$", s)
    if charge is not None:
        if charge.group(0).startswith("^"):
            digits = charge.group(1) or charge.group(4) or ""
            sign = charge.group(2) or charge.group(3)
        else:  # NH4+: without a caret the digits are the count and the sign alone is the charge...
            digits, sign = "", charge.group(1)
            lone = re.fullmatch(rf"({_ELEMENTS})(\d+)", s[: charge.start()])
            if lone:  # ...except after a lone element: Fe3+ is Fe^{3+}
                s, digits = lone.group(1) + s[charge.start() :], lone.group(2)
                charge = re.search(r"([+-])$", s)
        s = s[: charge.start()] + f"^{'' if digits in ('', '1') else digits}{sign}"
    return s


def is_formula(value: str) -> bool:
    """``CO``, ``NaCl``, ``C_5H_{12}O``, ``CuSO4·5H2O``, ``SO_4^{2-}``: element symbols with counts."""
    compact = formula_key(value)
    if not compact or compact.lower() in _CASELESS_WORDS or len(compact) > 60:
        return False
    parts = [p for p in _HYDRATE.split(compact) if p]
    if not parts or not all(_FORMULA.match(p) for p in parts):
        return False
    # CCO, C1CCCCC1: the same element twice in a row is a SMILES chain, not a molecular formula
    symbols = re.findall(rf"(?:{_ELEMENTS})", re.sub(r"[_{}^()\d+-]", " ", compact).replace(" ", "|"))
    return not any(a == b for a, b in zip(symbols, symbols[1:]))


@lru_cache(maxsize=16384)
def case_matters(gold_value: str) -> bool:
    """Does letter case carry meaning in this gold? Chemical formulas (``CO`` ≠ ``Co``), SMILES
    (``C1CCCCC1`` ≠ ``c1ccccc1``) and symbols with indices do; words and sentences do not."""
    s = gold_value.strip()
    if not s or s.lower() in _CASELESS_WORDS or (len(s) == 1 and s.isalpha() and s.isupper()):
        return False  # a word that is only a word, or an option letter
    compact = s.replace(" ", "")
    if " " in s.strip() and is_prose(s):
        return False  # a phrase
    if is_formula(s):
        return True
    if (
        _SMILES_CHARS.match(compact)
        and _SMILES_MARKS.search(compact)
        and re.search(r"[A-Za-z]", compact)
        and not _NON_SMILES_WORD.search(compact)
    ):
        return True
    return bool(re.search(r"[A-Za-z]", s)) and not is_prose(s)  # mathematics: x and X are different


def exact_key(s: str, *, fold_case: bool) -> str:
    """The string the exact tier compares: space-free mathematics; prose with spaces collapsed."""
    s = drop_degree(s).replace("%", "").strip()
    if is_prose(s):
        s = re.sub(r"\s+", " ", s).rstrip(".")
    else:
        s = re.sub(r"\s+", "", s)
    return s.casefold() if fold_case else s


# --- named values -------------------------------------------------------------------

_ATOM = r"(?:[A-Za-z](?:'|_\{?[A-Za-z0-9,]{1,8}\}?)?|\\[A-Za-z]+(?:_\{?[A-Za-z0-9]{1,8}\}?)?)"
_LABEL = re.compile(
    rf"^\s*(?:{_ATOM}{{1,6}}|\({_ATOM}(?:\s?[,;]\s?{_ATOM}){{0,7}}\)|\|{_ATOM}{{1,4}}\||{_ATOM}{{1,4}}\s?:\s?{_ATOM}{{1,4}}"
    rf"|\\frac\{{{_ATOM}{{1,4}}\}}\{{{_ATOM}{{1,4}}\}}|{_ATOM}\s?\(\s?{_ATOM}(?:\s?,\s?{_ATOM}){{0,3}}\s?\))\s*$"
)
_NOT_LABELS = re.compile(r"\\(?:frac|sqrt|sin|cos|tan|log|ln|exp|pi|infty|sum|int|lim|prod)\b(?!\{[A-Za-z])")


def is_label(s: str) -> bool:
    """A name for the value that follows.

    ``x``, ``f(x)``, ``(p,q)``, ``AB``, ``|AB|``, ``V_1:V_2``, ``\\frac{NO}{BO}``.
    """
    if len(s) > 60:
        return False
    if re.fullmatch(rf"{_ATOM}\s?\([^()=<>]{{1,30}}\)", s.strip()):
        return not _NOT_LABELS.search(s)  # f(x), f(2), P(A)
    if re.search(r"(?<![_{,\w])\d", s):
        return False
    return bool(_LABEL.match(s)) and not _NOT_LABELS.search(s)


_ASSIGN = re.compile(r"^(?P<lhs>[^=<>]+?)\s?(?:=|\\approx|≈)\s?(?P<rhs>[^=<>]+?)\s*$")


def split_assignment(s: str) -> tuple[str, str] | None:
    """``x = 5`` → (``x``, ``5``); ``(p,q)=(3,2)`` → (``(p,q)``, ``(3,2)``); None unless the left side is a name."""
    if len(s) > 2000:
        return None
    m = _ASSIGN.match(s)
    if not m:
        return None
    lhs, rhs = m.group("lhs").strip(), m.group("rhs").strip()
    if "\\le" in rhs or "\\ge" in rhs or "\\in" in rhs or "\\neq" in rhs or not rhs:
        return None
    if not is_label(lhs):
        return None
    return lhs, rhs


def label_key(label: str) -> str:
    """Spelling-independent label: ``a_{37}`` = ``a_37``, ``( p , q )`` = ``(p,q)``; a function of a bare
    variable is named by the function (``W(n)`` = ``W(x)``: the variable is a dummy)."""
    key = re.sub(r"[\s{}]", "", label)
    return re.sub(r"^([A-Za-z](?:_\w+)?)\([a-z]\)$", r"\1()", key)
