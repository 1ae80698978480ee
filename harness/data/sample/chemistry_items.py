"""Chemistry templates: skeletal formulas (names, SMILES, formulas), complex ions, kinetics plots, energy
diagrams and Lewis-style molecule drawings."""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from harness.data.sample import latex as tx
from harness.data.sample.prose import compose
from harness.data.sample.render import PALETTE, clean_axes, figure_job, pick_size
from harness.data.sample.templates import Item, template

_PREFIX = ("meth", "eth", "prop", "but", "pent", "hex", "hept", "oct")


@dataclass(frozen=True)
class ChainMolecule:
    """An unbranched chain with at most one functional group; enough to name, draw and write as SMILES."""

    n: int  # carbons
    group: str  # alkane | alcohol | ketone | aldehyde | acid
    locant: int = 0  # carbon bearing the group (1-based, lowest-locant numbering)

    @property
    def name(self) -> str:
        stem = _PREFIX[self.n - 1]
        if self.group == "alkane":
            return f"{stem}ane"
        if self.group == "alcohol":
            return f"{stem}an-{self.locant}-ol"
        if self.group == "ketone":
            return f"{stem}an-{self.locant}-one"
        if self.group == "aldehyde":
            return f"{stem}anal"
        if self.group == "acid":
            return f"{stem}anoic acid"
        raise ValueError(self.group)

    @property
    def smiles(self) -> str:
        atoms = ["C"] * self.n
        if self.group == "alcohol":
            if self.locant == 1:
                return "O" + "".join(atoms)
            atoms[self.locant - 1] = "C(O)"
        elif self.group == "ketone":
            atoms[self.locant - 1] = "C(=O)"
        elif self.group == "aldehyde":
            return "".join(atoms) + "=O"
        elif self.group == "acid":
            return "".join(atoms) + "(=O)O"
        return "".join(atoms)

    @property
    def formula(self) -> list[tuple[str, int]]:
        h = 2 * self.n + 2 if self.group in ("alkane", "alcohol") else 2 * self.n
        o = {"alkane": 0, "alcohol": 1, "ketone": 1, "aldehyde": 1, "acid": 2}[self.group]
        return [("C", self.n), ("H", h), ("O", o)]


