"""The bundled offline sample: real-schema parquet, every domain/format/answer kind, honest answers, and
byte-identical regeneration."""

from __future__ import annotations

import collections
import hashlib
import io
import math
import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from latex2sympy2_extended import latex2sympy
from PIL import Image

from harness.data.sample import (
    COLUMNS,
    SAMPLE_VERSION,
    build,
    generate_sample,
    latex,
    plan_sample,
    sample_features,
)
from harness.data.sample.chemistry_items import _COMPLEXES, ChainMolecule
from harness.data.sample.physics_items import _component, equivalent_resistance
from harness.data.sample.templates import ANSWER_KINDS, REGISTRY

SMALL = 40  # one full pass of the schedule holds every template once, so 40 rows cover all of them
DOMAINS = {"Math", "Physics", "Chemistry", "Biology"}
FORMATS = {"single_image", "multi_image", "multi_panel"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def small_path(tmp_path_factory) -> Path:
    return generate_sample(
        tmp_path_factory.mktemp("sample") / "train.parquet", n_rows=SMALL, seed=0
    )


@pytest.fixture(scope="module")
def small_ds(small_path, tmp_path_factory) -> datasets.Dataset:
    cache = tmp_path_factory.mktemp("hf-cache")
    return datasets.load_dataset(
        "parquet", data_files=str(small_path), split="train", cache_dir=str(cache)
    )


@pytest.fixture(scope="module")
def raw_images(small_path) -> list[list[bytes]]:
    table = pq.read_table(small_path, columns=["images"])
    return [[img["bytes"] for img in row] for row in table.column("images").to_pylist()]


@pytest.fixture(scope="module")
def default_plan():
    return plan_sample()  # the default 320 rows, planned without rendering


def test_sample_version_is_a_nonempty_string():
    assert isinstance(SAMPLE_VERSION, str) and SAMPLE_VERSION.strip()


def test_load_dataset_yields_the_real_schema_and_decodes_images_to_pil(small_ds):
    assert small_ds.num_rows == SMALL
    assert list(small_ds.features) == list(COLUMNS)
    assert small_ds.features == sample_features()
    for name in COLUMNS[:-1]:
        assert small_ds.features[name] == datasets.Value("string")
    for row in small_ds:
        assert all(isinstance(row[name], str) and row[name] for name in COLUMNS[:-1])
        assert 1 <= len(row["images"]) <= 4
        for img in row["images"]:
            assert isinstance(img, Image.Image)


def test_parquet_images_are_bytes_path_structs(small_path):
    images_type = pq.read_schema(small_path).field("images").type
    struct = images_type.value_type
    assert {struct.field(i).name for i in range(struct.num_fields)} == {"bytes", "path"}


def test_every_domain_and_format_present_with_valid_image_counts(small_ds):
    assert set(small_ds["domain"]) == DOMAINS
    assert set(small_ds["format"]) == FORMATS
    for fmt, images in zip(small_ds["format"], small_ds["images"]):
        if fmt == "multi_image":
            assert 2 <= len(images) <= 4
        else:
            assert len(images) == 1, fmt


def test_images_mix_png_and_jpeg_modes_and_sizes_and_are_never_black(raw_images):
    formats, modes = collections.Counter(), collections.Counter()
    for row in raw_images:
        for data in row:
            with Image.open(io.BytesIO(data)) as img:
                formats[img.format] += 1
                modes[img.mode] += 1
                assert all(200 <= side <= 640 for side in img.size), img.size
                extrema = img.convert("L").getextrema()
                assert extrema[1] > 0, "all-black image (Idefics3 treats it as padding)"
                assert not img.info.get("exif") and "Software" not in img.info
    assert set(formats) == {"PNG", "JPEG"}
    assert "RGB" in modes and ({"RGBA", "L"} & set(modes))


def test_regenerating_is_byte_identical_in_process_and_in_a_subprocess(small_path, tmp_path):
    first = generate_sample(tmp_path / "a.parquet", n_rows=6, seed=3)
    second = generate_sample(tmp_path / "b.parquet", n_rows=6, seed=3)
    assert sha256(first) == sha256(second)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    code = (
        "import sys; from harness.data.sample import generate_sample; "
        "generate_sample(sys.argv[1], n_rows=6, seed=3)"
    )
    out = tmp_path / "c.parquet"
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env, timeout=300)
    assert sha256(out) == sha256(first)
    other_seed = generate_sample(tmp_path / "d.parquet", n_rows=6, seed=4)
    assert sha256(other_seed) != sha256(first)


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path, monkeypatch):
    target = tmp_path / "out" / "train.parquet"
    generate_sample(target, n_rows=2)
    before = sha256(target)

    def broken(job, *, where=""):
        raise RuntimeError(f"boom at {where}")

    monkeypatch.setattr(build, "encode", broken)
    with pytest.raises(RuntimeError, match="boom at row 0"):
        generate_sample(target, n_rows=2, seed=9)
    assert sha256(target) == before  # the old file survives a failed regeneration
    assert sorted(p.name for p in target.parent.iterdir()) == ["train.parquet"]


