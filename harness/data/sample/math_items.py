"""Math templates: charts, function plots, geometry figures, lattice grids and counting scenes."""

from __future__ import annotations

import math
import random
from fractions import Fraction
from math import comb

import numpy as np
from matplotlib.patches import Circle, Polygon, Rectangle, Wedge
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

_BAR_THEMES = (
    (
        "monthly rainfall recorded at a hill-top weather station",
        "Monthly rainfall",
        "Month",
        "Rainfall (mm)",
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul"],
    ),
    (
        "number of books sold by a small bookshop on each weekday",
        "Books sold per day",
        "Day",
        "Books sold",
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    ),
    (
        "number of students enrolled in each after-school elective",
        "Elective enrolment",
        "Elective",
        "Students",
        ["Art", "Music", "Drama", "Robotics", "Chess", "Debate", "Coding"],
    ),
    (
        "bicycles rented at each docking station of a city bike-share scheme on one Saturday",
        "Saturday rentals",
        "Station",
        "Rentals",
        ["North", "South", "East", "West", "Central", "Harbour"],
    ),
    (
        "number of seedlings that germinated in each tray of a greenhouse trial",
        "Germinated seedlings",
        "Tray",
        "Seedlings",
        ["T1", "T2", "T3", "T4", "T5", "T6", "T7"],
    ),
)


