"""From the text an output commits to, the candidate answers it commits to.

One rule for every source (answer tag, final-answer line, boxes, a concluding sentence, a gold as written):

* Connectors make a set. ``7 or 8``, ``(C) and (D)``, ``\\boxed{4}, \\boxed{5}``, ``x=2 \\text{ or } x=3``,
  ``-12; -11; -10`` and a bare list ``1, 2, 3`` are several candidates; repeats of one value count once.
  A set equals only a gold that is the same set, so a hedge never earns a single gold.
* Negated or retracted candidates (``not 5``, ``9 is wrong``, ``except 3``) are no commitment and are dropped.
* ``a, b, …, z`` (an ellipsis) is a pattern, not a list of values: it is marked open-ended.
* ``x = 5 + 6 = 11`` commits to the last side (``x = 11``); a trailing ``\\approx`` side is an
  approximation of the one before it. ``5 + 6 = 11`` (no name on the left) commits to ``11``.
* ``(p, q) = (3, 2)``, ``AB = 4``, ``|AB| = 1``: a *name* and its value. Named candidates are matched by
  name when both sides name them; an unnamed prediction against named golds is read in the gold's order.
* ``1 \\pm \\sqrt{19}`` is the two values ``1 + \\sqrt{19}`` and ``1 - \\sqrt{19}``.
* A whole answer ``1000,5`` or ``0,111`` (one number, one comma, not a thousands group) is a decimal comma;
  inside a list, commas separate.

Scans are linear in the answer's length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import (
    _unwrap_text_commands,
    is_label,
    latex_separators,
    split_assignment,
    undouble_backslashes,
)

#: more candidates than this is answer stuffing, not an answer
MAX_CANDIDATES = 24
#: a committed answer longer than this is not split (it is refused by the grader's size limit)
MAX_ANSWER_CHARS = 4000


@dataclass(frozen=True)
class Candidate:
    """One answer as written (math delimiters removed), and the name it was given, if any."""

    text: str
    label: str | None = None


@dataclass(frozen=True)
class Answer:
    """What an output (or a gold) commits to.

    ``listed``: the candidates were written as one comma list (``1, 3``), so against a single written
    tuple ``(1, 3)`` they compare in order. ``open_ended``: the list had an ellipsis.
    """

    candidates: tuple[Candidate, ...]
    source: str
    listed: bool = False
    open_ended: bool = False
    #: written as an explicit set ``\{…\}`` (order-free, never a tuple)
    explicit_set: bool = False
    #: far more candidates than any answer has: answer stuffing
    stuffed: bool = False

    @property
    def display(self) -> str:
        shown = ", ".join(c.text for c in self.candidates) + (", …" if self.open_ended else "")
        return f"\\{{{shown}\\}}" if self.explicit_set else shown


_CONNECTOR_TEXT = re.compile(
    r"\\(?:text|textrm|mbox|textnormal|mathrm|textit|textbf)\s?\{\s?(,?\s?(?:and|or|and/or|as well as)\s?,?)\s?\}",
    re.IGNORECASE,
)
_DELIMS = re.compile(r"\$\$|\\\[|\\\]|\\\(|\\\)|(?<!\\)\$")
_ELLIPSIS = re.compile(r"^(?:\\[lcv]?dots[bc]?|\\ldots|\.{3}|…)$")
_WORD_CONNECTOR = re.compile(
    r"\s(?:and/or|and|or|as well as)\s|(?<=[)\]}])\s?(?:and|or)\s?(?=[(\[{])|(?<=[\d)\]}])(?:and|or)(?=[A-Z(\[{\\])",
    re.IGNORECASE
)
_FILLER = re.compile(
    r"^(?:and|or|both|either|respectively|resp\.?|as well as|also|the|answers?|solutions?|are|is)$", re.IGNORECASE
)
_NEGATED = re.compile(
    r"^(?:not|no|never|isn't|is\snot|cannot\sbe|can't\sbe|except|excluding|but\snot|neither|nor)\s(?=[-+(\[\\$\d.]|[A-J]\b)",
    re.IGNORECASE,
)
RETRACTION = re.compile(
    r"\b(?:is|was|are|were|seems|looks|would\sbe|must\sbe)\s(?:\w+\s)?(?:wrong|incorrect|false|invalid|a\smistake|an\serror"
    r"|impossible|ruled\sout|excluded|eliminated|rejected"
    r"|not\s(?:correct|right|valid|possible|the\s(?:answer|solution)))\b|\b(?:wrong|incorrect)\s?[.!]?$"
    r"|\b(?:can't|cannot|can\snot)\sbe\s(?:right|correct|the\sanswer)\b|\b(?:doesn't|does\snot)\swork\b",
    re.IGNORECASE,
)
_HEDGE_WORDS = re.compile(
    r"^(?:probably|likely|clearly|simply|just|indeed|exactly|therefore|thus|then|so|hence|actually|also|possibly|"
    r"maybe|perhaps|alternatively|potentially|even|"
    r"approximately|about|roughly|around|equal\sto|equals|precisely|definitely)\s", re.IGNORECASE
)
_DECIMAL_COMMA_ALONE = re.compile(r"^[+-]?(?:0,\d+|\d{4,},\d+|\d{1,3},(?:\d\d|\d{4,}))$")


def answer_from_text(text: str, source: str, *, trusted: bool = False) -> Answer | None:
    """Split one committed answer (``7 or 8``, ``x = 2, y = 3``, ``\\text{(A) or (D)}``) into candidates.

    ``trusted`` (a gold): nothing is dropped as negated. None when nothing is left.
    """
    if len(text) > MAX_ANSWER_CHARS:
        return Answer((Candidate(text[:MAX_ANSWER_CHARS]),), source, stuffed=True)
    s = _prepare(text)
    if not s:
        return None
    if _DECIMAL_COMMA_ALONE.match(s):
        return Answer((Candidate(s),), source)
    member = re.match(r"^\s*([A-Za-z](?:_\{?\w+\}?)?)\s?\\in\s?(\\\{.*\\\})\s*$", s)
    if member:
        s = member.group(2)  # x \in \{0, 3, -3\}: the set's elements are the answers
    explicit = _explicit_set(s)
    unordered = explicit is not None
    if explicit is not None:
        s = explicit
    groups = split_top_level(s, ";")
    open_ended = False
    candidates: list[Candidate] = []
    listed = False
    if len(groups) > 1 and all(_is_assignment_list(g) for g in groups):
        # p=5, q=2; p=7, q=2: each group is one named tuple
        for group in groups:
            items = [split_assignment(x.strip()) for x in _items(group)]
            labels = ", ".join(lbl for lbl, _ in items if lbl)
            values = ", ".join(v for _, v in items if v)
            candidates.append(Candidate(f"({values})", f"({labels})"))
    else:
        several_groups = len(groups) > 1
        for group in groups:
            items = _items(group)
            if (
                len(items) > 1
                and not several_groups
                and not unordered
                and not _WORD_CONNECTOR.search(" " + group + " ")
            ):
                listed = True
            for item in items:
                item = _tidy_item(item)
                if not item or _FILLER.match(item):
                    continue
                if _ELLIPSIS.match(item):
                    open_ended = True
                    continue
                if not trusted and is_negated(item):
                    continue
                for expanded in _expand_pm(item):
                    candidates.append(_candidate(expanded))
                if len(candidates) > MAX_CANDIDATES:
                    return Answer(tuple(candidates), source, listed, open_ended)
    unique: dict[str, Candidate] = {}
    for cand in candidates:
        unique.setdefault(re.sub(r"\s+", "", cand.text), cand)
    if not unique:
        return None
    return Answer(tuple(unique.values()), source, listed and len(unique) > 1, open_ended, unordered and len(unique) > 1)


_SPACES = re.compile(r"\\\\|\\(?:,|;|:|!|>| )|~")


def _prepare(text: str) -> str:
    s = re.sub(r"\s+", " ", text).strip().replace("±", "\\pm ").replace("∈", "\\in ")
    s = undouble_backslashes(s)
    s = latex_separators(s)
    s = _CONNECTOR_TEXT.sub(lambda m: f" {m.group(1).strip()} ", s)
    s = _unwrap_text_commands(s)
    s = _DELIMS.sub(" ", s)
    s = re.sub(r"\\(?:qquad|quad)(?![A-Za-z])|\\qquad|\\quad", " ", s)
    s = _SPACES.sub(lambda m: m.group() if m.group() == "\\\\" else " ", s)  # a row break stays
    s = re.sub(r'\\?"|[“”]', " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = _semicolons_in_brackets(s)
    for _ in range(4):
        if not (len(s) > 2 and s[0] == "{" and _closing(s, 0) == len(s) - 1):
            break
        s = s[1:-1].strip()  # {1,3}: a LaTeX group, not a set
    s = s.lstrip(" ;").rstrip(" .;")
    return s


def _semicolons_in_brackets(s: str) -> str:
    """``(0;-2;6)``: inside brackets a semicolon separates coordinates, like a comma."""
    if ";" not in s:
        return s
    depth = _depths(s)
    return "".join("," if ch == ";" and depth[i] > 0 else ch for i, ch in enumerate(s))


def _explicit_set(s: str) -> str | None:
    """The items of ``\\{a, b\\}`` written as the whole answer."""
    if s.startswith("\\{") and s.endswith("\\}"):
        inner = s[2:-2]
        depth = _depths(inner)
        if min(depth[: len(inner)] or [0]) >= 0 and "\\{" not in inner and "\\}" not in inner:
            return inner.strip()
    return None


def _is_assignment_list(group: str) -> bool:
    items = _items(group)
    return len(items) > 1 and all(split_assignment(x.strip()) for x in items)


def _items(group: str) -> list[str]:
    """A group's items: split at top-level commas (not inside a thousands number) and at and/or."""
    out: list[str] = []
    for part in _split_words(group):
        pieces = split_top_level(part, ",")
        merged: list[str] = []
        for piece in pieces:
            if (
                merged
                and re.match(r"\d{3}(?!\d)", piece)
                and re.search(r"(?:^|[^\d.,])[1-9]\d{0,2}(?:,\d{3})*$", merged[-1])
            ):
                merged[-1] += "," + piece  # 12,000,023: thousands, not a list
            else:
                merged.append(piece)
        out.extend(merged)
    return out


