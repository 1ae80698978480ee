"""Tiers, the registry, the domain policy and the answer classifier."""

from __future__ import annotations

from typing import ClassVar

import pytest

import rewards
from rewards import DomainPolicy, classify_answer, register_tier, verify
from rewards.tiers import TIERS, get_tier
from rewards.tiers.base import Equal, NotEqual, Undecided
from rewards.tiers.exact import ExactTier
from rewards.tiers.fraction import FractionTier
from rewards.tiers.latex import LatexTier
from rewards.tiers.numeric import NumericTier
from rewards.tiers.smiles import SmilesTier
from rewards.tiers.symbolic import SymbolicTier


def test_the_five_tiers_and_smiles_are_registered():
    assert rewards.DEFAULT_TIERS == ("exact", "numeric", "fraction", "latex", "symbolic")
    assert set(TIERS) >= {*rewards.DEFAULT_TIERS, "smiles"}
    assert [get_tier(n).sandboxed for n in rewards.DEFAULT_TIERS] == [
        False,
        False,
        False,
        True,
        True,
    ]


@pytest.mark.parametrize(
    "tier,pred,gold,outcome",
    [
        (ExactTier(), "anterior", "Anterior", Equal),
        (ExactTier(), "12", "13", Undecided),  # exact never claims "not equal"
        (NumericTier(), "12.0", "12", Equal),
        (NumericTier(), "12.0000001", "12", NotEqual),  # an integer must match exactly
        (NumericTier(), "3.1415926", "3.14159265", Equal),
        (NumericTier(), "3.14", "3.14159", NotEqual),
        (NumericTier(), "0.5", "50%", Equal),
        (NumericTier(), "0.5", "50", NotEqual),  # no silent x100 rescaling
        (NumericTier(), "x", "12", Undecided),
        (FractionTier(), "2/4", "\\frac{1}{2}", Equal),
        (FractionTier(), "-0.5", "\\frac{1}{-2}", Equal),
        (FractionTier(), "2\\frac{1}{2}", "5/2", Equal),
        (FractionTier(), "12", "1/2", NotEqual),
        (FractionTier(), "\\sqrt{2}", "1/2", Undecided),
    ],
)
def test_in_process_tiers(tier, pred, gold, outcome):
    assert isinstance(tier.match(pred, gold), outcome)


def test_numeric_tolerance_is_configurable():
    assert isinstance(NumericTier(rel_tol=1e-2).match("3.14", "3.14159"), Equal)
    assert isinstance(NumericTier().match("3.14", "3.14159"), NotEqual)


@pytest.mark.parametrize(
    "pred,gold,outcome",
    [
        ("30^{\\circ}", "\\frac{\\pi}{6}", Equal),  # degrees vs radians
        ("\\frac{\\pi}{6}", "30^{\\circ}", Equal),
        ("\\frac{\\pi}{3}", "30^{\\circ}", NotEqual),
        ("\\{3, 1, 2\\}", "\\{1, 2, 3\\}", Equal),  # sets are order-free
        ("(2, 1)", "(1, 2)", NotEqual),  # tuples are not
        ("[0, 1)", "[0, 1]", NotEqual),  # interval ends matter
        ("(0.5, 4)", "\\left(\\frac{1}{2}, 4\\right)", Equal),
        ("2y = 4x + 2", "y = 2x + 1", Equal),  # the same equation up to a factor
        ("y = 2x", "y = 2x + 1", NotEqual),
        ("(2, \\infty)", "x > 2", Equal),
        ("\\sqrt{8}", "2\\sqrt{2}", Equal),
        ("\\binom{6}{3}", "20", Equal),
        ("\\frac{1}{2006!}", "\\frac{1}{2004!}", NotEqual),  # no rounding to zero
        ("\\sin^2 x + \\cos^2 x", "1", Equal),
        ("\\begin{pmatrix} 1 & 2 \\end{pmatrix}", "\\begin{pmatrix} 1 & 2 \\end{pmatrix}", Equal),
        ("\\frac{1}{", "1", Undecided),
    ],
)
def test_latex_tier(pred, gold, outcome):
    assert isinstance(LatexTier().match(pred, gold), outcome)


def test_symbolic_tier_only_reads_plain_text():
    tier = SymbolicTier()
    assert isinstance(tier.match("(x+1)**2", "x^2+2*x+1"), Equal)
    assert isinstance(tier.match("x+y", "x-y"), NotEqual)
    assert isinstance(tier.match("\\frac{1}{2}", "1/2"), Undecided)


