"""Which answer a model's output commits to.

**The final-answer region**, strongest evidence first (the first that yields a candidate wins):

1. ``<think>…</think>`` is reasoning and is discarded (an unclosed ``<think>``: the reasoning never
   finished, so there is no answer); text after an end-of-turn token (``<|im_end|>``, ``<|im_start|>``,
   ``<end_of_utterance>``…) is a hallucinated next turn and is cut.
2. The last ``<answer>…</answer>`` block.
3. The last explicit final-answer line: ``Final answer: …``, ``**Final Answer** …``, ``Answer: …`` at the
   start of a line. Its region is the rest of that line (or, when the line ends there, the next block).
   A later aside (a P.S., a second box) never overrides it.
4. The last group of ``\\boxed{}``: boxes joined only by connectors (``\\boxed{2}, \\boxed{3}``,
   ``\\boxed{1} \\text{ and } \\boxed{2}``, ``y_1 = \\boxed{…} and y_2 = \\boxed{…}``) commit together.
   A ``the answer is …`` sentence counts here too: after the last box it wins, before it the box does.
5. The concluding sentence: the last sentence (boilerplate such as "I hope it is correct." skipped) when it
   ends with mathematics or opens with a conclusion (``Therefore …``, ``Thus …``, ``So …``, ``We get …``).
   In it, the value after the last copula (``is``, ``=``, ``are``…) commits — or the value before it when
   what follows is ``the answer``/``the solution``.
6. A last line that is a multiple-choice form (``(B)``, ``Option B``); a whole output that is one short
   bare answer.

Anything else: no answer (a number from the middle of the reasoning is a guess, and guessing is how answer
stuffing gets rewarded). **Within the region**, candidates follow :mod:`rewards.candidates` (connectors make
sets; negated and retracted candidates drop out). A candidate that the text negates *after* the region
(``\\boxed{9}. Hmm, the answer is not 9.``) is retracted too.

Every scan is linear in the output's length, and whitespace runs are collapsed before any pattern runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .candidates import MAX_CANDIDATES, RETRACTION, Answer, Candidate, answer_from_text, is_negated
from .normalize import matching_brace, undouble_backslashes

MAX_OUTPUT_CHARS = 200_000  # longer outputs are scanned from their tail only
MAX_BARE_CHARS = 80
MAX_REGION_CHARS = 2_000

_THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"
_END_OF_TURN = (
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<end_of_utterance>", "<|eot_id|>", "<|end|>",
    "<|end_of_text|>", "</s>", "<|user|>", "<|assistant|>",
)

_CHOICE_PATTERNS = (
    re.compile(r"^\(\s?([A-Ja-j])\s?\)(?:\s.*)?$"),  # (B) / (B) 12 / (b)
    re.compile(r"^([A-Ja-j])\s?\)(?:\s.*)?$"),  # B) 12 / b) 12
    re.compile(r"^(?:option|choice)\s?:?\s?\(?\s?([A-Ja-j])\s?\)?(?:[\s.:].*)?$", re.IGNORECASE),
    re.compile(r"^\\text\s?\{\s?\(?\s?([A-J])\s?\)?\s?\}$"),
    re.compile(r"^\*\*\(?([A-J])\)?\*\*$"),
    re.compile(r"^([A-J])[.:]\s.{0,200}$"),  # "B. 12 cm" as a last line
)
_LONE_LETTER = re.compile(r"^\(?([A-J])\)?[.:]?$")

# Final-answer cues. FINAL: explicit final-answer lines (beat any box). THE_ANSWER_IS: a sentence (beats
# boxes only when it comes after them).
_FINAL_CUE = re.compile(
    r"(?:\bfinal\s(?:answer|result)s?\b(?:\s?\*\*)?\s?(?:is\b|are\b|[:：=]|\*\*|(?=\n)|$)"
    r"|(?:^|\n)[ *#]*answer\s?\**\s?[:：](?:\s?\*\*)?"
    r"|(?:^|\n)[ *#]*answer\**(?=\s?(?:\$|\\\[|\\\(|\\boxed)))",
    re.IGNORECASE,
)
_ANSWER_IS = re.compile(
    r"\b(?:the|my|our)\s(?:correct\s|final\s|right\s|best\s)?(?:answer|option|choice)\s"
    r"(?:is|would\sbe|should\sbe|will\sbe|must\sbe)\b\s?:?"
    r"|\b(?:answer|solution)\s?(?:is\s)?[:：]",
    re.IGNORECASE,
)
_LEADING_ANSWER_IS = re.compile(
    r"^(?:the\s)?(?:final\s|correct\s|right\s)?(?:answer|option|choice|result)\s(?:is|would\sbe|should\sbe)\b\s?:?",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"^(?:i\shope\sit\sis\scorrect|i\shope\sthis\shelps|hope\sthis\shelps|thank\syou|thanks|let\sme\sknow\b.*"
    r"|good\sluck|done|that's\sit|the\send)\W*$",
    re.IGNORECASE,
)
_COMMITMENT = re.compile(
    r"\b(?:i(?:'ll|\swill|'d|\swould)?\s(?:go\swith|choose|pick|select|say)|my\s(?:final\s)?(?:answer|choice|pick)\sis"
    r"|is\s(?:the|our|my)\s(?:final\s|correct\s)?(?:answer|solution|result))\b",
    re.IGNORECASE,
)
_CONCLUSION = re.compile(
    r"^(?:therefore|thus|hence|so|consequently|finally|in\sconclusion|in\ssummary|overall|altogether|in\stotal"
    r"|this\sgives|which\sgives|this\smeans|we\s(?:get|obtain|find|conclude|have)|the\s(?:answer|result|solution|value)\sis)\b",
    re.IGNORECASE,
)


def extract_answer(text: str) -> Answer | None:
    """What ``text`` commits to (see the module doc), or None when it commits to nothing."""
    body = prepare_output(text)
    if body is None:
        return None
    tagged = _from_answer_tag(body)
    if tagged is not None:
        return tagged or None
    for finder in (_from_final_cue, _from_boxes_or_sentence_cue, _bare, _from_conclusion, _from_choice_line):
        found = finder(body)
        if found:
            return found
    return None


def extract_final_answer(text: str) -> str | None:
    """The committed answer as text (several candidates joined by ``, ``), or None."""
    answer = extract_answer(text)
    return answer.display if answer else None


def gold_answer(gold: str) -> Answer | None:
    """A gold as the dataset writes it. A gold that is a whole solution (it has a box, an answer tag or a
    final-answer line) is read like a prediction; otherwise it is the answer as written."""
    if not isinstance(gold, str) or not gold.strip():
        return None
    text = gold if len(gold) <= MAX_OUTPUT_CHARS else gold[-MAX_OUTPUT_CHARS:]
    text = _collapse_ws(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = undouble_backslashes(text)
    lowered = text.lower()
    if "\\boxed" in text or "\\fbox" in text or "<answer>" in lowered or _FINAL_CUE.search(text):
        for finder in (_from_answer_tag, _from_final_cue, _from_boxes_or_sentence_cue):
            found = finder(text)
            if found:
                return found
    return answer_from_text(text, "gold", trusted=True)


# --- preparing the output ----------------------------------------------------------


def prepare_output(text: str) -> str | None:
    """The part of an output that may hold its answer, with whitespace runs collapsed; None if empty."""
    if not isinstance(text, str) or not text.strip():
        return None
    if len(text) > MAX_OUTPUT_CHARS:
        text = text[-MAX_OUTPUT_CHARS:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # the turn ends at its end token (what follows is a hallucinated next turn, however it reasons), and only
    # then is the reasoning of this turn set aside
    body = _drop_reasoning(_cut_end_of_turn(text))
    if body is None:
        return None
    body = _strike_out(body)
    body = _unbold(body)
    body = _collapse_ws(body)
    body = undouble_backslashes(body)
    return body if body.strip() else None


_STRUCK = re.compile(r"~~[^~\n]{0,400}~~|<(s|del|strike)>.{0,400}?</\1>", re.IGNORECASE | re.DOTALL)
_CANCEL = re.compile(r"\\(?:cancel|bcancel|xcancel|sout|st|cancelto\{[^{}]{0,20}\})\s?\{")


def _strike_out(text: str) -> str:
    """Struck-through (``~~7~~``, ``<s>7</s>``) and cancelled (``\\cancel{7}``, ``\\sout{7}``) text is a
    retraction, not a commitment: it is removed before the answer is looked for."""
    text = _STRUCK.sub(" ", text)
    for _ in range(50):
        m = _CANCEL.search(text)
        if not m:
            break
        end = matching_brace(text, m.end() - 1)
        text = text[: m.start()] + " " + (text[end + 1 :] if end >= 0 else "")
    return text


_BOLD = re.compile(r"(?<![\w)])\*\*|\*\*(?![\w(])")


def _unbold(text: str) -> str:
    """Markdown bold (``**F = 20 N**``) is presentation; ``x**2`` (a power, between operands) stays."""
    return _BOLD.sub("", text) if "**" in text else text


def _collapse_ws(text: str) -> str:
    text = re.sub(r"[ \t\f\v\u00a0]+", " ", text)
    text = re.sub(r" ?\n ?", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _drop_reasoning(text: str) -> str | None:
    close = text.rfind(_THINK_CLOSE)
    if close >= 0:
        return text[close + len(_THINK_CLOSE) :]
    open_at = text.find(_THINK_OPEN)
    if open_at >= 0:
        return text[:open_at]
    return text


def _cut_end_of_turn(text: str) -> str:
    cut = len(text)
    for token in _END_OF_TURN:
        at = text.find(token)
        if 0 <= at < cut and text[:at].strip():
            cut = at
    return text[:cut]


# --- boxes ------------------------------------------------------------------------------

_BOX_CMD = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")


@dataclass(frozen=True)
class Box:
    start: int
    end: int  # index just past the closing brace
    content: str


def find_boxes(text: str) -> list[Box]:
    """Every top-level ``\\boxed{}``/``\\fbox{}`` (also ``\\boxed 5``) in order; boxes inside a box belong
    to it. One left-to-right pass."""
    found: list[Box] = []
    pos = 0
    n = len(text)
    for m in _BOX_CMD.finditer(text):
        if m.start() < pos:
            continue
        k = m.end()
        while k < n and text[k] in " \t":
            k += 1
        if k < n and text[k] == "{":
            end = matching_brace(text, k)
            if end < 0:
                found.append(Box(m.start(), n, text[k + 1 :]))  # cut off inside the box
                return found
            found.append(Box(m.start(), end + 1, text[k + 1 : end]))
            pos = end + 1
        elif k > m.end():  # "\boxed 5": one token after a space
            tok = re.match(r"[^\s$]{1,200}", text[k : k + 200])
            if tok:
                found.append(Box(m.start(), k + tok.end(), tok.group()))
                pos = k + tok.end()
    return found


def find_boxed(text: str) -> list[str]:
    """Contents of every top-level box, in order."""
    return [b.content for b in find_boxes(text)]


_GAP_LABEL = re.compile(
    r"(?:\\?[A-Za-z]{1,3}(?:_\{?[A-Za-z0-9]{1,6}\}?)?(?:\([^()]{0,20}\))?|\([^()]{1,20}\))\s?(?:=|:)"
)
_GAP_PART = re.compile(r"\b(?:for\s)?(?:part|case|question)s?\s?\(?[a-z0-9ivx]{1,4}\)?", re.IGNORECASE)
_GAP_STOP = re.compile(
    r"\b(?:then|but|actually|wait|instead|rather|correct\w*|fix\w*|mistake\w*|wrong|not|no|however|so|thus"
    r"|finally|lastly|next|now|after\w*|later|final|first|second|earlier|before|previously|update\w*|revis\w*"
    r"|therefore|hence|becomes?|gives?|equals?|is|are|was|were|because|since)\b",
    re.IGNORECASE,
)


def _connects(gap: str) -> bool:
    """Is the text between two boxes a connector (``, ``, `` and ``, ``\\quad \\text{or} \\quad``,
    ``y_2 =``, `` papers and ``) rather than a step of reasoning (``, then, fixing a sign,``)?"""
    if "\n\n" in gap or len(gap) > 120:
        return False
    s = re.sub(r"\\(?:text|textrm|mbox|mathrm|textnormal)\s?\{([^{}]*)\}", r" \1 ", gap)
    s = re.sub(r"\$\$|\\\[|\\\]|\\\(|\\\)|\$|\\quad|\\qquad|\\,|\\;|\\ |&", " ", s)
    if _GAP_STOP.search(s) or re.search(r"[.!?](?:\s|$)", s):
        return False
    s = _GAP_LABEL.sub(" ", s)
    s = _GAP_PART.sub(" ", s)
    words = re.findall(r"[A-Za-z]+", s)
    if not words:
        return True  # nothing but punctuation or spacing
    connector = any(w.lower() in ("and", "or", "respectively", "also") for w in words) or "," in s or ";" in s
    return connector and len(words) <= 6


_NEG_BEFORE = re.compile(
    r"(?:\b(?:not|no|never|cannot|can't|isn't|aren't|wasn't|weren't|won't|doesn't|don't|except|excluding"
    r"|other\sthan|rather\sthan|instead\sof|neither|nor|without|incorrectly|wrongly|mistakenly)\b"
    r"|\bwould\ssay\b|\bmight\s(?:say|think|guess)\b|\bmay\s(?:say|think)\b|\bcommon\smistake\b|\btempting\b"
    r"|\bsome\s(?:say|claim|would)\b|\bothers?\s(?:say|claim|would)\b|\\neq|\\ne(?![A-Za-z])|≠)"
    r"[^.;:!?\n]{0,40}$",
    re.IGNORECASE,
)
_RETRACT_AFTER = re.compile(
    r"^[^.!?\n]{0,80}?(?:\b(?:that|this|which|it|that's|this's|it's)\s?(?:is|was|'s)?\s(?:\w+\s)?"
    r"(?:wrong|incorrect|a\smistake|an\serror|impossible|not\s(?:right|correct|possible|valid|the\sanswer))\b"
    r"|^[^.!?\n]{0,40}?\b(?:can't|cannot|can\snot|couldn't)\sbe\s(?:right|correct|the\sanswer)\b"
    r"|^[^.!?\n]{0,40}?\b(?:doesn't|does\snot|didn't|won't)\swork\b"
    r"|^[^.!?\n]{0,40}?\b(?:is|was|are)\s(?:ruled\sout|excluded|eliminated|rejected|discarded)\b"
    r"|^[\s,;:]*(?:is|was|are|were)\s(?:\w+\s)?(?:wrong|incorrect|not\s(?:right|correct|the\sanswer)|a\smistake)\b"
    r"|^[\s,.;:]*(?:wait|oops|no,|hmm,?\sno))",
    re.IGNORECASE,
)


def _negated_context(text: str, start: int, end: int, window_start: int = 0) -> bool:
    """Is the candidate at text[start:end] negated by what precedes it in its clause, or retracted by what
    follows in its sentence?"""
    before = text[max(window_start, start - 60) : start]
    cut = max(before.rfind(";"), before.rfind(":"), before.rfind("\n"), before.rfind(". "))
    before = before[cut + 1 :]
    before = re.sub(r"\$|\\\(|\\\[", " ", before)
    if _NEG_BEFORE.search(before):
        return True
    after = text[end : end + 100]
    after = re.sub(r"^[\s$]*(?:\\\)|\\\])?", "", after)
    return bool(_RETRACT_AFTER.search(after))


def _box_groups(text: str) -> list[list[Box]]:
    boxes = [b for b in find_boxes(text) if b.content.strip()]
    groups: list[list[Box]] = []
    for box in boxes:
        if groups and _connects(text[groups[-1][-1].end : box.start]):
            groups[-1].append(box)
        else:
            groups.append([box])
    return groups


def _answer_from_boxes(text: str, group: list[Box], source: str) -> Answer | None:
    candidates: list[Candidate] = []
    listed = open_ended = False
    if len(group) > 4 * MAX_CANDIDATES:
        return Answer((Candidate(group[-1].content[:200]),), source, stuffed=True)
    live = [box for box in group if not _negated_context(text, box.start, box.end)]
    if len(live) == 1:
        return answer_from_text(live[0].content, source)
    for box in live:
        found = answer_from_text(box.content, source)
        if found:
            candidates.extend(found.candidates)
            listed = listed or (found.listed and len(group) == 1)
            open_ended = open_ended or found.open_ended
    return _answer(candidates, source, listed, open_ended)


def _answer(candidates: list[Candidate], source: str, listed: bool = False, open_ended: bool = False) -> Answer | None:
    if len(candidates) > 4 * MAX_CANDIDATES:
        return Answer(tuple(candidates[: MAX_CANDIDATES + 1]), source, stuffed=True)
    unique: dict[str, Candidate] = {}
    for cand in candidates:
        unique.setdefault(re.sub(r"\s+", "", cand.text), cand)
    if not unique:
        return None
    return Answer(tuple(unique.values()), source, listed and len(unique) > 1, open_ended)


# --- math spans and sentences -----------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "math", "value" (a plain number / choice in prose), "prose"
    text: str
    start: int
    end: int
    display: bool = False  # $$…$$ or \[…\]


def math_segments(text: str) -> list[_Token]:
    """Split ``text`` into prose and math spans (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``).

    Inline spans do not cross a line break; an opener without a closer is prose. Linear: a closer that
    was not found once is never searched for again from a later position.
    """
    out: list[_Token] = []
    n = len(text)
    i = prose_start = 0
    missing: dict[str, int] = {}

    def find(closer: str, frm: int) -> int:
        if closer in missing and frm >= missing[closer]:
            return -1
        at = text.find(closer, frm)
        if at < 0:
            missing[closer] = frm
        return at

    while i < n:
        ch = text[i]
        span = None
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt in "[(":
                closer = "\\]" if nxt == "[" else "\\)"
                end = find(closer, i + 2)
                if end >= 0 and (nxt == "[" or "\n" not in text[i + 2 : end]):
                    span = (i + 2, end, end + 2)
            elif nxt == "$":
                i += 2
                continue
        elif ch == "$":
            if text.startswith("$$", i):
                end = find("$$", i + 2)
                if end >= 0:
                    span = (i + 2, end, end + 2)
            else:
                j = i + 1
                while j < n and text[j] != "$" and text[j] != "\n":
                    j += 2 if text[j] == "\\" else 1
                if j < n and text[j] == "$" and text[i + 1 : j].strip():
                    span = (i + 1, j, j + 1)
        if span is None:
            i += 1
            continue
        inner_start, inner_end, after = span
        if i > prose_start:
            out.append(_Token("prose", text[prose_start:i], prose_start, i))
        display = text.startswith("$$", i) or text.startswith("\\[", i)
        out.append(_Token("math", text[inner_start:inner_end], i, after, display))
        i = prose_start = after
    if prose_start < n:
        out.append(_Token("prose", text[prose_start:], prose_start, n))
    return out


_SENTENCE_END = re.compile(r"(?<![\d.])[.!?](?=\s|$)|(?<=\d)\.(?=\s+[A-Z*\\$(]|\s*$)|\n")


def sentences(text: str) -> list[list[_Token]]:
    """Sentences as token lists (math spans never split); a line break ends a sentence too."""
    result: list[list[_Token]] = [[]]
    after_display = False
    for tok in math_segments(text):
        if tok.kind == "math":
            result[-1].append(tok)
            after_display = tok.display
            continue
        if after_display and re.match(r"^\s*[A-Z]", tok.text):
            result.append([])  # "… $$x = 1.$$ Therefore, …": a display formula closes its sentence
        after_display = False
        pos = 0
        for m in _SENTENCE_END.finditer(tok.text):
            piece = tok.text[pos : m.end()]
            if piece:
                result[-1].append(_Token("prose", piece, tok.start + pos, tok.start + m.end()))
            result.append([])
            pos = m.end()
        if pos < len(tok.text):
            result[-1].append(_Token("prose", tok.text[pos:], tok.start + pos, tok.end))
    return [s for s in result if any(t.text.strip() for t in s)]


_PROSE_VALUE = re.compile(
    r"(?<![\w.^_{/\\)\]-])(?:\\?\$\s?)?[-+]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d{1,3}(?:\s\d{3})+(?!\d|\.\d)|\d+,\d+(?![\d,])|\d+)"
    r"(?:\.\d+)?(?:/\d+)?"
    r"(?:\s?(?:%|per\s?cent\b|pct\b))?(?![\d]|[.,]\d|-\w)"
    r"|\(([A-J])\)|\b(?:option|choice)\s\(?([A-J])\)?(?![\w])",
    re.IGNORECASE,
)
_UNIT_WORD = re.compile(r"^\s?([A-Za-zµΩ°€£¥][A-Za-zµΩ°€£¥/^0-9²³·⋅*⁻¹()-]{0,19})")
_COPULA = re.compile(
    r"\b(?:is|are|was|were|equals?|be|becomes?|gives?|yields?|get|gets|obtain|obtains|it's|makes?|totals?"
    r"|comes\sto|amounts\sto|came\sto)\b|=|:",
    re.IGNORECASE,
)
_ANSWER_NOUN = re.compile(
    r"^\s?(?:indeed\s|then\s)?(?:the|our|my|a)\s(?:final\s|correct\s|right\s|only\s)?(?:answer|solution|result|value|choice|option)s?\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"\b(?:because|since|as|which|where|given|due|after|if|when|i\.e\.)\b|[;(]", re.IGNORECASE)
_JOIN_WORDS = {
    "and", "or", "also", "possibly", "maybe", "perhaps", "alternatively", "even", "probably", "potentially",
    "but", "could", "might", "may", "be", "is", "it", "else", "either", "both", "as", "well", "respectively",
}
_JOIN_MARKS = {"and", "or", "also", "possibly", "maybe", "perhaps", "alternatively", "could", "might", "may", "either"}


class _Joins:
    """Prose that joins two values into one answer: ``, ``, `` and ``, `` or possibly ``, ``, but it could
    also be`` (a hedge is a set too). Never a clause with other words, and never a negation."""

    @staticmethod
    def match(prose: str) -> bool:
        words = re.findall(r"[A-Za-z]+", prose)
        if len(words) > 6 or any(w.lower() not in _JOIN_WORDS for w in words):
            return False
        if re.search(r"[.;:!?]", prose):
            return False
        return "," in prose or any(w.lower() in _JOIN_MARKS for w in words)


_CONNECTOR_ONLY = _Joins()


_TWO_WORD_UNIT = re.compile(r"^\s?([A-Za-zµΩ°/^²³]{1,14}\s[A-Za-z]{1,12})")


def _unit_after(text: str) -> tuple[str, int]:
    """A known unit (one or two words: ``km``, ``degrees Celsius``, ``square meters``) at the start of text."""
    from .units import is_unit

    for pattern in (_TWO_WORD_UNIT, _UNIT_WORD):
        m = pattern.match(text)
        if m and is_unit(m.group(1)):
            return m.group(1), m.end()
    return "", 0


def _value_tokens(sentence: list[_Token]) -> list[_Token]:
    """Math spans, plus plain numbers and option letters in the prose (with a unit word after a number)."""
    out: list[_Token] = []
    for tok in sentence:
        if tok.kind == "math":
            out.append(tok)
            continue
        pos = 0
        unit_text, unit_len = _unit_after(tok.text) if out and out[-1].kind == "math" else ("", 0)
        if unit_text:
            # "$v = 20$ km/h", "$125$ miles": the unit written after the formula belongs to its value
            last = out.pop()
            out.append(_Token("math", f"{last.text} {unit_text}", last.start, tok.start + unit_len, last.display))
            pos = unit_len
        for m in _PROSE_VALUE.finditer(tok.text):
            if m.start() > pos:
                out.append(_Token("prose", tok.text[pos : m.start()], tok.start + pos, tok.start + m.start()))
            value = m.group(1) or m.group(2) or m.group()
            end = m.end()
            if m.group(1) is None and m.group(2) is None:
                unit_text, unit_len = _unit_after(tok.text[end:])
                glued = end < len(tok.text) and (tok.text[end].isalpha() or tok.text[end] in "µΩ°€£¥")
                if unit_text:
                    value = f"{value} {unit_text}"
                    end += unit_len
                elif glued:
                    continue  # 3D, 2x: not a number standing alone
            out.append(_Token("value", value, tok.start + m.start(), tok.start + end))
            pos = end
        if pos < len(tok.text):
            out.append(_Token("prose", tok.text[pos:], tok.start + pos, tok.end))
    return out


def _sentence_answer(tokens: list[_Token], text: str, source: str, *, require_single: bool = False) -> Answer | None:
    """The candidates one sentence commits to (copula rule; negated values dropped)."""
    values = [i for i, t in enumerate(tokens) if t.kind != "prose"]
    if not values:
        return None
    negated = set()
    previous_end = tokens[0].start
    for i in values:
        if _negated_context(text, tokens[i].start, tokens[i].end, previous_end):
            negated.add(i)
        previous_end = tokens[i].end
    copulas = [
        (i, m) for i, t in enumerate(tokens) if t.kind == "prose" for m in _COPULA.finditer(t.text)
    ]
    chosen: list[int] = []
    if copulas:
        ci, cm = copulas[-1]
        rest = tokens[ci].text[cm.end() :]
        if _ANSWER_NOUN.match(rest):
            chosen = _run_before(tokens, ci)
        else:
            chosen = _run_after(tokens, ci, rest)
    if not chosen:
        live = [i for i in values if i not in negated]
        if negated and not copulas:
            return None  # "y cannot equal 9": a negative statement, not a commitment
        if len(live) == 1 or live and all(
            _CONNECTOR_ONLY.match("".join(t.text for t in tokens[a + 1 : b])) for a, b in zip(live, live[1:])
        ) and not require_single:
            chosen = live
    chosen = _extend_by_joins(tokens, [i for i in chosen if i not in negated], negated)
    if not chosen:
        return None
    candidates: list[Candidate] = []
    listed = open_ended = False
    for i in chosen:
        found = answer_from_text(tokens[i].text, source)
        if found:
            candidates.extend(found.candidates)
            listed = listed or (found.listed and len(chosen) == 1)
            open_ended = open_ended or found.open_ended
    return _answer(candidates, source, listed, open_ended)


def _extend_by_joins(tokens: list[_Token], chosen: list[int], negated: set[int]) -> list[int]:
    """Values joined to the chosen ones only by connectors or hedges belong to the same answer:
    ``(A), but it could also be (C)`` commits to both."""
    if not chosen:
        return chosen
    out = list(chosen)
    j = out[0] - 1
    while (
        j >= 1 and tokens[j].kind == "prose" and _CONNECTOR_ONLY.match(tokens[j].text) and tokens[j - 1].kind != "prose"
    ):
        if j - 1 not in negated:
            out.insert(0, j - 1)
        j -= 2
    return out


def _run_after(tokens: list[_Token], ci: int, rest: str) -> list[int]:
    """The value right after the copula (a short lead-in such as "the interval" allowed) and any values
    joined to it by ``and``/``or``/commas only."""
    lead = rest
    chosen: list[int] = []
    for j in range(ci + 1, len(tokens)):
        tok = tokens[j]
        if tok.kind == "prose":
            if chosen:
                if not _CONNECTOR_ONLY.match(tok.text):
                    break
                continue
            lead += tok.text
            continue
        if not chosen and (_CLAUSE_BREAK.search(lead) or len(re.findall(r"[A-Za-z]+", lead)) > 4):
            return []
        chosen.append(j)
    return chosen


def _run_before(tokens: list[_Token], ci: int) -> list[int]:
    chosen: list[int] = []
    for j in range(ci - 1, -1, -1):
        tok = tokens[j]
        if tok.kind == "prose":
            if chosen and not _CONNECTOR_ONLY.match(tok.text):
                break
            if not chosen and tok.text.strip() and re.search(r"[A-Za-z]{3,}", tok.text):
                break
            continue
        chosen.insert(0, j)
    return chosen


# --- region finders ------------------------------------------------------------------------


def _region_answer(region: str, source: str) -> Answer | None:
    """Candidates in a final-answer region: its boxes, else its leading mathematics, else its first sentence."""
    region = region.strip().strip("*").strip()
    nested = _ANSWER_IS.match(region) or _LEADING_ANSWER_IS.match(region)
    if nested:
        region = region[nested.end() :].strip()  # "Final answer: The correct option is C."
    if not region:
        return None
    region = region[:MAX_REGION_CHARS]
    groups = _box_groups(region)
    if groups:
        found = _answer_from_boxes(region, groups[0] if len(groups) == 1 else _all_boxes(groups), source)
        if found:
            return found
    first = sentences(region)
    if not first:
        return None
    tokens = _value_tokens(first[0])
    prose = "".join(t.text for t in first[0] if t.kind == "prose")
    words = re.sub(
        r"\\(?:begin|end|mathrm|mathbf|operatorname)\{[A-Za-z*]+\}|\\[A-Za-z]+|\b(?:and|or|and/or|option|choice)\b",
        " ", prose, flags=re.IGNORECASE,
    )
    if not re.search(r"[A-Za-z]{2,}", words):
        # only mathematics (delimited or plain LaTeX) and connectors: the whole first sentence is the answer
        joined = "".join(f" {t.text} " if t.kind != "prose" else t.text for t in first[0]).strip()
        joined = re.sub(r"^\W*(?:is|:)\s", "", joined)
        return answer_from_text(_strip_connective(joined), source)
    has_value = any(t.kind == "value" for t in tokens)
    plain = prose == "".join(t.text for t in first[0])
    if plain and not has_value and source in ("final_line", "answer_tag") and _short_phrase(prose):
        return answer_from_text(_strip_connective(prose), source)  # "Final answer: prophase I"
    if plain and _short_plain_answer(first[0]) and not (has_value and len(re.findall(r"[A-Za-z]{2,}", words)) >= 2):
        return answer_from_text(_strip_connective(prose), source)
    return _sentence_answer(tokens, region, source)


def _all_boxes(groups: list[list[Box]]) -> list[Box]:
    return [b for g in groups for b in g]


_CONNECTIVE = re.compile(
    r"\s\(?(?:because|since|as|which|so|for|from|by|when|where|meaning|thus|hence|given|due|after|i\.e\.|e\.g\."
    r"|using|rounded|approx\w*|note)\b.*$",
    re.IGNORECASE,
)
_PROSE_WORDS = re.compile(
    r"\b(?:i|we|you|it|is|are|was|were|the|so|then|therefore|thus|hence|because|know|think|not|cannot|can't|don't"
    r"|has|have|had|this|that|there|of|in|on|at|to|from|by)\b",
    re.IGNORECASE,
)


def _short_phrase(text: str) -> bool:
    words = re.findall(r"\S+", text)
    return 0 < len(words) <= 8 and len(text) <= 100 and not re.search(r"[.!?]\s", text.strip())


def _strip_connective(s: str) -> str:
    return _CONNECTIVE.sub("", s).strip()


def _short_plain_answer(sentence: list[_Token]) -> bool:
    """A plain-text region that is an answer, not a sentence (``Anterior``, ``(C) and (D)``, ``3/4``)."""
    text = _strip_connective("".join(t.text for t in sentence)).strip(" .")
    return bool(text) and len(text) <= 120 and not _PROSE_WORDS.search(text.replace("\\", " "))


def _from_answer_tag(text: str) -> Answer | None | bool:
    lower = text.lower()
    start = lower.rfind("<answer>")
    if start < 0:
        return None
    inner_start = start + len("<answer>")
    end = lower.find("</answer>", inner_start)
    inner = text[inner_start:] if end < 0 else text[inner_start:end]
    if not inner.strip():
        return False  # an answer tag is authoritative, even when empty
    found = _from_final_cue(inner) or _region_answer(inner, "answer_tag")
    if found is None and not is_negated(inner.strip()):
        found = answer_from_text(inner, "answer_tag")
    return found if found is not None else False


def _region_after(text: str, pos: int) -> str:
    """The rest of the cue's line; when that is empty, the next block (a display formula or a line)."""
    rest = text[pos:]
    line_end = rest.find("\n")
    line = rest if line_end < 0 else rest[:line_end]
    if line.strip(" *:#.") or line_end < 0:
        return line
    after = rest[line_end + 1 :].lstrip("\n")
    for opener, closer in (("$$", "$$"), ("\\[", "\\]")):
        if after.startswith(opener):
            end = after.find(closer, len(opener))
            return after[: end + len(closer)] if end >= 0 else after[:MAX_REGION_CHARS]
    nl = after.find("\n")
    return after if nl < 0 else after[:nl]


