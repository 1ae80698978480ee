"""`mmrl export` end to end (with the real answer classifier), prompt building properties, and the bundled sample."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_grpo_data_export import raw_dataset
from typer.testing import CliRunner

from harness.cli import app
from harness.data.prompt import IMAGE_TOKEN, PromptSpec, image_slots
from harness.grpo_data import load_grpo_dataset, read_manifest, verify_export
from harness.grpo_data.formats import json_line


@pytest.fixture(scope="module")
def parquet_source(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("src") / "train.parquet"
    raw_dataset(12).to_parquet(str(path))
    return path


def test_cli_exports_trl_with_the_real_answer_classifier(parquet_source, tmp_path):
    from harness.grpo_data.export import _default_classifier

    out = tmp_path / "export"
    result = CliRunner().invoke(
        app, ["export", str(parquet_source), "--out", str(out), "--system-prompt", "Solve it.", "--seed", "1"]
    )
    assert result.exit_code == 0, result.output
    manifest = verify_export(out)
    assert manifest["source"] == str(parquet_source)
    assert manifest["prompt"]["system_prompt"] == "Solve it."
    assert manifest["split"]["seed"] == 1 and set(manifest["splits"]) == {"train", "eval"}
    classify = _default_classifier()
    rows = [json.loads(line) for line in (out / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows and all(r["answer_type"] == classify(r["answer"]) for r in rows)
    assert all(r["prompt"][0] == {"role": "system", "content": [{"type": "text", "text": "Solve it."}]} for r in rows)


def test_cli_exports_one_verl_split(parquet_source, tmp_path):
    out = tmp_path / "verl"
    result = CliRunner().invoke(app, ["export", str(parquet_source), "-o", str(out), "--format", "verl",
                                      "--split", "eval", "--eval-fraction", "0.5"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.parquet")) == ["eval.parquet"]
    manifest = read_manifest(out)
    assert manifest["format"] == "verl" and manifest["split"]["eval_fraction"] == 0.5
    expected = len(manifest["split"]["eval_ids"])
    assert pq.read_metadata(out / "eval.parquet").num_rows == manifest["splits"]["eval"]["rows"] == expected > 0


def test_cli_reports_bad_options_without_a_traceback(parquet_source, tmp_path):
    for args in (
        ["--format", "csv"],
        ["--split", "test"],
        ["--prompt", '{"template": "no slot"}'],
        ["--prompt", "no-such-prompt"],
    ):
        result = CliRunner().invoke(app, ["export", str(parquet_source), "-o", str(tmp_path / "x"), *args])
        assert result.exit_code == 2, args
        assert "error" in result.output and "Traceback" not in result.output


def test_cli_help_names_the_formats():
    result = CliRunner().invoke(app, ["export", "--help"])
    assert result.exit_code == 0
    assert "verl" in result.output and "trl" in result.output and "--system-prompt" in result.output


@settings(max_examples=60, deadline=None)
@given(
    question=st.text(min_size=1).filter(lambda q: q.strip() and IMAGE_TOKEN not in q),
    n_images=st.integers(min_value=0, max_value=5),
    system_prompt=st.one_of(st.none(), st.text(min_size=1).filter(lambda s: IMAGE_TOKEN not in s)),
)
def test_prompts_have_one_slot_per_image_and_keep_the_question(question, n_images, system_prompt):
    spec = PromptSpec(system_prompt=system_prompt)
    trl = spec.conversation(question, n_images)
    verl = spec.verl_messages(question, n_images)
    assert image_slots(trl) == image_slots(verl) == n_images
    assert question.strip() in trl[-1]["content"][-1]["text"]
    assert verl[-1]["content"] == IMAGE_TOKEN * n_images + trl[-1]["content"][-1]["text"]
    assert json.loads(json_line({"prompt": trl})) == {"prompt": trl}


def test_template_braces_are_kept_literally():
    spec = PromptSpec(template="Q: {question}\nAnswer in \\boxed{} and {not a slot}.")
    assert spec.user_text(" 2+2? ") == "Q: 2+2?\nAnswer in \\boxed{} and {not a slot}."


@pytest.mark.skipif(
    importlib.util.find_spec("harness.data.sample.build") is None, reason="sample generator not built yet"
)
def test_bundled_sample_round_trips(tmp_path):
    from harness.data import load_dataset
    from harness.grpo_data import export_grpo

    source = load_dataset("sample")
    result = export_grpo(source, tmp_path / "export")
    manifest = verify_export(tmp_path / "export")
    assert manifest["counts"]["rows"] + manifest["rejected"]["count"] == len(source)
    assert manifest["rejected"]["count"] == 0, result.rejected[:3]
    ds = load_grpo_dataset(tmp_path / "export", "eval", cache_dir=tmp_path / "hf-cache")
    row = ds[0]
    assert len(row["images"]) == sum(b["type"] == "image" for b in row["prompt"][-1]["content"]) >= 1
    assert set(manifest["counts"]["domains"]) == {"Math", "Physics", "Chemistry", "Biology"}
