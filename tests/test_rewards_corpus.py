"""The committed regression corpus: every labelled (gold, output) pair gets its expected verdict.

Labels are the mathematically right answers (see tests/data/reward_cases.jsonl); ``tier`` is the
tier that proves a correct pair under the default domain policy, ``reason`` the expected failure
reason where one is pinned.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from rewards import verify_batch

CORPUS = Path(__file__).parent / "data" / "reward_cases.jsonl"
CASES = [
    json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()
]


def _rdkit() -> bool:
    try:
        import rdkit  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def verdicts() -> dict[str, object]:
    """All cases verified once, in one batch (as a trainer would call it)."""
    runnable = [c for c in CASES if c.get("requires") != "rdkit" or _rdkit()]
    results = verify_batch(
        [c["output"] for c in runnable],
        [c["gold"] for c in runnable],
        domains=[c.get("domain") for c in runnable],
        sub_domains=[c.get("sub_domain") for c in runnable],
    )
    return {c["id"]: v for c, v in zip(runnable, results)}


def test_corpus_is_large_and_covers_every_tier_and_answer_type():
    assert len(CASES) >= 300
    assert len({c["id"] for c in CASES}) == len(CASES)
    tiers = Counter(c["tier"] for c in CASES if c["expected"])
    for tier in ("exact", "numeric", "fraction", "latex", "symbolic", "smiles"):
        assert tiers[tier] >= 5, (tier, tiers)
    negatives = sum(not c["expected"] for c in CASES)
    assert negatives >= 80
    assert {c["category"] for c in CASES} >= {"choice", "extraction", "dataset", "bad_gold"}


@pytest.mark.parametrize(
    "gold,answer",
    [("1/2", "12"), ("x+y", "x-y"), ("[0, 1]", "[0, 1)"), ("7", "-7"), ("3.14159", "3.14")],
)
def test_the_issue_near_misses_are_in_the_corpus_as_negatives(gold, answer):
    assert any(c["gold"] == gold and not c["expected"] and answer in c["output"] for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case, verdicts):
    if case.get("requires") == "rdkit" and not _rdkit():
        pytest.skip("rdkit is not installed")
    verdict = verdicts[case["id"]]
    assert verdict.correct == case["expected"], verdict
    if case["expected"] and case["tier"]:
        assert verdict.tier == case["tier"], verdict
    if case.get("reason"):
        assert verdict.reason == case["reason"], verdict
    if not case["expected"]:
        assert verdict.tier is None and verdict.reason != "ok"