def _from_final_cue(text: str) -> Answer | None:
    matches = list(_FINAL_CUE.finditer(text))
    for m in reversed(matches[-3:]):
        region = _region_after(text, m.end())
        found = _region_answer(region, "final_line")
        if found:
            return _drop_retracted_later(found, text, m.end() + len(region))
    return None


def _from_boxes_or_sentence_cue(text: str) -> Answer | None:
    groups = _box_groups(text)
    cue = None
    for m in _ANSWER_IS.finditer(text):
        cue = m
    if cue is not None and (not groups or cue.start() > groups[-1][-1].start):
        region = _region_after(text, cue.end())
        found = _region_answer(region, "answer_is")
        if found:
            return _drop_retracted_later(found, text, cue.end() + len(region))
    for group in reversed(groups):
        found = _answer_from_boxes(text, group, "boxed")
        if found:
            return _drop_retracted_later(found, text, group[-1].end)
        if len(groups) > 1:
            break  # the last box group was retracted: what follows it decides, not an older box
    if cue is not None:
        region = _region_after(text, cue.end())
        found = _region_answer(region, "answer_is")
        if found:
            return _drop_retracted_later(found, text, cue.end() + len(region))
    return None


def _from_conclusion(text: str) -> Answer | None:
    sents = sentences(text[-4000:])
    while sents and _BOILERPLATE.match("".join(t.text for t in sents[-1]).strip(" *")):
        sents.pop()
    if not sents:
        return None
    last = sents[-1]
    offset = len(text) - len(text[-4000:])
    ends_with_math = last[-1].kind == "math" or (
        len(last) > 1 and last[-2].kind == "math" and not last[-1].text.strip(" .!,;*")
    )
    opening = "".join(t.text if t.kind == "prose" else " x " for t in last).strip(" *#-")
    only_sentence = len(sents) == 1 and "\n" not in text.strip()
    valued = _value_tokens(last)
    ends_with_value = bool(valued) and (
        valued[-1].kind != "prose"
        or (len(valued) > 1 and valued[-2].kind != "prose" and not valued[-1].text.strip(" .!,;*"))
    )
    if not (
        ends_with_math or ends_with_value or only_sentence or _CONCLUSION.match(opening) or _COMMITMENT.search(opening)
    ):
        return None
    local = text[offset:]
    return _sentence_answer(valued, local, "conclusion")


