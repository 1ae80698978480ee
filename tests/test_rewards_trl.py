"""Reward functions as TRL's GRPOTrainer calls them, plus the format reward."""

from __future__ import annotations

import threading

import pytest

from rewards import make_format_reward, make_reward_func

GOLDS = ["\\[12\\]", "\\[\\frac{1}{2}\\]", "\\[x^2+2x+1\\]", "Anterior", "\\frac{1}{"]
OUTPUTS = [
    "<think>3*4</think>\nThe answer is \\boxed{12}.",
    "So it is \\boxed{0.5}",
    "Final Answer: (x+1)**2",
    "I am not sure.",
    "\\boxed{1}",
]
EXPECTED = [1.0, 1.0, 1.0, 0.0, 0.0]


def trl_kwargs(completions, golds, **extra):
    """Every keyword GRPOTrainer passes (trl 1.16), plus dataset columns."""
    metrics: dict[str, list[float]] = {}
    return dict(
        prompts=[[{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "q"}]}]]
        * len(golds),
        completions=completions,
        completion_ids=[[1, 2, 3]] * len(golds),
        trainer_state=object(),
        log_extra=lambda column, values: None,
        log_metric=lambda name, value: metrics.setdefault(name, []).append(value),
        answer=golds,
        domain=["Math", "Math", "Math", "Biology", "Math"],
        subDomain=["x"] * len(golds),
        images=[[]] * len(golds),
        **extra,
    ), metrics


def test_plain_string_completions():
    fn = make_reward_func()
    kwargs, metrics = trl_kwargs(OUTPUTS, GOLDS)
    assert fn(**kwargs) == EXPECTED
    assert fn.__name__ == "accuracy"
    assert metrics["accuracy/tier_exact"] == [pytest.approx(1 / 5)]
    assert metrics["accuracy/reason_gold_unparseable"] == [pytest.approx(1 / 5)]


def test_conversational_completions():
    fn = make_reward_func(name="acc")
    conversational = [[{"role": "assistant", "content": text}] for text in OUTPUTS]
    blocks = [
        [{"role": "assistant", "content": [{"type": "text", "text": text}]}] for text in OUTPUTS
    ]
    assert fn(**trl_kwargs(conversational, GOLDS)[0]) == EXPECTED
    assert fn(**trl_kwargs(blocks, GOLDS)[0]) == EXPECTED
    assert fn.__name__ == "acc"


def test_stats_count_tiers_and_reasons_and_reset():
    fn = make_reward_func()
    fn(**trl_kwargs(OUTPUTS, GOLDS)[0])
    snap = fn.stats.snapshot()
    assert snap["total"] == 5 and snap["correct"] == 3
    assert snap["tier/exact"] == 1 and snap["tier/fraction"] == 1 and snap["tier/symbolic"] == 1
    assert snap["reason/no_answer"] == 1 and snap["reason/gold_unparseable"] == 1
    assert fn.stats.reset() == snap
    assert fn.stats.snapshot() == {}


def test_stats_are_thread_safe():
    fn = make_reward_func()
    kwargs = trl_kwargs(OUTPUTS, GOLDS)[0]
    threads = [threading.Thread(target=fn, kwargs=kwargs) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fn.stats.snapshot()["total"] == 40
    assert fn.stats.snapshot()["correct"] == 24


def test_bad_gold_is_never_a_free_reward():
    assert make_reward_func()(completions=["\\boxed{1}"], answer=["\\frac{1}{"]) == [0.0]
    assert make_reward_func(bad_gold_reward=None)(
        completions=["\\boxed{1}"], answer=["\\frac{1}{"]
    ) == [None]


def test_tiers_override_and_custom_answer_column():
    fn = make_reward_func(tiers=["exact"], answer_key="solution")
    assert fn(completions=["\\boxed{0.5}", "\\boxed{1/2}"], solution=["1/2", "1/2"]) == [0.0, 1.0]
    with pytest.raises(ValueError, match="solution"):
        fn(completions=["x"], answer=["1"])


def test_mismatched_lengths_are_a_clear_error():
    with pytest.raises(ValueError, match="2 completions but 1 answers"):
        make_reward_func()(completions=["a", "b"], answer=["1"])


@pytest.mark.parametrize(
    "style,think,output,score",
    [
        ("any", False, "work... \\boxed{3}", 1.0),
        ("any", False, "<answer>3</answer>", 1.0),
        ("any", False, "\\boxed{3} or maybe \\boxed{4}", 0.0),  # two answers: not exactly one
        ("any", False, "The answer is 3.", 0.0),
        ("any", False, "\\boxed{}", 0.0),
        ("boxed", False, "<answer>3</answer>", 0.0),
        ("answer_tags", False, "<answer>\\boxed{3}</answer>", 1.0),
        ("answer_tags", False, "<answer>3</answer><answer>4</answer>", 0.0),
        ("answer_tags", True, "<think>3*1</think><answer>3</answer>", 1.0),
        ("answer_tags", True, "<think>3*1</think> it is 3", 0.5),  # think only
        ("answer_tags", True, "<answer>3</answer>", 0.5),  # answer only
        ("any", True, "<think></think>\\boxed{3}", 0.5),  # empty think earns nothing
        ("any", True, "<think>a</think><think>b</think>\\boxed{3}", 0.5),
    ],
)
def test_format_reward(style, think, output, score):
    fn = make_format_reward(style, think=think)
    assert fn.__name__ == "format"
    assert fn(prompts=["p"], completions=[output]) == [score]
    assert fn(completions=[[{"role": "assistant", "content": output}]]) == [score]


def test_format_reward_rejects_unknown_styles():
    with pytest.raises(ValueError):
        make_format_reward("xml")