def _grid_axes(ax, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    """Cartesian axes through the origin with a unit grid, as in textbook function plots."""
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.axhline(0, color="black", linewidth=0.9)
    ax.axvline(0, color="black", linewidth=0.9)
    ax.tick_params(labelsize=7)


@template("Math", "single_image", weight=2)
def bar_chart(rng: random.Random) -> Item:
    topic, title, xlabel, ylabel, cats = rng.choice(_BAR_THEMES)
    n = rng.randint(4, len(cats))
    labels = cats[:n]
    values = [rng.randint(4, 60) for _ in labels]
    color = rng.choice(PALETTE)
    ask_kind = rng.choice(["total", "mean", "range", "pair"])
    total = sum(values)
    if ask_kind == "total":
        ask = f"What is the total {ylabel.split(' (')[0].lower()} over all {n} categories shown in the chart?"
        body, kind = str(total), "integer"
    elif ask_kind == "mean":
        ask = (
            f"What is the mean value per {xlabel.lower()} shown in the chart? Give the exact value."
        )
        body, kind = tx.number_or_decimal(Fraction(total, n), rng)
    elif ask_kind == "range":
        ask = (
            "What is the range (largest value minus smallest value) of the data shown in the chart?"
        )
        body, kind = str(max(values) - min(values)), "integer"
    else:
        i, j = sorted(rng.sample(range(n), 2))
        ask = (
            f"By how much does the combined value of {labels[i]} and {labels[j]} exceed the value of the "
            f"remaining {n - 2} categories together? A negative result means it falls short."
        )
        body, kind = str(values[i] + values[j] - (total - values[i] - values[j])), "integer"
    context = [
        f"The bar chart shows the {topic}.",
        "Each bar is labelled with its exact value, printed just above the bar.",
        f"The horizontal axis lists the {xlabel.lower()}s in the order in which the data were recorded.",
        (
            "The data were entered into a spreadsheet by a volunteer and later checked against the original records; "
            "no "
            "corrections were needed."
        ),
        "Some readers find it useful to copy the values into a small table before doing any arithmetic.",
    ]

    def draw(fig):
        ax = fig.add_subplot()
        bars = ax.bar(labels, values, color=color)
        ax.bar_label(bars, labels=[str(v) for v in values], padding=2, fontsize=8)
        ax.set_ylim(0, max(values) * 1.2)
        ax.set_xlabel(xlabel, fontsize=9)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_title(title, fontsize=10)
        ax.tick_params(labelsize=8)
        fig.subplots_adjust(left=0.14, right=0.97, bottom=0.16, top=0.88)

    return Item(
        "Statistics",
        compose(rng, "Math", context, ask),
        tx.display(body, rng),
        kind,
        [figure_job(rng, pick_size(rng), draw)],
    )


@template("Math", "single_image", weight=1)
def pie_chart(rng: random.Random) -> Item:
    names = rng.sample(["Walk", "Bus", "Bicycle", "Car", "Train", "Scooter"], rng.randint(3, 5))
    counts = [rng.randint(3, 30) for _ in names]
    total = sum(counts)
    k = rng.randrange(len(names))
    share = Fraction(counts[k], total)
    if tx.terminates(share * 100) and rng.random() < 0.5:
        ask = f"What percentage of the surveyed students travel by {names[k].lower()}?"
        body, kind = f"{tx.decimal(share * 100)}\\%", "decimal"
    else:
        ask = (
            f"What fraction of the surveyed students travel by {names[k].lower()}? "
            "Give the fraction in lowest terms."
        )
        body, kind = tx.number(share), "fraction" if share.denominator > 1 else "integer"
    context = [
        f"A school surveyed {total} students about how they usually travel to school.",
        (
            "The pie chart summarises the answers; each sector is labelled with the number of students who chose "
            "that option."
        ),
        "Every student gave exactly one answer, and the sectors are drawn in proportion to the counts.",
        "The survey was carried out on a single day in spring, and students who were absent were not included.",
    ]

    def draw(fig):
        ax = fig.add_subplot()
        ax.pie(
            counts,
            labels=[f"{nm} ({c})" for nm, c in zip(names, counts)],
            colors=PALETTE[: len(names)],
            startangle=90,
            counterclock=False,
            textprops={"fontsize": 8},
            wedgeprops={"linewidth": 1, "edgecolor": "white"},
        )
        ax.set_title("How students travel to school", fontsize=9)
        ax.set_aspect("equal")

    return Item(
        "Statistics",
        compose(rng, "Math", context, ask),
        tx.display(body, rng),
        kind,
        [figure_job(rng, pick_size(rng, (320, 480), (0.75, 0.95)), draw)],
    )


@template("Math", "single_image", weight=2)
def line_equation(rng: random.Random) -> Item:
    while True:
        q = rng.choice([1, 1, 1, 2, 3])
        p = rng.choice([v for v in range(-4, 5) if v != 0])
        m = Fraction(p, q)
        b = rng.randint(-5, 5)
        xs = sorted(rng.sample([x for x in range(-6, 7) if x % m.denominator == 0], 2))
        ys = [m * x + b for x in xs]
        if all(-9 <= y <= 9 for y in ys) and xs[1] - xs[0] >= 2:
            break
    pts = [(x, int(y)) for x, y in zip(xs, ys)]
    color = rng.choice(PALETTE)
    context = [
        "The figure shows a straight line drawn on a coordinate grid with unit spacing.",
        "Two points on the line are marked and labelled with their exact coordinates.",
        "The line extends beyond the visible part of the grid in both directions.",
        "Recall that the slope of a line is the change in y divided by the change in x between any two of its points.",
    ]
    ask = "Find the equation of the line in slope-intercept form y = mx + b, using exact values."

    def draw(fig):
        ax = fig.add_subplot()
        _grid_axes(ax, (-7, 7), (-10, 10))
        xx = np.linspace(-7, 7, 50)
        ax.plot(xx, float(m) * xx + b, color=color, linewidth=1.8)
        for x, y in pts:
            ax.plot([x], [y], "o", color="black", markersize=4)
            ax.annotate(
                f"({x}, {y})",
                (x, y),
                textcoords="offset points",
                xytext=(5, -12 if m > 0 else 6),
                fontsize=8,
            )
        fig.subplots_adjust(left=0.08, right=0.97, bottom=0.08, top=0.97)

    return Item(
        "Algebra",
        compose(rng, "Math", context, ask),
        tx.display(tx.linear_equation(m, b), rng),
        "equation",
        [figure_job(rng, pick_size(rng, (360, 520), (0.8, 1.0)), draw)],
    )


@template("Math", "single_image", weight=2)
def sign_interval(rng: random.Random) -> Item:
    color = rng.choice(PALETTE)
    strict = rng.random() < 0.7
    rel_text = ">" if strict else ">="
    lo_b, hi_b = ("(", ")") if strict else ("[", "]")
    if rng.random() < 0.35:  # a line crossing the x-axis once
        r = rng.randint(-4, 4)
        slope = rng.choice([-2, -1, Fraction(-1, 2), Fraction(1, 2), 1, 2])

        def f(x):
            return float(slope) * (x - r)

        marks = [(r, 0)]
        body = f"(-\\infty, {r}{hi_b}" if slope < 0 else f"{lo_b}{r}, \\infty)"
        what = "a straight line"
    else:
        r1 = rng.randint(-5, 2)
        r2 = rng.randint(r1 + 2, 5)
        a = rng.choice([1, -1, Fraction(1, 2), Fraction(-1, 2)])

        def f(x):
            return float(a) * (x - r1) * (x - r2)

        marks = [(r1, 0), (r2, 0)]
        if a > 0:
            body = f"(-\\infty, {r1}{hi_b} \\cup {lo_b}{r2}, \\infty)"
        else:
            body = f"{lo_b}{r1}, {r2}{hi_b}"
        what = "a parabola"
    context = [
        f"The graph of a function y = f(x) is shown; it is {what}.",
        "The points where the graph meets the x-axis are marked and labelled with their exact coordinates.",
        "The graph continues in the same way beyond the plotted window, with no further x-intercepts.",
        "The vertical axis is scaled to fit the window and its tick labels are not needed for this question.",
    ]
    ask = f"Using interval notation, give the set of all real x for which f(x) {rel_text} 0."

    def draw(fig):
        ax = fig.add_subplot()
        xx = np.linspace(-7, 7, 200)
        yy = f(xx)
        _grid_axes(ax, (-7, 7), (max(-10.0, yy.min() - 1), min(10.0, yy.max() + 1)))
        ax.plot(xx, yy, color=color, linewidth=1.8, label="y = f(x)")
        for x, y in marks:
            ax.plot([x], [y], "o", color="black", markersize=4)
            ax.annotate(
                f"({x}, {y})", (x, y), textcoords="offset points", xytext=(4, 6), fontsize=8
            )
        ax.legend(fontsize=8, loc="upper left")
        fig.subplots_adjust(left=0.09, right=0.97, bottom=0.08, top=0.97)

    return Item(
        "Algebra",
        compose(rng, "Math", context, ask),
        tx.display(body, rng),
        "interval",
        [figure_job(rng, pick_size(rng), draw)],
    )


@template("Math", "single_image", weight=1)
def parabola_expand(rng: random.Random) -> Item:
    a = rng.choice([1, 1, -1, 2, -2])
    h = rng.randint(-3, 3)
    k = rng.randint(-4, 4)
    coeffs = [a, -2 * a * h, a * h * h + k]
    p = (h + 1, k + a)
    color = rng.choice(PALETTE)
    context = [
        "The figure shows the graph of a quadratic function f on a unit grid.",
        "The vertex of the parabola is marked and labelled, and a second point of the graph is labelled as well.",
        "The parabola is symmetric about the vertical line through its vertex.",
        "Any quadratic can be written in vertex form a(x - h)^2 + k, where (h, k) is the vertex.",
    ]
    ask = "Write f(x) in expanded form ax^2 + bx + c."

    def draw(fig):
        ax = fig.add_subplot()
        xx = np.linspace(h - 4, h + 4, 120)
        yy = a * (xx - h) ** 2 + k
        _grid_axes(ax, (h - 4.5, h + 4.5), (max(-12, yy.min() - 1), min(12, yy.max() + 1)))
        ax.plot(xx, yy, color=color, linewidth=1.8)
        ax.plot([h], [k], "o", color="black", markersize=4)
        ax.annotate(
            f"vertex ({h}, {k})",
            (h, k),
            textcoords="offset points",
            xytext=(6, -12 if a > 0 else 6),
            fontsize=8,
        )
        ax.plot([p[0]], [p[1]], "o", color="black", markersize=4)
        ax.annotate(f"({p[0]}, {p[1]})", p, textcoords="offset points", xytext=(6, 0), fontsize=8)
        fig.subplots_adjust(left=0.09, right=0.97, bottom=0.08, top=0.97)

    return Item(
        "Algebra",
        compose(rng, "Math", context, ask),
        tx.display(tx.polynomial(coeffs), rng),
        "symbolic",
        [figure_job(rng, pick_size(rng), draw)],
    )


@template("Math", "single_image", weight=1)
def triangle_angle(rng: random.Random) -> Item:
    while True:
        a, b = rng.randint(30, 95), rng.randint(30, 95)
        if 180 - a - b >= 25:
            break
    c = 180 - a - b
    ra, rb = math.radians(a), math.radians(b)
    # apex from the base (0,0)-(1,0) by the law of sines, so the drawing has the stated angles
    side = math.sin(rb) / math.sin(ra + rb)
    apex = (side * math.cos(ra), side * math.sin(ra))
    names = rng.sample(["A", "B", "C", "P", "Q", "R", "K", "L", "M"], 3)
    context = [
        (
            f"In triangle {''.join(names)} shown in the figure, two interior angles are labelled in degrees and the "
            "third is marked x."
        ),
        "The triangle is drawn to scale.",
        "The interior angles of any triangle in the Euclidean plane add up to 180 degrees.",
    ]
    ask = "What is the value of x in degrees?"
    body = tx.degrees(c) if rng.random() < 0.5 else str(c)

    def draw(fig):
        ax = fig.add_subplot()
        pts = [(0, 0), (1, 0), apex]
        ax.add_patch(Polygon(pts, closed=True, fill=False, linewidth=1.6))
        ax.text(0.06, 0.02, f"${a}^\\circ$", fontsize=9)
        ax.text(0.86, 0.02, f"${b}^\\circ$", fontsize=9)
        ax.text(apex[0] - 0.02, apex[1] - 0.1, "$x$", fontsize=10)
        for (x, y), nm, off in zip(pts, names, [(-0.05, -0.06), (0.02, -0.06), (-0.01, 0.03)]):
            ax.text(x + off[0], y + off[1], nm, fontsize=10, weight="bold")
        ax.set_xlim(-0.15, 1.15)
        ax.set_ylim(-0.12, apex[1] + 0.12)
        clean_axes(ax)
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.98)

    return Item(
        "Geometry",
        compose(rng, "Math", context, ask),
        tx.display(body, rng),
        "integer",
        [figure_job(rng, pick_size(rng, (320, 520), (0.6, 0.8)), draw)],
    )


