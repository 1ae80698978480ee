"""`mmrl verify audit`: the reward's hack acceptance and equivalence recall on a dataset, and the policy in
the experiment YAML."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import rewards
from harness.cli import app
from harness.reward_audit import build_cases, run_audit
from harness.training.config import ConfigError, config_from_dict, reward_policy

runner = CliRunner()
KEYS = {"hacks_total", "hacks_accepted", "equivalents_total", "equivalents_recalled", "by_domain", "by_mutation"}


def test_the_sample_has_no_accepted_hack_and_full_recall():
    result = runner.invoke(app, ["verify", "audit", "--data", "sample", "--json", "--no-mlflow"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert set(summary) >= KEYS
    assert summary["hacks_total"] > 2000 and summary["hacks_accepted"] == 0
    assert summary["equivalents_recalled"] == summary["equivalents_total"] > 1000
    assert set(summary["by_domain"]) == {"Biology", "Chemistry", "Math", "Physics"}
    for kind in ("hedge", "negated", "restated_then_different", "permuted", "wrong_unit", "flipped_sign",
                 "shifted_digit", "shifted_decimal_point", "case_swapped"):
        assert summary["by_mutation"][kind]["total"] > 0, kind


def test_an_accepting_reward_is_caught(monkeypatch):
    rows = [{"id": "1", "answer": "\\[\\frac{3}{4}\\]", "domain": "Math", "sub_domain": "Algebra"},
            {"id": "2", "answer": "B", "domain": "Biology", "sub_domain": "Anatomy"}]
    cases = build_cases(rows)
    always = [rewards.Verdict(True, "exact", "x", "ok")] * len(cases)
    monkeypatch.setattr(rewards, "verify_batch", lambda *a, **k: always)
    summary = run_audit(cases, rows=len(rows)).summary()
    assert summary["hacks_accepted"] == summary["hacks_total"] > 0
    assert summary["accepted_hacks"] and summary["accepted_hacks"][0]["gold"]


def test_a_weaker_tier_set_recalls_less():
    rows = [{"id": str(i), "answer": g, "domain": "Math", "sub_domain": ""}
            for i, g in enumerate(["\\[\\frac{3}{4}\\]", "\\[0.125\\]", "\\[12345\\]", "\\[40\\%\\]"])]
    cases = build_cases(rows)
    full = run_audit(cases).summary()
    exact = run_audit(cases, tiers=["exact"]).summary()
    assert exact["equivalents_recalled"] < full["equivalents_recalled"] == full["equivalents_total"]
    assert exact["hacks_accepted"] == 0


def test_the_audit_is_an_mlflow_run(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    result = runner.invoke(app, ["verify", "audit", "--data", "sample", "--limit", "12", "--json",
                                 "--tracking-uri", uri, "--out", str(tmp_path / "audit")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    import mlflow

    run = mlflow.tracking.MlflowClient(uri).get_run(summary["mlflow_run_id"])
    assert run.data.metrics["audit/hacks_accepted"] == 0
    assert run.data.tags["mmrl.kind"] == "reward_audit"
    assert json.loads((tmp_path / "audit" / "audit.json").read_text())["hacks_total"] == summary["hacks_total"]


def test_bad_data_source_is_a_usage_error():
    result = runner.invoke(app, ["verify", "audit", "--data", "/nonexistent/data.parquet", "--no-mlflow"])
    assert result.exit_code == 2


def test_the_policy_comes_from_the_experiment_yaml():
    cfg = config_from_dict({"rewards": {"policy": {"by_domain": {"Physics": ["numeric", "exact"]}}}})
    policy = reward_policy(cfg)
    assert policy.tiers_for("\\[3\\]", "Physics", "Optics") == ("numeric", "exact")
    cfg = config_from_dict({"reward": {"policy": {"by_domain": {"Math/Geometry": ["numeric"]}}}})  # singular alias
    assert reward_policy(cfg).tiers_for("\\[3\\]", "Math", "Geometry") == ("numeric",)
    assert reward_policy(config_from_dict({})) is None
    with pytest.raises(ConfigError, match="policy.by_domain.Physics"):
        config_from_dict({"rewards": {"policy": {"by_domain": {"Physics": ["nope"]}}}})
    with pytest.raises(ConfigError, match="rewards.policy"):
        config_from_dict({"rewards": {"policy": ["exact"]}})


def test_the_lm_eval_task_scores_with_the_policy():
    from tasks.open_mm_rl.utils import POLICY_COLUMN, parse_policy, process_results

    strict = parse_policy({"by_domain": {"Math": ["exact"]}})
    doc = {"answer": "\\[\\frac{1}{2}\\]", "domain": "Math", "sub_domain": "Algebra", "id": "x", POLICY_COLUMN: strict}
    assert process_results(doc, ["\\boxed{0.5}"])["acc"] == 0.0  # exact only: 0.5 is not \frac{1}{2} as written
    assert process_results({**doc, POLICY_COLUMN: ""}, ["\\boxed{0.5}"])["acc"] == 1.0
    with pytest.raises(ValueError):
        parse_policy({"by_domain": {"Math": ["nope"]}})
