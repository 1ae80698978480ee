"""`mmrl data info` and `mmrl data materialize` on constructed local data."""

from __future__ import annotations

import json

from data_factory import open_mm_rl_dataset
from typer.testing import CliRunner

from harness.cli import app


def test_info_prints_rows_image_columns_and_domains(tmp_path):
    open_mm_rl_dataset(8).to_parquet(str(tmp_path / "train.parquet"))
    result = CliRunner().invoke(app, ["data", "info", str(tmp_path / "train.parquet")])
    assert result.exit_code == 0, result.output
    assert "rows" in result.output and "8" in result.output
    assert "image columns (detected)" in result.output and "images" in result.output
    for domain in ("Math", "Physics", "Chemistry", "Biology"):
        assert domain in result.output


def test_materialize_writes_store_records_and_summary(tmp_path):
    open_mm_rl_dataset(6).to_parquet(str(tmp_path / "train.parquet"))
    out = tmp_path / "store"
    result = CliRunner().invoke(app, ["data", "materialize", str(tmp_path / "train.parquet"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == [f"conv-{i:03d}" for i in range(6)]
    assert all((out / path).exists() for r in records for path in r["images"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows_out"] == 6 and summary["images_seen"] == 12


def test_every_command_has_help():
    runner = CliRunner()
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    for command in ("data", "verify", "eda", "export", "eval", "model", "train", "pipeline", "demo"):
        assert command in top.output
        assert runner.invoke(app, [command, "--help"]).exit_code == 0, command
