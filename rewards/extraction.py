"""Isolating the final answer from a model's full output.

Order of evidence, strongest first (the first that yields a non-empty answer wins):

1. ``<think>…</think>`` content is reasoning and is discarded; an unclosed
   ``<think>`` means the reasoning never finished, so nothing after it counts.
2. The last ``<answer>…</answer>`` block (its ``\\boxed{}`` if it has one).
3. The last non-empty ``\\boxed{…}`` / ``\\fbox{…}`` (braces balanced).
4. The last "final answer" cue, then the last "the answer is", then "answer:".
5. A math span that ends the output (``… so the area is $12\\pi$.``).
6. A last line that is a multiple-choice form (``(B)``, ``Option B``, ``B) 12``).
7. The whole output, when it is a single short line that is not a sentence
   (a bare answer: no "I", "the", "so", "therefore", ... in it).

Anything else returns None: a number in the middle of the reasoning is a guess,
and guessing is how answer-stuffing gets rewarded.

All scans are linear (no backtracking regular expressions over the output).
"""

from __future__ import annotations

import re

from .normalize import matching_brace

MAX_OUTPUT_CHARS = 400_000  # longer outputs are scanned from their tail only
MAX_BARE_CHARS = 80

_THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"

_CHOICE_PATTERNS = (
    re.compile(r"^\(\s*([A-J])\s*\)(?:\s.*)?$"),  # (B) / (B) 12
    re.compile(r"^([A-J])\s*\)(?:\s.*)?$"),  # B) 12
    re.compile(r"^(?:option|choice)\s*:?\s*\(?\s*([A-J])\s*\)?(?:[\s.:].*)?$", re.IGNORECASE),
    re.compile(r"^\\text\s*\{\s*\(?\s*([A-J])\s*\)?\s*\}$"),
    re.compile(r"^\*\*\(?([A-J])\)?\*\*$"),
)
_CUES = (
    re.compile(r"final\s+answer(?:\s+is)?\s*(?:[:：]|\bis\b)?", re.IGNORECASE),
    re.compile(r"\bthe\s+(?:correct\s+)?answer\s+is\s*:?", re.IGNORECASE),
    re.compile(r"\banswer\s*[:：]", re.IGNORECASE),
)
_SENTENCE_END = re.compile(r"(?<!\d)\.(?=\s|$)|(?<=\d)\.(?=\s+[A-Z]|\s*$)|\.\s+(?=[A-Z])")


def extract_final_answer(text: str) -> str | None:
    """The final answer written in ``text``, or None when there is none (see module doc)."""
    if not isinstance(text, str) or not text.strip():
        return None
    if len(text) > MAX_OUTPUT_CHARS:
        text = text[-MAX_OUTPUT_CHARS:]
    body = _drop_reasoning(text.replace("\r\n", "\n").replace("\r", "\n"))
    if body is None or not body.strip():
        return None
    tagged = _from_answer_tag(body)
    if tagged is not None:  # an answer tag is authoritative, even when empty
        return _tidy(tagged) or None
    for finder in (_last_boxed, _from_cue, _trailing_math, _choice_line, _bare):
        found = finder(body)
        if found is not None:
            found = _tidy(found)
            if found:
                return found
    return None


def _drop_reasoning(text: str) -> str | None:
    close = text.rfind(_THINK_CLOSE)
    if close >= 0:
        return text[close + len(_THINK_CLOSE) :]
    open_at = text.find(_THINK_OPEN)
    if open_at >= 0:
        return text[:open_at]
    return text


def _from_answer_tag(text: str) -> str | None:
    lower = text.lower()
    start = lower.rfind("<answer>")
    if start < 0:
        return None
    inner_start = start + len("<answer>")
    end = lower.find("</answer>", inner_start)
    inner = text[inner_start:] if end < 0 else text[inner_start:end]
    if not inner.strip():
        return ""
    boxed = _last_boxed(inner)
    if boxed:
        return boxed
    cue = _from_cue(inner)
    return cue if cue else inner.strip()


_BOX_CMD = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")


def find_boxed(text: str) -> list[str]:
    """Contents of every top-level ``\\boxed{}``/``\\fbox{}`` in order (also ``\\boxed 5``).

    One left-to-right pass: boxes nested inside a box's content are part of it.
    """
    found: list[str] = []
    pos = 0
    n = len(text)
    for m in _BOX_CMD.finditer(text):
        if m.start() < pos:
            continue  # inside the previous box
        k = m.end()
        while k < n and text[k] in " \t":
            k += 1
        if k < n and text[k] == "{":
            end = matching_brace(text, k)
            if end < 0:
                found.append(text[k + 1 :])  # unbalanced: the output was cut off inside the box
                return found
            found.append(text[k + 1 : end])
            pos = end + 1
        elif k > m.end():  # "\boxed 5": one token after a space
            tok = re.match(r"[^\s$]+", text[k : k + 200])
            if tok:
                found.append(tok.group())
                pos = k + tok.end()
    return found


