"""Physics templates: resistor circuits, force diagrams, motion graphs, lenses, refraction and collisions."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
from matplotlib.patches import Arc, Ellipse, FancyArrowPatch, Rectangle
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
)
from harness.data.sample.templates import Item, choice_letters, letter_answer, template

_RESISTANCES = (2, 3, 4, 5, 6, 8, 10, 12, 15, 20)
_LAYOUTS = ("series", "series_parallel", "parallel", "branch_series")


def _parallel(*rs: Fraction) -> Fraction:
    return 1 / sum(1 / Fraction(r) for r in rs)


def equivalent_resistance(layout: str, r: list[int]) -> Fraction:
    r1, r2, r3 = (Fraction(v) for v in r)
    if layout == "series":
        return r1 + r2 + r3
    if layout == "series_parallel":
        return r1 + _parallel(r2, r3)
    if layout == "parallel":
        return _parallel(r1, r2, r3)
    if layout == "branch_series":
        return _parallel(r1 + r2, r3)
    raise ValueError(f"unknown circuit layout {layout!r}")


def _resistor(ax, p0, p1, label: str, fs: float) -> None:
    """Zigzag between two points of a horizontal or vertical segment, label beside it."""
    (x0, y0), (x1, y1) = p0, p1
    d = np.array([x1 - x0, y1 - y0], float)
    length = float(np.hypot(*d))
    u = d / length
    n = np.array([-u[1], u[0]])
    pts = [np.array(p0, float), np.array(p0, float) + 0.15 * d]
    teeth = 6
    for i in range(teeth * 2 + 1):
        t = 0.15 + 0.7 * i / (teeth * 2)
        amp = 0 if i in (0, teeth * 2) else (0.1 if i % 2 else -0.1)
        pts.append(np.array(p0, float) + t * d + amp * n)
    pts.append(np.array(p1, float))
    xs, ys = zip(*pts)
    ax.plot(xs, ys, color="black", linewidth=1.3)
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    if abs(u[0]) > 0.5:
        ax.text(mx, my + 0.18, label, ha="center", va="bottom", fontsize=fs)
    else:
        ax.text(mx + 0.16, my, label, ha="left", va="center", fontsize=fs)


def draw_circuit(
    ax, layout: str, r: list[int], volts: int, *, fs: float = 8, named: bool = True
) -> None:
    def wire(*pts):
        xs, ys = zip(*pts)
        ax.plot(xs, ys, color="black", linewidth=1.3)

    def dot(*pts):
        for x, y in pts:
            ax.plot([x], [y], "o", color="black", markersize=3.5)

    labels = [f"R{i + 1} = {v} Ω" if named else f"{v} Ω" for i, v in enumerate(r)]
    # battery on the left side: long plate (+) above the short one
    wire((0, 0), (0, 0.92))
    wire((0, 1.08), (0, 2))
    ax.plot([-0.22, 0.22], [1.08, 1.08], color="black", linewidth=1.6)
    ax.plot([-0.11, 0.11], [0.92, 0.92], color="black", linewidth=3)
    ax.text(-0.3, 1.0, f"{volts} V", ha="right", va="center", fontsize=fs)
    ax.text(0.14, 1.16, "+", fontsize=fs)
    if layout == "series":
        wire((0, 2), (1, 2))
        _resistor(ax, (1, 2), (2.2, 2), labels[0], fs)
        wire((2.2, 2), (4, 2), (4, 1.6))
        _resistor(ax, (4, 1.6), (4, 0.4), labels[1], fs)
        wire((4, 0.4), (4, 0), (2.8, 0))
        _resistor(ax, (2.8, 0), (1.6, 0), labels[2], fs)
        wire((1.6, 0), (0, 0))
    elif layout == "series_parallel":
        wire((0, 2), (0.5, 2))
        _resistor(ax, (0.5, 2), (1.7, 2), labels[0], fs)
        wire((1.7, 2), (4, 2), (4, 1.6))
        wire((0, 0), (4, 0), (4, 0.4))
        _resistor(ax, (4, 1.6), (4, 0.4), labels[2], fs)
        wire((2.5, 2), (2.5, 1.6))
        _resistor(ax, (2.5, 1.6), (2.5, 0.4), labels[1], fs)
        wire((2.5, 0.4), (2.5, 0))
        dot((2.5, 2), (2.5, 0))
    elif layout == "parallel":
        wire((0, 2), (4, 2))
        wire((0, 0), (4, 0))
        for x, lab in zip((1.4, 2.7, 4.0), labels):
            wire((x, 2), (x, 1.6))
            _resistor(ax, (x, 1.6), (x, 0.4), lab, fs)
            wire((x, 0.4), (x, 0))
        dot((1.4, 2), (1.4, 0), (2.7, 2), (2.7, 0))
    elif layout == "branch_series":
        wire((0, 2), (4, 2), (4, 1.6))
        wire((0, 0), (4, 0), (4, 0.4))
        _resistor(ax, (4, 1.6), (4, 0.4), labels[2], fs)
        wire((2.2, 2), (2.2, 1.9))
        _resistor(ax, (2.2, 1.9), (2.2, 1.08), labels[0], fs)
        wire((2.2, 1.08), (2.2, 0.92))
        _resistor(ax, (2.2, 0.92), (2.2, 0.1), labels[1], fs)
        wire((2.2, 0.1), (2.2, 0))
        dot((2.2, 2), (2.2, 0))
    else:
        raise ValueError(f"unknown circuit layout {layout!r}")
    ax.set_xlim(-1.3, 5.3)
    ax.set_ylim(-0.4, 2.5)
    clean_axes(ax)


_LAYOUT_TEXT = {
    "series": "three resistors connected in series with the battery",
    "series_parallel": "a resistor R1 in series with a parallel pair R2 and R3",
    "parallel": "three resistors connected in parallel across the battery",
    "branch_series": "a branch of R1 and R2 in series, connected in parallel with R3",
}


@template("Physics", "single_image", weight=3)
def resistor_network(rng: random.Random) -> Item:
    layout = rng.choice(_LAYOUTS)
    r = [rng.choice(_RESISTANCES) for _ in range(3)]
    volts = rng.choice([6, 9, 12, 24])
    req = equivalent_resistance(layout, r)
    what = rng.choice(["resistance", "current", "power"])
    if what == "resistance":
        value, unit, ask = (
            req,
            "\\,\\Omega",
            "What is the equivalent resistance of the network seen by the battery, in ohms?",
        )
    elif what == "current":
        value, unit, ask = (
            volts / req,
            "\\,\\text{A}",
            "What current flows through the battery, in amperes?",
        )
    else:
        value, unit, ask = (
            Fraction(volts * volts) / req,
            "\\,\\text{W}",
            "What total power does the battery deliver to the network, in watts?",
        )
    body, kind = tx.number_or_decimal(value, rng)
    if rng.random() < 0.4:
        body += unit
    context = [
        (
            f"The circuit diagram shows an ideal {volts} V battery connected to {_LAYOUT_TEXT[layout]}; each resistor "
            "is "
            "labelled with its resistance."
        ),
        "Connecting wires have negligible resistance, and filled dots mark junctions.",
        "Resistances in series add, while for resistors in parallel the reciprocals of the resistances add.",
        "The battery has no internal resistance and the circuit has reached a steady state.",
    ]

    def draw(fig):
        ax = fig.add_subplot()
        draw_circuit(ax, layout, r, volts)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)

    w = rng.randrange(420, 641, 20)
    return Item(
        "Electromagnetism",
        compose(rng, "Physics", context, ask),
        tx.display(body, rng),
        kind,
        [figure_job(rng, (w, int(w * 0.46) // 10 * 10), draw)],
    )


@template("Physics", "multi_panel", weight=1)
def circuit_comparison(rng: random.Random) -> Item:
    volts = rng.choice([6, 9, 12])
    while True:
        setups = [
            (layout, [rng.choice(_RESISTANCES) for _ in range(3)])
            for layout in rng.sample(_LAYOUTS, 3)
        ]
        reqs = [equivalent_resistance(lay, r) for lay, r in setups]
        if reqs.count(min(reqs)) == 1:
            break
    best = reqs.index(min(reqs))
    letters = choice_letters(4)
    options = (
        "  ".join(f"({L}) circuit ({p})" for L, p in zip(letters, "abc"))
        + f"  ({letters[3]}) all three draw the same current"
    )
    context = [
        (
            f"Panels (a), (b) and (c) show three circuits, each powered by an identical ideal {volts} V battery and "
            "containing three resistors with the resistances printed next to them."
        ),
        "Wires have negligible resistance and dots mark junctions.",
        "The current drawn from a battery equals its voltage divided by the equivalent resistance of the network.",
    ]
    ask = f"Which circuit draws the largest current from its battery? Options: {options}."

    def draw(fig):
        axes = fig.subplots(1, 3)
        for ax, (lay, r), lab in zip(axes, setups, "abc"):
            draw_circuit(ax, lay, r, volts, fs=6, named=False)
            ax.set_title(f"({lab})", fontsize=9, loc="left")
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9, wspace=0.05)

    w = rng.randrange(600, 641, 20)
    return Item(
        "Electromagnetism",
        compose(rng, "Physics", context, ask),
        letter_answer(letters[best], rng),
        "choice",
        [figure_job(rng, (w, 220), draw)],
    )


_TRIG = {
    0: (1, 1, 0, 1),
    30: (Fraction(1, 2), 3, Fraction(1, 2), 1),
    45: (Fraction(1, 2), 2, Fraction(1, 2), 2),
    60: (Fraction(1, 2), 1, Fraction(1, 2), 3),
}


def _component(mag: int, angle: int) -> tuple[str, str]:
    """Exact (F cos, F sin) for angles that are multiples of 30 or 45 degrees, as LaTeX radicals."""
    ref = angle % 180
    ref = ref if ref <= 90 else 180 - ref
    cos_c, cos_r, sin_c, sin_r = _TRIG.get(ref, (0, 1, 1, 1))
    sx = (
        1
        if math.cos(math.radians(angle)) > 1e-9
        else -1
        if math.cos(math.radians(angle)) < -1e-9
        else 0
    )
    sy = (
        1
        if math.sin(math.radians(angle)) > 1e-9
        else -1
        if math.sin(math.radians(angle)) < -1e-9
        else 0
    )
    return tx.radical(sx * mag * Fraction(cos_c), cos_r), tx.radical(
        sy * mag * Fraction(sin_c), sin_r
    )


@template("Physics", "single_image", weight=2)
def force_components(rng: random.Random) -> Item:
    triangle = rng.random() < 0.4
    if triangle:
        mag = rng.choice([5, 10, 15, 20, 25, 50])
        legs = rng.choice([(4, 3), (3, 4)])
        sx, sy = rng.choice([1, -1]), rng.choice([1, -1])
        fx, fy = sx * mag * legs[0] // 5, sy * mag * legs[1] // 5
        comps = (str(fx), str(fy))
        direction = (sx * legs[0], sy * legs[1])
        angle_text = "Its direction is given by the small 3-4-5 slope triangle drawn next to it."
    else:
        mag = rng.choice([10, 20, 30, 40, 50, 60, 80, 100])
        angle = rng.choice([30, 45, 60, 120, 135, 150, 210, 225, 240, 300, 315, 330])
        comps = _component(mag, angle)
        direction = (math.cos(math.radians(angle)), math.sin(math.radians(angle)))
        angle_text = "The angle between the force and the positive x-axis, measured counter-clockwise, is marked."
    context = [
        f"A force of magnitude {mag} N acts on a particle at the origin, as shown by the arrow in the figure.",
        angle_text,
        "The x-axis points to the right and the y-axis points up.",
        "The components of a force are its projections onto the coordinate axes, with signs.",
    ]
    ask = "Find the components (F_x, F_y) of the force in newtons. Give exact values."

    def draw(fig):
        ax = fig.add_subplot()
        ax.annotate("", xy=(1.35, 0), xytext=(-1.35, 0), arrowprops={"arrowstyle": "->", "lw": 1})
        ax.annotate("", xy=(0, 1.35), xytext=(0, -1.35), arrowprops={"arrowstyle": "->", "lw": 1})
        ax.text(1.36, -0.12, "x", fontsize=10)
        ax.text(0.05, 1.3, "y", fontsize=10)
        ux, uy = direction[0] / math.hypot(*direction), direction[1] / math.hypot(*direction)
        ax.add_patch(
            FancyArrowPatch(
                (0, 0), (ux, uy), arrowstyle="-|>", mutation_scale=16, color=PALETTE[3], lw=2.2
            )
        )
        ax.text(ux * 1.08, uy * 1.08 + 0.05, f"F = {mag} N", fontsize=9, ha="center")
        if triangle:
            # slope triangle drawn away from the arrow tip, legs labelled with the ratio
            bx, by = -0.95 * np.sign(direction[0]), -0.85 * np.sign(direction[1])
            s = 0.09
            dx, dy = direction[0] * s, direction[1] * s
            ax.plot([bx, bx + dx, bx + dx, bx], [by, by, by + dy, by], color="black", lw=1)
            ax.text(
                bx + dx / 2,
                by - 0.12 * np.sign(dy),
                str(abs(direction[0])),
                fontsize=8,
                ha="center",
            )
            ax.text(
                bx + dx + 0.05 * np.sign(dx),
                by + dy / 2,
                str(abs(direction[1])),
                fontsize=8,
                va="center",
            )
            ax.text(
                bx + dx / 2 - 0.1 * np.sign(dx), by + dy / 2 + 0.06 * np.sign(dy), "5", fontsize=8
            )
        else:
            ax.add_patch(Arc((0, 0), 0.6, 0.6, theta1=0, theta2=angle, color="black", lw=1))
            mid = math.radians(angle / 2)
            ax.text(
                0.42 * math.cos(mid),
                0.42 * math.sin(mid),
                f"{angle}°",
                fontsize=9,
                ha="center",
                va="center",
            )
        ax.set_xlim(-1.45, 1.55)
        ax.set_ylim(-1.45, 1.45)
        clean_axes(ax)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)

    side = rng.randrange(300, 481, 20)
    return Item(
        "Mechanics",
        compose(rng, "Physics", context, ask),
        tx.display(tx.pair(*comps), rng),
        "tuple",
        [figure_job(rng, (side, side), draw)],
    )


@template("Physics", "single_image", weight=2)
def velocity_time(rng: random.Random) -> Item:
    ts = [0]
    for _ in range(3):
        ts.append(ts[-1] + rng.randint(1, 4))
    vs = [rng.randint(0, 20) for _ in ts]
    vs[0] = rng.randint(0, 10)
    area = sum(Fraction((ts[i + 1] - ts[i]) * (vs[i] + vs[i + 1]), 2) for i in range(3))
    if rng.random() < 0.6:
        ask = f"What is the displacement of the cart between t = 0 s and t = {ts[-1]} s, in metres?"
        value = area
    else:
        i = rng.randrange(3)
        ask = (
            f"What is the acceleration of the cart between t = {ts[i]} s and t = {ts[i + 1]} s, in m/s^2? "
            "Use a negative sign for deceleration."
        )
        value = Fraction(vs[i + 1] - vs[i], ts[i + 1] - ts[i])
    body, kind = tx.number_or_decimal(value, rng, p_decimal=0.7)
    context = [
        "A cart moves along a straight track; the graph shows its velocity as a function of time.",
        (
            "The graph consists of straight segments, and the velocity at each corner is labelled as (time in s, "
            "velocity in m/s)."
        ),
        "Positive velocity means motion in the forward direction.",
        (
            "The displacement over an interval equals the signed area under the velocity-time graph, and the "
            "acceleration equals the slope of the graph."
        ),
    ]

    def draw(fig):
        ax = fig.add_subplot()
        ax.plot(ts, vs, color=PALETTE[0], linewidth=2, marker="o", markersize=4)
        for t, v in zip(ts, vs):
            ax.annotate(
                f"({t}, {v})", (t, v), textcoords="offset points", xytext=(3, 6), fontsize=7
            )
        ax.set_xlim(0, ts[-1] + 1)
        ax.set_ylim(0, max(vs) + 5)
        ax.set_xlabel("t (s)", fontsize=8)
        ax.set_ylabel("v (m/s)", fontsize=8)
        ax.grid(True, color="#e0e0e0", linewidth=0.6)
        ax.tick_params(labelsize=7)
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.14, top=0.96)

    return Item(
        "Physics (general)",
        compose(rng, "Physics", context, ask),
        tx.display(body, rng),
        kind,
        [figure_job(rng, pick_size(rng), draw)],
    )


@template("Physics", "single_image", weight=2)
def thin_lens(rng: random.Random) -> Item:
    f = rng.choice([5, 10, 12, 15, 20])
    d_o = f + rng.choice([2, 3, 4, 5, 6, 8, 10, 15, 20, 30])
    d_i = Fraction(f * d_o, d_o - f)
    if rng.random() < 0.65:
        ask = "At what distance from the lens does the image form, in centimetres?"
        value = d_i
    else:
        ask = ("What is the lateral magnification of the image? "
               "Use the sign convention in which an inverted image has negative magnification.")
        value = -d_i / d_o
    body, kind = tx.number_or_decimal(value, rng, p_decimal=0.5)
    context = [
        (
            f"An object is placed in front of a thin converging lens as shown; the object distance ({d_o} cm) and the "
            f"focal length ({f} cm) are marked on the diagram."
        ),
        "The focal points on either side of the lens are marked F.",
        "The thin-lens equation 1/f = 1/d_o + 1/d_i relates the focal length to the object and image distances.",
        "The diagram is schematic and not to scale; the rays that would locate the image are not drawn.",
    ]

    def draw(fig):
        ax = fig.add_subplot()
        ax.axhline(0, color="black", linewidth=0.8)
        ax.add_patch(Ellipse((0, 0), 0.35, 3.2, facecolor="#cfe8ff", edgecolor="#1f4e79", lw=1.2))
        for x in (-1.6, 1.6):
            ax.plot([x], [0], "o", color="black", markersize=3.5)
            ax.text(x, -0.3, "F", ha="center", fontsize=9)
        ax.annotate(
            "",
            xy=(-3.4, 1.0),
            xytext=(-3.4, 0),
            arrowprops={"arrowstyle": "-|>", "color": PALETTE[3], "lw": 2},
        )
        ax.annotate(
            "", xy=(-3.4, -1.0), xytext=(0, -1.0), arrowprops={"arrowstyle": "<->", "lw": 0.9}
        )
        ax.text(-1.7, -1.3, f"d_o = {d_o} cm", ha="center", fontsize=8)
        ax.annotate("", xy=(0, 0.7), xytext=(1.6, 0.7), arrowprops={"arrowstyle": "<->", "lw": 0.9})
        ax.text(0.8, 0.85, f"f = {f} cm", ha="center", fontsize=8)
        ax.set_xlim(-4, 4)
        ax.set_ylim(-1.8, 1.8)
        ax.axis("off")
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)

    return Item(
        "Optics",
        compose(rng, "Physics", context, ask),
        tx.display(body, rng),
        kind,
        [figure_job(rng, pick_size(rng, (420, 600), (0.45, 0.6)), draw)],
    )


_SNELL = {(60, 30): "\\sqrt{3}", (45, 30): "\\sqrt{2}", (60, 45): "\\frac{\\sqrt{6}}{2}"}


@template("Physics", "single_image", weight=1)
def refraction_index(rng: random.Random) -> Item:
    (t1, t2), body = rng.choice(sorted(_SNELL.items()))
    medium = rng.choice(
        ["a glass block", "a transparent plastic", "an unknown liquid", "a crystal"]
    )
    context = [
        f"A ray of light travels from air (n = 1) into {medium}, as shown.",
        (
            "The dashed line is the normal to the boundary; the angles of incidence and refraction are measured from "
            "the normal and labelled in the figure."
        ),
        "Snell's law states n_1 sin(theta_1) = n_2 sin(theta_2).",
    ]
    ask = "What is the exact refractive index of the second medium?"

    def draw(fig):
        ax = fig.add_subplot()
        ax.add_patch(Rectangle((-1.5, -1.5), 3, 1.5, facecolor="#dbeef9", edgecolor="none"))
        ax.axhline(0, color="black", linewidth=1)
        ax.plot([0, 0], [-1.4, 1.4], linestyle="--", color="gray", linewidth=1)
        a1, a2 = math.radians(t1), math.radians(t2)
        ax.annotate(
            "",
            xy=(0, 0),
            xytext=(-1.3 * math.sin(a1), 1.3 * math.cos(a1)),
            arrowprops={"arrowstyle": "-|>", "color": "#d62728", "lw": 1.8},
        )
        ax.annotate(
            "",
            xy=(1.3 * math.sin(a2), -1.3 * math.cos(a2)),
            xytext=(0, 0),
            arrowprops={"arrowstyle": "-|>", "color": "#d62728", "lw": 1.8},
        )
        ax.add_patch(Arc((0, 0), 0.9, 0.9, theta1=90, theta2=90 + t1, lw=1))
        ax.add_patch(Arc((0, 0), 0.9, 0.9, theta1=270, theta2=270 + t2, lw=1))
        ax.text(-0.28, 0.55, f"{t1}°", fontsize=9)
        ax.text(0.1, -0.62, f"{t2}°", fontsize=9)
        ax.text(-1.4, 1.2, "air", fontsize=9)
        ax.text(-1.4, -1.35, "medium 2", fontsize=9)
        ax.set_xlim(-1.5, 1.5)
        ax.set_ylim(-1.5, 1.5)
        clean_axes(ax)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)

    side = rng.randrange(280, 441, 20)
    return Item(
        "Optics",
        compose(rng, "Physics", context, ask),
        tx.display(body, rng),
        "expression",
        [figure_job(rng, (side, side), draw)],
    )


def _cart_job(rng: random.Random, mass: int, velocity: int, name: str) -> ImageJob:
    w, h = rng.randrange(300, 461, 20), rng.randrange(200, 281, 20)
    photo = rng.random() < 0.6
    bg_seed = rng.getrandbits(32)
    body_color = rng.choice([(200, 60, 50), (50, 90, 170), (60, 140, 70), (210, 150, 40)])

    def draw():
        if photo:
            img = photo_background(
                random.Random(bg_seed), w, h, (225, 228, 232), (150, 140, 125), noise=5
            )
            d = ImageDraw.Draw(img)
        else:
            img, d = blank(w, h)
        ground = int(h * 0.78)
        d.line([(0, ground), (w, ground)], fill=(60, 60, 60), width=3)
        cw, ch = int(w * 0.36), int(h * 0.26)
        x0 = (w - cw) // 2
        d.rectangle(
            [x0, ground - ch - 16, x0 + cw, ground - 16],
            fill=body_color,
            outline=(20, 20, 20),
            width=2,
        )
        for cx in (x0 + cw // 5, x0 + 4 * cw // 5):
            d.ellipse([cx - 9, ground - 18, cx + 9, ground], fill=(30, 30, 30))
        d.text(
            (x0 + 8, ground - ch - 8), f"{mass} kg", fill=(255, 255, 255), font=font(16, bold=True)
        )
        ay = ground - ch - 42
        sign = 1 if velocity > 0 else -1
        xa, xb = w // 2 - sign * 60, w // 2 + sign * 60
        d.line([(xa, ay), (xb, ay)], fill=(0, 0, 0), width=3)
        d.polygon([(xb, ay), (xb - sign * 12, ay - 7), (xb - sign * 12, ay + 7)], fill=(0, 0, 0))
        d.text((w // 2 - 30, ay - 28), f"{abs(velocity)} m/s", fill=(0, 0, 0), font=font(15))
        d.text((10, 8), name, fill=(0, 0, 0), font=font(14, bold=True))
        return img

    return ImageJob(draw=draw, fmt="JPEG" if photo else "PNG", mode="RGB")


@template("Physics", "multi_image", weight=3)
def sticky_collision(rng: random.Random) -> Item:
    k = rng.choice([2, 2, 3, 3, 4])
    masses = [rng.randint(1, 6) for _ in range(k)]
    vels = [rng.choice([-1, 1]) * rng.randint(1, 8) for _ in range(k)]
    momentum = sum(m * v for m, v in zip(masses, vels))
    v_final = Fraction(momentum, sum(masses))
    names = [f"Cart {chr(ord('A') + i)}" for i in range(k)]
    refs = "; ".join(f"Image {i + 1} shows {nm}" for i, nm in enumerate(names))
    context = [
        (
            f"The {k} images show {k} carts moving along the same straight, frictionless horizontal track just before "
            f"they collide. {refs}."
        ),
        "Each image gives the mass of the cart and the magnitude and direction of its velocity (the arrow).",
        "The carts collide and all stick together, moving off as a single body.",
        "No external horizontal forces act during the collisions, so the total momentum of the carts is conserved.",
    ]
    ask = (
        "What is the velocity of the combined carts after the collisions, in m/s? Take motion to the right as positive."
    )
    body, kind = tx.number_or_decimal(v_final, rng, p_decimal=0.7)
    return Item(
        "Mechanics",
        compose(rng, "Physics", context, ask),
        tx.display(body, rng),
        kind,
        [_cart_job(rng, m, v, nm) for m, v, nm in zip(masses, vels, names)],
    )
