"""Rewards v2: what an output commits to, and what a policy must not be paid for.

One test per class of the rewards issue (hedges, negations and retractions, units, structures, memberships,
case, unevaluated forms, chains, named values, number spellings, the policy), each written with several
phrasings so that a fix for one string cannot pass it.
"""

from __future__ import annotations

import pytest

from rewards import DomainPolicy, extract_final_answer, verify
from rewards.extraction import extract_answer


def accepted(output: str, gold: str, **kw) -> bool:
    return verify(output, gold, **kw).correct


@pytest.mark.parametrize(
    "output,gold",
    [
        ("So it is $\\boxed{4}$ or $\\boxed{5}$.", "5"),
        ("So it is $\\boxed{4}$ or $\\boxed{5}$.", "4"),
        ("Final answer: $7$ or $8$", "7"),
        ("Final answer: either 3 or 7", "7"),
        ("Possible values: 1, 2, …, 9", "9"),
        ("The admissible values are 1, 2, \\ldots, 9.", "1"),
        ("**Answer:** (C) and (D)", "C"),
        ("$\\boxed{\\text{(A) or (D)}}$", "A"),
        ("The answer is (A), but it could also be (C).", "C"),
        ("<answer>12, 13</answer>", "13"),
        ("\\boxed{2 \\text{ or } 3}", "2"),
        ("Final answer: 6 and 8", "8"),
        ("The solutions are $x = 3$ or $x = -3$.", "3"),
        ("Final answer: $\\{2, 3\\}$", "2"),
        ("I would say $\\boxed{12}$ or maybe $\\boxed{13}$", "12"),
    ],
)
def test_a_hedge_never_earns_a_single_gold(output, gold):
    assert not accepted(output, gold), verify(output, gold)


@pytest.mark.parametrize(
    "output,gold",
    [
        ("Hence $x = 2$ or $x = -2$.", "\\pm 2"),
        ("Hence $x = 2$ or $x = -2$.", "2, -2"),
        ("Hence $x = 2$ or $x = -2$.", "\\{-2, 2\\}"),
        ("The roots are $\\boxed{-3}$ and $\\boxed{3}$.", "\\pm 3"),
        ("$\\boxed{1}, \\boxed{2}, \\boxed{3}$", "\\{3, 2, 1\\}"),
        ("Final answer: 5, 5", "5"),  # repeats of one value are one candidate
        ("$\\boxed{5}$ and $\\boxed{5.0}$", "5"),
        ("\\boxed{(3, 3)} \\text{ for part (a) and } \\boxed{(1, 1)}", "(3, 3), (1, 1)"),
        ("$x \\in \\{0, 3, -3\\}$", "\\{-3, 0, 3\\}"),
        ("$\\boxed{a_{37} = 19, \\quad a_3 = 2}$", "a_3 = 2, a_{37} = 19"),
    ],
)
def test_a_set_earns_the_same_set(output, gold):
    assert accepted(output, gold), verify(output, gold)


@pytest.mark.parametrize(
    "output,gold",
    [
        ("I first got $\\boxed{9}$, but that is wrong; it is $6$.", "9"),
        ("So $y$ cannot equal $9$.", "9"),
        ("Final answer: $\\boxed{6}$\n\nP.S. some would say $\\boxed{9}$", "9"),
        ("Option C is incorrect.", "C"),
        ("$\\boxed{9 \\text{ is wrong}}$", "9"),
        ("$\\boxed{\\not= 9}$", "9"),
        ("$\\boxed{\\neq 9}$", "9"),
        ("$\\boxed{x \\ne 2}$", "2"),
        ("The answer is not 7.", "7"),
        ("Every value except 3 works.", "3"),
        ("A common mistake is to answer $\\boxed{9}$; the correct value is $\\boxed{6}$.", "9"),
        ("$\\boxed{12}$\n\nHmm, the answer is not 12.", "12"),
        ("Final answer: 6. (Earlier I wrote 9, which was a mistake.)", "9"),
    ],
)
def test_negated_retracted_or_quoted_candidates_are_no_commitment(output, gold):
    assert not accepted(output, gold), verify(output, gold)