def _split_words(group: str) -> list[str]:
    """Split at top-level ``and``/``or`` words."""
    parts: list[str] = []
    depth_map = _depths(group)
    last = 0
    for m in _WORD_CONNECTOR.finditer(group):
        if depth_map[m.start()] == 0:
            parts.append(group[last : m.start()])
            last = m.end()
    parts.append(group[last:])
    return parts


def split_top_level(s: str, sep: str) -> list[str]:
    """Split ``s`` at ``sep`` outside brackets, braces and ``\\begin…\\end`` environments."""
    depth = _depths(s)
    parts, last = [], 0
    for i, ch in enumerate(s):
        if ch == sep and depth[i] == 0 and not (i > 0 and s[i - 1] == "\\"):
            parts.append(s[last:i])
            last = i + 1
    parts.append(s[last:])
    return parts


def _depths(s: str) -> list[int]:
    """Bracket depth at each index (``([{``, ``\\{``, ``\\begin``; intervals like ``[0, 1)`` balance too)."""
    depths = [0] * (len(s) + 1)
    depth = 0
    i = 0
    n = len(s)
    while i < n:
        depths[i] = depth
        ch = s[i]
        if ch == "\\" and s.startswith("\\begin", i):
            depth += 1
        elif ch == "\\" and s.startswith("\\end", i):
            depth = max(0, depth - 1)
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
            depths[i] = depth
        i += 1
    depths[n] = depth
    return depths


