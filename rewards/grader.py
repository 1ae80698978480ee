"""``verify``: what did the output commit to, and is it the gold — as sets of candidates, pair by pair.

1. The gold and the prediction each become an :class:`~rewards.candidates.Answer` (the candidates they
   commit to; see :mod:`rewards.extraction`).
2. A plan says which candidate pairs must be equal: one pair; pairs by name (``x = 2, y = 3``); in order
   (an unnamed list against named golds, a written list against one tuple); or as sets (every predicted
   candidate equals some gold candidate and every gold candidate is matched; repeats of a value are fine).
   A hedge therefore never earns a single gold, and a set earns only the same set.
3. Each pair runs the tier cascade (:mod:`rewards.pair`), cheapest tier first, per the domain policy.

Nothing raises for any input: every failure (including ``RecursionError`` and ``MemoryError``) is a
:class:`Verdict` with a reason. The expensive tiers run in killable worker processes with a hard deadline;
extraction and normalisation are linear scans over capped input.
"""

from __future__ import annotations

import logging
import os
import re
import zlib
from collections.abc import Generator, Sequence
from functools import lru_cache

from . import verdict as R
from .candidates import MAX_CANDIDATES, Answer, Candidate, answer_from_text
from .extraction import extract_answer, gold_answer
from .limits import DEFAULT_LIMITS, Limits
from .pair import Job, compare_pair, safe_match, verdicts
from .policy import DEFAULT_POLICY, DomainPolicy
from .sandbox import (
    DEFAULT_TIMEOUT_S,
    Dispatcher,
    SandboxError,
    SandboxTimeout,
    existing_pool,
    get_pool,
)
from .tiers import base as T
from .verdict import Verdict

log = logging.getLogger(__name__)

_SANDBOX_ENABLED = os.environ.get("REWARDS_SANDBOX", "1") != "0"
#: a gold longer than this is a whole document, not an answer
MAX_GOLD_CHARS = 50_000


# --- sandbox jobs ---------------------------------------------------------------------------


def _run_job(job: Job, timeout_s: float) -> list[T.Match]:
    if not _SANDBOX_ENABLED:  # debugging aid: no time limit, same code path otherwise
        return [safe_match(t, job.pred, job.gold) for t in job.tiers]
    try:
        raw = get_pool().run(_payload(job), timeout_s, affinity=_affinity(job))
    except SandboxTimeout as exc:
        return [T.Undecided(T.TIMEOUT, str(exc))]
    except SandboxError as exc:
        return [T.Undecided(T.ERROR, str(exc))]
    except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable user tier: a verdict, not a crash
        return [T.Undecided(T.ERROR, f"sandbox: {type(exc).__name__}: {exc}"[:300])]
    return _outcomes(raw)


def _decode(item: list) -> T.Match:
    kind, reason, detail = item
    if kind == "equal":
        return T.Equal(detail)
    if kind == "not_equal":
        return T.NotEqual(detail)
    return T.Undecided(reason or T.ERROR, detail)


def _drive(gen: Generator[Job, list, Verdict], timeout_s: float, first: Job | None = None) -> Verdict:
    """Run a cascade to completion in this thread, fulfilling sandbox jobs; never raises."""
    try:
        job = first if first is not None else next(gen)
        while True:
            job = gen.send(_run_job(job, timeout_s))
    except StopIteration as stop:
        return stop.value
    except Exception as exc:  # noqa: BLE001 - RecursionError, MemoryError, a bug: a verdict, never a crash
        return _crash_verdict(exc)


def _crash_verdict(exc: BaseException) -> Verdict:
    reason = R.REFUSED if isinstance(exc, (RecursionError, MemoryError)) else R.ERROR
    return Verdict(False, None, None, reason, f"{type(exc).__name__}: {exc}"[:300])


# --- caches ------------------------------------------------------------------------------------


@lru_cache(maxsize=16384)
def _gold(gold: str) -> Answer | None:
    return gold_answer(gold)


def clear_caches() -> None:
    """Forget cached golds, parses and verdicts, here and in started workers (benchmarks, tests)."""
    from .classify import classify_answer
    from .normalize import canonical, case_matters, clean
    from .safe_parser import parse_latex_subset, parse_plain
    from .tiers._sympy_parsing import _cached

    for cached in (_gold, canonical, clean, case_matters, classify_answer, parse_plain, parse_latex_subset, _cached):
        cached.cache_clear()
    verdicts.clear()
    pool = existing_pool()
    if pool is not None:
        pool.clear_worker_caches()


