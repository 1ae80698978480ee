"""Property tests on generated golds: every hack a policy could find is refused, every equivalent form is
accepted (the same mutations as `mmrl verify audit`), and no input — long whitespace runs, deep nesting, long
digit strings, odd Unicode — raises or runs away."""

from __future__ import annotations

import time
from fractions import Fraction

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rewards import Verdict, verify, verify_batch
from rewards.mutations import EQUIVALENT_KINDS, HACK_KINDS, equivalent_forms, mutate

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

small = st.integers(min_value=-999, max_value=999)
integers = small.map(lambda n: f"\\[{n}\\]")
fractions = st.builds(Fraction, st.integers(-200, 200), st.integers(2, 40)).filter(lambda f: f.denominator > 1).map(
    lambda f: f"\\[{'-' if f < 0 else ''}\\frac{{{abs(f.numerator)}}}{{{f.denominator}}}\\]"
)
decimals = st.builds(lambda a, b: f"\\[{a}.{b}\\]", st.integers(0, 500), st.integers(1, 99).filter(lambda b: b % 10))
percents = st.integers(1, 99).map(lambda p: f"\\[{p}\\%\\]")
tuples = st.lists(small, min_size=2, max_size=3).map(lambda xs: "\\[(" + ", ".join(map(str, xs)) + ")\\]")
lines = st.builds(lambda a, b: f"\\[y = {a}x + {b}\\]", st.integers(-9, 9).filter(bool), st.integers(1, 9))
choices = st.sampled_from("ABCDE")
units = st.builds(
    lambda n, u: f"\\[{n}\\,\\text{{{u}}}\\]",
    st.integers(1, 999),
    st.sampled_from(["m", "km", "s", "kg", "W", "J", "N", "cm"]),
)
matrices = st.lists(st.integers(-9, 9), min_size=4, max_size=4).map(
    lambda xs: f"\\[\\begin{{pmatrix}} {xs[0]} & {xs[1]} \\\\ {xs[2]} & {xs[3]} \\end{{pmatrix}}\\]"
)
golds = st.one_of(integers, fractions, decimals, percents, tuples, lines, choices, units, matrices)
FORMULAS = ["H_2O", "CO_2", "NaCl", "CH_4", "C_6H_{12}O_6", "\\mathrm{C_{5}H_{12}O}", "NH_3", "CO"]


def _check(gold: str, distractors: list[str], domain: str | None = None) -> None:
    mutations = mutate(gold, distractors=distractors, seed=0)
    assume(mutations)
    verdicts = verify_batch([m.output for m in mutations], [gold] * len(mutations), domains=[domain] * len(mutations))
    for m, v in zip(mutations, verdicts):
        assert v.correct == m.should_accept, (gold, m.kind, m.answer, v)


@SETTINGS
@given(golds, st.lists(golds, min_size=1, max_size=3))
def test_hacks_are_refused_and_equivalents_accepted(gold, others):
    _check(gold, [o for o in others if o != gold], domain="Math")


@SETTINGS
@given(st.sampled_from(FORMULAS), st.lists(st.sampled_from(FORMULAS), min_size=1, max_size=3))
def test_formula_hacks_in_chemistry(gold, others):
    _check(gold, [o for o in others if o != gold], domain="Chemistry")


def test_the_mutations_cover_every_kind_the_issue_names():
    kinds = set()
    for gold in ["\\[12\\]", "\\[\\frac{3}{4}\\]", "\\[(1, 2)\\]", "\\[5\\,\\text{km}\\]", "CO_2", "B",
                 "\\[\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}\\]", "\\[y = 2x + 1\\]", "\\[40\\%\\]",
                 "\\[12345\\]", "Anterior", "\\[60^\\circ\\]"]:
        kinds |= {m.kind for m in mutate(gold, distractors=["\\[7\\]", "Posterior"])}
    missing = (set(HACK_KINDS) | set(EQUIVALENT_KINDS)) - kinds
    assert not missing, missing


def test_equivalent_forms_are_answers_only_and_all_accepted():
    for gold in ["\\[\\frac{3}{4}\\]", "\\[12345\\]", "\\[40\\%\\]", "\\[y = -3x - 4\\]"]:
        forms = equivalent_forms(gold)
        assert len(forms) >= 2
        for form in forms:
            assert verify(form, gold, extract=False).correct or verify(f"\\boxed{{{form}}}", gold).correct, (gold, form)


FILLERS = [
    " ",
    "\n",
    "\t",
    "{",
    "(",
    "[",
    "9",
    "0",
    "\\",
    "$",
    ",",
    "=",
    "é",
    "∑",
    "\u200b",
    "\ufeff",
    "😀",
    "ß",
    "\\boxed{",
    "}",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["Final answer: 1", "\\boxed{2^", "The answer is ", "<answer>", "$", "\\frac{", ""]),
    st.sampled_from(FILLERS),
    st.integers(min_value=1, max_value=60_000),
    st.sampled_from(["x", "1}", "</answer>", "", "$", " The answer is 3."]),
    st.booleans(),
)
def test_long_and_odd_inputs_return_a_verdict_in_bounded_time(prefix, filler, count, suffix, as_gold):
    text = prefix + filler * count + suffix
    start = time.perf_counter()
    verdict = verify("3", text, timeout_s=1.0) if as_gold else verify(text, "3", timeout_s=1.0)
    elapsed = time.perf_counter() - start
    assert isinstance(verdict, Verdict)
    assert verdict.correct == (verdict.reason == "ok")
    # generous: a quadratic scan of these inputs takes minutes; a linear one well under a second
    assert elapsed < 10.0, (prefix, filler, count, suffix, elapsed)


def test_deep_recursion_becomes_a_verdict():
    for text in ["\\boxed{2^" + "-" * 995 + "1}", "\\boxed{" + "\\frac{1}{" * 500 + "2" + "}" * 501,
                 "\\boxed{" + "{" * 5000 + "1" + "}" * 5001, "(" * 50_000 + "1" + ")" * 50_000]:
        for pred, gold in ((text, "3"), ("3", text)):
            verdict = verify(pred, gold)
            assert isinstance(verdict, Verdict) and not verdict.correct