@template("Math", "single_image", weight=1)
def right_triangle(rng: random.Random) -> Item:
    a, b = rng.randint(2, 12), rng.randint(2, 12)
    unit = rng.choice(["cm", "m", "in"])
    if rng.random() < 0.5:
        ask = f"Find the exact length of the hypotenuse, in {unit}."
        body, kind = tx.sqrt_of(a * a + b * b)
    else:
        ask = f"Find the area of the triangle in square {unit}. Give an exact value."
        body, kind = tx.number_or_decimal(Fraction(a * b, 2), rng, p_decimal=0.4)
    context = [
        f"The figure shows a right triangle whose two legs are labelled with their lengths in {unit}.",
        "The right angle is marked with a small square.",
        "The figure is drawn approximately to scale.",
        "The hypotenuse is the side opposite the right angle.",
    ]

    def draw(fig):
        ax = fig.add_subplot()
        s = 1.0 / max(a, b)
        w, hgt = a * s, b * s
        ax.add_patch(
            Polygon(
                [(0, 0), (w, 0), (0, hgt)],
                closed=True,
                fill=True,
                facecolor="#eef3fb",
                edgecolor="black",
                linewidth=1.5,
            )
        )
        q = 0.06
        ax.add_patch(Rectangle((0, 0), q, q, fill=False, linewidth=1))
        ax.text(w / 2, -0.08, f"{a} {unit}", ha="center", fontsize=9)
        ax.text(-0.06, hgt / 2, f"{b} {unit}", ha="right", va="center", fontsize=9, rotation=90)
        ax.set_xlim(-0.25, 1.1)
        ax.set_ylim(-0.15, 1.05)
        clean_axes(ax)
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.98)

    return Item(
        "Geometry",
        compose(rng, "Math", context, ask),
        tx.display(body, rng),
        kind,
        [figure_job(rng, pick_size(rng, (300, 480), (0.75, 0.95)), draw)],
    )


