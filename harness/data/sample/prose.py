"""Question text: a paragraph of context, sometimes a background paragraph, the actual ask, and sometimes an
answer-format instruction, so lengths spread like the real data (a few hundred to a few thousand characters)."""

from __future__ import annotations

import random
from collections.abc import Sequence

_BACKGROUND: dict[str, tuple[str, ...]] = {
    "Math": (
        (
            "A note on conventions used throughout this collection: coordinates are written as ordered pairs (x, y); "
            "intervals use round brackets for excluded endpoints and square brackets for included ones; angles are in "
            "degrees unless the symbol rad appears; and fractions are expected in lowest terms with any minus sign in "
            "front. Equations of lines are written in the form y = mx + b, and polynomials in descending powers of x."
        ),
        (
            "Before answering, it is worth restating the problem in your own words: identify which quantities the "
            "figure "
            "provides, which quantity the question asks for, and which relation connects them. Many mistakes in this "
            "collection come from reading the wrong label, mixing up two similar-looking values, or forgetting a sign. "
            "Checking the answer against a rough estimate taken from the figure is a good habit, although the exact "
            "answer must come from the printed values."
        ),
        (
            "This question was written by a subject-matter expert and reviewed by a second expert, who solved it "
            "independently and obtained the same result. Reviewers confirmed that the figure contains all the "
            "information "
            "required, that no additional assumptions are needed beyond those stated, and that the answer is unique."
        ),
        (
            "This problem comes from a set of exercises in which every quantity needed for the solution is shown in "
            "the accompanying figure. Figures are drawn with care, but whenever a value is printed next to a point, "
            "bar, side or angle, that printed value is exact and takes precedence over anything you might estimate by "
            "measuring the drawing. Quantities that are not printed must be derived from the ones that are."
        ),
        (
            "Students were asked to solve the following item without a calculator. The intended solution uses only "
            "exact arithmetic: fractions stay as fractions, square roots are simplified rather than approximated, and "
            "multiples of pi are left symbolic. Partial credit is not awarded, so the final answer must be complete "
            "and "
            "in simplest form."
        ),
        (
            "The item below is part of a diagnostic set that checks whether a reader can extract numerical information "
            "from a figure and combine it correctly. Read all labels, legends and captions before starting; axis tick "
            "marks are evenly spaced, and labelled points lie exactly on the plotted curves."
        ),
    ),
    "Physics": (
        (
            "Sign conventions matter in this collection. Unless a question says otherwise, the positive x direction "
            "is to "
            "the right and the positive y direction is up; angles are measured counter-clockwise from the positive "
            "x-axis; "
            "and a negative result for a vector component or a velocity indicates the opposite direction. Report "
            "magnitudes without a sign only when the question asks for a magnitude."
        ),
        (
            "A useful strategy is to list the known quantities with their units, write down the governing relation in "
            "symbols, and only then substitute numbers. Dimensional analysis catches many slips: an equivalent "
            "resistance must come out in ohms, a displacement in metres and a component of a force in newtons."
        ),
        (
            "This question was written by a physics instructor and checked by a second instructor, who solved it "
            "independently. Both confirmed that the figure shows all the information needed and that the result is "
            "unique under the idealisations stated above."
        ),
        (
            "Treat all objects as ideal unless stated otherwise: wires have no resistance, batteries have no internal "
            "resistance, surfaces are frictionless and air resistance is negligible. All values shown in the figure "
            "are "
            "exact. Use SI units throughout and keep results exact where possible instead of rounding intermediate "
            "values."
        ),
        (
            "This exercise belongs to an introductory university course. The diagram is schematic: lengths are not "
            "necessarily to scale, but every labelled quantity is exact. The expected solution uses a single standard "
            "relation from the course, applied carefully to the values read from the figure."
        ),
        (
            "In the laboratory version of this experiment the values below were measured with instruments of finite "
            "precision; for the purpose of this question, however, treat the values printed in the figure as exact and "
            "report the answer that follows from them without additional rounding."
        ),
    ),
    "Chemistry": (
        (
            "Nomenclature answers follow the current IUPAC recommendations: locants are placed immediately before the "
            "part of the name they refer to (for example pentan-2-ol rather than 2-pentanol), and anionic ligands in "
            "coordination compounds take the ending -ido. Molecular formulas are written in Hill order, with carbon "
            "first, hydrogen second and the remaining elements alphabetically."
        ),
        (
            "When a problem combines a structure with a calculation, first establish exactly what the structure is: "
            "count "
            "atoms, identify functional groups and check formal charges. Only then apply the relevant relation, "
            "keeping "
            "track of signs for enthalpy changes and of units for rate constants."
        ),
        (
            "This problem was prepared by a chemistry teaching assistant and verified by a second reviewer, who "
            "checked "
            "that the structure drawn is unambiguous, that the data printed on the figure are internally consistent, "
            "and "
            "that only one answer is correct."
        ),
        (
            "Structures are drawn in the usual conventions: in skeletal formulas every unlabelled vertex or line end "
            "is "
            "a carbon atom carrying enough hydrogens to complete four bonds, heteroatoms are written explicitly, and "
            "charges are written as superscripts outside square brackets for complex ions."
        ),
        (
            "The following item is from a problem set on nomenclature, structure and elementary physical chemistry. "
            "Read the figure carefully; every number needed for the calculation is printed on it, and no additional "
            "data from tables is required unless the question mentions it explicitly."
        ),
        (
            "Assume ideal behaviour and standard conditions unless the question says otherwise. Energies are given in "
            "kilojoules per mole and concentrations in moles per litre; all printed values are exact."
        ),
    ),
    "Biology": (
        (
            "Conventions used in this collection: nucleic-acid sequences are written 5' to 3' unless the ends are "
            "labelled "
            "otherwise; probabilities are given as fractions in lowest terms; percentages are given without rounding "
            "when "
            "the exact value has a finite decimal expansion; and anatomical directions are named with the standard "
            "terms "
            "(anterior, posterior, dorsal, ventral, and so on)."
        ),
        (
            "When interpreting a figure, first identify what is plotted or drawn, including axes, units, labels and "
            "any "
            "key. Then decide which biological principle applies, for example base pairing, Mendelian segregation, or "
            "the "
            "relation between counts and rates, and apply it to the values that can be read exactly from the figure."
        ),
        (
            "The item was written by a biology lecturer and checked by a second reviewer, who confirmed that the "
            "figure "
            "contains everything needed, that the counts are unambiguous and that the intended answer is the only "
            "correct "
            "one."
        ),
        (
            "The figure was prepared for a course practical. Schematic drawings are simplified: structures are not to "
            "scale and only the features needed for the question are shown. Where individuals or events are to be "
            "counted, every one of them is fully visible and none overlap."
        ),
        (
            "This question is part of a set used to check whether students can interpret standard biological figures: "
            "diagrams, sequence read-outs, field photographs and recordings. Base your answer only on the information "
            "shown together with standard textbook conventions."
        ),
        (
            "Biological data are usually noisy, but the values in this exercise were chosen to be exact so that there "
            "is "
            "a single correct answer. Use the conventions stated in the question, for example which strand is shown or "
            "which direction counts as positive."
        ),
    ),
}

