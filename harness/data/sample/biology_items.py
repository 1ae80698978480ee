"""Biology templates: anatomical directions, field photos for mark-recapture, DNA read-outs, spike trains,
genotype cards, growth curves, energy pyramids and synaptic potentials."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import numpy as np
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, Rectangle
from PIL import ImageDraw

from harness.data.sample import latex as tx
from harness.data.sample.prose import compose
from harness.data.sample.render import (
    PALETTE,
    ImageJob,
    blank,
    clean_axes,
    figure_job,
    font,
    photo_background,
    pick_size,
    place_discs,
)
from harness.data.sample.templates import Item, choice_letters, letter_answer, template

_DIRECTIONS = ("Anterior", "Posterior", "Dorsal", "Ventral")


@template("Biology", "single_image", weight=2)
def anatomical_direction(rng: random.Random) -> Item:
    facing = rng.choice([1, -1])  # +1: head on the right
    animal = rng.choice(["dog", "horse", "cat", "sheep"])
    letters = rng.sample(["A", "B", "C", "D"], 4)
    arrow_of = dict(zip(_DIRECTIONS, letters))
    context = [
        f"The drawing shows a {animal} standing in side view; four arrows labelled A-D point away from its body.",
        (
            "For a four-legged animal the head end is anterior, the tail end posterior, the back dorsal and the belly "
            "ventral."
        ),
        "Each arrow points in exactly one of these four directions, and no two arrows point the same way.",
    ]
    if rng.random() < 0.6:
        d = rng.choice(_DIRECTIONS)
        ask = f"Which anatomical direction does arrow {arrow_of[d]} indicate? Answer with a single word."
        answer, kind = d, "text"
    else:
        d = rng.choice(_DIRECTIONS)
        ask = f"Which arrow points in the {d.lower()} direction? Answer with its letter."
        answer, kind = letter_answer(arrow_of[d], rng), "choice"

    def draw(fig):
        ax = fig.add_subplot()
        f = facing
        ax.add_patch(Ellipse((0, 0), 2.2, 0.9, facecolor="#c8a27a", edgecolor="black", lw=1.2))
        ax.add_patch(Circle((f * 1.35, 0.55), 0.33, facecolor="#c8a27a", edgecolor="black", lw=1.2))
        ax.plot([f * 1.0, f * 1.2], [0.25, 0.45], color="black", lw=1.2)
        ax.plot([f * 1.48], [0.62], "o", color="black", markersize=3)
        for x in (-0.75, -0.45, 0.45, 0.75):
            ax.add_patch(
                Rectangle(
                    (x - 0.08, -1.05), 0.16, 0.75, facecolor="#c8a27a", edgecolor="black", lw=1
                )
            )
        ax.plot([-f * 1.1, -f * 1.5], [0.1, 0.45], color="black", lw=2)
        arrows = {
            "Anterior": ((f * 1.75, 0.55), (f * 2.3, 0.55)),
            "Posterior": ((-f * 1.6, 0.0), (-f * 2.2, 0.0)),
            "Dorsal": ((0, 0.55), (0, 1.2)),
            "Ventral": ((0, -0.5), (0, -1.15)),
        }
        for d_name, (p, q) in arrows.items():
            ax.add_patch(
                FancyArrowPatch(p, q, arrowstyle="-|>", mutation_scale=14, color=PALETTE[3], lw=1.8)
            )
            ax.text(
                q[0] + 0.1 * np.sign(q[0] - p[0]) + (0.12 if q[0] == p[0] else 0),
                q[1] + (0.05 if q[1] >= p[1] else -0.15),
                arrow_of[d_name],
                fontsize=11,
                weight="bold",
            )
        ax.set_xlim(-2.6, 2.6)
        ax.set_ylim(-1.4, 1.45)
        clean_axes(ax)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)

    w = rng.randrange(360, 561, 20)
    return Item(
        "Anatomy",
        compose(rng, "Biology", context, ask),
        answer,
        kind,
        [figure_job(rng, (w, int(w * 0.56) // 10 * 10), draw, p_jpeg=0.25)],
    )


@template("Biology", "single_image", weight=2)
def mark_recapture(rng: random.Random) -> Item:
    caught = rng.randint(8, 22)
    marked = rng.randint(2, min(8, caught - 2))
    first = rng.choice([m for m in range(10, 61) if m * caught % marked == 0] or [marked * 5])
    species = rng.choice(["ground beetles", "woodlice", "snails", "ladybirds"])
    w, h = rng.randrange(420, 641, 20), rng.randrange(300, 481, 20)
    bg_seed, layout_seed = rng.getrandbits(32), rng.getrandbits(32)
    if rng.random() < 0.6:
        ask = (
            "Using the Lincoln-Petersen estimator, estimate the total population size of "
            f"{species} in the meadow."
        )
        value = first * caught // marked
    else:
        ask = f"How many of the {species} in the photograph are unmarked?"
        value = caught - marked
    context = [
        (
            f"To estimate the size of a population of {species} in a meadow, an ecologist captured {first} "
            "individuals, "
            "marked each with a small yellow dot of paint and released them."
        ),
        (
            "A week later a second sample was collected; the photograph shows every individual in this second "
            "sample, and the ones carrying a yellow mark were caught in the first session."
        ),
        (
            "Assume that marks are not lost, that marked and unmarked individuals mix completely and are equally "
            "likely "
            "to be caught, and that the population is closed between the two sessions."
        ),
        "No individual in the photograph is hidden or overlapping another.",
    ]

    def draw():
        img = photo_background(random.Random(bg_seed), w, h, (120, 160, 80), (70, 110, 50), noise=9)
        d = ImageDraw.Draw(img)
        layout = random.Random(layout_seed)
        spots = place_discs(layout, caught, w, h, 16)
        is_marked = set(layout.sample(range(caught), marked))
        for i, (x, y) in enumerate(spots):
            d.ellipse([x - 14, y - 10, x + 14, y + 10], fill=(45, 30, 25), outline=(10, 10, 10))
            d.ellipse([x + 10, y - 5, x + 19, y + 5], fill=(25, 20, 15))
            for lx in (-8, 0, 8):
                d.line([(x + lx, y - 10), (x + lx - 3, y - 15)], fill=(20, 20, 20), width=2)
                d.line([(x + lx, y + 10), (x + lx - 3, y + 15)], fill=(20, 20, 20), width=2)
            if i in is_marked:
                d.ellipse([x - 5, y - 5, x + 5, y + 5], fill=(250, 225, 40))
        return img

    return Item(
        "Ecology",
        compose(rng, "Biology", context, ask),
        tx.display(str(value), rng),
        "integer",
        [ImageJob(draw=draw, fmt="JPEG", mode="RGB")],
    )


_COMPLEMENT = {"A": "T", "T": "A", "G": "C", "C": "G"}
_BASE_COLORS = {
    "A": (120, 200, 120),
    "T": (230, 120, 120),
    "G": (240, 200, 90),
    "C": (120, 160, 230),
}


def _strand_job(rng: random.Random, seq: str, left: str, right: str, title: str) -> ImageJob:
    box = 24
    width = min(640, max(320, 70 + box * len(seq) + 40))
    box = min(box, (width - 110) // len(seq))
    height = 200
    fmt, mode = (
        ("PNG", rng.choice(["RGB", "RGB", "L", "RGBA"])) if rng.random() < 0.8 else ("JPEG", "RGB")
    )

    def draw():
        img, d = blank(width, height)
        d.text((16, 20), title, fill=(0, 0, 0), font=font(15, bold=True))
        y = 90
        d.text((14, y + 3), left, fill=(0, 0, 0), font=font(14))
        x = 52
        for base in seq:
            d.rectangle([x, y, x + box - 2, y + box], fill=_BASE_COLORS[base], outline=(40, 40, 40))
            d.text(
                (x + box // 2 - 6, y + 4),
                base,
                fill=(0, 0, 0),
                font=font(max(10, box - 10), bold=True),
            )
            x += box
        d.text((x + 6, y + 3), right, fill=(0, 0, 0), font=font(14))
        return img

    return ImageJob(draw=draw, fmt=fmt, mode=mode)


@template("Biology", "single_image", weight=3)
def dna_strand(rng: random.Random) -> Item:
    length = rng.choice([12, 15, 16, 18, 20, 21, 24])
    coding = "ATG" + "".join(rng.choice("ACGT") for _ in range(length - 3))  # 5'->3' coding strand
    template_strand = "".join(_COMPLEMENT[b] for b in coding)  # 3'->5', aligned with coding
    show_template = rng.random() < 0.5
    reverse = (
        rng.random() < 0.4
    )  # drawn 5'->3' left to right for the template / 3'->5' for the coding strand
    if show_template:
        shown, left, right = (
            (template_strand[::-1], "5'", "3'") if reverse else (template_strand, "3'", "5'")
        )
        title = "Template (antisense) strand"
    else:
        shown, left, right = (coding[::-1], "3'", "5'") if reverse else (coding, "5'", "3'")
        title = "Coding (sense) strand"
    mrna = coding.replace("T", "U")
    ask_kind = rng.choice(["mrna", "mrna", "gc", "codons"])
    gc = Fraction(sum(b in "GC" for b in coding), length)
    if ask_kind == "mrna":
        ask = "Write the sequence of the mRNA transcribed from this gene fragment, 5' to 3', as one string of letters."
        answer, kind = mrna, "text"
    elif ask_kind == "gc":
        if tx.terminates(gc * 100):
            ask = "What is the GC content of the fragment shown, as a percentage?"
            answer, kind = tx.display(f"{tx.decimal(gc * 100)}\\%", rng), "decimal"
        else:
            ask = "What fraction of the bases in the fragment shown are G or C? Give a fraction in lowest terms."
            answer, kind = tx.display(tx.number(gc), rng), "fraction"
    else:
        ask = (
            "Translation starts at the first base of the mRNA transcribed from this fragment. How many complete "
            "codons does that mRNA fragment contain?"
        )
        answer, kind = tx.display(str(length // 3), rng), "integer"
    context = [
        (
            f"The image shows one strand of a short DNA fragment from a protein-coding gene ({length} bases), with its "
            "5' and 3' ends labelled; the title states whether it is the template or the coding strand."
        ),
        "The two strands of DNA are antiparallel and complementary: A pairs with T and G pairs with C.",
        "RNA polymerase reads the template strand 3' to 5' and builds the mRNA 5' to 3', using U in place of T.",
        "The fragment starts at the start codon of the gene and contains no introns.",
    ]
    return Item(
        "Molecular Biology",
        compose(rng, "Biology", context, ask),
        answer,
        kind,
        [_strand_job(rng, shown, left, right, title)],
    )


@template("Biology", "single_image", weight=2)
def spike_train(rng: random.Random) -> Item:
    duration = rng.choice([Fraction(1, 2), Fraction(1), Fraction(2), Fraction(4, 5)])
    n = rng.randint(3, 14)
    dur = float(duration)
    slots = rng.sample(range(1, 40), n)
    times = sorted(s * dur / 40 for s in slots)
    if rng.random() < 0.6:
        ask = f"What is the mean firing rate of the neuron over the {tx.decimal(duration)} s recording, in Hz?"
        value = n / duration
    else:
        ask = "How many action potentials does the recording contain?"
        value = Fraction(n)
    body, kind = tx.number_or_decimal(value, rng, p_decimal=1.0)
    context = [
        (
            f"The trace shows the membrane potential of a neuron recorded intracellularly for {tx.decimal(duration)} s "
            "while a steady current was injected."
        ),
        (
            "Each action potential is a brief spike from the resting level of about -70 mV to a peak above 0 mV, "
            "followed by a short after-hyperpolarisation."
        ),
        "Small fluctuations of a few millivolts are synaptic noise and are not action potentials.",
        "The firing rate is the number of action potentials divided by the recording time.",
    ]
    noise_seed = rng.getrandbits(32)

    def draw(fig):
        ax = fig.add_subplot()
        tt = np.linspace(0, dur, 3000)
        v = -70 + np.random.default_rng(noise_seed).normal(0, 0.8, tt.size)
        width = dur / 400
        for t0 in times:
            v += 100 * np.exp(-(((tt - t0) / width) ** 2))
            v -= 8 * np.exp(-(((tt - t0 - 3 * width) / (2 * width)) ** 2))
        ax.plot(tt, v, color="black", lw=0.8)
        ax.set_xlim(0, dur)
        ax.set_ylim(-90, 45)
        ax.set_xlabel("time (s)", fontsize=8)
        ax.set_ylabel("membrane potential (mV)", fontsize=8)
        ax.tick_params(labelsize=7)
        fig.subplots_adjust(left=0.13, right=0.98, bottom=0.15, top=0.96)

    return Item(
        "Neurobiology",
        compose(rng, "Biology", context, ask),
        tx.display(body, rng),
        kind,
        [figure_job(rng, (rng.randrange(480, 641, 20), rng.randrange(220, 321, 20)), draw)],
    )


def _genotype_card(rng: random.Random, label: str, genotype: list[str]) -> ImageJob:
    w, h = rng.randrange(280, 401, 20), 220
    fmt = "JPEG" if rng.random() < 0.4 else "PNG"

    def draw():
        img, d = blank(w, h, (252, 250, 244))
        d.text((14, 10), label, fill=(0, 0, 0), font=font(16, bold=True))
        x = 30
        for gene in genotype:
            for allele in gene:
                d.rounded_rectangle(
                    [x, 50, x + 22, 190], radius=10, fill=(190, 170, 220), outline=(60, 40, 90)
                )
                d.rectangle([x, 105, x + 22, 118], fill=(60, 40, 90))
                d.text((x + 4, 122), allele, fill=(0, 0, 0), font=font(16, bold=True))
                x += 34
            x += 30
        return img

    return ImageJob(draw=draw, fmt=fmt, mode="RGB")


@template("Biology", "multi_image", weight=3)
def genetic_cross(rng: random.Random) -> Item:
    genes = ["A", "B"][: rng.choice([1, 2, 2])]
    traits = {"A": ("purple flowers", "white flowers"), "B": ("tall stems", "short stems")}
    while True:
        parents = [
            [rng.choice([g + g, g + g.lower(), g.lower() + g.lower()]) for g in genes]
            for _ in range(2)
        ]
        target_kind = rng.choice(["genotype", "phenotype"])
        if target_kind == "genotype":
            target = [rng.choice([g + g, g + g.lower(), g.lower() * 2]) for g in genes]
        else:
            target = [rng.choice(["dominant", "recessive"]) for _ in genes]
        p = Fraction(1)
        for gi, g in enumerate(genes):
            outcomes = [
                "".join(sorted(a + b)) for a, b in itertools.product(parents[0][gi], parents[1][gi])
            ]
            if target_kind == "genotype":
                hits = sum(o == "".join(sorted(target[gi])) for o in outcomes)
            else:
                hits = sum((g in o) == (target[gi] == "dominant") for o in outcomes)
            p *= Fraction(hits, 4)
        if 0 < p < 1:
            break
    if target_kind == "genotype":
        what = "has the genotype " + "".join(target)
    else:
        what = "shows " + " and ".join(
            traits[g][0 if t == "dominant" else 1] for g, t in zip(genes, target)
        )
    images = [_genotype_card(rng, f"Parent {i + 1}", parents[i]) for i in range(2)]
    refs = "Image 1 and Image 2 show the genotypes of parent 1 and parent 2"
    if rng.random() < 0.5:
        refs += ", and Image 3 is the key to the traits"
        key_lines = [f"{g}: {traits[g][0]} (dominant over {g.lower()})" for g in genes] + [
            f"{g.lower()}{g.lower()}: {traits[g][1]}" for g in genes
        ]

        def draw_key():
            img, d = blank(360, 200, (255, 255, 255))
            d.text((14, 12), "Trait key", fill=(0, 0, 0), font=font(16, bold=True))
            for i, line in enumerate(key_lines):
                d.text((14, 50 + 30 * i), line, fill=(0, 0, 0), font=font(13))
            return img

        images.append(ImageJob(draw=draw_key, fmt="PNG", mode=rng.choice(["RGB", "L"])))
    trait_text = "; ".join(
        f"gene {g} controls {traits[g][0]} (allele {g}, dominant) versus {traits[g][1]} "
        f"(allele {g.lower()}, recessive)"
        for g in genes
    )
    context = [
        (
            f"Two pea plants are crossed. {refs}: each card shows the homologous chromosome pairs of a parent with the "
            "allele carried at the marked locus."
        ),
        f"In this cross {trait_text}.",
        "The genes are on different chromosomes and assort independently; dominance is complete.",
        "Each parent passes one allele of each gene to an offspring, each with probability one half.",
    ]
    ask = f"What is the probability that an offspring of this cross {what}? Give a fraction in lowest terms."
    return Item(
        "Genetics",
        compose(rng, "Biology", context, ask),
        tx.display(tx.number(p), rng),
        "fraction",
        images,
    )


_CURVES = {
    "logistic growth that levels off at a carrying capacity": lambda t: (
        100 / (1 + 30 * np.exp(-0.6 * t))
    ),
    "exponential (J-shaped) growth": lambda t: 3 * np.exp(0.3 * t),
    "exponential decline": lambda t: 100 * np.exp(-0.25 * t),
    "predator-prey style oscillations": lambda t: 50 + 30 * np.sin(0.8 * t),
}


@template("Biology", "multi_panel", weight=1)
def growth_curves(rng: random.Random) -> Item:
    kinds = list(_CURVES)
    order = rng.sample(kinds, 4)
    target = rng.choice(kinds)
    letters = choice_letters(4)
    options = "  ".join(f"({L}) panel ({p})" for L, p in zip(letters, "abcd"))
    context = [
        "The figure shows population size against time for four populations in panels (a)-(d).",
        (
            "Each panel shows one of: logistic growth to a carrying capacity, exponential growth, exponential decline, "
            "or oscillations such as those of a prey population."
        ),
        "The vertical axes are in thousands of individuals and time is in years.",
    ]
    ask = f"Which panel shows {target}? Options: {options}."

    def draw(fig):
        axes = fig.subplots(2, 2)
        tt = np.linspace(0, 12, 100)
        for ax, kind, lab in zip(axes.flat, order, "abcd"):
            ax.plot(tt, _CURVES[kind](tt), color=PALETTE[2], lw=1.8)
            ax.set_title(f"({lab})", fontsize=9, loc="left")
            ax.tick_params(labelsize=6)
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.07, top=0.93, hspace=0.4, wspace=0.25)

    size = (rng.randrange(440, 601, 20), rng.randrange(360, 481, 20))
    return Item(
        "Ecology",
        compose(rng, "Biology", context, ask),
        letter_answer(letters[order.index(target)], rng),
        "choice",
        [figure_job(rng, size, draw)],
    )


@template("Biology", "single_image", weight=1)
def energy_pyramid(rng: random.Random) -> Item:
    base = rng.choice([10000, 12000, 16000, 20000, 25000, 40000])
    effs = [Fraction(rng.choice([5, 8, 10, 12, 15, 20, 25]), 100) for _ in range(3)]
    levels = [Fraction(base)]
    for e in effs:
        levels.append(levels[-1] * e)
    names = ["Producers", "Primary consumers", "Secondary consumers", "Tertiary consumers"]
    i = rng.randrange(3)
    if rng.random() < 0.6:
        ask = (
            f"What is the efficiency of energy transfer from {names[i].lower()} to {names[i + 1].lower()}, as a "
            "percentage?"
        )
        value, percent = effs[i] * 100, True
    else:
        ask = f"What fraction of the energy in the producers reaches the {names[3].lower()}? Give an exact value."
        value, percent = levels[3] / levels[0], False
    if percent:
        body, kind = f"{tx.decimal(value)}\\%", "decimal" if value.denominator > 1 else "integer"
    else:
        body, kind = tx.number(value), "fraction"
    context = [
        (
            "The pyramid of energy shows the energy stored each year in four trophic levels of a grassland ecosystem, "
            "in kJ per square metre per year."
        ),
        "The value for each level is printed on its bar.",
        (
            "The efficiency of transfer between two levels is the energy of the higher level divided by that of the "
            "level below it."
        ),
        "Energy not transferred is lost mainly as heat from respiration or remains in dead organic matter.",
    ]

    def draw(fig):
        ax = fig.add_subplot()
        for k, (nm, val) in enumerate(zip(names, levels)):
            half = 2.0 - 0.45 * k
            ax.add_patch(
                Rectangle(
                    (-half, k), 2 * half, 0.9, facecolor=PALETTE[2 + k], edgecolor="black", lw=1
                )
            )
            ax.text(0, k + 0.45, f"{nm}: {tx.decimal(val)}", ha="center", va="center", fontsize=8)
        ax.set_xlim(-2.1, 2.1)
        ax.set_ylim(-0.1, 4.0)
        ax.axis("off")
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)

    return Item(
        "Ecology",
        compose(rng, "Biology", context, ask),
        tx.display(body, rng),
        kind,
        [figure_job(rng, pick_size(rng, (400, 560), (0.6, 0.75)), draw)],
    )


_POTENTIALS = {
    "an inhibitory postsynaptic potential (IPSP)": (-6, 0.02),
    "an excitatory postsynaptic potential (EPSP)": (7, 0.02),
    "an action potential": (105, 0.0015),
}


@template("Biology", "multi_panel", weight=1)
def synaptic_potentials(rng: random.Random) -> Item:
    kinds = list(_POTENTIALS)
    order = rng.sample(kinds, 3)
    target = rng.choice(kinds)
    letters = choice_letters(3)
    options = "  ".join(f"({L}) panel ({p})" for L, p in zip(letters, "abc"))
    context = [
        (
            "Panels (a), (b) and (c) show membrane potential recordings from the same neuron after three different "
            "stimuli, all starting from a resting potential of -70 mV."
        ),
        (
            "Depolarisation moves the membrane potential towards more positive values and hyperpolarisation towards "
            "more "
            "negative values."
        ),
        "All panels share the same time axis; the voltage axes differ.",
    ]
    ask = f"Which panel shows {target}? Options: {options}."

    def draw(fig):
        axes = fig.subplots(1, 3)
        tt = np.linspace(0, 0.05, 400)
        for ax, kind, lab in zip(axes, order, "abc"):
            amp, tau = _POTENTIALS[kind]
            dt = np.clip(tt - 0.01, 0, None)
            shape = np.exp(-dt / (tau * 2)) - np.exp(-dt / (tau / 2))
            shape = shape / shape.max()
            ax.plot(tt * 1000, -70 + amp * shape, color="black", lw=1.2)
            ax.set_title(f"({lab})", fontsize=9, loc="left")
            ax.set_xlabel("ms", fontsize=7)
            ax.tick_params(labelsize=6)
        axes[0].set_ylabel("mV", fontsize=7)
        fig.subplots_adjust(left=0.09, right=0.98, bottom=0.18, top=0.86, wspace=0.4)

    size = (rng.randrange(520, 641, 20), rng.randrange(200, 261, 20))
    return Item(
        "Neurobiology",
        compose(rng, "Biology", context, ask),
        letter_answer(letters[order.index(target)], rng),
        "choice",
        [figure_job(rng, size, draw)],
    )
