"""GRPO training on the tiny model: weights move, MLflow gets TRL + tier + I/O metrics, resume continues."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from harness.cli import app
from harness.training.config import ConfigError, config_from_dict, load_config, parse_override
from harness.training.grpo import resolve_model

WARMUP = 200  # same build as experiments/demo.yaml, so the cached tiny model is shared


def write_config(path: Path, out: Path, db: str, max_steps: int) -> Path:
    path.write_text(
        f"""
name: test-train
output_dir: {out}
data: {{source: sample, train_subset: warmup, train_limit: 8}}
model: {{name_or_path: tiny, tiny_warmup_steps: {WARMUP}}}
rewards: {{format_weight: 0.5}}
grpo: {{max_steps: {max_steps}, num_generations: 4, per_device_train_batch_size: 8, max_completion_length: 12,
        learning_rate: 1.0e-3, save_steps: 2, temperature: 1.0}}
tracking: {{uri: "{db}", experiment: test-train}}
logging: {{completions_every: 1, completions_per_log: 4}}
"""
    )
    return path


def test_unknown_grpo_field_is_rejected_with_the_trl_version():
    with pytest.raises(ConfigError, match="max_prompt_length.*not GRPOConfig fields"):
        config_from_dict({"grpo": {"max_prompt_length": 10}})


def test_unknown_section_field_lists_valid_ones():
    with pytest.raises(ConfigError, match="rewards: unknown field.*valid"):
        config_from_dict({"rewards": {"tier": ["exact"]}})


def test_overrides_use_dotted_keys(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: a\ngrpo: {max_steps: 10}\n")
    cfg = load_config(path, dict([parse_override("grpo.max_steps=3"), parse_override("rewards.tiers=[exact]")]))
    assert cfg.grpo["max_steps"] == 3 and cfg.rewards.tiers == ["exact"]
    assert cfg.config_hash() != load_config(path).config_hash()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    db = f"sqlite:///{root}/mlruns.db"
    out = root / "run"
    # 3 steps x 2 prompts x 4 completions: a group with non-zero reward spread (hence a gradient) is near certain
    config = write_config(root / "c.yaml", out, db, max_steps=3)
    result = CliRunner().invoke(app, ["train", "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return {"root": root, "db": db, "out": out, "config": config}


@pytest.mark.slow
def test_training_changes_the_weights(trained):
    start = load_file(str(Path(resolve_model(load_config(trained["config"]))) / "model.safetensors"))
    end = load_file(str(trained["out"] / "final" / "model.safetensors"))
    changed = [name for name in start if not torch.equal(start[name], end[name])]
    assert changed, "GRPO left every weight unchanged"


@pytest.mark.slow
def test_training_metrics_are_in_mlflow(trained):
    mlflow.set_tracking_uri(trained["db"])
    runs = mlflow.search_runs(experiment_names=["test-train"], output_format="list")
    assert len(runs) == 1
    run = runs[0]
    metrics = run.data.metrics
    for key in ("reward", "reward_std", "rewards/accuracy/mean", "rewards/format/mean", "completions/mean_length",
                "io/images", "io/images_per_s", "io/data_wait_share", "hits/accuracy/correct"):
        assert key in metrics, f"missing {key}; have {sorted(metrics)}"
    assert any(k.startswith(("hits/accuracy/tier/", "hits/accuracy/reason/")) for k in metrics)
    assert run.data.tags["mmrl.kind"] == "train" and run.data.tags["mmrl.git_commit"]
    assert run.data.tags["mmrl.data_fingerprint"] not in ("", "None")
    client = mlflow.tracking.MlflowClient()
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "reward")]
    assert steps == [1, 2, 3]
    artifacts = [a.path for a in client.list_artifacts(run.info.run_id, "completions")]
    assert artifacts, "no completion samples logged"
    sample = json.loads(
        Path(client.download_artifacts(run.info.run_id, artifacts[0], str(trained["root"]))).read_text()
    )
    assert {"completion", "gold", "correct", "tier", "reason"} <= set(sample[0])
    config_files = [a.path for a in client.list_artifacts(run.info.run_id, "config")]
    assert "config/config.yaml" in config_files


@pytest.mark.slow
def test_resume_continues_at_the_next_step(trained):
    config = write_config(trained["root"] / "c5.yaml", trained["out"], trained["db"], max_steps=5)
    result = CliRunner().invoke(app, ["train", "--config", str(config), "--resume"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "trained 5 steps" in result.output.replace("\n", " ")
    mlflow.set_tracking_uri(trained["db"])
    runs = mlflow.search_runs(experiment_names=["test-train"], output_format="list", order_by=["start_time DESC"])
    resumed = runs[0]
    steps = [m.step for m in mlflow.tracking.MlflowClient().get_metric_history(resumed.info.run_id, "reward")]
    assert steps == [4, 5], "resume must not repeat finished steps"
    state = json.loads((trained["out"] / "checkpoints" / "checkpoint-5" / "trainer_state.json").read_text())
    assert state["global_step"] == 5


def test_vllm_with_an_image_model_is_refused_on_a_trl_without_the_6294_fix(monkeypatch):
    from types import SimpleNamespace

    from harness.training import grpo

    model = resolve_model(config_from_dict({"model": {"name_or_path": "tiny", "tiny_warmup_steps": WARMUP}}))
    monkeypatch.delenv("MMRL_ALLOW_VLLM_VLM", raising=False)
    monkeypatch.setattr(grpo, "trl_feeds_vllm_unexpanded_prompts", lambda: False)
    with pytest.raises(grpo.VLLMPromptExpansionError, match="6294"):
        grpo.check_vllm_vlm_prompts(SimpleNamespace(use_vllm=True), model)
    grpo.check_vllm_vlm_prompts(SimpleNamespace(use_vllm=False), model)  # transformers generation is fine
    monkeypatch.setattr(grpo, "trl_feeds_vllm_unexpanded_prompts", lambda: True)
    grpo.check_vllm_vlm_prompts(SimpleNamespace(use_vllm=True), model)  # a fixed TRL passes
    monkeypatch.setattr(grpo, "trl_feeds_vllm_unexpanded_prompts", lambda: False)
    monkeypatch.setenv("MMRL_ALLOW_VLLM_VLM", "1")
    grpo.check_vllm_vlm_prompts(SimpleNamespace(use_vllm=True), model)  # explicit override


@pytest.mark.slow
def test_lora_training_saves_an_adapter(tmp_path):
    pytest.importorskip("peft")
    config = write_config(tmp_path / "c.yaml", tmp_path / "run", f"sqlite:///{tmp_path}/m.db", max_steps=1)
    config.write_text(config.read_text() + "lora: {enabled: true, r: 4, alpha: 8, target_modules: [q_proj, v_proj]}\n")
    result = CliRunner().invoke(app, ["train", "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "final-adapter" / "adapter_config.json").exists()
    from transformers import AutoModelForImageTextToText

    merged = AutoModelForImageTextToText.from_pretrained(str(tmp_path / "run" / "final"))
    assert not any("lora" in name for name, _ in merged.named_parameters())


def test_wrongly_typed_grpo_value_fails_when_the_config_is_read(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("grpo: {max_steps: 4}\n")
    with pytest.raises(ConfigError, match=r"grpo.max_steps = 'abc'"):
        load_config(path, dict([parse_override("grpo.max_steps=abc")]))
    assert load_config(path, {"grpo.learning_rate": 1}).grpo["learning_rate"] == 1  # an int is a fine float


def test_broken_yaml_is_a_config_error_naming_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("grpo: [1,2\n")
    with pytest.raises(ConfigError, match="broken.yaml is not valid YAML"):
        load_config(path)
    result = CliRunner().invoke(app, ["train", "--config", str(path)])
    assert result.exit_code == 2 and "config error" in result.output


def test_shipped_experiment_configs_are_valid():
    from harness.paths import repo_root

    for path in sorted((repo_root() / "experiments").glob("*.yaml")):
        if path.name.startswith("ablation"):
            continue
        load_config(path)
