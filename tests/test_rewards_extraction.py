"""Final-answer extraction: what counts as the answer, and what must never be guessed."""

from __future__ import annotations

import pytest

from rewards import extract_final_answer


@pytest.mark.parametrize(
    "output,expected",
    [
        # boxes: nested braces, last one wins, \fbox, no braces
        ("We get \\boxed{3} then, fixing a sign, \\boxed{5}.", "5"),
        ("So $\\boxed{\\frac{\\sqrt{3}}{2}}$.", "\\frac{\\sqrt{3}}{2}"),
        ("\\boxed{\\{1, 2\\}}", "\\{1, 2\\}"),
        ("\\fbox{7}", "7"),
        ("\\boxed 5", "5"),
        ("a box \\boxed{x^{2^{3}}}", "x^{2^{3}}"),
        # tags and think blocks
        ("<think>the answer is 7</think>\nThe answer is 8.", "8"),
        ("<think>\n2*3 = 6\n</think>\n\n6", "6"),
        ("Reasoning.\n<answer>\\boxed{3}</answer>", "3"),
        ("<answer> 42 </answer>", "42"),
        ("<ANSWER>4</ANSWER>", "4"),
        ("reasoning ... <answer>9", "9"),
        ("<answer>x = 2</answer> and later \\boxed{7}", "x = 2"),
        # cue phrases
        ("Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.", "\\frac{3}{4}"),
        ("The final answer is: 42", "42"),
        ("The answer is 42 because the sum telescopes.", "42"),
        ("The answer is 3.5. Done.", "3.5"),
        ("The answer is: **Anterior**", "Anterior"),
        ("I think the answer is probably 0.5", "0.5"),
        ("Answer:\n$$\n\\frac{1}{2}\n$$", "\\frac{1}{2}"),
        ("**Final Answer**\n\\[ x = 5 \\]", "x = 5"),
        ("the final answer is 1,000.", "1,000"),
        ("The answer is $-4$ (negative).", "-4"),
        # trailing math
        ("Thus the area is $12\\pi$.", "12\\pi"),
        ("Thus the area is\n$$12\\pi$$", "12\\pi"),
        ("so we obtain \\(\\frac{1}{3}\\)", "\\frac{1}{3}"),
        # multiple choice
        ("Answer: (B)", "B"),
        ("After checking each option, the correct one is\n(B)", "B"),
        ("Option C", "C"),
        ("B) 12", "B"),
        ("The answer is option D.", "D"),
        # bare short answers
        ("12", "12"),
        ("  -3/4  ", "-3/4"),
        ("Anterior", "Anterior"),
        ("2-methylpropan-1-ol", "2-methylpropan-1-ol"),
        ("**5**", "5"),
    ],
)
def test_extracts_the_final_answer(output, expected):
    assert extract_final_answer(output) == expected


@pytest.mark.parametrize(
    "output",
    [
        "",
        "   \n  ",
        "I don't know.",
        "<think>Let me think. The answer is 7",  # reasoning never finished
        "\\boxed{}",
        "<answer>   </answer>",
        "The perimeter is 12, 15, 18 or 24 depending on the case; 12 is possible.",
        "First 3 + 4 = 7.\nThen 2 * 7 = 14.\nSo we continue with the next step of the proof",
        " ".join(str(n) for n in range(10, 60)),  # answer stuffing
    ],
)
def test_returns_none_instead_of_guessing(output):
    assert extract_final_answer(output) is None


@pytest.mark.parametrize("value", [None, 12, b"\\boxed{1}", ["\\boxed{1}"]])
def test_non_strings_have_no_answer(value):
    assert extract_final_answer(value) is None


def test_huge_outputs_are_scanned_from_the_tail_in_linear_time():
    text = "\\boxed{1}" * 50_000 + " and finally \\boxed{2}"
    assert extract_final_answer(text) == "2"
    assert extract_final_answer("(" * 100_000 + " The answer is 3.") == "3"
