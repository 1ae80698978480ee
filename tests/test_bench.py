"""`mmrl bench train|eval`: what CI runs on CPU (`--shape tiny --json`), the record's keys, its MLflow run, and the
saved dtype of shape builds (the baseline and the trained model are evaluated at one precision)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import mlflow
import pytest
import torch
from typer.testing import CliRunner

from harness.cli import app

REQUIRED = {"seconds_per_step", "generation_share", "generated_tokens_per_s", "peak_memory_bytes", "device"}


def test_bench_train_tiny_prints_one_json_object(tmp_path):
    """The CI command, as a user runs it: stdout is exactly one JSON object, the figures are there."""
    db = f"sqlite:///{tmp_path}/bench.db"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "harness", "bench", "train", "--shape", "tiny", "--steps", "2", "--json",
         "--tracking-uri", db],
        capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    record = json.loads(out.stdout)  # fails if anything else reached stdout
    assert set(record) >= REQUIRED, sorted(record)
    assert record["steps"] == 2 and record["measured_steps"] == 1
    assert record["seconds_per_step"] > 0 and 0 < record["generation_share"] < 1
    assert record["generated_tokens_per_s"] > 0 and record["peak_memory_bytes"] > 0
    assert record["device"].startswith("cuda" if torch.cuda.is_available() else "cpu")
    assert record["shape"] == "tiny" and record["grpo"]["cache_implementation"] is None  # the demo keeps it off
    mlflow.set_tracking_uri(db)
    run = mlflow.get_run(record["mlflow_run_id"])
    assert run.data.tags["mmrl.kind"] == "bench_train"
    assert run.data.metrics["seconds_per_step"] == pytest.approx(record["seconds_per_step"])
    assert not list(tmp_path.glob("runs")), "the benchmark left a run folder behind"


def test_bench_train_with_fast_generation_runs_the_static_cache(tmp_path):
    from harness.bench import BenchOptions, bench_train

    record = bench_train(BenchOptions(shape="tiny", steps=1, warmup_steps=0,
                                      overrides={"generation.fast": True}, output_dir=tmp_path / "run"))
    assert record["grpo"]["cache_implementation"] == "static" and record["grpo"]["pad_to_multiple_of"] == 64
    assert record["steps"] == 1 and record["generated_tokens_per_step"] > 0


def test_bench_eval_tiny_reports_throughput(tmp_path):
    result = CliRunner().invoke(app, ["bench", "eval", "--shape", "tiny", "--limit", "4", "--batch-size", "2",
                                      "--json", "--no-mlflow", "--set", "generation.fast=true"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.strip().splitlines()[-1])
    assert record["docs"] == 4 and record["batches"] == 2
    assert record["generated_tokens"] > 0 and record["generated_tokens_per_s"] > 0 and record["samples_per_s"] > 0
    assert record["fast_generation"]["fast"] is True


def test_bench_refuses_bad_input_in_one_line(tmp_path):
    runner = CliRunner()
    bad_shape = runner.invoke(app, ["bench", "train", "--shape", "huge", "--no-mlflow"])
    assert bad_shape.exit_code == 2 and "choose one of tiny, smolvlm-256m, smolvlm-500m" in bad_shape.output
    missing = runner.invoke(app, ["bench", "train", "--model", str(tmp_path / "nope"), "--no-mlflow"])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    bad_set = runner.invoke(app, ["bench", "train", "--set", "generation.compile=cpu", "--no-mlflow"])
    assert bad_set.exit_code == 2 and "generation.compile" in bad_set.output
    assert "Traceback" not in bad_shape.output + missing.output + bad_set.output


def test_shapes_match_the_smolvlm_configs():
    from harness.bench import SHAPES

    small = SHAPES["smolvlm-256m"]
    assert (small.text_hidden, small.text_layers, small.text_heads, small.text_kv_heads) == (576, 30, 9, 3)
    assert small.image_seq_len == 64  # 512 px, patch 16, pixel shuffle 4: SmolVLM's 64 tokens per tile
    assert SHAPES["smolvlm-500m"].text_hidden == 960


def test_a_bf16_experiment_builds_its_tiny_model_in_bf16():
    from transformers import AutoModelForImageTextToText

    from harness.training.config import config_from_dict
    from harness.training.grpo import config_dtype, resolve_model

    cfg = config_from_dict({"grpo": {"bf16": True}})
    assert config_dtype(cfg) == torch.bfloat16
    assert config_dtype(config_from_dict({"grpo": {"bf16": False}})) == torch.float32
    path = resolve_model(cfg)
    assert AutoModelForImageTextToText.from_pretrained(path).dtype == torch.bfloat16
    fp32 = resolve_model(config_from_dict({"grpo": {"bf16": False}}))
    assert fp32 != path and AutoModelForImageTextToText.from_pretrained(fp32).dtype == torch.float32


def test_mmrl_eval_takes_fast_generation(tmp_path):
    result = CliRunner().invoke(app, ["eval", "--model", "tiny", "--data", "sample", "--limit", "2", "--task",
                                      "open_mm_rl_all", "--fast-generation", "--no-mlflow", "-o", str(tmp_path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "summary:" in result.output