def _from_choice_line(text: str) -> Answer | None:
    lines = [ln.strip() for ln in text.strip().split("\n") if ln.strip()]
    if not lines:
        return None
    last = lines[-1].strip("*").strip()
    lone = _LONE_LETTER.match(last)
    letter = lone.group(1) if lone else as_choice(last)
    if (
        letter is None
        or RETRACTION.search(last)
        or re.search(r"\b(?:not|incorrect|wrong|false)\b", last, re.IGNORECASE)
    ):
        return None
    return Answer((Candidate(letter),), "choice")


def as_choice(s: str) -> str | None:
    """The letter when ``s`` is an unmistakable multiple-choice form, else None."""
    s = s.strip()
    if len(s) > 200:
        return None
    for pattern in _CHOICE_PATTERNS:
        m = pattern.match(s)
        if m:
            return m.group(1).upper()
    return None


_BARE_PROSE = re.compile(
    r"\b(?:i|we|you|it|is|are|was|were|the|so|then|therefore|thus|hence|because|know|think|not|cannot|can't|don't)\b",
    re.IGNORECASE,
)
_CUE_ONLY = re.compile(r"^\W*(?:final\s)?(?:answer|solution|result)\W*$", re.IGNORECASE)


def _bare(text: str) -> Answer | None:
    """A whole output that is one short line and not a sentence (``12``, ``Anterior``; not ``I don't know.``)."""
    s = text.strip()
    if "\n" in s or len(s) > MAX_BARE_CHARS or "\\boxed" in s or "\\fbox" in s:
        return None
    if _BARE_PROSE.search(s.replace("\\", " ")):
        return None
    if s.endswith(":") or _CUE_ONLY.match(s):
        return None  # "Answer:" with nothing after it is a missing answer, not the answer "Answer:"
    label = re.match(r"^[A-Za-z][A-Za-z ]{0,30}:\s", s)
    if label:
        s = s[label.end() :]  # "Possible values: 1, 2, …, 9"
        if re.search(r"(?<![A-Za-z\\])[A-Za-z](?![A-Za-z(])", re.sub(r"\\[A-Za-z]+", "", s)) and "$" in s:
            found = sentences(s)
            return _sentence_answer(_value_tokens(found[0]), s, "bare", require_single=True) if found else None
    s = s.strip().strip("*").strip()
    letter = as_choice(s)
    if letter is not None:
        return Answer((Candidate(letter),), "bare")
    return answer_from_text(s, "bare")