# --- the cascade ----------------------------------------------------------------------------------


def _cascade(
    prediction,
    gold,
    *,
    domain: str | None,
    sub_domain: str | None,
    tiers: Sequence[str] | None,
    extract: bool,
    policy: DomainPolicy | None,
    limits: Limits,
) -> Generator[Job, list, Verdict]:
    """Yields sandbox jobs, receives their results, returns the verdict."""
    gold_ans, problem = _read_gold(gold)
    if problem is not None:
        return problem
    pred_ans, problem = _read_prediction(prediction, extract, limits)
    if problem is not None:
        return problem
    extracted = pred_ans.display[:1000]
    if pred_ans.stuffed:
        return Verdict(False, None, extracted[:200], R.REFUSED, "far more candidate answers than any answer has")
    if gold_ans.stuffed:
        return Verdict(False, None, extracted, R.GOLD_UNPARSEABLE, "gold lists far too many answers")
    if pred_ans.open_ended != gold_ans.open_ended:
        return Verdict(False, None, extracted, R.MISMATCH, "a list with an ellipsis against a list of values")
    policy = policy or DEFAULT_POLICY

    def names_for(g: Candidate) -> tuple[str, ...]:
        return tuple(tiers) if tiers is not None else policy.tiers_for(g.text, domain, sub_domain)

    plan = _plan(pred_ans, gold_ans)
    if isinstance(plan, Verdict):
        return _with_extracted(plan, extracted)
    if plan[0] == "pairs":
        verdict = yield from _all_pairs(plan[1], names_for, limits)
    else:
        verdict = yield from _same_set(pred_ans.candidates, gold_ans.candidates, names_for, limits)
    return _with_extracted(verdict, extracted)


def _read_gold(gold) -> tuple[Answer | None, Verdict | None]:
    if gold is None or (isinstance(gold, str) and not gold.strip()):
        return None, Verdict(False, None, None, R.GOLD_UNPARSEABLE, "empty gold")
    text = gold if isinstance(gold, str) else str(gold)
    if len(text) > MAX_GOLD_CHARS:
        return None, Verdict(False, None, None, R.GOLD_UNPARSEABLE, f"gold of {len(text)} characters")
    answer = _gold(text)
    if answer is None:
        return None, Verdict(False, None, None, R.GOLD_UNPARSEABLE, "gold is empty after normalisation")
    return answer, None


def _read_prediction(prediction, extract: bool, limits: Limits) -> tuple[Answer | None, Verdict | None]:
    if not isinstance(prediction, str):
        return None, Verdict(False, None, None, R.NO_ANSWER, f"prediction is {type(prediction).__name__}")
    if extract:
        answer = extract_answer(prediction)
    else:
        answer = answer_from_text(prediction[: 4 * limits.max_length + 1], "given")
    if answer is None:
        return None, Verdict(False, None, None, R.NO_ANSWER, "no final answer found")
    if len(answer.candidates) > MAX_CANDIDATES:
        return None, Verdict(
            False, None, answer.display[:200], R.REFUSED, f"{len(answer.candidates)} candidate answers"
        )
    longest = max(len(c.text) for c in answer.candidates)
    if longest > 4 * limits.max_length:
        return None, Verdict(False, None, answer.display[:200], R.REFUSED, f"answer of {longest} characters")
    return answer, None


def _with_extracted(verdict: Verdict, extracted: str) -> Verdict:
    return Verdict(verdict.correct, verdict.tier, extracted, verdict.reason, verdict.detail)


_TUPLE = re.compile(r"^\s*(?:\\left)?\(.*\)\s*$", re.DOTALL)


def _plan(pred: Answer, gold: Answer) -> tuple[str, list] | Verdict:
    """Which candidate pairs must be equal: ("pairs", [(p, g), …]) or ("set", None)."""
    P, G = pred.candidates, gold.candidates
    if len(P) == 1 and len(G) == 1:
        return "pairs", [(P[0], G[0])]
    if _named(G) and _named(P):
        gold_by = {_key(g.label): g for g in G}
        pred_by = {_key(p.label): p for p in P}
        if set(gold_by) != set(pred_by):
            return Verdict(False, None, None, R.MISMATCH, "the named values differ from the gold's names")
        return "pairs", [(pred_by[k], gold_by[k]) for k in gold_by]
    if _named(G) and not any(p.label for p in P) and len(P) == len(G):
        return "pairs", list(zip(P, G))  # unnamed values in the gold's order
    if len(G) == 1 and pred.listed and _TUPLE.match(G[0].text):
        return "pairs", [(Candidate("(" + ", ".join(p.text for p in P) + ")"), G[0])]
    if len(P) == 1 and gold.listed and _TUPLE.match(P[0].text):
        return "pairs", [(P[0], Candidate("(" + ", ".join(g.text for g in G) + ")"))]
    return "set", []


