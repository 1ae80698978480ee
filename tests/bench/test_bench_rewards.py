"""Reward throughput and worst-case latency: this library vs math-verify on the same labelled corpus.

* ``test_bench_verify_batch_vs_math_verify``: the regression corpus (full model outputs) scored by
  ``rewards.verify_batch`` and by ``math_verify.verify(parse(gold), parse(output))`` in the same run.
  Prints pairs/s and agreement with the labels for both and the speed ratio (also in ``extra_info``).
  Every round starts cold: our gold/parse/verdict caches (here and in the worker processes) and
  math-verify's parse caches are cleared; only the persistent workers stay started, as in training.
  math-verify gets each gold wrapped in ``$…$`` when it has no math delimiters: its LaTeX extractor
  finds nothing in a bare ``\\sqrt{8}``, so this is the fairer setting for it.
* ``test_bench_single_verify``: one ``verify`` call at a time (no batching), for the per-call cost.
* ``test_bench_adversarial_worst_case``: every injection/bomb input once; prints the slowest single call.

Under ``--benchmark-disable`` (the default in this repository) each test runs once on a subset.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import pytest

from rewards import clear_caches, verify, verify_batch
from rewards.sandbox import get_pool

DATA = Path(__file__).resolve().parent.parent / "data"
CASES = [
    json.loads(line)
    for line in (DATA / "reward_cases.jsonl").read_text(encoding="utf-8").splitlines()
    if line
]
ADVERSARIAL = [
    json.loads(line)
    for line in (DATA / "adversarial_inputs.jsonl").read_text().splitlines()
    if line
]
ROUNDS = 5
SUBSET = 40
_DELIMS = ("$", "\\[", "\\(", "\\boxed")


def _runnable(cases: list[dict]) -> list[dict]:
    try:
        import rdkit  # noqa: F401
    except ImportError:
        return [c for c in cases if c.get("requires") != "rdkit"]
    return cases


def _mv_gold(gold: str) -> str:
    stripped = gold.strip()
    return gold if stripped.startswith(_DELIMS) else f"${stripped}$"


def _clear_math_verify() -> None:
    from math_verify import parser

    for name in ("parse_latex_cached", "parse_expr_cached"):
        cached = getattr(parser, name, None)
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()


def _math_verify_pass(cases: list[dict]) -> list[bool]:
    from math_verify import parse
    from math_verify import verify as mv_verify

    out = []
    for case in cases:
        try:
            out.append(bool(mv_verify(parse(_mv_gold(case["gold"])), parse(case["output"]))))
        except Exception:  # noqa: BLE001 - a crash counts as "not verified", as in a trainer
            out.append(False)
    return out


def _agreement(results: list[bool], cases: list[dict]) -> float:
    return sum(r == c["expected"] for r, c in zip(results, cases)) / len(cases)


def test_bench_verify_batch_vs_math_verify(benchmark):
    pytest.importorskip("math_verify")
    cases = _runnable(CASES)
    rounds = ROUNDS
    if benchmark.disabled:
        cases, rounds = cases[:: max(1, len(cases) // SUBSET)], 1
    outputs, golds = [c["output"] for c in cases], [c["gold"] for c in cases]
    domains = [c.get("domain") for c in cases]
    get_pool().warm()  # worker start-up is a one-off per training run, not per batch

    mv_times, mv_results = [], []
    for _ in range(rounds):
        _clear_math_verify()
        start = time.perf_counter()
        mv_results = _math_verify_pass(cases)
        mv_times.append(time.perf_counter() - start)

    our_times: list[float] = []
    holder: dict[str, list] = {}

    def ours():
        start = time.perf_counter()
        holder["verdicts"] = verify_batch(outputs, golds, domains=domains)
        our_times.append(time.perf_counter() - start)

    benchmark.pedantic(ours, setup=clear_caches, rounds=rounds, iterations=1, warmup_rounds=0)

    ours_pps = len(cases) / statistics.median(our_times)
    mv_pps = len(cases) / statistics.median(mv_times)
    ours_agree = _agreement([v.correct for v in holder["verdicts"]], cases)
    mv_agree = _agreement(mv_results, cases)
    benchmark.extra_info.update(
        pairs=len(cases),
        ours_pairs_per_s=round(ours_pps, 1),
        math_verify_pairs_per_s=round(mv_pps, 1),
        speedup=round(ours_pps / mv_pps, 2),
        ours_agreement=round(ours_agree, 4),
        math_verify_agreement=round(mv_agree, 4),
    )
    print(
        f"\n[rewards bench] {len(cases)} pairs x {rounds} rounds | rewards.verify_batch: {ours_pps:.0f} pairs/s, "
        f"agreement {ours_agree:.1%} | math_verify: {mv_pps:.0f} pairs/s, agreement {mv_agree:.1%} | "
        f"speed-up {ours_pps / mv_pps:.1f}x"
    )
    assert ours_agree >= mv_agree


def test_bench_single_verify(benchmark):
    cases = _runnable(CASES)
    if benchmark.disabled:
        cases = cases[:: max(1, len(cases) // SUBSET)]
    get_pool().warm(1)
    times: list[float] = []

    def run():
        start = time.perf_counter()
        for case in cases:
            verify(case["output"], case["gold"], domain=case.get("domain"))
        times.append(time.perf_counter() - start)

    benchmark.pedantic(
        run, setup=clear_caches, rounds=1 if benchmark.disabled else ROUNDS, iterations=1
    )
    pps = len(cases) / statistics.median(times)
    benchmark.extra_info["pairs_per_s"] = round(pps, 1)
    print(f"\n[rewards bench] single verify(): {pps:.0f} pairs/s over {len(cases)} pairs")


def _adversarial_text(row: dict) -> str:
    if "text" in row:
        return row["text"].replace("{marker}", "/nonexistent/rewards-bench-marker")
    r = row["repeat"]
    return r["prefix"] + r["unit"] * r["times"] + r["suffix"]


def test_bench_adversarial_worst_case(benchmark):
    rows = ADVERSARIAL if not benchmark.disabled else ADVERSARIAL[::4]
    texts = [(r["id"], _adversarial_text(r)) for r in rows]
    get_pool().warm(1)
    worst: dict[str, tuple[float, str]] = {}

    def run():
        for row_id, text in texts:
            for role, pred, gold in (("pred", text, "3"), ("gold", "3", text)):
                start = time.perf_counter()
                verdict = verify(pred, gold)
                elapsed = time.perf_counter() - start
                assert not verdict.correct
                if elapsed > worst.get("max", (0.0, ""))[0]:
                    worst["max"] = (elapsed, f"{row_id} as {role} ({verdict.reason})")

    benchmark.pedantic(run, setup=clear_caches, rounds=1 if benchmark.disabled else 3, iterations=1)
    seconds, which = worst["max"]
    benchmark.extra_info.update(
        worst_case_s=round(seconds, 3), worst_case_input=which, inputs=len(texts)
    )
    print(
        f"\n[rewards bench] adversarial worst case: {seconds * 1000:.0f} ms ({which}) over {len(texts)} inputs x2"
    )