# --- retraction after the region -------------------------------------------------------------

_LATER_NEGATION = re.compile(
    r"(?:\b(?:not|isn't|is\snot|cannot\sbe|can't\sbe|never)\s|\\neq\s?|≠\s?)\$?\s?\\?\(?\s?(?P<v>[-+]?[\w.\\{}/^]+)"
    r"|\$?(?P<w>[-+]?[\w.\\{}/^]+)\$?\s(?:is|was)\s(?:\w+\s)?(?:wrong|incorrect)\b",
    re.IGNORECASE,
)


def _drop_retracted_later(answer: Answer, text: str, region_end: int) -> Answer | None:
    """Drop candidates the text explicitly negates after committing to them (``…\\boxed{9}. No, not 9.``)."""
    tail = text[region_end : region_end + 2000]
    if not tail.strip():
        return answer
    negated = set()
    for m in _LATER_NEGATION.finditer(tail):
        value = (m.group("v") or m.group("w") or "").strip("{}$.")
        if value:
            negated.add(re.sub(r"\s+", "", value))
    if not negated:
        return answer
    kept = [c for c in answer.candidates if re.sub(r"\s+", "", c.text) not in negated]
    if len(kept) == len(answer.candidates):
        return answer
    return _answer(kept, answer.source, answer.listed, answer.open_ended)