_INSTRUCTIONS: tuple[str, ...] = (
    "Give only the final answer.",
    "Explain your reasoning briefly, then state the final answer.",
    "Write the final answer in LaTeX, e.g. inside \\[ \\].",
    "Show your work step by step and put the final answer on its own line.",
    "Provide the exact value; do not round unless the question asks for a decimal.",
    "Think carefully about the figure before answering. Your final answer should be concise.",
)


def compose(
    rng: random.Random,
    domain: str,
    context: Sequence[str],
    ask: str,
    *,
    min_context: int = 1,
) -> str:
    """Join a subset of the context sentences (first always, order kept) with the ask and optional extras."""
    if not context:
        raise ValueError("a question needs at least one context sentence")
    rest = list(context[1:])
    k = rng.randint(max(min_context - 1, len(rest) // 2), len(rest))
    keep = sorted(rng.sample(range(len(rest)), k))
    paragraph = " ".join([context[0], *(rest[i] for i in keep)])
    n_background = rng.choices([0, 1, 2, 3, 4, 6], weights=[22, 33, 22, 11, 7, 5])[0]
    background = rng.sample(_BACKGROUND[domain], n_background)
    split = rng.randint(
        0, n_background
    )  # some background before the figure description, the rest after
    blocks = [*background[:split], paragraph, *background[split:], ask]
    if rng.random() < 0.45:
        blocks.append(rng.choice(_INSTRUCTIONS))
    sep = rng.choices(["\n\n", "\n", " ", "\r\n\r\n"], weights=[6, 2, 2, 1])[0]
    return sep.join(blocks)
