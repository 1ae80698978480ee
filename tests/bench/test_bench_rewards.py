"""Reward throughput and worst-case latency: this library against math-verify, each in its own process.

The corpus is mixed on purpose: the regression corpus (full model outputs, many of them adversarial) and
Math-Verify's own test triples (see tests/peer). Three processes score it: ``rewards.verify_batch``,
``rewards.verify`` one pair at a time, and ``math_verify.verify(parse(gold), parse(output))``. Every
measured round starts with cold caches in both libraries; only start-up (imports, our sandbox workers) is
excluded, and reported separately. math-verify gets each gold wrapped in ``$…$`` when it has no math
delimiters (its LaTeX extractor finds nothing in a bare ``\\sqrt{8}``), the fairer setting for it.

``make bench`` runs this with pytest-benchmark enabled and enforces the targets: ``verify_batch`` at least
10x math-verify's pairs/s, and not slower than serial ``verify`` (5% allowance for timing noise). Under
``--benchmark-disable`` (``make test``) it runs once on a subset and only checks that the figures exist.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rewards import clear_caches, verify
from rewards.sandbox import get_pool

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
SCRIPT = HERE / "reward_throughput.py"
CORPUS = [json.loads(line) for line in (DATA / "reward_cases.jsonl").read_text(encoding="utf-8").splitlines() if line]
ADVERSARIAL = [json.loads(line) for line in (DATA / "adversarial_inputs.jsonl").read_text().splitlines() if line]
_DELIMS = ("$", "\\[", "\\(", "\\boxed")
TARGET_SPEEDUP = 10.0
BATCH_NOISE = 0.95


def _rdkit() -> bool:
    try:
        import rdkit  # noqa: F401
    except ImportError:
        return False
    return True


def _mv_gold(gold: str) -> str:
    stripped = gold.strip()
    return gold if stripped.startswith(_DELIMS) else f"${stripped}$"


def _peer_pairs() -> list[dict]:
    sys.path.insert(0, str(HERE.parent / "peer"))
    try:
        import math_verify_suite as suite

        from harness.paths import cache_dir

        triples = suite.triples(suite.fetch(cache_dir() / "peer"))
    except Exception:  # noqa: BLE001 - no package index: the corpus alone (reported)
        return []
    return [{"output": t.pred, "gold": t.gold, "mv_gold": t.gold, "expected": t.expected} for t in triples]


@pytest.fixture(scope="module")
def mixed_corpus(tmp_path_factory) -> tuple[Path, dict]:
    corpus = [c for c in CORPUS if c.get("requires") != "rdkit" or _rdkit()]
    pairs = [{"output": c["output"], "gold": c["gold"], "mv_gold": _mv_gold(c["gold"]), "domain": c.get("domain"),
              "expected": c["expected"]} for c in corpus]
    peer = _peer_pairs()
    pairs += peer
    path = tmp_path_factory.mktemp("bench") / "pairs.json"
    path.write_text(json.dumps(pairs), encoding="utf-8")
    return path, {"corpus_pairs": len(corpus), "peer_pairs": len(peer)}


def _measure(verifier: str, corpus: Path, rounds: int) -> dict:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--verifier", verifier, "--corpus", str(corpus), "--rounds", str(rounds)],
        capture_output=True, text=True, timeout=1800, check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_bench_throughput_against_math_verify(benchmark, mixed_corpus):
    pytest.importorskip("math_verify")
    corpus, sizes = mixed_corpus
    rounds = 3
    if benchmark.disabled:
        pairs = json.loads(corpus.read_text(encoding="utf-8"))
        corpus = corpus.with_name("subset.json")
        corpus.write_text(json.dumps(pairs[::8]), encoding="utf-8")
        rounds = 1
    results: dict[str, dict] = {}

    def run_all() -> None:
        for verifier in ("math-verify", "serial", "batch"):
            results[verifier] = _measure(verifier, corpus, rounds)

    benchmark.pedantic(run_all, rounds=1, iterations=1, warmup_rounds=0)
    mv, serial, batch = (
        results["math-verify"]["pairs_per_s"],
        results["serial"]["pairs_per_s"],
        results["batch"]["pairs_per_s"],
    )
    info = {
        **sizes,
        "pairs": results["batch"]["pairs"],
        "math_verify_pairs_per_s": round(mv, 1),
        "serial_pairs_per_s": round(serial, 1),
        "batch_pairs_per_s": round(batch, 1),
        "speedup_batch": round(batch / mv, 2),
        "speedup_serial": round(serial / mv, 2),
        "batch_over_serial": round(batch / serial, 2),
        "warm_batch_pairs_per_s": round(results["batch"]["warm_pairs_per_s"], 1),
        "worker_startup_s": round(results["batch"]["startup_s"], 2),
        "ours_agreement": results["batch"]["agreement"],
        "math_verify_agreement": results["math-verify"]["agreement"],
    }
    benchmark.extra_info.update(info)
    print("\n[rewards bench] " + json.dumps(info))
    assert min(mv, serial, batch) > 0
    if not benchmark.disabled:
        assert batch >= TARGET_SPEEDUP * mv, info
        assert batch >= BATCH_NOISE * serial, info
        assert info["ours_agreement"] >= info["math_verify_agreement"], info


def _adversarial_text(row: dict) -> str:
    if "text" in row:
        return row["text"].replace("{marker}", "/nonexistent/rewards-bench-marker")
    r = row["repeat"]
    return r["prefix"] + r["unit"] * r["times"] + r["suffix"]


LONG_INPUTS = {
    "final line + 100k spaces": "Final answer: 1" + " " * 100_000 + "x",
    "final line + 10k spaces": "Final answer: 1" + " " * 10_000 + "x",
    "box with 995 minus signs": "\\boxed{2^" + "-" * 995 + "1}",
    "50k boxes": "\\boxed{1}" * 50_000 + " and finally \\boxed{2}",
    "100k open brackets": "(" * 100_000 + " The answer is 3.",
    "100k digits": "Final answer: " + "9" * 100_000,
    "20k hedges": "Final answer: " + "1 or " * 20_000,
    "nested braces": "\\boxed{" + "{" * 50_000 + "1" + "}" * 50_001,
}


def test_bench_worst_single_call(benchmark):
    rows = [(r["id"], _adversarial_text(r)) for r in ADVERSARIAL] + list(LONG_INPUTS.items())
    if benchmark.disabled:
        rows = rows[::4]
    get_pool().warm(1)
    worst: dict[str, tuple[float, str]] = {}

    def run() -> None:
        for row_id, text in rows:
            for role, pred, gold in (("pred", text, "3"), ("gold", "3", text)):
                start = time.perf_counter()
                verdict = verify(pred, gold)
                elapsed = time.perf_counter() - start
                if role == "pred" and row_id != "100k open brackets":
                    assert not verdict.correct, (row_id, verdict)
                if elapsed > worst.get("max", (0.0, ""))[0]:
                    worst["max"] = (elapsed, f"{row_id} as {role} ({verdict.reason})")

    benchmark.pedantic(run, setup=clear_caches, rounds=1 if benchmark.disabled else 3, iterations=1)
    seconds, which = worst["max"]
    benchmark.extra_info.update(worst_case_s=round(seconds, 3), worst_case_input=which, inputs=len(rows))
    print(f"\n[rewards bench] worst single call: {seconds * 1000:.0f} ms ({which}) over {len(rows)} inputs x2")