@template("Math", "single_image", weight=1)
def circle_measure(rng: random.Random) -> Item:
    r = rng.randint(3, 99)
    show_diameter = rng.random() < 0.4
    label = f"d = {2 * r}" if show_diameter else f"r = {r}"
    what = rng.choice(["area", "circumference", "semicircle"])
    if what == "area":
        ask = "What is the exact area of the circle? Leave your answer in terms of pi."
        body = f"{r * r}\\pi"
    elif what == "circumference":
        ask = "What is the exact circumference of the circle? Leave your answer in terms of pi."
        body = f"{2 * r}\\pi"
    else:
        ask = "The upper half of the circle is shaded. What is the exact area of the shaded region, in terms of pi?"
        half = Fraction(r * r, 2)
        body = (
            f"{half.numerator}\\pi"
            if half.denominator == 1
            else f"\\frac{{{half.numerator}\\pi}}{{2}}"
        )
    context = [
        (
            f"The circle in the figure has its {'diameter' if show_diameter else 'radius'} marked and labelled "
            "(lengths in centimetres)."
        ),
        "The centre of the circle is marked with a dot.",
        "Exact answers keep pi as a symbol instead of replacing it with a decimal approximation.",
    ]

    def draw(fig):
        ax = fig.add_subplot()
        ax.add_patch(Circle((0, 0), 1, fill=False, linewidth=1.6))
        if what == "semicircle":
            ax.add_patch(Wedge((0, 0), 1, 0, 180, facecolor="#f4c7a1", edgecolor="none"))
        ax.plot([0], [0], "o", color="black", markersize=3)
        if show_diameter:
            ax.plot([-1, 1], [0, 0], color="black", linewidth=1)
            ax.text(0, -0.14, label, ha="center", fontsize=10)
        else:
            ax.plot([0, 0.707], [0, -0.707], color="black", linewidth=1)
            ax.text(0.42, -0.3, label, fontsize=10)
        ax.set_xlim(-1.15, 1.15)
        ax.set_ylim(-1.15, 1.15)
        clean_axes(ax)
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.98)

    return Item(
        "Geometry",
        compose(rng, "Math", context, ask),
        tx.display(body, rng),
        "expression",
        [figure_job(rng, pick_size(rng, (260, 400), (0.9, 1.0)), draw)],
    )


@template("Math", "single_image", weight=1)
def lattice_paths(rng: random.Random) -> Item:
    m, n = rng.randint(2, 6), rng.randint(2, 5)
    via = rng.random() < 0.5
    px, py = rng.randint(1, m - 1), rng.randint(1, n - 1)
    total = comb(px + py, px) * comb(m - px + n - py, m - px) if via else comb(m + n, m)
    context = [
        (
            f"The figure shows a rectangular street grid that is {m} blocks wide and {n} blocks tall, with corner A at "
            "the bottom left and corner B at the top right."
        ),
        (
            "A walker moves along the streets from A to B, taking only steps to the right or upwards, one block at a "
            "time."
        ),
        "Two routes are different if they use a different set of street segments.",
    ]
    ask = (
        "How many different shortest routes from A to B pass through the marked intersection P?"
        if via
        else "How many different shortest routes lead from A to B?"
    )

    def draw(fig):
        ax = fig.add_subplot()
        for i in range(m + 1):
            ax.plot([i, i], [0, n], color="#555555", linewidth=1.2)
        for j in range(n + 1):
            ax.plot([0, m], [j, j], color="#555555", linewidth=1.2)
        ax.plot([0], [0], "o", color="#C44E52", markersize=7)
        ax.plot([m], [n], "o", color="#4C72B0", markersize=7)
        ax.text(-0.15, -0.3, "A", fontsize=11, weight="bold")
        ax.text(m + 0.08, n + 0.1, "B", fontsize=11, weight="bold")
        if via:
            ax.plot([px], [py], "s", color="#55A868", markersize=7)
            ax.text(px + 0.1, py + 0.1, "P", fontsize=11, weight="bold")
        ax.set_xlim(-0.5, m + 0.5)
        ax.set_ylim(-0.5, n + 0.5)
        clean_axes(ax)
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.98)

    return Item(
        "Combinatorics ",
        compose(rng, "Math", context, ask),
        tx.display(str(total), rng),
        "integer",
        [figure_job(rng, pick_size(rng, (320, 480), (0.65, 0.9)), draw)],
    )