def test_gold_is_parsed_once():
    from rewards.tiers._sympy_parsing import _cached

    tier = LatexTier()
    gold = "\\frac{7}{3}+\\sqrt{5}"
    tier.match("1", gold)
    misses = _cached.cache_info().misses
    tier.match("2", gold)
    tier.match("3", gold)
    assert _cached.cache_info().misses == misses + 2  # only the two new predictions were parsed


class Roman:
    """A user tier: roman numerals (proves tiers plug in without touching the cascade)."""

    name = "roman_test"
    sandboxed = False
    _VALUES: ClassVar[dict[str, int]] = {"I": 1, "V": 5, "X": 10, "L": 50}

    def match(self, pred, gold):
        def value(s):
            if not s or any(ch not in self._VALUES for ch in s):
                return None
            total = 0
            for a, b in zip(s, s[1:] + " "):
                v = self._VALUES[a]
                total += -v if b != " " and self._VALUES[b] > v else v
            return total

        p = value(pred.strip().upper())
        if p is None or not gold.strip().isdigit():
            return Undecided()
        return Equal() if p == int(gold) else NotEqual(f"{p} != {gold}")


def test_custom_tier_plugs_into_the_cascade():
    register_tier(Roman(), replace=True)
    assert verify("The answer is XIV.", "14", tiers=["exact", "roman_test"]).tier == "roman_test"
    assert not verify("The answer is XV.", "14", tiers=["roman_test"]).correct
    assert not verify("The answer is XIV.", "14").correct  # not in the default policy
    with pytest.raises(ValueError, match="already registered"):
        register_tier(Roman())


def test_bad_tiers_are_programming_errors():
    with pytest.raises(TypeError):
        register_tier(object())
    with pytest.raises(ValueError, match="unknown tier"):
        verify("1", "1", tiers=["exact", "nope"])


def test_tiers_argument_overrides_the_policy():
    assert verify("\\boxed{0.5}", "\\frac{1}{2}").tier == "fraction"
    assert not verify("\\boxed{0.5}", "\\frac{1}{2}", tiers=["exact"]).correct
    assert verify("\\boxed{0.5}", "\\frac{1}{2}", tiers=["latex"]).tier == "latex"


def test_extract_false_compares_the_text_as_the_answer():
    assert verify("1/2", "0.5", extract=False).correct
    assert verify(
        "\\boxed{1/2}", "0.5", extract=False
    ).correct  # a wrapping box is still presentation
    assert not verify("so it is 1/2", "0.5", extract=False).correct


@pytest.mark.parametrize(
    "gold,cls",
    [
        ("\\[12\\]", "integer"),
        ("\\[48^\\circ\\]", "integer"),
        ("\\[36\\,\\Omega \\]", "integer"),
        ("-7", "integer"),
        ("1,000", "integer"),
        ("0.5", "decimal"),
        ("1.5e3", "decimal"),
        ("50\\%", "decimal"),
        ("\\[-\\frac{71}{4} \\]", "fraction"),
        ("3/4", "fraction"),
        ("2\\frac{1}{2}", "fraction"),
        ("\\[7396\\pi\\]", "latex"),
        ("\n\\[\n\\left(\\frac{2}{3},\\,4\\right)\n\\]", "latex"),
        ("\\sqrt{2}", "latex"),
        ("x^2+2x+1", "symbolic"),
        ("(x+1)**2", "symbolic"),
        ("2x", "symbolic"),
        ("B", "choice"),
        ("(C)", "choice"),
        ("\\text{(D)}", "choice"),
        ("Anterior", "text"),
        ("2-methylpropan-1-ol", "text"),
        ("\\( CC(=O)O \\)", "text"),
        ("", "text"),
    ],
)
def test_classify_answer(gold, cls):
    assert classify_answer(gold) == cls
    assert cls in rewards.ANSWER_CLASSES


def test_default_policy_is_keyed_on_the_datasets_domains():
    policy = DomainPolicy()
    assert policy.tiers_for("B") == ("exact",)
    assert policy.tiers_for("Anterior", "Biology", "Anatomy") == ("exact",)
    assert policy.tiers_for("\\[12\\]", "Math", "Geometry") == rewards.DEFAULT_TIERS
    assert policy.tiers_for("\\frac{1}{2}") == ("exact", "fraction", "numeric", "latex", "symbolic")
    # a chemical formula is compared as written in Chemistry; elsewhere "BC" is mathematics (a segment)
    assert policy.answer_class("CO", "Chemistry") == "formula"
    assert policy.tiers_for("CO", "Chemistry", "Inorganic Chemistry") == ("exact",)
    assert policy.answer_class("BC", "Math") == "symbolic"
    assert not verify("Final answer: OC", "CO", domain="Chemistry").correct
    assert not verify("Final answer: Co", "CO", domain="Chemistry").correct