def _named(cands: Sequence[Candidate]) -> bool:
    labels = [_key(c.label) for c in cands if c.label]
    return len(labels) == len(cands) and len(set(labels)) == len(labels)


def _key(label: str | None) -> str:
    from .normalize import label_key

    return label_key(label or "")


def _all_pairs(pairs, names_for, limits: Limits) -> Generator[Job, list, Verdict]:
    tiers_used: list[str] = []
    for p, g in pairs:
        verdict = yield from compare_pair(p, g, names_for(g), limits)
        if not verdict.correct:
            if len(pairs) > 1:
                return Verdict(
                    False, None, None, verdict.reason, f"{p.text[:40]!r} vs {g.text[:40]!r}: {verdict.detail}"
                )
            return verdict
        tiers_used.append(verdict.tier or "")
    if len(pairs) == 1:
        return verdict
    return Verdict(True, _deepest(tiers_used), None, R.OK, f"{len(pairs)} values matched in pairs")


def _same_set(P, G, names_for, limits: Limits) -> Generator[Job, list, Verdict]:
    """Every predicted candidate equals some gold candidate, and every gold candidate is matched."""
    covered: set[int] = set()
    tried: set[tuple[int, int]] = set()
    tiers_used: list[str] = []
    failures: list[Verdict] = []
    for pi, p in enumerate(P):
        order = sorted(range(len(G)), key=lambda gi: gi in covered)
        for gi in order:
            tried.add((pi, gi))
            verdict = yield from compare_pair(p, G[gi], names_for(G[gi]), limits)
            if verdict.correct:
                covered.add(gi)
                tiers_used.append(verdict.tier or "")
                break
            failures.append(verdict)
        else:
            return _set_failure(failures, f"{p.text[:60]!r} is not among the gold's {len(G)} answer(s)")
    for gi in range(len(G)):
        if gi in covered:
            continue
        for pi, p in enumerate(P):
            if (pi, gi) in tried:
                continue
            verdict = yield from compare_pair(p, G[gi], names_for(G[gi]), limits)
            if verdict.correct:
                covered.add(gi)
                break
        else:
            return Verdict(
                False,
                None,
                None,
                R.MISMATCH,
                f"gold answer {G[gi].text[:60]!r} is missing ({len(P)} given, {len(G)} expected)",
            )
    return Verdict(True, _deepest(tiers_used), None, R.OK, f"the same set of {len(G)} answer(s)")


def _set_failure(failures: list[Verdict], detail: str) -> Verdict:
    for reason in (R.GOLD_UNPARSEABLE, R.TIMEOUT, R.ERROR):
        if any(f.reason == reason for f in failures):
            return Verdict(False, None, None, reason, detail)
    return Verdict(False, None, None, R.MISMATCH, detail)


def _deepest(tier_names: list[str]) -> str | None:
    from .tiers import DEFAULT_TIERS

    order = {name: i for i, name in enumerate(DEFAULT_TIERS)}
    named = [t for t in tier_names if t]
    return max(named, key=lambda t: order.get(t, len(order))) if named else None


# --- public API -------------------------------------------------------------------------------------


def verify(
    prediction: str,
    gold: str,
    *,
    domain: str | None = None,
    sub_domain: str | None = None,
    tiers: Sequence[str] | None = None,
    extract: bool = True,
    policy: DomainPolicy | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    limits: Limits = DEFAULT_LIMITS,
) -> Verdict:
    """Does ``prediction`` (a full model output, or an answer with ``extract=False``) commit to ``gold``?

    ``domain``/``sub_domain`` (the dataset's ``domain`` and ``subDomain``) select the tier order through
    ``policy`` (see :mod:`rewards.policy`); ``tiers`` overrides it. ``timeout_s`` bounds the sandboxed
    tiers of this call. Never raises for any prediction or gold (unknown tier names are a programming
    error and do raise ``ValueError``).
    """
    _check_tiers(tiers)
    try:
        gen = _cascade(
            prediction, gold, domain=domain, sub_domain=sub_domain, tiers=tiers, extract=extract,
            policy=policy, limits=limits,
        )
    except Exception as exc:  # noqa: BLE001
        return _crash_verdict(exc)
    return _drive(gen, timeout_s)