def test_row_content_depends_only_on_seed_and_index():
    short, longer = plan_sample(7, seed=1), plan_sample(SMALL, seed=1)
    assert [r.record for r in short] == [r.record for r in longer[:7]]
    assert [r.record for r in plan_sample(7, seed=2)] != [r.record for r in short]


def test_rejects_nonpositive_row_counts():
    with pytest.raises(ValueError, match="n_rows"):
        plan_sample(0)


def test_default_composition_covers_domains_subdomains_formats_and_answer_kinds(default_plan):
    rows = [r.record for r in default_plan]
    assert len(rows) == 320
    assert len({r["conversation_id"] for r in rows}) == 320
    domains = collections.Counter(r["domain"] for r in rows)
    assert set(domains) == DOMAINS
    assert 0.28 <= domains["Math"] / 320 <= 0.45 and domains.most_common(1)[0][0] == "Math"
    for domain in DOMAINS:
        assert len({r["subDomain"] for r in rows if r["domain"] == domain}) >= 3, domain
    subs = {r["subDomain"] for r in rows}
    assert "Combinatorics " in subs and " Differential geometry" in subs
    formats = collections.Counter(r["format"] for r in rows)
    assert set(formats) == FORMATS and formats["single_image"] > formats["multi_image"] > 0
    multi_counts = {len(p.images) for p in default_plan if p.record["format"] == "multi_image"}
    assert multi_counts == {2, 3, 4}
    assert set(ANSWER_KINDS) == {p.answer_kind for p in default_plan}
    assert {p.template for p in default_plan} == set(REGISTRY)
    assert len(REGISTRY) <= SMALL, "the small fixture no longer covers every template; raise SMALL"
    authors = {r["author_id"] for r in rows}
    assert 3 <= len(authors) <= 12


def test_answers_have_the_real_data_styles(default_plan):
    answers = [p.record["answer"] for p in default_plan]
    display = [a for a in answers if "\\[" in a]
    assert len(display) > len(answers) / 2
    assert any("\r\n" in a for a in answers)
    assert any(a.startswith("\n\\[\n") for a in answers)
    assert any(re.fullmatch(r"\\\[.*\S \\\]", a) for a in answers)  # `\[-\frac{71}{4} \]` style
    assert any("\\(" in a for a in answers)  # SMILES in inline math
    plain = [a for a in answers if "\\[" not in a and "\\(" not in a]
    assert any(re.fullmatch(r"[A-Z][a-z]+", a) for a in plain)  # e.g. Anterior
    assert any(re.fullmatch(r"[A-D]", a) for a in plain)
    assert any(re.search(r"-\d+-(ol|one)$|anoic acid$", a) for a in plain)  # IUPAC names


