"""What kind of answer a gold is: one label that EDA, the GRPO export and the
domain policy share, so "which tiers apply" means the same thing everywhere.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .extraction import as_choice
from .normalize import clean, drop_degree, is_prose
from .numbers import parse_number, parse_rational
from .safe_parser import ParseError, parse_plain

ANSWER_CLASSES = ("integer", "decimal", "fraction", "latex", "symbolic", "choice", "text")
_LATEX_MARKERS = re.compile(r"\\[A-Za-z]+|[{}^_]")
_CHOICE = re.compile(r"^\(?[A-J]\)?$")


@lru_cache(maxsize=16384)
def classify_answer(gold: str) -> str:
    """One of ``integer, decimal, fraction, latex, symbolic, choice, text``.

    Rules, in order, after normalisation (delimiters, spacing, units and degree
    signs removed): a single option letter (``B``, ``(B)``, ``Option B``) is
    ``choice``; a written integer (``12``, ``-7``, ``1,000``, ``48^\\circ``,
    ``36\\,\\Omega``) ``integer``; a decimal, scientific or percent literal ``decimal``; ``a/b``,
    ``\\frac{a}{b}`` or a mixed number ``fraction``; words (``Anterior``,
    IUPAC names, SMILES) ``text``; anything with LaTeX commands, braces,
    ``^``/``_`` ``latex``; other plain mathematics (``2x+1``) ``symbolic``.
    """
    s = clean(gold if isinstance(gold, str) else str(gold))
    if not s:
        return "text"
    if _CHOICE.match(s) or as_choice(s):
        return "choice"
    value = drop_degree(s)  # an angle is classified by its number: 48° is an integer
    number = parse_number(value)
    if number is not None:
        # 20% is a proportion, so a decimal
        return "integer" if number.exact and not number.percent else "decimal"
    if parse_rational(value) is not None:
        return "fraction"
    if is_prose(s):
        return "text"
    if _LATEX_MARKERS.search(s):
        return "latex" if "\\" in s or "{" in s else ("symbolic" if _is_plain_math(s) else "latex")
    if _is_plain_math(s):
        return "symbolic"
    return "text"


def _is_plain_math(s: str) -> bool:
    try:
        parse_plain(s)
    except ParseError:
        return False
    return True