def _ball_scene(rng: random.Random, counts: dict[str, int], width: int, height: int) -> ImageJob:
    colors = {
        "red": (200, 40, 40),
        "blue": (40, 80, 190),
        "green": (40, 150, 60),
        "yellow": (230, 200, 40),
    }
    bg_seed, layout_seed = rng.getrandbits(32), rng.getrandbits(32)
    bg_top = (rng.randint(180, 220),) * 2 + (rng.randint(150, 190),)
    kinds = [c for c, k in counts.items() for _ in range(k)]

    def draw():
        img = photo_background(random.Random(bg_seed), width, height, bg_top, (120, 95, 70))
        d = ImageDraw.Draw(img)
        layout = random.Random(layout_seed)
        order = layout.sample(kinds, len(kinds))
        r = 17
        for (x, y), c in zip(place_discs(layout, len(order), width, height, r), order):
            base = colors[c]
            d.ellipse([x - r + 3, y - r + 5, x + r + 3, y + r + 5], fill=(70, 55, 40))  # shadow
            d.ellipse([x - r, y - r, x + r, y + r], fill=base, outline=(30, 30, 30))
            d.ellipse(
                [x - r // 2, y - r // 2, x - r // 6, y - r // 6],
                fill=tuple(min(255, v + 90) for v in base),
            )
        return img

    return ImageJob(draw=draw, fmt="JPEG", mode="RGB")


@template("Math", "single_image", weight=1)
def ball_selection(rng: random.Random) -> Item:
    colors = rng.sample(["red", "blue", "green", "yellow"], rng.randint(2, 3))
    counts = {c: rng.randint(2, 7) for c in colors}
    first, second = colors[0], colors[1]
    total = sum(counts.values())
    context = [
        "The photograph shows all the balls in a bag, tipped out onto a table; the balls differ only in colour.",
        f"There are balls of {len(colors)} colours: {', '.join(colors)}.",
        "Each ball is fully visible in the photograph and no two balls overlap.",
        (
            "Balls of the same colour are otherwise indistinguishable, but for counting selections every ball is "
            "treated as a distinct object."
        ),
    ]
    if rng.random() < 0.5:
        ask = (
            f"In how many ways can one choose 2 {first} balls and 1 {second} ball from the balls shown "
            "(order of selection does not matter)?"
        )
        body, kind = str(comb(counts[first], 2) * counts[second]), "integer"
    else:
        ask = (
            f"The balls are put back in the bag and two are drawn at random without replacement. What is the "
            f"probability that both are {first}? Give the answer as a fraction in lowest terms."
        )
        p = Fraction(comb(counts[first], 2), comb(total, 2))
        body, kind = tx.number(p), "fraction"
    w = rng.randrange(400, 641, 20)
    h = rng.randrange(300, 481, 20)
    return Item(
        "Combinatorics ",
        compose(rng, "Math", context, ask),
        tx.display(body, rng),
        kind,
        [_ball_scene(rng, counts, w, h)],
    )


@template("Math", "single_image", weight=1)
def area_under_curve(rng: random.Random) -> Item:
    while True:
        p, q = rng.randint(-4, 4), rng.randint(1, 9)
        a = rng.randint(-2, 2)
        b = rng.randint(a + 1, a + 4)
        grid = np.linspace(a, b, 41)
        if (grid**2 + p * grid + q).min() > 0.2:
            break
    coeffs = [1, p, q]

    def antideriv(x: int) -> Fraction:
        return Fraction(x**3, 3) + Fraction(p * x * x, 2) + q * x

    area = antideriv(b) - antideriv(a)
    formula = tx.polynomial(coeffs)
    mode = rng.choices(["area", "average", "antiderivative"], weights=[5, 2, 3])[0]
    context = [
        f"The figure shows the graph of f(x) = {formula}; the formula is printed in the legend.",
        f"The region between the graph, the x-axis and the vertical lines x = {a} and x = {b} is shaded.",
        "On the shaded interval the graph lies entirely above the x-axis.",
        "The fundamental theorem of calculus relates the area of such a region to an antiderivative of f.",
    ]
    if mode == "antiderivative":
        ask = (
            "Find the antiderivative F of f that satisfies F(0) = 0, written as a polynomial in x."
        )
        body, kind = tx.polynomial([Fraction(1, 3), Fraction(p, 2), q, 0]), "symbolic"
    else:
        ask = (
            f"What is the average value of f on the interval [{a}, {b}]? Give an exact answer."
            if mode == "average"
            else "What is the exact area of the shaded region?"
        )
        body, kind = tx.number_or_decimal(
            area / (b - a) if mode == "average" else area, rng, p_decimal=0.3
        )
    color = rng.choice(PALETTE)

    def draw(fig):
        ax = fig.add_subplot()
        xx = np.linspace(a - 2, b + 2, 160)
        yy = xx**2 + p * xx + q
        _grid_axes(ax, (a - 2, b + 2), (min(-1, yy.min() - 1), yy.max() + 1))
        ax.plot(xx, yy, color=color, linewidth=1.8, label=f"$f(x) = {formula}$")
        xs = np.linspace(a, b, 60)
        ax.fill_between(xs, 0, xs**2 + p * xs + q, color=color, alpha=0.3)
        ax.legend(fontsize=8, loc="upper center")
        fig.subplots_adjust(left=0.1, right=0.97, bottom=0.08, top=0.97)

    return Item(
        "Calculus",
        compose(rng, "Math", context, ask),
        tx.display(body, rng),
        kind,
        [figure_job(rng, pick_size(rng), draw)],
    )


@template("Math", "single_image", weight=1)
def line_intersection(rng: random.Random) -> Item:
    while True:
        m1, m2 = rng.sample([-3, -2, -1, 1, 2, 3, 4], 2)
        b1, b2 = rng.randint(-6, 6), rng.randint(-6, 6)
        x = Fraction(b2 - b1, m1 - m2)
        y = m1 * x + b1
        if x.denominator > 1 and abs(x) <= 5 and abs(y) <= 12:
            break
    context = [
        "Two straight lines are plotted on the same axes; their equations are given in the legend.",
        "The point where the lines cross is marked with a circle but its coordinates are not printed.",
        "Solving the two equations simultaneously gives the crossing point exactly.",
    ]
    ask = "Find the exact coordinates (x, y) of the intersection point of the two lines."
    eq1, eq2 = tx.linear_equation(m1, b1), tx.linear_equation(m2, b2)

    def draw(fig):
        ax = fig.add_subplot()
        _grid_axes(ax, (-6, 6), (-14, 14))
        xx = np.linspace(-6, 6, 20)
        ax.plot(xx, m1 * xx + b1, color=PALETTE[0], linewidth=1.6, label=f"${eq1}$")
        ax.plot(xx, m2 * xx + b2, color=PALETTE[1], linewidth=1.6, label=f"${eq2}$")
        ax.plot([float(x)], [float(y)], "o", mfc="none", mec="black", markersize=7)
        ax.legend(fontsize=8, loc="lower right")
        fig.subplots_adjust(left=0.09, right=0.97, bottom=0.08, top=0.97)

    return Item(
        "Algebra",
        compose(rng, "Math", context, ask),
        tx.display(tx.pair(tx.number(x), tx.number(y)), rng),
        "tuple",
        [figure_job(rng, pick_size(rng), draw)],
    )


def _table_image(
    rng: random.Random, header: list[str], rows: list[list[str]], title: str
) -> ImageJob:
    col_w = [
        max(80, 11 * max(len(header[c]), *(len(r[c]) for r in rows)) + 20)
        for c in range(len(header))
    ]
    row_h = 28
    width = min(640, sum(col_w) + 40)
    height = max(200, min(640, row_h * (len(rows) + 1) + 70))
    shade = rng.choice([(230, 238, 250), (238, 238, 238), (250, 240, 225)])
    fmt, mode = ("JPEG", "RGB") if rng.random() < 0.35 else ("PNG", rng.choice(["RGB", "RGB", "L"]))

    def draw():
        img, d = blank(width, height)
        d.text((20, 12), title, fill=(0, 0, 0), font=font(14, bold=True))
        y0 = 44
        x = 20
        for c, wc in enumerate(col_w):
            d.rectangle([x, y0, x + wc, y0 + row_h], fill=shade, outline=(90, 90, 90))
            d.text((x + 8, y0 + 6), header[c], fill=(0, 0, 0), font=font(13, bold=True))
            for r, row in enumerate(rows):
                top = y0 + row_h * (r + 1)
                d.rectangle([x, top, x + wc, top + row_h], outline=(90, 90, 90))
                d.text((x + 8, top + 6), row[c], fill=(0, 0, 0), font=font(13))
            x += wc
        return img

    return ImageJob(draw=draw, fmt=fmt, mode=mode)


@template("Math", "single_image", weight=1)
def table_statistics(rng: random.Random) -> Item:
    n = rng.randint(5, 9)
    subject, column, lo, hi = rng.choice(
        [
            ("score on a 100-point quiz", "Score", 20, 100),
            ("resting heart rate in beats per minute", "Heart rate", 48, 96),
            ("height of a seedling after three weeks, in mm", "Height (mm)", 12, 90),
            ("number of words recalled from a list of 100", "Words recalled", 8, 60),
        ]
    )
    values = [rng.randint(lo, hi) for _ in range(n)]
    s = sorted(values)
    stat = rng.choice(["median", "mean", "range"])
    if stat == "median":
        med = Fraction(s[n // 2]) if n % 2 else Fraction(s[n // 2 - 1] + s[n // 2], 2)
        body, kind = tx.number_or_decimal(med, rng, p_decimal=1.0)
        ask = "What is the median of the values in the table?"
    elif stat == "mean":
        body, kind = tx.number_or_decimal(Fraction(sum(values), n), rng, p_decimal=0.7)
        ask = "What is the arithmetic mean of the values in the table? Give an exact answer."
    else:
        body, kind = str(s[-1] - s[0]), "integer"
        ask = "What is the range of the values in the table?"
    context = [
        f"The table lists one measurement, the {subject}, for each of {n} participants in a small study.",
        "Participants are identified only by a code; the order of the rows carries no meaning.",
        "Every value in the table is exact and there are no missing entries.",
        "Summary statistics describe the centre and spread of a data set.",
    ]
    rows = [[f"P{i + 1:02d}", str(v)] for i, v in enumerate(values)]
    return Item(
        "Statistics",
        compose(rng, "Math", context, ask),
        tx.display(body, rng),
        kind,
        [_table_image(rng, ["Participant", column], rows, "Measurements")],
    )


def _spinner_job(rng: random.Random, sectors: list[str]) -> ImageJob:
    fill = {
        "red": "#d62728",
        "blue": "#1f77b4",
        "white": "#ffffff",
        "green": "#2ca02c",
        "yellow": "#f2d22e",
    }
    arrow_angle = rng.uniform(0, 360)

    def draw(fig):
        ax = fig.add_subplot()
        n = len(sectors)
        for i, c in enumerate(sectors):
            ax.add_patch(
                Wedge(
                    (0, 0),
                    1,
                    90 - 360 * (i + 1) / n,
                    90 - 360 * i / n,
                    facecolor=fill[c],
                    edgecolor="black",
                    linewidth=1.2,
                )
            )
        ang = math.radians(arrow_angle)
        ax.annotate(
            "",
            xy=(0.8 * math.cos(ang), 0.8 * math.sin(ang)),
            xytext=(0, 0),
            arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 2},
        )
        ax.plot([0], [0], "o", color="black", markersize=5)
        ax.set_xlim(-1.1, 1.1)
        ax.set_ylim(-1.1, 1.1)
        clean_axes(ax)
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.98)

    side = rng.randrange(220, 341, 20)
    # never grayscale: the question is about which sectors are red
    return figure_job(rng, (side, side), draw, p_jpeg=0.4, p_gray=0.0)


@template("Math", "multi_image", weight=2)
def spinners(rng: random.Random) -> Item:
    k = rng.choice([2, 2, 3, 3, 4])
    wheels = []
    for _ in range(k):
        n = rng.randint(3, 8)
        reds = rng.randint(1, n - 1)
        others = [rng.choice(["blue", "white", "green", "yellow"]) for _ in range(n - reds)]
        sectors = ["red"] * reds + others
        rng.shuffle(sectors)
        wheels.append(sectors)
    probs = [Fraction(w.count("red"), len(w)) for w in wheels]
    if k == 2 and rng.random() < 0.5:
        p = probs[0] * (1 - probs[1]) + (1 - probs[0]) * probs[1]
        ask = "Both spinners are spun once. What is the probability that exactly one of them lands on red?"
    else:
        p = math.prod(probs, start=Fraction(1))
        ask = f"All {k} spinners are spun once. What is the probability that every one of them lands on red?"
    refs = "; ".join(f"Image {i + 1} shows spinner {i + 1}" for i in range(k))
    context = [
        f"Each of the {k} images shows a fair spinner divided into equal sectors. {refs}.",
        (
            "The arrow of a spinner is equally likely to stop in any sector, and spinners are independent of each "
            "other."
        ),
        "The current arrow positions in the pictures are irrelevant; only the sector colours matter.",
        "A sector is counted as red only if it is filled with the red colour.",
    ]
    body = tx.number(p)
    return Item(
        "Probability",
        compose(rng, "Math", context, ask + " Give the answer as a fraction in lowest terms."),
        tx.display(body, rng),
        "fraction" if p.denominator > 1 else "integer",
        [_spinner_job(rng, w) for w in wheels],
    )


@template("Math", "multi_image", weight=2)
def shopping_total(rng: random.Random) -> Item:
    items = rng.sample(
        [
            "Apples (kg)",
            "Bread (loaf)",
            "Milk (L)",
            "Eggs (dozen)",
            "Rice (kg)",
            "Cheese (block)",
            "Coffee (bag)",
        ],
        rng.randint(3, 5),
    )
    prices = [Fraction(rng.randint(2, 24), 4) for _ in items]
    qty = [rng.randint(1, 5) for _ in items]
    subtotal = sum((p * q for p, q in zip(prices, qty)), Fraction(0))
    coupon = rng.random() < 0.5
    pct = rng.choice([10, 20, 25, 50])
    total = subtotal * (100 - pct) / 100 if coupon else subtotal
    price_rows = [[it, f"${float(p):.2f}"] for it, p in zip(items, prices)]
    images = [_table_image(rng, ["Item", "Unit price"], price_rows, "Price list")]
    list_w, list_h = rng.randrange(300, 421, 20), 60 + 34 * len(items)
    list_seed = rng.getrandbits(32)

    def draw_list():
        img = photo_background(
            random.Random(list_seed),
            list_w,
            max(200, list_h),
            (250, 246, 225),
            (236, 228, 200),
            noise=4,
        )
        d = ImageDraw.Draw(img)
        d.text((18, 12), "Shopping list", fill=(20, 20, 90), font=font(17, bold=True))
        for i, (it, q) in enumerate(zip(items, qty)):
            d.text(
                (26, 50 + 34 * i), f"{q} x {it.split(' (')[0]}", fill=(20, 20, 90), font=font(16)
            )
        return img

    images.append(ImageJob(draw=draw_list, fmt="JPEG", mode="RGB"))
    refs = "Image 1 is the shop's price list and Image 2 is a photo of the shopping list"
    if coupon:
        refs += f", and Image 3 is a coupon giving {pct}% off the whole bill"

        def draw_coupon():
            img, d = blank(320, 200, (255, 236, 179))
            d.rectangle([8, 8, 311, 191], outline=(180, 90, 0), width=3)
            d.text((40, 50), f"{pct}% OFF", fill=(180, 60, 0), font=font(40, bold=True))
            d.text((40, 120), "your whole purchase", fill=(80, 40, 0), font=font(16))
            return img

        images.append(ImageJob(draw=draw_coupon, fmt="PNG", mode="RGB"))
    context = [
        f"A customer buys exactly the quantities on a shopping list. {refs}.",
        "Each quantity on the list refers to the unit given in the price list.",
        "There is no tax, and prices are exact.",
        "The customer buys nothing that is not on the list.",
    ]
    ask = (
        "How much does the customer pay in total, in dollars, after applying the coupon? Give the exact amount."
        if coupon
        else "How much does the customer pay in total, in dollars? Give the exact amount."
    )
    body = tx.decimal(total)
    return Item(
        "Algebra",
        compose(rng, "Math", context, ask),
        tx.display(body, rng),
        "decimal" if total.denominator > 1 else "integer",
        images,
    )


def _panel_label(ax, label: str) -> None:
    ax.set_title(f"({label})", fontsize=10, loc="left")


@template("Math", "multi_panel", weight=1)
def derivative_match(rng: random.Random) -> Item:
    family = rng.choice(["cubic", "quadratic"])
    if family == "cubic":
        c = rng.choice([1, 2, 3])
        f = lambda x: x**3 - 3 * c * x
        d1 = lambda x: 3 * x**2 - 3 * c
        others = [lambda x: -(3 * x**2 - 3 * c), lambda x: 6 * x]
        formula_note = "a cubic polynomial"
    else:
        c = rng.choice([-2, -1, 1, 2])
        f = lambda x: x**2 - 2 * c * x
        d1 = lambda x: 2 * x - 2 * c
        others = [lambda x: -(2 * x - 2 * c), lambda x: 2 + 0 * x]
        formula_note = "a quadratic polynomial"
    candidates = [d1, *others]
    order = rng.sample(range(3), 3)
    panel_names = ["b", "c", "d"]
    correct_panel = panel_names[order.index(0)]
    letters = choice_letters(3)
    panel_to_letter = dict(zip(rng.sample(panel_names, 3), letters))
    options = "  ".join(
        f"({L}) panel ({p})" for p, L in sorted(panel_to_letter.items(), key=lambda kv: kv[1])
    )
    context = [
        (
            f"Panel (a) of the figure shows the graph of a function f, {formula_note}; panels (b), (c) and (d) show "
            "three other functions on the same horizontal range."
        ),
        "Exactly one of panels (b)-(d) shows the derivative f'.",
        (
            "Where f is increasing its derivative is positive, and where f has a horizontal tangent its derivative is "
            "zero."
        ),
        "The vertical scales of the panels are not the same.",
    ]
    ask = f"Which panel shows the graph of f'? Options: {options}. Answer with the letter of the correct option."

    def draw(fig):
        axes = fig.subplots(2, 2)
        xx = np.linspace(-3, 3, 120)
        funcs = [f] + [candidates[i] for i in order]
        for ax, fn, lab in zip(axes.flat, funcs, ["a", "b", "c", "d"]):
            ax.plot(xx, fn(xx), color=PALETTE[0] if lab == "a" else PALETTE[3], linewidth=1.6)
            ax.axhline(0, color="black", linewidth=0.8)
            ax.axvline(0, color="black", linewidth=0.8)
            ax.tick_params(labelsize=6)
            ax.grid(True, color="#e5e5e5", linewidth=0.5)
            _panel_label(ax, lab)
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.06, top=0.93, hspace=0.35, wspace=0.25)

    size = (rng.randrange(480, 641, 20), rng.randrange(400, 521, 20))
    return Item(
        "Calculus",
        compose(rng, "Math", context, ask),
        letter_answer(panel_to_letter[correct_panel], rng),
        "choice",
        [figure_job(rng, size, draw, p_jpeg=0.1)],
    )