def test_question_lengths_resemble_the_real_data(default_plan):
    lengths = sorted(len(p.record["question"]) for p in default_plan)
    mean = sum(lengths) / len(lengths)
    assert 650 <= mean <= 1400
    assert lengths[len(lengths) * 9 // 10] >= 1300 and lengths[0] >= 150


def test_questions_refer_to_every_image_and_panel_and_list_choice_options(default_plan):
    for p in default_plan:
        q, fmt = p.record["question"], p.record["format"]
        if fmt == "multi_image":
            for k in range(1, len(p.images) + 1):
                assert f"Image {k}" in q, (p.template, k)
        if fmt == "multi_panel":
            assert "(a)" in q and "(b)" in q, p.template
        if p.answer_kind == "choice":
            letter = p.record["answer"].strip("\\[]")
            assert f"({letter})" in q or f"arrow {letter}" in q or re.search(r"\bA-D\b", q), (
                p.template
            )


# --- exact answer formatting -------------------------------------------------------------------------

fractions_st = st.fractions(min_value=-500, max_value=500, max_denominator=60)


def sympy_value(tex: str):
    return latex2sympy(tex)


@given(fractions_st)
def test_number_renders_the_exact_fraction(q):
    assert Fraction(str(sympy_value(latex.number(q)))) == q


@given(st.integers(-(10**6), 10**6), st.integers(0, 6), st.integers(0, 6))
def test_decimal_is_exact_for_terminating_fractions(n, twos, fives):
    q = Fraction(n, 2**twos * 5**fives)
    text = latex.decimal(q)
    assert Fraction(text) == q and not (("." in text) and text.endswith("0"))


def test_decimal_refuses_repeating_fractions():
    with pytest.raises(ValueError):
        latex.decimal(Fraction(1, 3))


@given(fractions_st.filter(lambda q: q != 0), st.integers(1, 400))
def test_radical_equals_coefficient_times_root(coef, n):
    value = float(sympy_value(latex.radical(coef, n)))
    assert math.isclose(value, float(coef) * math.sqrt(n), rel_tol=1e-9)


@given(st.lists(st.integers(-9, 9), min_size=1, max_size=4))
def test_polynomial_round_trips(coeffs):
    import sympy

    x = sympy.Symbol("x")
    expected = sum(c * x ** (len(coeffs) - 1 - i) for i, c in enumerate(coeffs))
    assert sympy.simplify(sympy_value(latex.polynomial(coeffs)) - expected) == 0


def test_display_wrappers_keep_the_body():
    import random

    rng = random.Random(0)
    for _ in range(50):
        wrapped = latex.display("-\\frac{71}{4}", rng)
        assert wrapped.strip().startswith("\\[") and wrapped.strip().endswith("\\]")
        assert wrapped.replace("\r\n", "\n").strip()[2:-2].strip() == "-\\frac{71}{4}"


# --- domain facts behind the gold answers ------------------------------------------------------------


def test_equivalent_resistance_of_each_layout():
    assert equivalent_resistance("series", [2, 3, 4]) == 9
    assert equivalent_resistance("series_parallel", [15, 5, 10]) == Fraction(55, 3)
    assert equivalent_resistance("parallel", [2, 3, 6]) == 1
    assert equivalent_resistance("branch_series", [2, 4, 6]) == 3
    with pytest.raises(ValueError, match="layout"):
        equivalent_resistance("star", [1, 2, 3])


@pytest.mark.parametrize("angle", [30, 45, 60, 120, 135, 150, 210, 225, 240, 300, 315, 330])
def test_force_components_are_exact(angle):
    fx, fy = _component(40, angle)
    assert math.isclose(float(sympy_value(fx)), 40 * math.cos(math.radians(angle)), abs_tol=1e-9)
    assert math.isclose(float(sympy_value(fy)), 40 * math.sin(math.radians(angle)), abs_tol=1e-9)


@pytest.mark.parametrize(
    ("mol", "name", "smiles", "formula"),
    [
        (ChainMolecule(4, "alcohol", 2), "butan-2-ol", "CC(O)CC", [("C", 4), ("H", 10), ("O", 1)]),
        (ChainMolecule(3, "alcohol", 1), "propan-1-ol", "OCCC", [("C", 3), ("H", 8), ("O", 1)]),
        (
            ChainMolecule(5, "ketone", 3),
            "pentan-3-one",
            "CCC(=O)CC",
            [("C", 5), ("H", 10), ("O", 1)],
        ),
        (ChainMolecule(4, "acid", 1), "butanoic acid", "CCCC(=O)O", [("C", 4), ("H", 8), ("O", 2)]),
        (ChainMolecule(3, "aldehyde", 1), "propanal", "CCC=O", [("C", 3), ("H", 6), ("O", 1)]),
        (ChainMolecule(6, "alkane"), "hexane", "CCCCCC", [("C", 6), ("H", 14), ("O", 0)]),
    ],
)
def test_chain_molecule_name_smiles_formula(mol, name, smiles, formula):
    assert (mol.name, mol.smiles, mol.formula) == (name, smiles, formula)


def test_complex_names_agree_with_computed_oxidation_states():
    roman = {"0": 0, "I": 1, "II": 2, "III": 3}
    for cx in _COMPLEXES:
        stated = re.search(r"\(([0IV]+)\)$", cx.name).group(1)
        assert roman[stated] == cx.oxidation_state, cx.name
        assert cx.name.endswith("ate(" + stated + ")") == (cx.charge < 0), cx.name


@pytest.mark.slow
def test_full_default_sample_is_light(tmp_path):
    path = generate_sample(tmp_path / "train.parquet")
    assert path.stat().st_size < 15 * 2**20
    assert pq.ParquetFile(path).metadata.num_rows == 320
