"""The tiny model's warm-up targets come in the forms models write, so the reward's tiers have work to do."""

from __future__ import annotations

import pytest

import rewards
from harness.data import load_dataset, prompt_spec
from harness.models import GOLD_ONLY, TargetMix, boxed_target, warmup_target


@pytest.fixture(scope="module")
def rows():
    return [dict(r) for r in load_dataset("sample")]


def test_targets_are_seeded_per_row_and_mix_forms_in_the_documented_proportion(rows):
    first = [warmup_target(r) for r in rows]
    assert first == [warmup_target(r) for r in rows]  # same row, same target
    equivalent = sum(t.form == "equivalent" for t in first) / len(first)
    unwrapped = sum(not t.wrapped for t in first) / len(first)
    assert 0.45 <= equivalent <= 0.7  # 0.6 of rows draw another form; a few golds have none
    assert 0.12 <= unwrapped <= 0.28
    assert all(t.text == f"Final answer: {t.answer}" for t in first if not t.wrapped)
    assert all(t.text == f"\\boxed{{{t.answer}}}" for t in first if t.wrapped)
    other_seed = [warmup_target(r, mix=TargetMix(seed=1)) for r in rows]
    assert other_seed != first


def test_the_gold_only_mix_is_the_old_target_and_the_prompt_picks_the_wrapper(rows):
    assert [warmup_target(r, mix=GOLD_ONLY).text for r in rows] == [boxed_target(r["answer"]) for r in rows]
    tagged = warmup_target(rows[0], prompt_spec("answer-tags"), GOLD_ONLY)
    assert tagged.text.startswith("<answer>") and tagged.text.endswith("</answer>")


def test_every_target_is_a_right_answer_and_exact_alone_misses_a_visible_share(rows):
    targets = [warmup_target(r) for r in rows]
    golds = [r["answer"] for r in rows]
    domains = [r["domain"] for r in rows]
    subs = [r["sub_domain"] for r in rows]
    policy = rewards.verify_batch([t.text for t in targets], golds, domains=domains, sub_domains=subs)
    exact = rewards.verify_batch([t.text for t in targets], golds, domains=domains, sub_domains=subs,
                                 tiers=["exact"])
    assert all(v.correct for v in policy), [t.text for t, v in zip(targets, policy) if not v.correct][:5]
    missed = sum(not v.correct for v in exact) / len(rows)
    assert missed >= 0.08, missed  # 12% on the bundled sample


def test_shares_outside_zero_to_one_are_refused():
    with pytest.raises(ValueError, match="equivalent_share"):
        TargetMix(equivalent_share=1.5)
