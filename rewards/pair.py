"""One predicted candidate against one gold candidate: normalise, reconcile names and units, run the tiers.

``compare_pair`` is a generator: it yields :class:`Job` requests for the sandboxed tiers (latex, symbolic)
and receives their results, so one driver serves both the serial ``verify`` and the concurrent
``verify_batch``. Everything else runs in the caller and is cheap and bounded.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from threading import Lock

from . import verdict as R
from .candidates import Candidate
from .extraction import as_choice
from .limits import Limits, screen
from .normalize import Canon, canonical, drop_degree, has_degree, label_key, split_assignment
from .numbers import parse_number
from .tiers import base as T
from .tiers import get_tier, registry_generation
from .units import parse_unit
from .verdict import Verdict

_DEGREE_UNIT = parse_unit("°")
_UNEVALUATED = re.compile(
    r"\\(?:int|iint|iiint|oint|sum|prod|lim|limits)(?![A-Za-z])|\\frac\s?\{\s?d\s?\}\s?\{\s?d|\\frac\s?\{\s?\\partial"
    r"|\\mathrm\s?\{\s?d\s?\}\s?[a-z]|\\operatorname\{d\}"
)


@dataclass(frozen=True)
class Job:
    """A request to the sandbox: run these tiers on this pair."""

    pred: str
    gold: str
    tiers: tuple


class VerdictCache:
    """LRU of decided pair verdicts: GRPO scores many identical final answers per gold."""

    def __init__(self, size: int = 65536) -> None:
        self.size = size
        self._data: OrderedDict = OrderedDict()
        self._lock = Lock()

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            if len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


verdicts = VerdictCache()


def safe_match(tier, pred: str, gold: str) -> T.Match:
    try:
        result = tier.match(pred, gold)
    except Exception as exc:  # noqa: BLE001 - a tier bug must not reach the training loop
        return T.Undecided(T.ERROR, f"{type(exc).__name__}: {exc}"[:300])
    if not isinstance(result, (T.Equal, T.NotEqual, T.Undecided)):
        return T.Undecided(T.ERROR, f"tier {tier.name} returned {type(result).__name__}")
    return result


def compare_pair(
    pred: Candidate, gold: Candidate, names: Sequence[str], limits: Limits
) -> Generator[Job, list, Verdict]:
    """Are these two candidates the same answer? (``Verdict.extracted`` is left to the caller.)"""
    gc, pc = canonical(gold.text), canonical(pred.text)
    if not gc.value:
        return Verdict(False, None, None, R.GOLD_UNPARSEABLE, "gold is empty after normalisation")
    if not pc.value:
        return Verdict(False, None, None, R.NO_ANSWER, "answer is empty after normalisation")
    pred_v, gold_v = _values(pc.value, gc.value)
    reconciled = _reconcile_units(pc, gc, pred_v, gold_v)
    if isinstance(reconciled, Verdict):
        return reconciled
    pred_v, gold_v = reconciled
    if _UNEVALUATED.search(pred_v) and not _UNEVALUATED.search(gold_v):
        return Verdict(
            False, None, None, R.MISMATCH, "an unevaluated integral/sum/limit/derivative: the answer is its value"
        )
    return (yield from run_tiers(pred_v, gold_v, tuple(names), limits))


def _values(pred_v: str, gold_v: str) -> tuple[str, str]:
    """Option letters to letters; ``x = 5`` against ``5`` compares the values; two names must agree."""
    gold_v = as_choice(gold_v) or gold_v
    pred_v = as_choice(pred_v) or pred_v
    pa, ga = split_assignment(pred_v), split_assignment(gold_v)
    if pa and ga and label_key(pa[0]) == label_key(ga[0]):
        return pa[1], ga[1]
    if pa and not ga and "=" not in gold_v:
        return pa[1], gold_v
    if ga and not pa and "=" not in pred_v:
        return pred_v, ga[1]
    return pred_v, gold_v


def _reconcile_units(pc: Canon, gc: Canon, pred_v: str, gold_v: str) -> tuple[str, str] | Verdict:
    """Units agree after exact conversion, or the pair is a mismatch. A bare number against a gold with a
    unit (or the reverse) compares the numbers: the unit is presentation the question already fixed."""
    pu, gu = pc.unit, gc.unit
    if pu is None and gu is None:
        return pred_v, gold_v
    if gu is not None and pu is None and has_degree(pred_v) and gu.dims == _DEGREE_UNIT.dims:
        pu, pred_v = _DEGREE_UNIT, drop_degree(pred_v)
    if pu is not None and gu is None and has_degree(gold_v) and pu.dims == _DEGREE_UNIT.dims:
        gu, gold_v = _DEGREE_UNIT, drop_degree(gold_v)
    if pu is None or gu is None:
        return pred_v, gold_v
    if not pu.same_kind(gu):
        return Verdict(
            False, None, None, R.MISMATCH, f"unit {pc.unit_text or '°'!r} is not the gold's {gc.unit_text or '°'!r}"
        )
    factor, pi_power = pu.factor_to(gu)
    if factor == 1 and pi_power == 0:
        return pred_v, gold_v
    return convert(pred_v, factor, pi_power), gold_v


def convert(value: str, factor: Fraction, pi_power: int) -> str:
    """``value`` × ``factor`` × π^``pi_power``, exactly: a number stays a number, anything else becomes LaTeX."""
    number = parse_number(value)
    if number is not None and not number.percent and pi_power == 0:
        result = number.value * factor
        if result.denominator == 1:
            return str(result.numerator) + ("" if number.exact else ".0")
        if number.exact:
            return f"{result.numerator}/{result.denominator}"
        return _decimal(result)
    scale = f"\\frac{{{factor.numerator}}}{{{factor.denominator}}}"
    pi = "" if pi_power == 0 else f"\\cdot\\pi^{{{pi_power}}}"
    return f"({value})\\cdot{scale}{pi}"


def _decimal(value: Fraction, digits: int = 30) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    whole, rest = divmod(value.numerator, value.denominator)
    frac = []
    for _ in range(digits):
        rest *= 10
        d, rest = divmod(rest, value.denominator)
        frac.append(str(d))
        if not rest:
            break
    return f"{sign}{whole}." + ("".join(frac) or "0")


def run_tiers(pred_v: str, gold_v: str, names: tuple[str, ...], limits: Limits) -> Generator[Job, list, Verdict]:
    """The tier cascade on two normalised values: ``Equal`` wins, ``NotEqual`` stops, ``Undecided`` passes."""
    tier_objs = tuple(get_tier(n) for n in names)
    key = (pred_v, gold_v, names, registry_generation(), limits)
    cached = verdicts.get(key)
    if cached is not None:
        return cached
    results: list[tuple[str, T.Match]] = []
    screened = False
    i = 0
    while i < len(tier_objs):
        tier = tier_objs[i]
        start = len(results)
        if tier.name != "exact" and not screened:
            screened = True
            refusal = _screen(pred_v, gold_v, limits)
            if refusal is not None:
                return _finish(key, refusal)
        if getattr(tier, "sandboxed", False):
            group = [tier]
            while i + len(group) < len(tier_objs) and getattr(tier_objs[i + len(group)], "sandboxed", False):
                group.append(tier_objs[i + len(group)])
            outcomes = yield Job(pred_v, gold_v, tuple(group))
            for t, outcome in zip(group, outcomes):
                results.append((t.name, outcome))
            if len(outcomes) < len(group) and outcomes and isinstance(outcomes[-1], T.Undecided):
                for t in group[len(outcomes) :]:  # a timeout or dead worker: the rest share its fate
                    results.append((t.name, outcomes[-1]))
            i += len(group)
        else:
            results.append((tier.name, safe_match(tier, pred_v, gold_v)))
            i += 1
        for name, outcome in results[start:]:
            if isinstance(outcome, T.Equal):
                return _finish(key, Verdict(True, name, None, R.OK, f"{name}: {outcome.detail}"))
            if isinstance(outcome, T.NotEqual):
                return _finish(key, Verdict(False, None, None, R.MISMATCH, f"{name}: {outcome.detail}"))
    return _finish(key, undecided_verdict(gold_v, results))


def _screen(pred_v: str, gold_v: str, limits: Limits) -> Verdict | None:
    gold_refusal = screen(gold_v, limits)
    if gold_refusal:
        return Verdict(False, None, None, R.GOLD_UNPARSEABLE, f"gold refused: {gold_refusal}")
    pred_refusal = screen(pred_v, limits)
    if pred_refusal:
        return Verdict(False, None, None, R.REFUSED, pred_refusal)
    return None


def _finish(key, verdict: Verdict) -> Verdict:
    if verdict.reason not in (R.TIMEOUT, R.ERROR):
        verdicts.put(key, verdict)
    return verdict


_NON_PARSING = {"exact"}
#: a gold is a data problem only when the most permissive parser (LaTeX, with latex2sympy) fails on it
_BROADEST_PARSER = "latex"


def undecided_verdict(gold: str, results: list[tuple[str, T.Match]]) -> Verdict:
    """No tier decided: say why (timeout, refusal, an unparseable gold, an unreadable prediction)."""
    from .classify import classify_answer

    reasons = [(name, o.reason, o.detail) for name, o in results if isinstance(o, T.Undecided)]

    def first(reason: str) -> tuple[str, str, str] | None:
        return next((r for r in reasons if r[1] == reason), None)

    for tier_reason, verdict_reason in ((T.TIMEOUT, R.TIMEOUT), (T.REFUSED, R.REFUSED)):
        hit = first(tier_reason)
        if hit:
            return Verdict(False, None, None, verdict_reason, f"{hit[0]}: {hit[2]}")
    parsing = [r for r in reasons if r[0] not in _NON_PARSING and r[1] != T.UNAVAILABLE]
    broadest_ran = any(r[0] == _BROADEST_PARSER for r in parsing)
    from .normalize import is_formula

    if (
        broadest_ran
        and all(r[1] == T.GOLD_UNPARSED for r in parsing)
        and classify_answer(gold) not in ("text", "choice")
        and not is_formula(gold)  # a formula is compared as written, not parsed: no data problem
    ):
        details = "; ".join(f"{n}: {d}" for n, _, d in parsing if d)[:300]
        return Verdict(False, None, None, R.GOLD_UNPARSEABLE, details or "no tier could parse the gold")
    hit = next((r for r in reversed(reasons) if r[1] == T.PRED_UNPARSED and r[2]), None) or first(
        T.PRED_UNPARSED
    )
    if hit:
        return Verdict(False, None, None, R.PARSE_ERROR, f"{hit[0]}: {hit[2]}")
    hit = first(T.ERROR)
    if hit:
        return Verdict(False, None, None, R.ERROR, f"{hit[0]}: {hit[2]}")
    return Verdict(False, None, None, R.MISMATCH, "no tier found them equal")

