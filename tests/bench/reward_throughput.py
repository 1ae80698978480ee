"""One verifier's throughput on a corpus, in a process of its own (``test_bench_rewards.py`` starts three).

    python tests/bench/reward_throughput.py --verifier batch|serial|math-verify --corpus pairs.json [--rounds 3]

Prints one JSON object: ``pairs``, ``pairs_per_s`` (median over rounds), ``rounds_s``, ``startup_s`` (imports
and, for ours, starting and warming the sandbox workers: paid once per training run, reported apart), and
``warm_pairs_per_s`` for ours (a repeated round with caches kept: GRPO scores the same answers many times).
Every measured round starts cold: our gold/parse/verdict caches (here and in the workers) and math-verify's
parse caches are cleared, so the figure is for answers never seen before.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path


def _ours(pairs: list[dict], mode: str, rounds: int) -> dict:
    start = time.perf_counter()
    import rewards
    from rewards.sandbox import get_pool

    get_pool().warm()
    rewards.verify("1", "1")
    startup = time.perf_counter() - start
    outs, golds = [p["output"] for p in pairs], [p["gold"] for p in pairs]
    domains = [p.get("domain") for p in pairs]

    verdicts: list = []

    def one_round() -> float:
        t = time.perf_counter()
        if mode == "batch":
            verdicts[:] = rewards.verify_batch(outs, golds, domains=domains)
        else:
            verdicts[:] = [rewards.verify(o, g, domain=d) for o, g, d in zip(outs, golds, domains)]
        return time.perf_counter() - t

    one_round()  # the first round pays one-off costs (SymPy's own caches, imports inside tiers)
    times = []
    for _ in range(rounds):
        rewards.clear_caches()
        times.append(one_round())
    warm = one_round()
    return {"startup_s": startup, "rounds_s": times, "warm_pairs_per_s": len(pairs) / warm,
            "agreement": _agreement([v.correct for v in verdicts], pairs)}


def _math_verify(pairs: list[dict], rounds: int) -> dict:
    start = time.perf_counter()
    from math_verify import parse, parser, verify

    startup = time.perf_counter() - start

    def clear() -> None:
        for name in ("parse_latex_cached", "parse_expr_cached"):
            cached = getattr(parser, name, None)
            if cached is not None and hasattr(cached, "cache_clear"):
                cached.cache_clear()

    verdicts: list[bool] = []

    def one_round() -> float:
        verdicts.clear()
        t = time.perf_counter()
        for p in pairs:
            try:
                verdicts.append(bool(verify(parse(p["mv_gold"]), parse(p["output"]))))
            except Exception:  # noqa: BLE001 - a crash counts as "not verified", as in a trainer
                verdicts.append(False)
        return time.perf_counter() - t

    one_round()
    times = []
    for _ in range(rounds):
        clear()
        times.append(one_round())
    return {"startup_s": startup, "rounds_s": times, "agreement": _agreement(verdicts, pairs)}


def _agreement(verdicts: list[bool], pairs: list[dict]) -> float | None:
    """Share of labelled pairs (the regression corpus and the peer's triples) the verifier gets right."""
    labelled = [(v, p["expected"]) for v, p in zip(verdicts, pairs) if p.get("expected") is not None]
    return sum(v == e for v, e in labelled) / len(labelled) if labelled else None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--verifier", choices=["batch", "serial", "math-verify"], required=True)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    pairs = json.loads(args.corpus.read_text(encoding="utf-8"))
    if args.verifier == "math-verify":
        out = _math_verify(pairs, args.rounds)
    else:
        out = _ours(pairs, args.verifier, args.rounds)
    out["pairs"] = len(pairs)
    out["pairs_per_s"] = len(pairs) / statistics.median(out["rounds_s"])
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
