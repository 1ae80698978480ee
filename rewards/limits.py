"""Cheap, parser-independent refusal of inputs that could make SymPy hang.

The hard time limit (a killable worker process) is the safety net; this scan is
the first line. It refuses, before any parser sees the string, things no honest
final answer needs: very long answers, deep nesting, power towers and huge
exponents/factorials (``9^{9^{9^{9}}}``, ``10^{10^{6}}``, ``(10^6)!``). SymPy
evaluates integer powers eagerly in C, so such inputs cannot be interrupted
inside one process and cost a worker restart even with the time limit.

The scan is linear in the input length and never recurses on the input
structure deeper than ``max_depth`` (it refuses first).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Size limits applied to an extracted answer (not to the full model output)."""

    max_length: int = 1000
    max_depth: int = 40
    #: largest value an exponent (or factorial argument) may reach by estimate
    max_exponent: float = 10_000.0
    max_factorial: int = 10_000
    max_binomial: int = 100_000
    max_digits: int = 400


DEFAULT_LIMITS = Limits()

_BINOMIALS = ("\\binom", "\\dbinom", "\\tbinom")
_OPEN = "({["
_CLOSE = ")}]"
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_COMMAND = re.compile(r"\\[A-Za-z]+")


def screen(text: str, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """Return a refusal message, or None when ``text`` may go to a parser."""
    if len(text) > limits.max_length:
        return f"answer is {len(text)} characters (limit {limits.max_length})"
    depth = 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
            if depth > limits.max_depth:
                return f"nesting deeper than {limits.max_depth}"
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
    for match in re.finditer(rf"\d{{{limits.max_digits + 1},}}", text):
        return f"number with {len(match.group())} digits"
    scanner = _BoundScanner(text, limits)
    return scanner.run()


class _BoundScanner:
    """Estimates (in log10) how large each exponent and factorial argument can get.

    Symbols count as 10 so that ``x^{x^{9}}`` is treated like ``10^{10^9}``; a
    legitimate answer almost never needs such a tower.
    """

    def __init__(self, text: str, limits: Limits) -> None:
        self.text = text
        self.limits = limits
        self.max_log = math.log10(limits.max_exponent)

    def run(self) -> str | None:
        text = self.text
        i = 0
        n = len(text)
        while i < n:
            ch = text[i]
            if ch == "^" or text.startswith("**", i):
                start = i + (1 if ch == "^" else 2)
                operand, _ = _operand_after(text, start)
                log_value = self._log_bound(operand)
                if log_value > self.max_log:
                    return f"exponent too large: {operand[:40]!r}"
                i = start
                continue
            if ch == "\\" and text.startswith(_BINOMIALS, i):
                end = text.find("{", i)
                if end > 0 and end - i <= 10:
                    top, _ = _operand_after(text, end)
                    if self._log_bound(top) > math.log10(self.limits.max_binomial):
                        return f"binomial too large: {top[:40]!r}"
            if ch == "!" and not text.startswith("!=", i):
                base = _operand_before(text, i)
                log_value = self._log_bound(base)
                if log_value > math.log10(self.limits.max_factorial):
                    return f"factorial argument too large: {base[:40]!r}"
            i += 1
        return None

    def _log_bound(self, operand: str, depth: int = 0) -> float:
        """log10 of an upper estimate of |operand| (sums/products use the max term)."""
        if depth > 8:
            return math.inf
        best = 0.0
        for m in _NUMBER.finditer(operand):
            best = max(best, math.log10(max(1.0, float(m.group()))))
        if _COMMAND.search(operand) or re.search(r"[A-Za-z]", operand):
            best = max(best, 1.0)
        i = 0
        while i < len(operand):
            ch = operand[i]
            if ch == "^" or operand.startswith("**", i):
                start = i + (1 if ch == "^" else 2)
                base = _operand_before(operand, i)
                exponent, end = _operand_after(operand, start)
                log_base = max(self._log_bound(base, depth + 1), 0.0)
                log_exp = self._log_bound(exponent, depth + 1)
                if log_exp > 300:
                    return math.inf
                value = log_base * (10.0**log_exp)
                best = max(best, value)
                i = end
                continue
            i += 1
        return best


def _operand_after(text: str, start: int) -> tuple[str, int]:
    """The exponent operand that begins at ``start`` and the index just past it.

    Powers are right-associative, so an operand carries any ``^``/``**`` chain
    that follows it: after the first ``^`` of ``9^9^9`` the operand is ``9^9``.
    """
    operand, end = _single_operand(text, start)
    k = end
    while k < len(text) and text[k] == " ":
        k += 1
    if text.startswith("**", k) or (k < len(text) and text[k] == "^"):
        rest, end = _operand_after(text, k + (2 if text.startswith("**", k) else 1))
        operand = f"{operand}^{{{rest}}}"
    return operand, end


def _single_operand(text: str, start: int) -> tuple[str, int]:
    n = len(text)
    i = start
    while i < n and text[i] == " ":
        i += 1
    if i >= n:
        return "", i
    if text[i] in "{(":
        end = _matching(text, i)
        return text[i + 1 : end], end + 1
    if text[i] == "\\":
        m = _COMMAND.match(text, i)
        if m:
            return m.group(), m.end()
    if text[i] in "+-":
        return _single_operand(text, i + 1)
    m = _NUMBER.match(text, i)
    if m:
        return m.group(), m.end()
    return text[i], i + 1


def _operand_before(text: str, end: int) -> str:
    """The base just before index ``end`` (a number, a letter or a bracketed group)."""
    i = end - 1
    while i >= 0 and text[i] == " ":
        i -= 1
    if i < 0:
        return ""
    if text[i] in ")}]":
        start = _matching_back(text, i)
        return text[start + 1 : i]
    j = i
    while j >= 0 and (text[j].isdigit() or text[j] == "."):
        j -= 1
    if j < i:
        return text[j + 1 : i + 1]
    return text[i]


def _matching(text: str, i: int) -> int:
    """Index of the bracket closing the one at ``i`` (or len(text) if unbalanced)."""
    depth = 0
    for k in range(i, len(text)):
        if text[k] in _OPEN:
            depth += 1
        elif text[k] in _CLOSE:
            depth -= 1
            if depth == 0:
                return k
    return len(text)


def _matching_back(text: str, i: int) -> int:
    depth = 0
    for k in range(i, -1, -1):
        if text[k] in _CLOSE:
            depth += 1
        elif text[k] in _OPEN:
            depth -= 1
            if depth == 0:
                return k
    return -1