def _last_boxed(text: str) -> str | None:
    for content in reversed(find_boxed(text)):
        if content.strip():
            return content
    return None


def _from_cue(text: str) -> str | None:
    for cue in _CUES:
        last = None
        for m in cue.finditer(text):
            last = m
        if last is None:
            continue
        answer = _answer_after(text, last.end())
        if answer:
            return answer
    return None


def _answer_after(text: str, pos: int) -> str | None:
    """The answer that follows a cue: a math span, else the rest of the sentence."""
    rest = text[pos:]
    line_end = rest.find("\n")
    line = rest if line_end < 0 else rest[:line_end]
    line = line.strip().strip("*").strip()
    if not line:
        # "Final Answer:\n\n$$x = 5$$": take the next non-empty line
        for candidate in rest.split("\n")[1:6]:
            candidate = candidate.strip().strip("*").strip()
            if candidate:
                line = candidate
                break
        else:
            return None
        if line == "$$" or line == "\\[":
            closing = "$$" if line == "$$" else "\\]"
            after = rest.split(line, 1)[1]
            end = after.find(closing)
            return after[:end].strip() if end >= 0 else None
    line = _HEDGE.sub("", line)
    math = _leading_math(line)
    if math is not None:
        return math
    cut = _SENTENCE_END.search(line)
    if cut:
        line = line[: cut.start()]
    cut = _CONNECTIVE.search(line)
    if cut:
        line = line[: cut.start()]
    return line.strip() or None


_MATH_SPANS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))


def _leading_math(line: str) -> str | None:
    for left, right in _MATH_SPANS:
        if line.startswith(left):
            end = line.find(right, len(left))
            if end > len(left):
                return line[len(left) : end]
    return None


def _trailing_math(text: str) -> str | None:
    tail = text.rstrip().rstrip(".!").rstrip()
    for left, right in _MATH_SPANS:
        if tail.endswith(right) and len(tail) > len(right):
            start = tail.rfind(left, 0, len(tail) - len(right))
            if left == right == "$" and start > 0 and tail[start - 1] == "$":
                continue  # part of a $$ pair, handled by the $$ rule
            if start >= 0:
                inner = tail[start + len(left) : len(tail) - len(right)]
                if inner.strip() and "\n\n" not in inner:
                    return inner
    return None


def _choice_line(text: str) -> str | None:
    lines = [ln.strip() for ln in text.strip().split("\n") if ln.strip()]
    if not lines:
        return None
    return as_choice(lines[-1].strip("*").strip())


def as_choice(s: str) -> str | None:
    """The letter when ``s`` is an unmistakable multiple-choice form, else None."""
    s = s.strip()
    if len(s) > 200:
        return None
    for pattern in _CHOICE_PATTERNS:
        m = pattern.match(s)
        if m:
            return m.group(1)
    return None


_PROSE_WORDS = re.compile(
    r"\b(?:i|we|you|it|is|are|was|were|the|so|then|therefore|thus|hence|because|know|think|not|cannot|can't|don't)\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(
    r"^(?:probably|likely|clearly|simply|just|indeed|exactly|therefore|thus|then)\s+", re.IGNORECASE
)
_CONNECTIVE = re.compile(
    r"\s+(?:because|since|as|which|so|for|from|by|when|where|meaning|thus|hence|given|due|after|i\.e\.)\b",
    re.IGNORECASE,
)


_CUE_ONLY = re.compile(r"^\W*(?:final\s+)?(?:answer|solution|result)\W*$", re.IGNORECASE)


def _bare(text: str) -> str | None:
    """A whole output that is one short line and not a sentence ("I don't know.")."""
    s = text.strip()
    if "\n" in s or len(s) > MAX_BARE_CHARS or "\\boxed" in s or "\\fbox" in s:
        return None
    if _PROSE_WORDS.search(s.replace("\\", " ")):
        return None
    if s.endswith(":") or _CUE_ONLY.match(s):
        return None  # "Answer:" with nothing after it is a missing answer, not the answer "Answer:"
    return s


def _tidy(answer: str) -> str:
    """Presentation-only cleanup of an extracted answer (math normalisation comes later)."""
    s = answer.strip()
    for _ in range(3):
        s = s.strip().strip("*").strip()
        for left, right in _MATH_SPANS:
            if s.startswith(left) and s.endswith(right) and len(s) > len(left) + len(right):
                s = s[len(left) : len(s) - len(right)].strip()
        s = s.rstrip(".;,").rstrip()
        if s.endswith("!") and not re.search(r"[0-9)}\]]!+$", s):
            s = s.rstrip("!").rstrip()  # an exclamation mark, not a factorial: `5!` stays 120
    choice = as_choice(s)
    if choice is not None:
        return choice
    return s