def verify_batch(
    predictions: Sequence[str],
    golds: Sequence[str],
    *,
    domains: Sequence[str | None] | None = None,
    sub_domains: Sequence[str | None] | None = None,
    tiers: Sequence[str] | None = None,
    workers: int | None = None,
    extract: bool = True,
    policy: DomainPolicy | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Verdict]:
    """``verify`` over pairs, with the expensive tiers spread over ``workers`` processes.

    Extraction and the cheap tiers run here, in this thread, while the sandboxed tiers of earlier pairs run
    in the workers (``workers`` defaults to the CPU count minus one, at least 1, at most 4); one thread
    polls both, so nothing waits on the GIL. Results keep the input order.
    """
    if len(predictions) != len(golds):
        raise ValueError(f"{len(predictions)} predictions but {len(golds)} golds")
    for name, column in (("domains", domains), ("sub_domains", sub_domains)):
        if column is not None and len(column) != len(golds):
            raise ValueError(f"{len(column)} {name} but {len(golds)} golds")
    _check_tiers(tiers)
    results: list[Verdict | None] = [None] * len(golds)
    running: dict[int, Generator] = {}

    def on_result(idx: int, outcome) -> None:
        gen = running[idx]
        try:
            job = gen.send(_outcomes(outcome))
        except StopIteration as stop:
            results[idx] = stop.value
            del running[idx]
            return
        except Exception as exc:  # noqa: BLE001 - a verdict, never a crash
            results[idx] = _crash_verdict(exc)
            del running[idx]
            return
        dispatcher.submit(idx, _payload(job), _affinity(job))

    pool = get_pool(min_size=workers) if _SANDBOX_ENABLED else None
    dispatcher = Dispatcher(pool, timeout_s, on_result, limit=workers) if pool is not None else None
    for idx, (pred, gold) in enumerate(zip(predictions, golds)):
        first = _start(
            pred, gold, domain=domains[idx] if domains is not None else None,
            sub_domain=sub_domains[idx] if sub_domains is not None else None,
            tiers=tiers, extract=extract, policy=policy, limits=limits,
        )
        if isinstance(first, Verdict):
            results[idx] = first
            continue
        gen, job = first
        if dispatcher is None:
            results[idx] = _drive(gen, timeout_s, job)
            continue
        running[idx] = gen
        dispatcher.submit(idx, _payload(job), _affinity(job))
        dispatcher.pump(block=False)
    if dispatcher is not None:
        dispatcher.drain()
    return results  # type: ignore[return-value]


def _payload(job: Job) -> dict:
    return {"pred": job.pred, "gold": job.gold, "tiers": list(job.tiers)}


def _affinity(job: Job) -> int:
    return zlib.crc32(job.gold.encode("utf-8", "replace"))


def _outcomes(result) -> list[T.Match]:
    """A worker's JSON reply, or the sandbox failure that replaced it, as tier outcomes."""
    if isinstance(result, SandboxTimeout):
        return [T.Undecided(T.TIMEOUT, str(result))]
    if isinstance(result, BaseException):
        return [T.Undecided(T.ERROR, f"sandbox: {type(result).__name__}: {result}"[:300])]
    try:
        return [_decode(item) for item in result]
    except Exception as exc:  # noqa: BLE001 - a malformed reply is a verdict too
        return [T.Undecided(T.ERROR, f"sandbox reply: {exc}"[:300])]


def _check_tiers(tiers: Sequence[str] | None) -> None:
    from .tiers import get_tier

    if tiers is not None:
        if isinstance(tiers, str):
            raise TypeError("tiers must be a sequence of tier names, not one string")
        for name in tiers:
            get_tier(name)  # raises ValueError naming the registered tiers


def _start(pred, gold, **options) -> Verdict | tuple[Generator, Job]:
    """Run the cheap part of one cascade here; a job back means the sandboxed tiers are needed."""
    try:
        gen = _cascade(pred, gold, **options)
        return gen, next(gen)
    except StopIteration as stop:
        return stop.value
    except Exception as exc:  # noqa: BLE001
        return _crash_verdict(exc)