def random_chain(rng: random.Random) -> ChainMolecule:
    group = rng.choice(["alkane", "alcohol", "alcohol", "ketone", "aldehyde", "acid"])
    n = rng.randint(3, 8)
    if group == "alcohol":
        return ChainMolecule(n, group, rng.randint(1, (n + 1) // 2))
    if group == "ketone":
        return ChainMolecule(n, group, rng.randint(2, (n + 1) // 2))
    return ChainMolecule(n, group, 1 if group in ("aldehyde", "acid") else 0)


def _draw_chain(ax, mol: ChainMolecule, mirrored: bool) -> None:
    """Zigzag skeletal formula; carbon 1 sits at the right end unless mirrored."""
    n = mol.n
    dx, dy = math.cos(math.radians(30)), 0.5
    pts = [(i * dx, dy if i % 2 else 0.0) for i in range(n)]

    # index along the drawing of carbon number c (1-based)
    def at(c: int) -> int:
        return (c - 1) if mirrored else (n - c)

    def bond(p, q, double=False, side=1.0):
        ax.plot([p[0], q[0]], [p[1], q[1]], color="black", lw=1.6)
        if double:
            vx, vy = q[0] - p[0], q[1] - p[1]
            ln = math.hypot(vx, vy)
            ox, oy = -vy / ln * 0.09 * side, vx / ln * 0.09 * side
            ax.plot(
                [p[0] + ox + vx * 0.12, q[0] + ox - vx * 0.12],
                [p[1] + oy + vy * 0.12, q[1] + oy - vy * 0.12],
                color="black",
                lw=1.6,
            )

    for a, b in itertools.pairwise(pts):
        bond(a, b)

    def label(p, text):
        ax.text(
            p[0],
            p[1],
            text,
            ha="center",
            va="center",
            fontsize=12,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
        )

    def outward(i: int) -> tuple[float, float]:
        """Position continuing the zigzag beyond terminal carbon i."""
        step = 1 if i == n - 1 else -1
        j = i + step
        return (j * dx, dy if j % 2 else 0.0)

    if mol.group in ("alcohol", "ketone"):
        i = at(mol.locant)
        if i in (0, n - 1):
            q = outward(i)
            bond(pts[i], q)
            label(q, "OH")
        else:
            up = pts[i][1] > 0
            q = (pts[i][0], pts[i][1] + (0.9 if up else -0.9))
            bond(pts[i], q, double=mol.group == "ketone")
            label(q, "OH" if mol.group == "alcohol" else "O")
    elif mol.group in ("aldehyde", "acid"):
        i = at(1)
        q = outward(i)
        if mol.group == "aldehyde":
            bond(pts[i], q, double=True)
            label(q, "O")
        else:
            up = pts[i][1] > 0
            o = (pts[i][0], pts[i][1] + (0.9 if up else -0.9))
            bond(pts[i], o, double=True)
            label(o, "O")
            bond(pts[i], q)
            label(q, "OH")
    xs = [p[0] for p in pts]
    ax.set_xlim(min(xs) - 1.2, max(xs) + 1.2)
    ax.set_ylim(-1.3, 1.8)
    clean_axes(ax)


@template("Chemistry", "single_image", weight=4)
def skeletal_formula(rng: random.Random) -> Item:
    mol = random_chain(rng)
    mirrored = rng.random() < 0.5
    ask_kind = rng.choice(["name", "name", "smiles", "formula", "hydrogens"])
    if ask_kind == "name":
        ask = "Give the IUPAC name of the compound."
        answer, kind = mol.name, "text"
    elif ask_kind == "smiles":
        ask = "Write a SMILES string for the compound."
        answer, kind = tx.inline(mol.smiles), "text"
    elif ask_kind == "formula":
        ask = "What is the molecular formula of the compound (Hill order)?"
        answer, kind = tx.display(tx.chem_formula(mol.formula), rng), "expression"
    else:
        ask = "How many hydrogen atoms does one molecule of the compound contain?"
        answer, kind = tx.display(str(mol.formula[1][1]), rng), "integer"
    context = [
        "The figure shows the skeletal formula of an organic compound with an unbranched carbon chain.",
        (
            "Every line end and every vertex of the zigzag represents a carbon atom; hydrogen atoms on carbon are not "
            "drawn, and heteroatoms are written explicitly."
        ),
        "A double line represents a double bond.",
        (
            "Substitutive IUPAC nomenclature numbers the chain so that the principal characteristic group gets the "
            "lowest possible locant."
        ),
    ]

    def draw(fig):
        ax = fig.add_subplot()
        _draw_chain(ax, mol, mirrored)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)

    w = rng.randrange(320, 561, 20)
    return Item(
        "Organic Chemistry",
        compose(rng, "Chemistry", context, ask),
        answer,
        kind,
        [figure_job(rng, (w, max(200, int(w * 0.55) // 10 * 10)), draw, p_gray=0.25)],
    )


@dataclass(frozen=True)
class Complex:
    metal: str
    ligand: str  # as drawn
    ligand_charge: int
    count: int
    charge: int
    name: str

    @property
    def oxidation_state(self) -> int:
        return self.charge - self.count * self.ligand_charge


_COMPLEXES = (
    Complex("Cu", "NH3", 0, 4, 2, "tetraamminecopper(II)"),
    Complex("Co", "NH3", 0, 6, 3, "hexaamminecobalt(III)"),
    Complex("Fe", "CN", -1, 6, -3, "hexacyanidoferrate(III)"),
    Complex("Fe", "CN", -1, 6, -4, "hexacyanidoferrate(II)"),
    Complex("Ni", "CO", 0, 4, 0, "tetracarbonylnickel(0)"),
    Complex("Ag", "NH3", 0, 2, 1, "diamminesilver(I)"),
    Complex("Pt", "Cl", -1, 4, -2, "tetrachloridoplatinate(II)"),
    Complex("Zn", "OH", -1, 4, -2, "tetrahydroxidozincate(II)"),
    Complex("Cr", "H2O", 0, 6, 3, "hexaaquachromium(III)"),
    Complex("Co", "Cl", -1, 4, -2, "tetrachloridocobaltate(II)"),
)
_LIGAND_TEX = {"NH3": "NH$_3$", "CN": "CN", "CO": "CO", "Cl": "Cl", "OH": "OH", "H2O": "H$_2$O"}


def _charge_text(q: int) -> str:
    if q == 0:
        return ""
    mag = "" if abs(q) == 1 else str(abs(q))
    return f"{mag}{'+' if q > 0 else '−'}"


@template("Chemistry", "single_image", weight=2)
def complex_ion(rng: random.Random) -> Item:
    cx = rng.choice(_COMPLEXES)
    ask_kind = rng.choice(["name", "oxidation", "oxidation", "coordination"])
    if ask_kind == "name":
        ask = (
            "Give the IUPAC name of the complex shown (2005 recommendations, e.g. 'chlorido', 'cyanido'), "
            "without the word 'ion'."
        )
        answer, kind = cx.name, "text"
    elif ask_kind == "oxidation":
        ask = "What is the oxidation state of the central metal atom?"
        ox = cx.oxidation_state
        answer, kind = tx.display(f"+{ox}" if ox > 0 else str(ox), rng), "integer"
    else:
        ask = "What is the coordination number of the central metal atom?"
        answer, kind = tx.display(str(cx.count), rng), "integer"
    context = [
        (
            "The figure shows a coordination complex: a central metal atom surrounded by its ligands, with the overall "
            "charge written outside the square brackets (no charge is written for a neutral complex)."
        ),
        "Each line joins the metal to one donor atom; all ligands shown are monodentate.",
        "Ammine is NH3, aqua is H2O, carbonyl is CO, cyanido is CN-, chlorido is Cl- and hydroxido is OH-.",
        "The geometry in the drawing is schematic.",
    ]
    lig = _LIGAND_TEX[cx.ligand]

    def draw(fig):
        ax = fig.add_subplot()
        angles = {2: [0, 180], 4: [45, 135, 225, 315], 6: [0, 60, 120, 180, 240, 300]}[cx.count]
        for a in angles:
            x, y = math.cos(math.radians(a)), math.sin(math.radians(a))
            ax.plot([0.25 * x, 0.75 * x], [0.25 * y, 0.75 * y], color="black", lw=1.5)
            ax.text(x, y, lig, ha="center", va="center", fontsize=11)
        ax.text(0, 0, cx.metal, ha="center", va="center", fontsize=14, weight="bold")
        ax.plot([-1.45, -1.55, -1.55, -1.45], [1.3, 1.3, -1.3, -1.3], color="black", lw=1.5)
        ax.plot([1.45, 1.55, 1.55, 1.45], [1.3, 1.3, -1.3, -1.3], color="black", lw=1.5)
        ax.text(1.62, 1.25, _charge_text(cx.charge), fontsize=12)
        ax.set_xlim(-1.8, 2.1)
        ax.set_ylim(-1.5, 1.5)
        clean_axes(ax)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)

    side = rng.randrange(280, 421, 20)
    return Item(
        "Inorganic Chemistry",
        compose(rng, "Chemistry", context, ask),
        answer,
        kind,
        [figure_job(rng, (side + 40, side), draw)],
    )


@template("Chemistry", "single_image", weight=2)
def first_order_decay(rng: random.Random) -> Item:
    c0 = rng.choice(
        [Fraction(4, 5), Fraction(8, 5), Fraction(16, 25), Fraction(2), Fraction(6, 5), Fraction(1)]
    )
    half = rng.choice([10, 15, 20, 25, 30, 40])
    unit = rng.choice(["s", "min"])
    ask_kind = rng.choice(["conc", "rate", "time"])
    n = rng.randint(2, 4)
    if ask_kind == "conc":
        ask = f"What is the concentration of A, in mol/L, at t = {n * half} {unit}?"
        body, kind = tx.decimal(c0 / 2**n), "decimal"
    elif ask_kind == "rate":
        ask = f"What is the exact rate constant k of the reaction, in {unit}^-1?"
        body, kind = f"\\frac{{\\ln 2}}{{{half}}}", "expression"
    else:
        ask = f"After how many {unit} does the concentration of A fall to {tx.decimal(c0 / 2**n)} mol/L?"
        body, kind = str(n * half), "integer"
    context = [
        (
            "Compound A decomposes in a first-order reaction. The plot shows the concentration of A against time, "
            f"starting from [A]_0 = {tx.decimal(c0)} mol/L."
        ),
        "The half-life of the reaction is marked on the plot with dashed lines.",
        (
            "For a first-order reaction the half-life does not depend on the initial concentration, and "
            "[A] = [A]_0 e^(-kt)."
        ),
        "The temperature was constant throughout the experiment.",
    ]

    def draw(fig):
        ax = fig.add_subplot()
        tt = np.linspace(0, 4.5 * half, 200)
        ax.plot(tt, float(c0) * 0.5 ** (tt / half), color=PALETTE[2], lw=2)
        ax.plot([half, half], [0, float(c0) / 2], "--", color="gray", lw=1)
        ax.plot([0, half], [float(c0) / 2, float(c0) / 2], "--", color="gray", lw=1)
        ax.annotate(
            f"$t_{{1/2}}$ = {half} {unit}",
            (half, float(c0) / 2),
            textcoords="offset points",
            xytext=(8, 8),
            fontsize=8,
        )
        ax.annotate(
            f"[A]$_0$ = {tx.decimal(c0)} M",
            (0, float(c0)),
            textcoords="offset points",
            xytext=(8, -4),
            fontsize=8,
        )
        ax.set_xlim(0, 4.5 * half)
        ax.set_ylim(0, float(c0) * 1.1)
        ax.set_xlabel(f"time ({unit})", fontsize=8)
        ax.set_ylabel("[A] (mol/L)", fontsize=8)
        ax.tick_params(labelsize=7)
        fig.subplots_adjust(left=0.14, right=0.97, bottom=0.14, top=0.96)

    return Item(
        "Physical Chemistry",
        compose(rng, "Chemistry", context, ask),
        tx.display(body, rng),
        kind,
        [figure_job(rng, pick_size(rng), draw)],
    )


@template("Chemistry", "multi_panel", weight=2)
def energy_profiles(rng: random.Random) -> Item:
    k = rng.choice([2, 2, 3])
    species = ["A", "B", "C", "D"][: k + 1]
    steps = []
    for _ in range(k):
        h_r = rng.randrange(-200, 201, 10) + rng.randint(0, 9)
        dh = rng.choice([-1, 1]) * rng.randint(12, 140)
        ea = rng.randint(max(20, dh + 15), max(20, dh + 15) + 120)
        steps.append((h_r, h_r + dh, h_r + ea))
    if rng.random() < 0.6:
        total = sum(p - r for r, p, _ in steps)
        ask = (
            f"Using the diagrams, find the enthalpy change for the overall reaction {species[0]} -> {species[-1]}, "
            "in kJ/mol."
        )
        value = total
    else:
        i = rng.randrange(k)
        ask = f"What is the activation energy of the forward step shown in panel ({'abc'[i]}), in kJ/mol?"
        value = steps[i][2] - steps[i][0]
    context = [
        f"The figure has {k} panels, one for each elementary step of a reaction sequence: "
        + ", ".join(f"panel ({'abc'[i]}) shows {species[i]} -> {species[i + 1]}" for i in range(k))
        + ".",
        (
            "In each panel the enthalpies of the reactant, the transition state and the product are printed next to "
            "the "
            "corresponding levels, in kJ/mol; each panel uses its own reference zero."
        ),
        "Enthalpy is a state function, so the enthalpy changes of consecutive steps can be added (Hess's law).",
        "The activation energy of a step is the difference between the transition state and the reactant level.",
    ]

    def draw(fig):
        axes = fig.subplots(1, k)
        for i, (ax, (h_r, h_p, h_ts)) in enumerate(zip(axes, steps)):
            xs = np.linspace(0, 1, 60)
            curve = np.concatenate(
                [
                    [h_r],
                    h_r
                    + (h_p - h_r) * (3 * xs**2 - 2 * xs**3)
                    + (h_ts - (h_r + h_p) / 2) * np.sin(np.pi * xs) ** 2,
                    [h_p],
                ]
            )
            xx = np.concatenate([[-0.25], xs, [1.25]])
            ax.plot(xx, curve, color=PALETTE[i], lw=1.8)
            lo, hi = min(h_r, h_p, h_ts), max(h_r, h_p, h_ts)
            pad = 0.25 * (hi - lo)
            ax.text(-0.25, h_r + 0.05 * (hi - lo), f"{species[i]}: {h_r}", fontsize=7)
            ax.text(0.85, h_p + 0.05 * (hi - lo), f"{species[i + 1]}: {h_p}", fontsize=7)
            ax.text(0.5, h_ts + 0.05 * (hi - lo), f"TS: {h_ts}", fontsize=7, ha="center")
            ax.set_ylim(lo - pad, hi + pad)
            ax.set_xlim(-0.3, 1.35)
            ax.set_xticks([])
            ax.tick_params(labelsize=6)
            ax.set_xlabel("reaction coordinate", fontsize=7)
            if i == 0:
                ax.set_ylabel("H (kJ/mol)", fontsize=7)
            ax.set_title(f"({'abc'[i]})", fontsize=9, loc="left")
        fig.subplots_adjust(left=0.09, right=0.98, bottom=0.12, top=0.88, wspace=0.3)

    size = (rng.randrange(520, 641, 20), rng.randrange(240, 321, 20))
    return Item(
        "Physical Chemistry",
        compose(rng, "Chemistry", context, ask),
        tx.display(str(value), rng),
        "integer",
        [figure_job(rng, size, draw)],
    )


@dataclass(frozen=True)
class Molecule:
    formula: str
    center: str
    terminal: str
    n_terminal: int
    lone_pairs: int
    double: bool
    geometry: str


_MOLECULES = (
    Molecule("CH4", "C", "H", 4, 0, False, "tetrahedral"),
    Molecule("NH3", "N", "H", 3, 1, False, "trigonal pyramidal"),
    Molecule("H2O", "O", "H", 2, 2, False, "bent"),
    Molecule("CO2", "C", "O", 2, 0, True, "linear"),
    Molecule("BF3", "B", "F", 3, 0, False, "trigonal planar"),
    Molecule("H2S", "S", "H", 2, 2, False, "bent"),
    Molecule("PCl3", "P", "Cl", 3, 1, False, "trigonal pyramidal"),
)


def _molecule_job(rng: random.Random, mol: Molecule, caption: str):
    bond_angles = {
        (4, 0): [90, 210, 330, 270],
        (3, 1): [210, 330, 270],
        (2, 2): [215, 325],
        (2, 0): [0, 180],
        (3, 0): [90, 210, 330],
    }[(mol.n_terminal, mol.lone_pairs)]
    lp_angles = {0: [], 1: [90], 2: [60, 120]}[mol.lone_pairs]

    def draw(fig):
        ax = fig.add_subplot()
        for a in bond_angles:
            x, y = math.cos(math.radians(a)), math.sin(math.radians(a))
            if mol.double:
                ox, oy = -y * 0.05, x * 0.05
                for s in (1, -1):
                    ax.plot(
                        [0.22 * x + s * ox, 0.78 * x + s * ox],
                        [0.22 * y + s * oy, 0.78 * y + s * oy],
                        color="black",
                        lw=1.5,
                    )
            else:
                ax.plot([0.22 * x, 0.78 * x], [0.22 * y, 0.78 * y], color="black", lw=1.5)
            ax.text(x, y, mol.terminal, ha="center", va="center", fontsize=13)
        for a in lp_angles:
            x, y = math.cos(math.radians(a)) * 0.32, math.sin(math.radians(a)) * 0.32
            px, py = -math.sin(math.radians(a)) * 0.06, math.cos(math.radians(a)) * 0.06
            ax.plot([x + px, x - px], [y + py, y - py], "o", color="black", markersize=3)
        ax.text(0, 0, mol.center, ha="center", va="center", fontsize=15, weight="bold")
        ax.text(0, -1.45, caption, ha="center", fontsize=10)
        ax.set_xlim(-1.4, 1.4)
        ax.set_ylim(-1.6, 1.4)
        clean_axes(ax)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)

    side = rng.randrange(220, 321, 20)
    return figure_job(rng, (side, side), draw, p_jpeg=0.3, p_gray=0.2)


@template("Chemistry", "multi_image", weight=3)
def lewis_structures(rng: random.Random) -> Item:
    k = rng.choice([2, 3, 3, 4])
    mols = rng.sample(_MOLECULES, k)
    refs = "; ".join(f"Image {i + 1} shows molecule {i + 1}" for i in range(k))
    context = [
        f"Each of the {k} images shows the structure of one small molecule. {refs}.",
        "Lone pairs on the central atom are drawn as pairs of dots; lone pairs on the outer atoms are omitted.",
        (
            "VSEPR theory predicts the shape of a molecule from the number of bonding domains and lone pairs around "
            "the "
            "central atom; a double bond counts as a single domain."
        ),
        "The drawings are schematic and do not show the true bond angles.",
    ]
    if rng.random() < 0.5:
        ask = f"What is the total number of lone pairs on the central atoms of all {k} molecules shown?"
        answer, kind = tx.display(str(sum(m.lone_pairs for m in mols)), rng), "integer"
    else:
        i = rng.randrange(k)
        ask = f"According to VSEPR theory, what is the molecular geometry of the molecule in Image {i + 1}?"
        answer, kind = mols[i].geometry, "text"
    return Item(
        "Inorganic Chemistry",
        compose(rng, "Chemistry", context, ask),
        answer,
        kind,
        [_molecule_job(rng, m, f"molecule {i + 1}") for i, m in enumerate(mols)],
    )
