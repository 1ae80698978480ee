"""Untrusted model output: injections and bombs return a verdict quickly, create nothing, raise nothing.

The hard time limit is a killable worker process, so it must also hold for C-level loops that no
signal can interrupt, from non-main threads and from inside daemonic worker processes.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rewards import Verdict, register_tier, verify, verify_batch
from rewards.tiers.base import Equal

pytestmark = pytest.mark.timeout(300)

ADVERSARIAL = Path(__file__).parent / "data" / "adversarial_inputs.jsonl"
ROWS = [json.loads(line) for line in ADVERSARIAL.read_text().splitlines() if line.strip()]
TIMEOUT_S = 1.0
SLACK_S = 6.0  # worker restart after a kill + process scheduling on a busy 2-core machine


def materialise(row: dict, marker: Path) -> str:
    if "text" in row:
        return row["text"].replace("{marker}", str(marker))
    r = row["repeat"]
    return r["prefix"] + r["unit"] * r["times"] + r["suffix"]


class SleepTier:
    """Sandboxed tier that never answers in time."""

    name = "sleep_test"
    sandboxed = True

    def match(self, pred, gold):
        time.sleep(60)
        return Equal()


class BigIntTier:
    """Sandboxed tier stuck in one C call (a huge power): signals cannot interrupt this."""

    name = "bigint_test"
    sandboxed = True

    def match(self, pred, gold):
        return Equal(str(len(str(10 ** (10**9)))))


class CrashTier:
    name = "crash_test"
    sandboxed = True

    def match(self, pred, gold):
        os._exit(3)


for _tier in (SleepTier(), BigIntTier(), CrashTier()):
    register_tier(_tier, replace=True)


def test_adversarial_corpus_is_substantial():
    kinds = {r["kind"] for r in ROWS}
    assert kinds == {"injection", "bomb", "nesting", "size"}
    assert len(ROWS) >= 60


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_attack_returns_a_verdict_within_the_limit(row, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    text = materialise(row, marker)
    for pred, gold in ((text, "3"), ("3", text)):
        start = time.monotonic()
        verdict = verify(pred, gold, timeout_s=TIMEOUT_S)
        elapsed = time.monotonic() - start
        assert isinstance(verdict, Verdict)
        assert not verdict.correct, verdict
        assert elapsed < TIMEOUT_S + SLACK_S, (row["id"], elapsed, verdict)
    assert not marker.exists()
    assert list(tmp_path.iterdir()) == []


def test_bombs_are_refused_before_sympy():
    for text in ("9^{9^{9^{9}}}", "9**9**9**9", "(10^{6})!", "x^{99999999}", "\\binom{10^{9}}{5}"):
        verdict = verify(text, "3", extract=False)
        assert verdict.reason == "refused", (text, verdict)
    assert verify("3", "9^{9^{9^{9}}}").reason == "gold_unparseable"


def test_timeout_kills_a_sleeping_worker_and_the_next_call_works():
    start = time.monotonic()
    verdict = verify("1", "1", tiers=["sleep_test"], timeout_s=0.5)
    assert verdict.reason == "timeout" and not verdict.correct
    assert time.monotonic() - start < 0.5 + SLACK_S
    assert verify("\\boxed{\\sqrt{8}}", "2\\sqrt{2}").tier == "latex"


def test_timeout_interrupts_c_level_work():
    verdict = verify("1", "1", tiers=["bigint_test"], timeout_s=0.5)
    assert verdict.reason == "timeout"


def test_a_crashing_worker_is_an_error_verdict_not_an_exception():
    verdict = verify("1", "2", tiers=["crash_test"])
    assert verdict.reason == "error" and not verdict.correct
    assert verify("\\boxed{\\frac{\\pi}{2}}", "\\pi/2").correct


def test_time_limit_works_from_many_threads_at_once():
    jobs = [("1", "1", ["sleep_test"])] * 3 + [("\\boxed{\\sqrt{12}}", "2\\sqrt{3}", None)] * 5
    with ThreadPoolExecutor(max_workers=4) as ex:
        verdicts = list(ex.map(lambda j: verify(j[0], j[1], tiers=j[2], timeout_s=0.5), jobs))
    assert [v.reason for v in verdicts[:3]] == ["timeout"] * 3
    assert all(v.tier == "latex" for v in verdicts[3:])


def test_verify_batch_survives_timeouts_mixed_with_good_pairs():
    preds = ["\\boxed{\\sqrt{8}}", "\\boxed{9^{9^{9^{9}}}}", "\\boxed{x+1}"]
    golds = ["2\\sqrt{2}", "3", "1+x"]
    verdicts = verify_batch(preds, golds, workers=2, timeout_s=0.5)
    assert [v.correct for v in verdicts] == [True, False, True]
    assert verdicts[1].reason == "refused"


def _verify_in_child(args):
    pred, gold = args
    v = verify(pred, gold)
    return v.correct, v.tier


def test_works_inside_daemonic_worker_processes():
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(
        1
    ) as pool:  # pool workers are daemonic: they may not use multiprocessing children
        results = pool.map(_verify_in_child, [("\\boxed{\\sqrt{8}}", "2\\sqrt{2}"), ("x = 3", "4")])
    assert results == [(True, "latex"), (False, None)]