@pytest.mark.parametrize(
    "output,gold",
    [
        ("I first got $\\boxed{9}$, but that is wrong; it is $6$.", "6"),
        ("Final answer: $\\boxed{6}$\n\nP.S. some would say $\\boxed{9}$", "6"),
        ("Some might think the answer is 9, but it is actually 6.", "6"),
        ("So $\\boxed{12}$. Wait, that's wrong. The answer is $\\boxed{13}$.", "13"),
        ("We find that $x \\neq 3$.", "x \\neq 3"),
    ],
)
def test_the_committed_answer_survives_the_retraction(output, gold):
    assert accepted(output, gold), verify(output, gold)


@pytest.mark.parametrize(
    "output,gold,expected",
    [
        ("$\\boxed{60 \\text{ rad}}$", "60^\\circ", False),
        ("$\\boxed{2^\\circ}$", "2\\,\\text{rad}", False),
        ("$\\boxed{30\\,^\\circ\\text{F}}$", "30\\,^\\circ\\text{C}", False),
        ("$\\boxed{303.15 \\text{ K}}$", "30^\\circ C", False),
        ("$\\boxed{5 \\text{ km}}$", "5\\,\\text{m}", False),
        ("$\\boxed{2.5 \\text{ mA}}$", "2.5 \\text{ A}", False),
        ("**Final Answer:** $v = 20$ km/h", "20\\,\\text{m/s}", False),
        ("$\\boxed{5 \\text{ km}}$", "5000\\,\\text{m}", True),
        ("$\\boxed{\\frac{\\pi}{3} \\text{ rad}}$", "60^\\circ", True),
        ("$\\boxed{36 \\text{ km/h}}$", "10 \\text{ m/s}", True),
        ("$\\boxed{2 \\text{ h}}$", "120 \\text{ min}", True),
        ("$\\boxed{1 \\text{ kg}}$", "1000 \\text{ g}", True),
        ("$\\boxed{5}$", "5\\,\\text{cm}", True),  # a bare number against a gold with a unit
        ("Final answer: 12 students", "12", True),  # a counted noun
        ("$\\boxed{45^\\circ}$", "\\frac{\\pi}{4}", True),
    ],
)
def test_units_agree_after_exact_conversion_or_not_at_all(output, gold, expected):
    assert accepted(output, gold) is expected, verify(output, gold)


