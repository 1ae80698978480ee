"""The cascade: extract, normalise, then run tiers from cheapest until one decides.

* In-process tiers (``sandboxed=False``: exact, numeric, fraction, smiles) run
  in the caller; sandboxed tiers (latex, symbolic) run as one job per pair in a
  killable worker with a hard deadline (:mod:`rewards.sandbox`).
* ``Equal`` from any tier wins; ``NotEqual`` stops the cascade (the tier fully
  understood both sides); ``Undecided`` passes on.
* Nothing raises for bad model output: every failure is a ``Verdict`` with a
  reason. Programming errors (unknown tier names) do raise.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from threading import Lock

from . import verdict as R
from .classify import classify_answer
from .extraction import as_choice, extract_final_answer
from .limits import DEFAULT_LIMITS, Limits, screen
from .normalize import clean, split_assignment, stated_unit
from .policy import DEFAULT_POLICY, DomainPolicy
from .sandbox import DEFAULT_TIMEOUT_S, SandboxError, SandboxTimeout, existing_pool, get_pool
from .tiers import base as T
from .tiers import get_tier, registry_generation
from .verdict import Verdict

log = logging.getLogger(__name__)

_SANDBOX_ENABLED = os.environ.get("REWARDS_SANDBOX", "1") != "0"


@dataclass(frozen=True)
class _Job:
    """A request from the cascade to the sandbox: run these tiers on this pair."""

    pred: str
    gold: str
    tiers: tuple


def _run_job(job: _Job, timeout_s: float) -> list[T.Match]:
    if not _SANDBOX_ENABLED:  # debugging aid: no time limit, same code path otherwise
        return [_safe_match(t, job.pred, job.gold) for t in job.tiers]
    try:
        raw = get_pool().run(
            {"pred": job.pred, "gold": job.gold, "tiers": list(job.tiers)}, timeout_s
        )
    except SandboxTimeout as exc:
        return [T.Undecided(T.TIMEOUT, str(exc))]
    except SandboxError as exc:
        return [T.Undecided(T.ERROR, str(exc))]
    except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable user tier: a verdict, not a crash
        return [T.Undecided(T.ERROR, f"sandbox: {type(exc).__name__}: {exc}"[:300])]
    return [_decode(item) for item in raw]


def _decode(item: list) -> T.Match:
    kind, reason, detail = item
    if kind == "equal":
        return T.Equal(detail)
    if kind == "not_equal":
        return T.NotEqual(detail)
    return T.Undecided(reason or T.ERROR, detail)


def _safe_match(tier, pred: str, gold: str) -> T.Match:
    try:
        result = tier.match(pred, gold)
    except Exception as exc:  # noqa: BLE001 - a tier bug must not reach the training loop
        return T.Undecided(T.ERROR, f"{type(exc).__name__}: {exc}"[:300])
    if not isinstance(result, (T.Equal, T.NotEqual, T.Undecided)):
        return T.Undecided(T.ERROR, f"tier {tier.name} returned {type(result).__name__}")
    return result


@lru_cache(maxsize=16384)
def _clean_gold(gold: str) -> str:
    return clean(gold)


class _VerdictCache:
    """LRU of decided verdicts: GRPO scores many identical final answers per gold."""

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


_verdicts = _VerdictCache()


def clear_caches() -> None:
    """Forget cached golds, parses and verdicts, here and in started workers (benchmarks, tests)."""
    from .safe_parser import parse_latex_subset, parse_plain
    from .tiers._sympy_parsing import _cached

    for cached in (_clean_gold, clean, classify_answer, parse_plain, parse_latex_subset, _cached):
        cached.cache_clear()
    _verdicts.clear()
    pool = existing_pool()
    if pool is not None:
        pool.clear_worker_caches()


def _cascade(
    prediction,
    gold,
    *,
    domain: str | None,
    tiers: Sequence[str] | None,
    extract: bool,
    policy: DomainPolicy | None,
    limits: Limits,
) -> Generator[_Job, list, Verdict]:
    """Yields sandbox jobs, receives their results, returns the verdict."""
    if gold is None or (isinstance(gold, str) and not gold.strip()):
        return Verdict(False, None, None, R.GOLD_UNPARSEABLE, "empty gold")
    gold_text = gold if isinstance(gold, str) else str(gold)
    if not isinstance(prediction, str):
        return Verdict(False, None, None, R.NO_ANSWER, f"prediction is {type(prediction).__name__}")
    extracted = extract_final_answer(prediction) if extract else (prediction.strip() or None)
    if extracted is None:
        return Verdict(False, None, None, R.NO_ANSWER, "no final answer found")
    if len(extracted) > 4 * limits.max_length:
        return Verdict(
            False, None, extracted[:200], R.REFUSED, f"answer of {len(extracted)} characters"
        )
    if len(gold_text) > 4 * limits.max_length:
        return Verdict(False, None, extracted, R.GOLD_UNPARSEABLE, "gold is too long")

    gold_clean = _clean_gold(gold_text)
    if not gold_clean:
        return Verdict(
            False, None, extracted, R.GOLD_UNPARSEABLE, "gold is empty after normalisation"
        )
    pred_clean = clean(extracted)
    if not pred_clean:
        return Verdict(False, None, extracted, R.NO_ANSWER, "answer is empty after normalisation")
    gold_clean = as_choice(gold_clean) or gold_clean
    pred_clean = as_choice(pred_clean) or pred_clean
    pred_assign, gold_assign = split_assignment(pred_clean), split_assignment(gold_clean)
    # `x = 5` against `5`: compare the values. Only when the other side is no equation at all, so that
    # `2y = 4x + 2` is still compared as an equation against `y = 2x + 1`.
    if pred_assign and not gold_assign and "=" not in gold_clean:
        pred_clean = pred_assign[1]
    elif gold_assign and not pred_assign and "=" not in pred_clean:
        gold_clean = gold_assign[1]

    gold_unit, pred_unit = stated_unit(gold_text), stated_unit(extracted)
    if gold_unit and pred_unit and gold_unit != pred_unit:
        return Verdict(
            False, None, extracted, R.MISMATCH, f"unit {pred_unit!r} differs from the gold's {gold_unit!r}"
        )

    names = (
        tuple(tiers)
        if tiers is not None
        else (policy or DEFAULT_POLICY).tiers_for(gold_text, domain)
    )
    tier_objs = tuple(get_tier(n) for n in names)
    key = (pred_clean, gold_clean, names, registry_generation(), limits)
    cached = _verdicts.get(key)
    if cached is not None:
        return Verdict(cached.correct, cached.tier, extracted, cached.reason, cached.detail)

    results: list[tuple[str, T.Match]] = []
    screened = False
    i = 0
    while i < len(tier_objs):
        tier = tier_objs[i]
        start = len(results)
        if tier.name != "exact" and not screened:
            screened = True
            gold_refusal, pred_refusal = screen(gold_clean, limits), screen(pred_clean, limits)
            if gold_refusal:
                return _finish(
                    key,
                    Verdict(
                        False, None, extracted, R.GOLD_UNPARSEABLE, f"gold refused: {gold_refusal}"
                    ),
                )
            if pred_refusal:
                return _finish(key, Verdict(False, None, extracted, R.REFUSED, pred_refusal))
        if getattr(tier, "sandboxed", False):
            group = [tier]
            while i + len(group) < len(tier_objs) and getattr(
                tier_objs[i + len(group)], "sandboxed", False
            ):
                group.append(tier_objs[i + len(group)])
            outcomes = yield _Job(pred_clean, gold_clean, tuple(group))
            for t, outcome in zip(group, outcomes):
                results.append((t.name, outcome))
            if len(outcomes) < len(group) and outcomes and isinstance(outcomes[-1], T.Undecided):
                # the job stopped early (timeout / dead worker): the rest of the group shares its fate
                for t in group[len(outcomes) :]:
                    results.append((t.name, outcomes[-1]))
            i += len(group)
        else:
            results.append((tier.name, _safe_match(tier, pred_clean, gold_clean)))
            i += 1
        for name, outcome in results[start:]:
            if isinstance(outcome, T.Equal):
                return _finish(
                    key, Verdict(True, name, extracted, R.OK, f"{name}: {outcome.detail}")
                )
            if isinstance(outcome, T.NotEqual):
                return _finish(
                    key, Verdict(False, None, extracted, R.MISMATCH, f"{name}: {outcome.detail}")
                )
    return _finish(key, _undecided_verdict(extracted, gold_text, results))


def _finish(key, verdict: Verdict) -> Verdict:
    if verdict.reason not in (R.TIMEOUT, R.ERROR):
        _verdicts.put(key, verdict)
    return verdict


_NON_PARSING = {"exact"}
#: a gold is a data problem only when the most permissive parser (LaTeX, with latex2sympy) fails on it
_BROADEST_PARSER = "latex"


def _undecided_verdict(extracted: str, gold: str, results: list[tuple[str, T.Match]]) -> Verdict:
    reasons = [(name, o.reason, o.detail) for name, o in results if isinstance(o, T.Undecided)]

    def first(reason: str) -> tuple[str, str, str] | None:
        return next((r for r in reasons if r[1] == reason), None)

    for tier_reason, verdict_reason in ((T.TIMEOUT, R.TIMEOUT), (T.REFUSED, R.REFUSED)):
        hit = first(tier_reason)
        if hit:
            return Verdict(False, None, extracted, verdict_reason, f"{hit[0]}: {hit[2]}")
    parsing = [r for r in reasons if r[0] not in _NON_PARSING and r[1] != T.UNAVAILABLE]
    broadest_ran = any(
        r[0] == _BROADEST_PARSER for r in parsing
    )  # narrower tiers failing says little
    if (
        broadest_ran
        and all(r[1] == T.GOLD_UNPARSED for r in parsing)
        and classify_answer(gold) not in ("text", "choice")
    ):
        details = "; ".join(f"{n}: {d}" for n, _, d in parsing if d)[:300]
        log.warning("gold answer cannot be parsed by any tier: %r (%s)", gold[:120], details)
        return Verdict(
            False, None, extracted, R.GOLD_UNPARSEABLE, details or "no tier could parse the gold"
        )
    hit = next((r for r in reversed(reasons) if r[1] == T.PRED_UNPARSED and r[2]), None) or first(
        T.PRED_UNPARSED
    )
    if hit:
        return Verdict(False, None, extracted, R.PARSE_ERROR, f"{hit[0]}: {hit[2]}")
    hit = first(T.ERROR)
    if hit:
        return Verdict(False, None, extracted, R.ERROR, f"{hit[0]}: {hit[2]}")
    return Verdict(False, None, extracted, R.MISMATCH, "no tier found them equal")


def _drive(
    gen: Generator[_Job, list, Verdict], timeout_s: float, first: _Job | None = None
) -> Verdict:
    """Run a cascade to completion in this thread, fulfilling sandbox jobs."""
    try:
        job = first if first is not None else next(gen)
        while True:
            job = gen.send(_run_job(job, timeout_s))
    except StopIteration as stop:
        return stop.value


def verify(
    prediction: str,
    gold: str,
    *,
    domain: str | None = None,
    tiers: Sequence[str] | None = None,
    extract: bool = True,
    policy: DomainPolicy | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    limits: Limits = DEFAULT_LIMITS,
) -> Verdict:
    """Is ``prediction`` (a full model output, or an answer with ``extract=False``) equal to ``gold``?

    ``domain`` selects the tier order through ``policy`` (see :mod:`rewards.policy`);
    ``tiers`` overrides it. ``timeout_s`` bounds the sandboxed tiers of this call.
    Never raises for any prediction or gold text.
    """
    gen = _cascade(
        prediction, gold, domain=domain, tiers=tiers, extract=extract, policy=policy, limits=limits
    )
    return _drive(gen, timeout_s)


def verify_batch(
    predictions: Sequence[str],
    golds: Sequence[str],
    *,
    domains: Sequence[str | None] | None = None,
    tiers: Sequence[str] | None = None,
    workers: int | None = None,
    extract: bool = True,
    policy: DomainPolicy | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Verdict]:
    """``verify`` over pairs, with the expensive tiers spread over ``workers`` processes.

    Cheap tiers run here; pairs that need the latex/symbolic tiers are sent to
    the worker pool concurrently (``workers`` defaults to the CPU count, max 4).
    Results keep the input order.
    """
    if len(predictions) != len(golds):
        raise ValueError(f"{len(predictions)} predictions but {len(golds)} golds")
    if domains is not None and len(domains) != len(golds):
        raise ValueError(f"{len(domains)} domains but {len(golds)} golds")
    n_workers = workers or get_pool().size
    parallel = n_workers > 1 and _SANDBOX_ENABLED
    if parallel:
        get_pool(min_size=n_workers)
    results: list[Verdict | None] = [None] * len(golds)
    futures = {}
    executor = None
    try:
        for idx, (pred, gold) in enumerate(zip(predictions, golds)):
            domain = domains[idx] if domains is not None else None
            gen = _cascade(
                pred,
                gold,
                domain=domain,
                tiers=tiers,
                extract=extract,
                policy=policy,
                limits=limits,
            )
            try:
                job = next(gen)  # cheap tiers run here; a job means the sandboxed tiers are needed
            except StopIteration as stop:
                results[idx] = stop.value
                continue
            if not parallel:
                results[idx] = _drive(gen, timeout_s, job)
                continue
            if executor is None:
                executor = ThreadPoolExecutor(
                    max_workers=n_workers, thread_name_prefix="rewards-verify"
                )
            futures[idx] = executor.submit(
                _drive, gen, timeout_s, job
            )  # workers start while we go on
        for idx, fut in futures.items():
            results[idx] = fut.result()
    finally:
        if executor is not None:
            executor.shutdown(wait=True)
    return results  # type: ignore[return-value]
