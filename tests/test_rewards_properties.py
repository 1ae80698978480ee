"""Property tests: renderings of one number agree, verify is symmetric, and nothing raises."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewards import Verdict, extract_final_answer, verify

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def renderings(value: Fraction) -> list[str]:
    """Ways a person or a model writes the same rational number."""
    p, q = value.numerator, value.denominator
    sign = "-" if value < 0 else ""
    forms = [
        f"{p}/{q}",
        f"\\frac{{{p}}}{{{q}}}",
        f"{sign}\\frac{{{abs(p)}}}{{{q}}}",
        f"\\dfrac{{{p}}}{{{q}}}",
        f"\\frac{{{2 * p}}}{{{2 * q}}}",
        f"${p}/{q}$",
        f"\\[\\frac{{{p}}}{{{q}}}\\]",
    ]
    if q == 1:
        forms += [str(p), f"{p}.0", f"\\[{p}\\]"]
    den = q
    for prime in (2, 5):
        while den % prime == 0:
            den //= prime
    if den == 1:  # a terminating decimal
        digits = max(len(str(q)), 1) + 2
        forms.append(f"{float(value):.{digits}f}".rstrip("0").rstrip(".") if q > 1 else str(p))
    else:
        forms.append(f"{float(value):.12f}")  # within the default 1e-6 relative tolerance
    if q > 1 and abs(p) > q:
        whole, rest = divmod(abs(p), q)
        forms.append(f"{sign}{whole}\\frac{{{rest}}}{{{q}}}")
    return forms


fractions = st.builds(
    Fraction,
    st.integers(min_value=-500, max_value=500),
    st.sampled_from([1, 2, 3, 4, 5, 7, 8, 10, 12, 16, 25]),
)


@SETTINGS
@given(fractions, st.data())
def test_a_number_equals_its_own_renderings(value, data):
    forms = renderings(value)
    a = data.draw(st.sampled_from(forms))
    b = data.draw(st.sampled_from(forms))
    verdict = verify(a, b, extract=False)
    assert verdict.correct, (a, b, verdict)


@SETTINGS
@given(fractions, fractions, st.data())
def test_different_numbers_never_match(x, y, data):
    if x == y:
        return
    a = data.draw(st.sampled_from([f for f in renderings(x) if "." not in f]))
    b = data.draw(st.sampled_from([f for f in renderings(y) if "." not in f]))
    assert not verify(a, b, extract=False).correct, (a, b)


@SETTINGS
@given(fractions, fractions, st.data())
def test_verify_is_symmetric_for_numbers(x, y, data):
    a = data.draw(st.sampled_from(renderings(x)))
    b = data.draw(st.sampled_from(renderings(y)))
    assert verify(a, b, extract=False).correct == verify(b, a, extract=False).correct, (a, b)


coefficients = st.integers(min_value=-6, max_value=6)


@SETTINGS
@given(coefficients, coefficients, coefficients, coefficients)
def test_expanded_and_factored_polynomials_match_symmetrically(a, b, c, d):
    # (a x + b)(c x + d) written two ways; forms differ only when the product is non-trivial
    factored = f"({a}*x + {b})*({c}*x + {d})"
    expanded = f"{a * c}*x^2 + {a * d + b * c}*x + {b * d}"
    forward = verify(factored, expanded, extract=False)
    backward = verify(expanded, factored, extract=False)
    assert forward.correct and backward.correct, (factored, expanded, forward, backward)
    wrong = f"{a * c}*x^2 + {a * d + b * c + 1}*x + {b * d}"
    assert not verify(factored, wrong, extract=False).correct


PIECES = list("0123456789+-*/^=()[]{}\\$.,: xyzabcABC!|_<>'\"\n") + [
    "\\frac",
    "\\boxed{",
    "\\sqrt",
    "<think>",
    "</think>",
    "<answer>",
    "</answer>",
    "The answer is ",
    "\\pi",
    "**",
    "__",
    "lambda",
    "import",
    "^{9^{9",
    "\\left(",
    "\\right)",
    "Final Answer: ",
    "\\text{",
    "\\{",
]
text_like = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@FUZZ
@given(
    st.one_of(st.text(max_size=200), text_like),
    st.sampled_from(["3", "\\frac{1}{2}", "x^2+1", "Anterior", "B"]),
)
def test_never_raises_on_arbitrary_text(text, gold):
    for pred, g in ((text, gold), (gold, text)):
        verdict = verify(pred, g, timeout_s=1.0)
        assert isinstance(verdict, Verdict)
        assert verdict.reason in (
            "ok",
            "no_answer",
            "parse_error",
            "timeout",
            "refused",
            "mismatch",
            "gold_unparseable",
            "error",
        )
        assert verdict.correct == (verdict.reason == "ok")
    answer = extract_final_answer(text)
    assert answer is None or (isinstance(answer, str) and answer.strip())