@template("Math", "multi_panel", weight=1)
def curvature_sum(rng: random.Random) -> Item:
    r1, r2 = rng.sample([2, 3, 4, 5, 6, 8, 10], 2)
    c = rng.choice([Fraction(1, 2), Fraction(1), Fraction(3, 2), Fraction(2)])
    total = Fraction(1, r1) + Fraction(1, r2) + 2 * c
    context = [
        (
            "The figure has three panels. Panels (a) and (b) show circles whose radii are labelled; panel (c) shows "
            "the "
            "parabola whose equation is printed in the panel."
        ),
        "The curvature of a plane curve measures how quickly its tangent direction turns per unit arc length.",
        (
            "For a circle the curvature is the same at every point; for a graph y = g(x) it is "
            "|g''| / (1 + g'^2)^(3/2)."
        ),
        "All lengths are in the same unit.",
    ]
    ask = (
        "Compute the sum of the curvature of the circle in (a), the curvature of the circle in (b), and the "
        "curvature of the parabola in (c) at its vertex. Give an exact value."
    )
    c_text = (
        ""
        if c == 1
        else str(c.numerator)
        if c.denominator == 1
        else f"{c.numerator}/{c.denominator} "
    )

    def draw(fig):
        axes = fig.subplots(1, 3)
        for ax, r, lab in zip(axes[:2], (r1, r2), ["a", "b"]):
            ax.add_patch(Circle((0, 0), r, fill=False, linewidth=1.5, color=PALETTE[0]))
            ax.plot([0, r], [0, 0], color="black", linewidth=1)
            ax.text(r / 2, 0.08 * r, f"r = {r}", ha="center", fontsize=8)
            ax.set_xlim(-1.15 * r, 1.15 * r)
            ax.set_ylim(-1.15 * r, 1.15 * r)
            clean_axes(ax)
            _panel_label(ax, lab)
        ax = axes[2]
        xx = np.linspace(-2, 2, 100)
        ax.plot(xx, float(c) * xx**2, color=PALETTE[3], linewidth=1.5)
        ax.axhline(0, color="black", linewidth=0.7)
        ax.axvline(0, color="black", linewidth=0.7)
        ax.text(-1.9, float(c) * 3.6, f"y = {c_text}x²", fontsize=8)
        ax.tick_params(labelsize=6)
        _panel_label(ax, "c")
        fig.subplots_adjust(left=0.03, right=0.98, bottom=0.1, top=0.85, wspace=0.25)

    size = (rng.randrange(540, 641, 20), rng.randrange(220, 281, 20))
    body = tx.number(total)
    return Item(
        " Differential geometry",
        compose(rng, "Math", context, ask),
        tx.display(body, rng),
        "fraction" if total.denominator > 1 else "integer",
        [figure_job(rng, size, draw)],
    )
