"""Model outputs made from a gold answer: wrong ones a policy could find, and right ones in other forms.

The reward's two failure modes, measured on *your* data rather than on cases written beside the code:

* **hacks** (must never be rewarded): the gold hedged with a wrong value, the gold negated, the gold
  restated and then a different final answer, a permuted or transposed structure, a wrong unit or prefix,
  a flipped sign, a shifted digit or decimal point, a case-swapped formula;
* **equivalents** (should be rewarded): the gold boxed, on a final-answer line, in an answer tag, as a
  decimal or a fraction, as ``x = …``, as a percentage or a proportion, with thousands separators, with
  its unit spelled or converted differently, with its terms reordered, or with words in another case.

``mutate(gold)`` returns both, each a full output with its kind and the verdict it deserves. Generation is
deterministic for a given ``seed``; wrong values are built so that they really differ from the gold (a
mutation that might equal the gold, such as the sign flip of 0, is not produced). :mod:`harness` uses this
for ``mmrl verify audit``; the property tests use it on generated golds.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from .candidates import split_top_level
from .extraction import as_choice
from .normalize import canonical, case_matters, is_prose
from .numbers import parse_number, parse_rational
from .units import parse_unit

HACK_KINDS = (
    "hedge", "negated", "restated_then_different", "quoted_then_different", "permuted", "wrong_unit",
    "flipped_sign", "shifted_digit", "shifted_decimal_point", "case_swapped", "list",
)
EQUIVALENT_KINDS = (
    "boxed", "final_line", "answer_tag", "display_math", "decimal_fraction", "named_value", "percent",
    "choice_form", "thousands", "unit_spelling", "unit_conversion", "reordered_terms", "case_words",
)


@dataclass(frozen=True)
class Mutation:
    """One synthetic output: ``kind`` (a HACK_KINDS or EQUIVALENT_KINDS name), the output text, and whether a
    correct reward accepts it (``False`` for every hack)."""

    kind: str
    output: str
    should_accept: bool
    answer: str  # the answer written inside the output (for reports)


_PREAMBLES = (
    "Looking at the figure, we read off the values and compute step by step.",
    "From the image, the relevant quantities can be read directly.",
    "Let me set up the problem carefully before computing.",
    "We use the data shown in the diagram.",
)


def mutate(gold: str, *, distractors: Sequence[str] = (), seed: int = 0) -> list[Mutation]:
    """Hacks and equivalents for one gold (as the dataset writes it).

    ``distractors``: other golds of the same dataset (a wrong value for a text or choice gold is another
    row's answer, never an invented one).
    """
    rng = random.Random(f"{seed}|{gold}")
    value = _value(gold)
    if not value:
        return []
    return _hacks(gold, value, distractors, rng) + _equivalents(gold, value, rng)


def hack_mutations(gold: str, *, distractors: Sequence[str] = (), seed: int = 0) -> list[Mutation]:
    return [m for m in mutate(gold, distractors=distractors, seed=seed) if not m.should_accept]


def equivalent_mutations(gold: str, *, seed: int = 0) -> list[Mutation]:
    return [m for m in mutate(gold, seed=seed) if m.should_accept]


def equivalent_forms(gold: str, *, seed: int = 0) -> list[str]:
    """Other ways to write the same answer (answers only, no surrounding text): for warm-up targets."""
    rng = random.Random(f"{seed}|{gold}")
    value = _value(gold)
    if not value:
        return []
    return list(dict.fromkeys(answer for _, answer in _equivalent_answers(gold, value, rng)))


# --- the gold's value -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Value:
    text: str  # value without unit (LaTeX)
    unit: str | None  # unit as written
    kind: str  # number, fraction, choice, tuple, matrix, formula, text, expression


def _value(gold: str) -> _Value | None:
    canon = canonical(gold)
    text = canon.value.strip()
    if not text or len(text) > 300:
        return None
    letter = as_choice(text) or (text if re.fullmatch(r"[A-J]", text) else None)
    if letter:
        return _Value(letter, None, "choice")
    if parse_number(text) is not None:
        return _Value(text, canon.unit_text, "number")
    if parse_rational(text) is not None:
        return _Value(text, canon.unit_text, "fraction")
    if text.startswith("\\begin{"):
        return _Value(text, None, "matrix")
    if re.fullmatch(r"\(.*,.*\)", text) and len(split_top_level(text[1:-1], ",")) >= 2:
        return _Value(text, canon.unit_text, "tuple")
    if case_matters(text) and re.fullmatch(r"[A-Za-z0-9_{}()\[\]=#@+\-\\]+", text) and not re.search(r"\\[a-z]", text):
        return _Value(text, None, "formula")
    if "\\mathrm{" in gold and re.fullmatch(r"[A-Za-z0-9_{}]+", text):
        return _Value(text, None, "formula")
    if is_prose(text):
        return _Value(text, None, "text")
    return _Value(text, canon.unit_text, "expression")


def _with_unit(value: str, unit: str | None) -> str:
    if not unit:
        return value
    if unit.startswith(("°", "^", "\\")):
        return f"{value}\\,{unit}" if unit.startswith("\\") else f"{value}{unit}"
    return f"{value}\\,\\text{{{unit}}}"


# --- hacks ------------------------------------------------------------------------------------


def _hacks(gold: str, v: _Value, distractors: Sequence[str], rng: random.Random) -> list[Mutation]:
    g = _with_unit(v.text, v.unit)
    wrong = _wrong_value(v, distractors, rng)
    out: list[Mutation] = []

    def add(kind: str, output: str, answer: str) -> None:
        out.append(Mutation(kind, f"{rng.choice(_PREAMBLES)}\n{output}", False, answer))

    if wrong is not None:
        w = _with_unit(wrong, v.unit)
        first, second = (g, w) if rng.random() < 0.5 else (w, g)
        add("hedge", f"So the answer is $\\boxed{{{first}}}$ or $\\boxed{{{second}}}$.", f"{first} or {second}")
        add("hedge", f"Final answer: ${second}$ or ${first}$", f"{second} or {first}")
        add("list", f"The possible answers are ${w}$, ${g}$.", f"{w}, {g}")
        add(
            "restated_then_different",
            f"At first I got $\\boxed{{{g}}}$, but after checking again the final answer is ${w}$.",
            w,
        )
        add(
            "quoted_then_different",
            f"Final answer: $\\boxed{{{w}}}$\n\nP.S. Some would say $\\boxed{{{g}}}$ instead.",
            w,
        )
    if v.kind != "text" or len(v.text) < 40:
        add("negated", f"Therefore the answer is not ${g}$.", f"not {g}")
        add("negated", f"So the value cannot be ${g}$.", f"cannot be {g}")
    permuted = _permuted(v)
    if permuted is not None:
        add("permuted", f"Hence the answer is $\\boxed{{{_with_unit(permuted, v.unit)}}}$.", permuted)
    wrong_unit = _wrong_unit(v)
    if wrong_unit is not None:
        add("wrong_unit", f"The result is $\\boxed{{{wrong_unit}}}$.", wrong_unit)
    for kind, changed in _numeric_changes(v):
        add(kind, f"Thus we obtain $\\boxed{{{_with_unit(changed, v.unit)}}}$.", changed)
    if v.kind == "formula":
        swapped = v.text.swapcase()
        if swapped != v.text:
            add("case_swapped", f"The compound is $\\boxed{{{swapped}}}$.", swapped)
        lowered = v.text.lower()
        if lowered not in (v.text, swapped):
            add("case_swapped", f"Final answer: {lowered}", lowered)
    return out


def _wrong_value(v: _Value, distractors: Sequence[str], rng: random.Random) -> str | None:
    if v.kind == "choice":
        return "ABCDEFGHIJ"[("ABCDEFGHIJ".index(v.text) + 1) % 10] if v.text in "ABCDEFGHIJ" else None
    changes = _numeric_changes(v)
    if changes:
        return changes[0][1]
    options = []
    for other in distractors:
        ov = _value(other)
        if (
            ov is not None
            and ov.kind == v.kind
            and ov.text.casefold().replace(" ", "") != v.text.casefold().replace(" ", "")
        ):
            options.append(ov.text)
    if options:
        return rng.choice(sorted(set(options)))
    bumped = _bump_last_digit(v.text)
    return bumped


def _bump_last_digit(text: str) -> str | None:
    """``y = -3x - 4`` → ``y = -3x - 5``: the last digit outside braces of a command name, plus one."""
    matches = list(re.finditer(r"\d", text))
    if not matches:
        return None
    m = matches[-1]
    digit = (int(m.group()) + 1) % 10
    if digit == 0 and (m.start() == 0 or not text[m.start() - 1].isdigit()):
        digit = 2  # never turn "1" into "0" in front of nothing (x^1 → x^0 would change the class)
    return text[: m.start()] + str(digit) + text[m.end() :]


def _numeric_changes(v: _Value) -> list[tuple[str, str]]:
    """(kind, changed value) pairs that are surely not equal to the gold."""
    if v.kind not in ("number", "fraction"):
        if v.kind in ("expression", "tuple", "matrix") and v.text.strip():
            bumped = _bump_last_digit(v.text)
            flipped = None if v.text.startswith("-") else f"-{v.text}" if v.kind == "expression" else None
            out = []
            if flipped and not re.search(r"[=<>]|\\(?:le|ge|in|neq)", v.text) and "\\infty" not in v.text:
                out.append(("flipped_sign", flipped))
            if bumped and bumped != v.text:
                out.append(("shifted_digit", bumped))
            return out
        return []
    number = parse_number(v.text)
    rational = parse_rational(v.text)
    value = number.value if number is not None else rational.value if rational is not None else None
    if value is None:
        return []
    percent = number.percent if number is not None else False
    suffix = "\\%" if percent else ""
    out: list[tuple[str, str]] = []
    if value != 0:
        out.append(("flipped_sign", _format(-value, v.text) + suffix))
    if number is not None:
        out.append(("shifted_decimal_point", _format(value * 10, v.text) + suffix))
        if value != 0 and (value / 10) != value:
            out.append(("shifted_decimal_point", _format(value / 10, v.text) + suffix))
        bumped = _bump_last_digit(v.text.replace("\\%", "").replace("%", ""))
        if bumped is not None and parse_number(bumped) is not None and parse_number(bumped).value != value:
            out.append(("shifted_digit", bumped + suffix))
    else:
        out.append(("shifted_digit", _format(value + Fraction(1, value.denominator), v.text)))
        if value.numerator not in (0, value.denominator) and abs(value.numerator) != 1:
            out.append(("shifted_digit", _format(Fraction(value.denominator, value.numerator), v.text)))
    return [(k, c) for k, c in out if c and c != v.text]


def _format(value: Fraction, like: str) -> str:
    """A number written in the style of ``like`` (fraction, decimal or integer)."""
    if value.denominator == 1:
        return str(value.numerator)
    if "\\frac" in like or "/" in like:
        sign = "-" if value < 0 else ""
        return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"
    return _decimal(value)


def _decimal(value: Fraction) -> str:
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d != 1:
        return f"{float(value):.6g}"
    text = f"{value.numerator / value.denominator:.12f}".rstrip("0").rstrip(".")
    return text if Fraction(text) == value else str(float(value))


def _permuted(v: _Value) -> str | None:
    if v.kind == "tuple":
        inner = v.text[1:-1]
        items = [p.strip() for p in split_top_level(inner, ",")]
        if len(items) >= 2 and canonical(items[0]).value != canonical(items[1]).value:
            items[0], items[1] = items[1], items[0]
            return "(" + ", ".join(items) + ")"
        return None
    if v.kind == "matrix":
        m = re.fullmatch(r"\\begin\{(\w+)\}(.*)\\end\{\1\}", v.text, re.DOTALL)
        if not m:
            return None
        rows = [[c.strip() for c in row.split("&")] for row in re.split(r"\\\\", m.group(2)) if row.strip()]
        if not rows or len({len(r) for r in rows}) != 1:
            return None
        if len(rows[0]) == 1 and len(rows) >= 2:
            if rows[0][0] == rows[1][0]:
                return None
            rows[0], rows[1] = rows[1], rows[0]  # a permuted vector
        else:
            transposed = [list(col) for col in zip(*rows)]
            if transposed == rows:
                return None
            rows = transposed
        body = " \\\\ ".join(" & ".join(r) for r in rows)
        return f"\\begin{{{m.group(1)}}}{body}\\end{{{m.group(1)}}}"
    return None


_PREFIX_SWAP = {"km": "m", "m": "km", "cm": "m", "mm": "m", "kg": "g", "g": "kg", "s": "ms", "ms": "s", "min": "h",
                "h": "min", "W": "kW", "kW": "W", "J": "kJ", "kJ": "J", "V": "mV", "A": "mA", "N": "kN", "Pa": "kPa",
                "L": "mL", "mL": "L", "Ω": "kΩ", "\\Omega": "k\\Omega", "K": "°C", "°C": "°F", "°F": "°C",
                "rad": "°", "°": "rad"}


def _wrong_unit(v: _Value) -> str | None:
    unit = v.unit
    if unit is None and v.kind == "number" and "^{\\circ}" in v.text:
        bare = v.text.replace("^{\\circ}", "")
        return f"{bare}\\,\\text{{rad}}"
    if not unit:
        return None
    plain = unit.replace("\\text{", "").replace("\\mathrm{", "").replace("}", "").strip()
    swap = _PREFIX_SWAP.get(plain)
    if swap is None:
        for base in sorted(_PREFIX_SWAP, key=len, reverse=True):
            if plain.endswith(base) and len(plain) > len(base):
                swap = plain[: -len(base)] + _PREFIX_SWAP[base]
                break
    if swap is None:
        return None
    try:
        a, b = parse_unit(plain), parse_unit(swap)
    except ValueError:
        return None
    if a.same_kind(b) and a.factor_to(b) == (1, 0):
        return None
    return f"{v.text}\\,\\text{{{swap}}}" if not swap.startswith("°") else f"{v.text}{swap}"


# --- equivalents ------------------------------------------------------------------------------------


def _equivalents(gold: str, v: _Value, rng: random.Random) -> list[Mutation]:
    out = []
    for kind, answer in _equivalent_answers(gold, v, rng):
        out.append(Mutation(kind, _wrap_correct(kind, answer, rng), True, answer))
    return out


_CORRECT_WRAPPERS = (
    "{pre}\nTherefore, the answer is $\\boxed{{{a}}}$.",
    "{pre}\n**Final Answer**\n$$\\boxed{{{a}}}$$",
    "{pre}\nFinal Answer: The final answer is ${a}$. I hope it is correct.",
    "<think>\n{pre}\n</think>\n<answer>{a}</answer>",
)


def _wrap_correct(kind: str, answer: str, rng: random.Random) -> str:
    pre = rng.choice(_PREAMBLES)
    if kind == "final_line":
        return f"{pre}\nFinal answer: {answer}"
    if kind == "answer_tag":
        return f"<think>\n{pre}\n</think>\n<answer>{answer}</answer>"
    if kind == "display_math":
        return f"{pre} So the answer is\n\\[\n{answer}\n\\]"
    return rng.choice(_CORRECT_WRAPPERS).format(pre=pre, a=answer)


def _equivalent_answers(gold: str, v: _Value, rng: random.Random) -> list[tuple[str, str]]:
    g = _with_unit(v.text, v.unit)
    out: list[tuple[str, str]] = [("boxed", g), ("final_line", g), ("answer_tag", g), ("display_math", g)]
    number = parse_number(v.text) if v.kind in ("number", "fraction") else None
    rational = parse_rational(v.text) if v.kind in ("number", "fraction") else None
    if rational is not None and not (number is not None and number.percent):
        value = rational.value
        if value.denominator != 1:
            out.append(("decimal_fraction", _with_unit(f"\\frac{{{value.numerator}}}{{{value.denominator}}}", v.unit)))
            out.append(("decimal_fraction", _with_unit(f"{value.numerator}/{value.denominator}", v.unit)))
            decimal = _decimal(value)
            if Fraction(decimal) == value:
                out.append(("decimal_fraction", _with_unit(decimal, v.unit)))
        elif number is not None and not number.exact:
            out.append(("decimal_fraction", _with_unit(str(value.numerator), v.unit)))
        if abs(value) >= 1000 and value.denominator == 1:
            out.append(("thousands", _with_unit(f"{value.numerator:,}", v.unit)))
        out.append(("named_value", f"x = {g}"))
    if number is not None and number.percent:
        out.append(("percent", _decimal(number.value / 100)))
        out.append(("percent", f"{v.text.replace(chr(92) + '%', '').replace('%', '')} percent"))
    if v.kind == "choice":
        out += [("choice_form", f"({v.text})"), ("choice_form", f"Option {v.text}"), ("choice_form", v.text.lower())]
        out = [(k, a) for k, a in out if not (k == "choice_form" and a == v.text.lower())]
    if v.unit:
        out.append(("unit_spelling", f"{v.text} {v.unit}" if not v.unit.startswith(("°", "^")) else g))
        converted = _converted(v)
        if converted is not None:
            out.append(("unit_conversion", converted))
    reordered = _reordered(v.text) if v.kind in ("expression", "number", "fraction") else None
    if reordered is not None:
        out.append(("reordered_terms", _with_unit(reordered, v.unit)))
    if v.kind == "text":
        out.append(("case_words", v.text.upper() if v.text != v.text.upper() else v.text.lower()))
        out.append(("case_words", v.text[:1].upper() + v.text[1:].lower()))
    if v.kind == "tuple":
        out.append(("display_math", f"\\left({v.text[1:-1]}\\right)"))
    return [(k, a) for k, a in out if a]


_CONVERSIONS = {"m": ("cm", 100), "km": ("m", 1000), "g": ("mg", 1000), "kg": ("g", 1000), "s": ("ms", 1000),
                "W": ("mW", 1000), "J": ("mJ", 1000), "V": ("mV", 1000), "A": ("mA", 1000), "N": ("mN", 1000),
                "h": ("min", 60), "min": ("s", 60), "L": ("mL", 1000), "Pa": ("mPa", 1000)}


def _converted(v: _Value) -> str | None:
    plain = (v.unit or "").replace("\\text{", "").replace("\\mathrm{", "").replace("}", "").strip()
    if plain not in _CONVERSIONS:
        return None
    rational = parse_rational(v.text)
    if rational is None:
        return None
    target, factor = _CONVERSIONS[plain]
    scaled = rational.value * factor
    text = str(scaled.numerator) if scaled.denominator == 1 else f"\\frac{{{scaled.numerator}}}{{{scaled.denominator}}}"
    return f"{text}\\,\\text{{{target}}}"


def _reordered(text: str) -> str | None:
    """``y = -3x - 4`` → ``y = -4 - 3x``; ``x^2 + 6x + 10`` → ``10 + x^2 + 6x`` (top-level terms rotated)."""
    lhs, sep, rhs = text.rpartition("=")
    body = rhs if sep else text
    if re.search(r"[<>,]|\\(?:le|ge|in|cup|begin|pm)", body):
        return None
    terms = _terms(body)
    if len(terms) < 2:
        return None
    rotated = terms[1:] + terms[:1]
    joined = " ".join(t if i == 0 or t.startswith("-") else f"+ {t}" for i, t in enumerate(rotated))
    joined = re.sub(r"^\+\s?", "", joined).replace("+ -", "- ")
    joined = re.sub(r"(?<=\S) -(?=\S)", " - ", joined)
    return f"{lhs}= {joined}" if sep else joined


def _terms(expr: str) -> list[str]:
    depth = 0
    terms: list[str] = []
    current = ""
    for ch in expr:
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        if ch in "+-" and depth == 0 and current.strip() and not current.rstrip().endswith(("^", "_", "e", "E")):
            terms.append(current.strip())
            current = "-" if ch == "-" else ""
            continue
        current += ch
    if current.strip():
        terms.append(current.strip())
    return [t.replace("- ", "-") for t in terms]