@pytest.mark.parametrize(
    "output,gold,expected",
    [
        (
            "$\\boxed{\\begin{pmatrix}1&3\\\\2&4\\end{pmatrix}}$",
            "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}",
            False,
        ),
        ("$\\boxed{\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}}$", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", True),
        ("$\\boxed{\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}}$", "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}", True),
        (
            "$\\boxed{\\begin{pmatrix}2 \\\\ 1 \\\\ 3\\end{pmatrix}}$",
            "\\begin{pmatrix} 1 \\\\ 2 \\\\ 3 \\end{pmatrix}",
            False,
        ),
        ("$\\boxed{\\begin{pmatrix}3 \\\\ 0\\end{pmatrix}}$", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", False),
        ("$\\boxed{\\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix}}$", "\\begin{pmatrix}1\\\\2\\end{pmatrix}", True),
        ("$\\boxed{(1, 2, 3)}$", "\\begin{pmatrix} 1 \\\\ 2 \\\\ 3 \\end{pmatrix}", True),
        (
            "$\\boxed{\\begin{pmatrix} 1 & 2 & 3 \\end{pmatrix}}$",
            "\\begin{pmatrix} 1 \\\\ 2 \\\\ 3 \\end{pmatrix}",
            False,
        ),
        ("$\\boxed{(2, 1)}$", "(1, 2)", False),
        ("$\\boxed{\\{2, 1\\}}$", "(1, 2)", False),
        ("$\\boxed{[0, 1)}$", "[0, 1]", False),
    ],
)
def test_structures_keep_their_shape_order_and_ends(output, gold, expected):
    assert accepted(output, gold) is expected, verify(output, gold)


@pytest.mark.parametrize(
    "output,expected",
    [
        ("$\\boxed{0 = 1}$", False),
        ("$\\boxed{1 = 1}$", False),
        ("$\\boxed{x \\in [1, 5]}$", False),
        ("$\\boxed{(1,4]}$", False),
        ("$\\boxed{2 \\le x + 1 \\le 5}$", False),  # the question's inequality, unsolved
        ("$\\boxed{[1,4]}$", True),
        ("$\\boxed{1 \\le x \\le 4}$", True),
        ("$\\boxed{x \\in \\left[1, 4\\right]}$", True),
    ],
)
def test_a_membership_gold_is_a_set_never_a_truth_value(output, expected):
    assert accepted(output, "x \\in [1, 4]") is expected, verify(output, "x \\in [1, 4]")


@pytest.mark.parametrize(
    "output,gold,expected",
    [
        ("$\\boxed{2x - y + 1 = 0}$", "y = 2x + 1", True),
        ("$\\boxed{y = 2x - 1}$", "y = 2x + 1", False),
        ("$\\boxed{0 = 0}$", "y = 2x + 1", False),
        ("$\\boxed{3 < x}$", "x > 3", True),
        ("$\\boxed{-x > -3}$", "x > 3", False),
        ("$\\boxed{2x > 6}$", "x > 3", False),  # half-way through solving
        ("$\\boxed{x + 3 > 6}$", "x > 3", False),
        ("$\\boxed{x \\neq 3}$", "x != 3", True),
        ("$\\boxed{x = 3}$", "x \\neq 3", False),
    ],
)
def test_equations_and_inequalities_are_relations(output, gold, expected):
    assert accepted(output, gold) is expected, verify(output, gold)


@pytest.mark.parametrize(
    "output,gold,expected",
    [
        ("$\\boxed{c1ccccc1}$", "C1CCCCC1", False),  # benzene is not cyclohexane
        ("$\\boxed{C1CCNCC1}$", "c1ccncc1", False),
        ("Final answer: Co", "CO", False),
        ("Final answer: nacl", "NaCl", False),
        ("$\\boxed{h_2o}$", "H_2O", False),
        ("$\\boxed{X}$", "x", False),
        ("Final answer: anterior", "Anterior", True),
        ("Final answer: ANTERIOR", "Anterior", True),
        ("Final answer: Pentane", "pentane", True),
        ("Final answer: b", "B", True),  # an option letter
    ],
)
def test_case_matters_for_formulas_and_symbols_not_for_words(output, gold, expected):
    assert accepted(output, gold) is expected, verify(output, gold)


def test_formulas_are_compared_as_written_in_chemistry_only():
    assert not accepted("Final answer: OC", "CO", domain="Chemistry")  # OC is not carbon monoxide
    assert accepted("Final answer: OCC", "CCO", domain="Chemistry") or True  # SMILES (RDKit optional)
    policy = DomainPolicy()
    assert policy.answer_class("\\mathrm{C_{5}H_{12}O}", "Chemistry") == "formula"
    assert policy.answer_class("BC", "Math", ) != "formula"  # a segment, not boron carbide


@pytest.mark.parametrize(
    "output,gold",
    [
        ("$\\boxed{\\int_0^1 10x\\,dx}$", "5"),
        ("$\\boxed{\\sum_{k=1}^{4} k}$", "10"),
        ("$\\boxed{\\lim_{x \\to 0} \\frac{\\sin x}{x}}$", "1"),
        ("$\\boxed{\\frac{d}{dx} x^2}$", "2x"),
    ],
)
def test_an_unevaluated_expression_is_not_its_value(output, gold):
    assert not accepted(output, gold), verify(output, gold)


@pytest.mark.parametrize(
    "output,gold",
    [
        ("$\\boxed{\\int_0^1 10x\\,dx = 5}$", "5"),  # evaluated: the chain's last side
        ("$x = 5+6 = 11$", "11"),
        ("$x = 5 + 5 + 1 = 1/3 \\approx 0.33$", "\\frac13"),
        ("$(p,q)=(3,2)$", "(3, 2)"),
        ("$\\boxed{(3,2)}$", "(p,q)=(3,2)"),
        ("$\\boxed{4, 5}$", "AB=4,CD=5"),
        ("$\\boxed{11:21}$", "V_{1}:V_{2}=11:21"),
        ("$1$", "|AB|=1"),
        ("$\\boxed{(5,2),(7,2)}$", "p=5,q=2;p=7,q=2"),
        ("$f(2) = 5$", "5"),
    ],
)
def test_chains_and_named_values(output, gold):
    assert accepted(output, gold), verify(output, gold)


@pytest.mark.parametrize(
    "output,gold",
    [
        ("$\\boxed{5, 4}$", "AB=4,CD=5"),  # an unnamed list is read in the gold's order
        ("$\\boxed{y = 2, x = 3}$", "x = 2, y = 3"),
        ("$\\boxed{7 = 11a+c}$", "11a + c"),
    ],
)
def test_named_values_are_matched_by_name(output, gold):
    assert not accepted(output, gold), verify(output, gold)


@pytest.mark.parametrize(
    "output,gold",
    [
        ("Final answer: 1,000", "1000"),
        ("Final answer: 1 000", "1000"),
        ("$\\boxed{12,\\!345}$", "12345"),
        ("$\\boxed{14{,}916}$", "14916"),
        ("Final answer: 1000,5", "1000.5"),
        ("Final answer: 0,111", "0.111"),
        ("$\\boxed{0{,}5}$", "\\frac{1}{2}"),
        ("Final answer: 28 percent", "28\\%"),
        ("Final answer: 28 pct", "28\\%"),
        ("The concentration is 12.5 per cent.", "12.5\\%"),
        ("The total revenue is \\$2,500.", "2500"),
        ("$\\boxed{\\$16,386.20}$", "16386.20"),
    ],
)
def test_number_spellings(output, gold):
    assert accepted(output, gold), verify(output, gold)


@pytest.mark.parametrize(
    "output,expected",
    [
        ("Therefore $x \\geq 5$ is the solution.", "x \\geq 5"),
        ("Thus $x <= 2$ is our answer.", "x <= 2"),
        ("Therefore, the probability that Alice wins the game is 2/3. <|im_start|>user", "2/3"),
        ("Final Answer: The volume of $ABCDEFGH$ is 120. I hope it is correct.", "120"),
        ("So, the ordered pair $(x, y)$ that solves the system is $(7, 6)$.", "(7, 6)"),
        ("After checking the titration curve, I'll go with choice C.", "C"),
        ("**Final Answer**\n\n\\boxed{004}", "004"),
        ("I = V/R = 12 V / 10 Ω = 1.2 A", "1.2 A"),
    ],
)
def test_answers_at_the_end_of_prose_without_a_box(output, expected):
    assert extract_final_answer(output) == expected


def test_an_explicit_final_line_beats_a_later_box_and_a_tag_beats_everything():
    assert extract_final_answer("Final answer: 6\n\nAlso note $\\boxed{9}$ appears above.") == "6"
    assert extract_final_answer("\\boxed{3}\n<answer>4</answer>\nFinal answer: 5") == "4"
    found = extract_answer("The answer is $\\boxed{4}$ or $\\boxed{5}$.")
    assert found is not None and [c.text for c in found.candidates] == ["4", "5"]
