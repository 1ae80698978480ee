"""Schema mapping, image-column detection and errors on bad input."""

from __future__ import annotations

import json

import datasets
import pytest
from data_factory import encoded_image, image_dict, open_mm_rl_dataset
from datasets import Features, Value
from datasets import Image as HFImage
from PIL import Image

from harness.data import (
    ColumnTypeError,
    DataSourceError,
    EmptyDatasetError,
    MissingColumnError,
    load_dataset,
)
from harness.data.images import open_image
from harness.data.normalize import normalize
from harness.data.schema import CANONICAL_COLUMNS, normalize_format


def test_open_mm_rl_columns_map_to_canonical_record():
    ds = normalize(open_mm_rl_dataset(8))
    assert list(ds.column_names[: len(CANONICAL_COLUMNS)]) == list(CANONICAL_COLUMNS)
    assert "author_id" in ds.column_names  # extras are kept as-is
    row = ds[0]
    assert row["id"] == "conv-000"
    assert row["sub_domain"] == "Combinatorics"  # stray spaces stripped
    assert ds[1]["sub_domain"] == "Optics"
    assert row["format"] == "single_image"  # "Single image" -> snake_case
    assert row["answer"] == "\\[12\\]"  # gold kept exactly as given
    assert ds[3]["answer"] == "\r\n\\[7396\\pi\\]\r\n"
    assert [len(r) for r in ds["images"]] == [1, 2, 3, 1, 2, 3, 1, 2]
    img = open_image(ds[2]["images"][1])
    assert img.size == (16, 12)


@pytest.mark.parametrize(
    "value,n,expected",
    [
        ("Single image", 1, "single_image"),
        ("Multi-image", 2, "multi_image"),
        ("multi_panel", 1, "multi_panel"),
        ("MULTI PANEL", 1, "multi_panel"),
        (None, 3, "multi_image"),
        ("", 1, "single_image"),
    ],
)
def test_format_normalisation(value, n, expected):
    assert normalize_format(value, n) == expected


def test_image_columns_detected_by_type_not_name_and_merged():
    raw = datasets.Dataset.from_dict(
        {
            "problem": ["p0", "p1"],
            "solution": ["1", "2"],
            "first": [image_dict((255, 0, 0)), image_dict((0, 255, 0))],
            "second": [image_dict((0, 0, 255)), image_dict((9, 9, 9))],
            "note": ["n0", "n1"],
        },
        features=Features(
            {
                "problem": Value("string"),
                "solution": Value("string"),
                "first": HFImage(),
                "second": HFImage(),
                "note": Value("string"),
            }
        ),
    )
    ds = normalize(raw, column_map={"answer": "solution"})
    assert ds["question"] == ["p0", "p1"]
    assert ds["answer"] == ["1", "2"]
    assert [len(x) for x in ds["images"]] == [2, 2]
    assert ds["domain"] == ["Unknown", "Unknown"]
    assert ds["format"] == ["multi_image", "multi_image"]
    assert ds["note"] == ["n0", "n1"]
    assert len(set(ds["id"])) == 2


def test_image_dicts_without_feature_type_are_detected(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.png").write_bytes(encoded_image((1, 2, 3)))
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"question": "q", "answer": "a", "pics": [{"path": "img/a.png", "bytes": None}]}) + "\n")
    ds = load_dataset(str(path))
    assert len(ds["images"][0]) == 1
    assert open_image(ds[0]["images"][0]).getpixel((0, 0)) == (1, 2, 3)


def test_missing_question_column_names_it_and_what_was_found():
    raw = datasets.Dataset.from_dict(
        {"text": ["x"], "answer": ["1"], "img": [image_dict((1, 1, 1))]},
        features=Features({"text": Value("string"), "answer": Value("string"), "img": HFImage()}),
    )
    with pytest.raises(MissingColumnError) as err:
        normalize(raw)
    message = str(err.value)
    assert "'question'" in message and "text" in message and "column_map" in message


def test_unknown_override_column_is_an_error():
    with pytest.raises(MissingColumnError, match="nope"):
        normalize(open_mm_rl_dataset(2), column_map={"question": "nope"})


def test_wrong_type_for_question_is_an_error():
    raw = datasets.Dataset.from_dict(
        {"question": [1, 2], "answer": ["1", "2"], "img": [image_dict((1, 1, 1))] * 2},
        features=Features({"question": Value("int64"), "answer": Value("string"), "img": HFImage()}),
    )
    with pytest.raises(ColumnTypeError, match="question"):
        normalize(raw)


def test_no_image_column_is_an_error():
    raw = datasets.Dataset.from_dict({"question": ["q"], "answer": ["a"]})
    with pytest.raises(MissingColumnError, match="images"):
        normalize(raw)


def test_empty_dataset_is_an_error(tmp_path):
    empty = open_mm_rl_dataset(2).select([])
    with pytest.raises(EmptyDatasetError):
        normalize(empty)
    path = tmp_path / "empty.parquet"
    empty.to_parquet(str(path))
    with pytest.raises(EmptyDatasetError):
        load_dataset(str(path))


def test_unknown_source_is_a_clear_error():
    with pytest.raises(DataSourceError, match="neither 'sample'"):
        load_dataset("no such thing here")


def test_local_sources_parquet_folder_and_save_to_disk(tmp_path):
    raw = open_mm_rl_dataset(6)
    raw.to_parquet(str(tmp_path / "train-00000.parquet"))
    from_file = load_dataset(str(tmp_path / "train-00000.parquet"))
    from_folder = load_dataset(str(tmp_path))
    raw.save_to_disk(str(tmp_path / "saved"))
    from_disk = load_dataset(str(tmp_path / "saved"))
    for ds in (from_file, from_folder, from_disk):
        assert ds["id"] == [f"conv-{i:03d}" for i in range(6)]
        assert ds["sub_domain"][0] == "Combinatorics"
        assert open_image(ds[4]["images"][1]).size == (16, 12)


def test_pil_images_are_accepted():
    img = Image.new("RGB", (5, 4), (10, 20, 30))
    raw = datasets.Dataset.from_dict({"question": ["q"], "answer": ["a"], "image": [img]})
    ds = normalize(raw)
    assert open_image(ds[0]["images"][0]).getpixel((0, 0)) == (10, 20, 30)