def test_chemistry_adds_smiles_only_when_rdkit_is_present(monkeypatch):
    from rewards.tiers import smiles

    monkeypatch.setattr(smiles, "rdkit_available", lambda: True)
    assert DomainPolicy().tiers_for("\\( CCO \\)", "Chemistry") == ("exact", "smiles")
    monkeypatch.setattr(smiles, "rdkit_available", lambda: False)
    assert DomainPolicy().tiers_for("\\( CCO \\)", "Chemistry") == ("exact",)
    assert isinstance(SmilesTier().match("OCC", "CCO"), Undecided)


def test_policy_from_config_merges_and_validates():
    policy = DomainPolicy.from_dict(
        {"by_domain": {"Physics": "numeric, latex", "Math/Statistics": ["numeric", "exact"]}}
    )
    assert policy.tiers_for("\\[3\\]", " physics ") == ("numeric", "latex")
    assert policy.tiers_for("\\[3\\]", "Physics", "Optics") == ("numeric", "latex")  # domain rule
    assert policy.tiers_for("\\[3\\]", "Math", "Statistics ") == ("numeric", "exact")  # sub-domain rule
    assert policy.tiers_for("\\[3\\]", "Math", "Algebra") == rewards.DEFAULT_TIERS
    assert policy.tiers_for("CO", "Chemistry") == ("exact",)  # defaults kept
    assert DomainPolicy.from_dict(policy.to_dict()).to_dict() == policy.to_dict()
    with pytest.raises(ValueError, match="by_kind"):
        DomainPolicy.from_dict({"by_kind": {}})
    with pytest.raises(ValueError, match="complex"):
        DomainPolicy.from_dict({"by_class": {"complex": ["exact"]}})
    with pytest.raises(ValueError, match="nope"):
        DomainPolicy.from_dict({"by_domain": {"Physics": ["nope"]}})


def test_smiles_tier_canonicalises_molecules():
    pytest.importorskip("rdkit")
    tier = SmilesTier()
    assert isinstance(tier.match("OCC", "CCO"), Equal)
    assert isinstance(tier.match("C1=CC=CC=C1", "c1ccccc1"), Equal)
    assert isinstance(tier.match("COC", "CCO"), NotEqual)
    assert isinstance(tier.match("12", "CCO"), Undecided)
    assert (
        verify("The product is \\boxed{OC(C)=O}", "\\( CC(=O)O \\)", domain="Chemistry").tier
        == "smiles"
    )


@pytest.mark.parametrize(
    "latex",
    [
        "\\frac{1}{2}",
        "-\\frac{71}{4}",
        "2\\frac{1}{2}",
        "-2\\frac{1}{2}",
        "7396\\pi",
        "\\sqrt{2}/2",
        "\\sqrt[3]{x}",
        "x^{2}+2x+1",
        "x^23",
        "\\frac{x}{2}+\\frac{1}{3}",
        "\\log_2 8",
        "\\log 100",
        "\\ln x + 1",
        "\\sin^2 x",
        "\\cos^{2}(x)",
        "\\tan^{-1}(1)",
        "2\\pi r",
        "e^{x}",
        "\\binom{5}{2}",
        "5!",
        "(1, 2]",
        "[0, 1)",
        "(2, 5)",
        "\\{1, 2, 3\\}",
        "1, 2, 3",
        "x \\le 2",
        "2 \\geq y",
        "y = 2x + 1",
        "(0, 1) \\cup (2, 3)",
        "\\theta + \\alpha",
        "x_1 + x_{12}",
        "abc",
        "\\frac12",
        "3 \\times 4",
        "6 \\div 3",
        "a \\cdot b",
        "-\\infty",
        "10^{-3}",
    ],
)
def test_latex_fast_path_reads_like_latex2sympy(latex):
    """The fast parser must mean the same thing as latex2sympy2_extended wherever it accepts input."""
    from rewards import sympy_compare
    from rewards.safe_parser import parse_latex_subset
    from rewards.tiers._sympy_parsing import parse_with_latex2sympy

    fast = parse_latex_subset(latex)
    slow = parse_with_latex2sympy(latex)
    assert isinstance(sympy_compare.equal(fast, slow), Equal), (fast, slow)