def _closing(s: str, i: int) -> int:
    depth = 0
    for k in range(i, len(s)):
        if s[k] == "{" and (k == 0 or s[k - 1] != "\\"):
            depth += 1
        elif s[k] == "}" and (k == 0 or s[k - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return k
    return -1


def _tidy_item(item: str) -> str:
    s = item.strip().strip("*").strip()
    for _ in range(3):
        s2 = _HEDGE_WORDS.sub("", s)
        if s2 == s:
            break
        s = s2
    s = re.sub(r"^(?:either|both)\s", "", s, flags=re.IGNORECASE)
    s = s.rstrip(" .;,:")
    return s.strip()


def is_negated(item: str) -> bool:
    """``not 5``, ``9 is wrong``, ``except 3``: a candidate the text does not commit to."""
    return bool(_NEGATED.match(item) or RETRACTION.search(item))


def _expand_pm(item: str) -> list[str]:
    """``1 \\pm \\sqrt{19}`` → both values; ``x = \\pm 2`` → ``x = 2`` and ``x = -2``."""
    if item.count("\\pm") != 1 or "\\mp" in item:
        return [item]
    at = item.index("\\pm")
    depth = _depths(item)
    if depth[at] != 0:
        return [item]
    before, after = item[:at].rstrip(), item[at + 3 :].lstrip()
    if not before or before.endswith(("=", "(", ",")):
        return [f"{before} {after}".strip(), f"{before} -{after}".strip()]
    return [f"{before} + {after}", f"{before} - {after}"]


_SMILES_LIKE = re.compile(r"^(?:Cl|Br|[BCNOPSFIbcnops]|\[[^\]\s]{1,12}\]|[0-9=#@+\-()/\\%.])+$")


def _candidate(item: str) -> Candidate:
    """Chains collapse to their last side; a named value keeps its name; ``(B)``/``option B`` is ``B``."""
    from .extraction import as_choice

    letter = as_choice(item)
    if letter is not None:
        return Candidate(letter)
    if _SMILES_LIKE.match(item) and re.search(r"[A-Za-z]\d|[A-Za-z]{2}", item):
        return Candidate(item)  # C1=CC=CC=C1: a molecule, not a chain of equalities
    text = collapse_chain(item)
    assignment = split_assignment(text)
    if assignment is not None:
        return Candidate(text, assignment[0])
    return Candidate(text)


_RELATION_SPLIT = re.compile(r"(?<![<>!\\])=(?!=)|\\approx(?![A-Za-z])|≈")


def collapse_chain(item: str) -> str:
    """``x = 5+6 = 11`` → ``x = 11``; ``5 + 6 = 11`` → ``11``; ``x = 1/3 \\approx 0.33`` → ``x = 1/3``."""
    if "=" not in item and "approx" not in item and "≈" not in item:
        return item
    depth = _depths(item)
    sides: list[str] = []
    kinds: list[str] = []
    last = 0
    for m in _RELATION_SPLIT.finditer(item):
        if depth[m.start()] != 0:
            continue
        sides.append(item[last : m.start()].strip())
        kinds.append("=" if m.group() == "=" else "≈")
        last = m.end()
    sides.append(item[last:].strip())
    if len(sides) < 2 or any(not side for side in sides):
        return item
    if any(re.search(r"\\(?:le|ge|lt|gt|neq|in)(?![A-Za-z])|[<>]", side) for side in sides):
        return item  # inequalities and memberships are relations, not chains
    while len(sides) > 2 and kinds[-1] == "≈":
        sides.pop()  # an approximation of the exact value before it
        kinds.pop()
    value = sides[-1]
    if len(sides) == 2 and kinds[0] == "≈" and is_label(sides[0]):
        return f"{sides[0]} = {value}"
    label = next((side for side in sides[:-1] if is_label(side)), None)
    if label is not None:
        return f"{label} = {value}"
    if re.search(r"\\(?:int|sum|prod|lim)(?![A-Za-z])", sides[0]) and not is_label(sides[-1]):
        return sides[-1]  # \int_0^1 10x\,dx = 5: the computation's value
    letters = [bool(re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", "", side))) for side in sides]
    if len(sides) == 2 and (letters[0] or letters[1]):
        return item  # 2x - y + 1 = 0, 7 = 11a + c: an equation, not a computation
    if re.fullmatch(r"[+-]?\d+(?:\.\d+)?", sides[0]) and sides[0] != sides[-1]:
        return item  # 0 = 1: a false statement is not a computation (it stays a relation and matches nothing)
    return value
