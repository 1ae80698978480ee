"""What a person reads: a progress bar instead of raw log dicts, third-party warnings once (known-harmless
never), a before/after table and a pasteable `mlflow ui` line, no git noise, results printed once."""

from __future__ import annotations

import io
import json
import logging
import subprocess
from types import SimpleNamespace

import pytest
import torch
from rich.console import Console

from harness.commands._output import ThirdPartyFilter, configure_output
from harness.commands.train import print_pipeline_end
from harness.training.progress import live_figures, use_progress_bar


class _Regressor(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x, y):
        return {"loss": ((self.w * x - y) ** 2).mean()}


def _trainer(tmp_path):
    from datasets import Dataset
    from transformers import Trainer, TrainingArguments

    data = Dataset.from_dict({"x": [[1.0]] * 8, "y": [[2.0]] * 8})
    args = TrainingArguments(output_dir=str(tmp_path / "t"), max_steps=2, per_device_train_batch_size=4,
                             logging_steps=1, report_to="none", use_cpu=True, disable_tqdm=True,
                             save_strategy="no")
    return Trainer(model=_Regressor(), args=args, train_dataset=data)


def test_training_shows_a_bar_with_live_figures_not_raw_dicts(tmp_path, capsys):
    trainer = _trainer(tmp_path)
    use_progress_bar(trainer, raw_logs=False)
    trainer.train()
    captured = capsys.readouterr()
    assert "{'loss'" not in captured.out + captured.err
    assert "GRPO" in captured.err and "loss=" in captured.err and "2/2" in captured.err


def test_verbose_keeps_the_raw_dicts(tmp_path, capsys):
    trainer = _trainer(tmp_path)
    use_progress_bar(trainer, raw_logs=True)
    trainer.train()
    assert "'loss'" in capsys.readouterr().out


def test_live_figures_are_short_and_skip_what_is_missing():
    logs = {"reward": 0.7512, "rewards/accuracy/mean": 0.25, "loss": -0.00921, "step_time": 0.40912,
            "completions/mean_length": 10.5, "flag": True}
    assert live_figures(logs) == {"reward": "0.751", "acc": "0.25", "loss": "-0.00921", "s/step": "0.409"}
    assert live_figures({"train_runtime": 3.0}) == {}


def _record(name: str, level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


def test_third_party_warnings_show_once_and_known_harmless_ones_never():
    keep = ThirdPartyFilter()
    assert keep.filter(_record("harness.models", logging.INFO, "reusing tiny VLM"))
    assert not keep.filter(_record("lm_eval.evaluator", logging.INFO, "Setting random seed to 0"))
    harmless = "HF model type is neither marked as CausalLM or Seq2SeqLM. This is expected if ..."
    assert not keep.filter(_record("lm_eval.models.huggingface", logging.WARNING, harmless))
    other = "something worth knowing"
    assert keep.filter(_record("lm_eval.api.task", logging.WARNING, other))
    assert not keep.filter(_record("lm_eval.api.task", logging.WARNING, other))  # the second time: dropped
    assert keep.filter(_record("lm_eval.api.task", logging.ERROR, "a different problem"))


def test_verbose_filters_nothing():
    configure_output(verbose=True)
    try:
        assert not any(isinstance(f, ThirdPartyFilter) for h in logging.getLogger().handlers for f in h.filters)
    finally:
        configure_output(verbose=False)
    assert all(any(isinstance(f, ThirdPartyFilter) for f in h.filters) for h in logging.getLogger().handlers)


def _summary(acc: float, domains: dict[str, float], reward: float) -> dict:
    return {"overall": {"n": 8, "acc": acc}, "domains": {d: {"n": 4, "acc": a} for d, a in domains.items()},
            "train_prompts_probe": {"mean_reward": reward}}


def test_the_pipeline_ends_with_a_before_after_table_and_one_pasteable_mlflow_line(tmp_path):
    paths = {}
    for role, summary in (("baseline", _summary(0.25, {"Math": 0.5, "Chemistry": 0.0}, 0.844)),
                          ("trained", _summary(0.5, {"Math": 0.75, "Chemistry": 0.25}, 1.0))):
        paths[role] = tmp_path / f"{role}.json"
        paths[role].write_text(json.dumps(summary))
    state = SimpleNamespace(parent_run_id="abc123", completed={
        "baseline_eval": {"summary": str(paths["baseline"])}, "final_eval": {"summary": str(paths["trained"])},
        "report": {"html": str(tmp_path / "report" / "comparison.html")}})
    uri = "sqlite:///" + str(tmp_path / ("a-long-folder-name-" * 4) / "mlruns.db")
    console = Console(width=80, file=io.StringIO(), record=True, color_system=None)
    print_pipeline_end(state, uri, console)
    lines = console.export_text().splitlines()
    assert f"mlflow ui --backend-store-uri {uri}" in lines  # whole, on one line, though longer than 80
    table = [line for line in lines if "│" in line]
    assert any("Chemistry" in line and "0.0" in line and "25.0" in line and "+25.0" in line for line in table)
    assert all(len(line) <= 80 for line in table) and "…" not in "\n".join(lines)
    assert any("0.844 → 1.000" in line for line in lines)


def test_lm_eval_git_lookup_is_quiet_outside_a_checkout(tmp_path, monkeypatch, capfd):
    import lm_eval.evaluator

    from harness.evaluation.runner import _quiet_git_hash

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("git is not installed")
    lm_eval.evaluator.get_git_commit_hash()
    assert "not a git repository" in capfd.readouterr().err  # what lm-eval itself prints
    with _quiet_git_hash():
        assert lm_eval.evaluator.get_git_commit_hash() is None
    assert capfd.readouterr().err == ""


def test_export_prints_its_result_once(tmp_path):
    """In a real process (pytest's log capture would hide a duplicate log line from CliRunner)."""
    import os
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(repo), "MMRL_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "harness", "export", "--out", str(tmp_path / "out"), "sample",
                           "--split", "eval"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (proc.stdout + proc.stderr).count("images_written") == 1
