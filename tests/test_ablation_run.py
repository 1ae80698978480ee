"""`mmrl ablate` end to end on the tiny model: one parent run, a child per tier set tagged with it, every variant
trained from the same model on the same data and scored by the reference, the report logged, and a resume."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
from typer.testing import CliRunner

from harness.cli import app

REPO = Path(__file__).resolve().parent.parent

CONFIG = """
name: tiny-ablation
base: {demo}
output_dir: {out}
overrides:
  grpo.max_steps: 2
  grpo.save_steps: 2
  eval.limit: 4
  tracking.experiment: tiny-ablation
audit:
  mutation_rows: 60
variants:
  - {{name: exact, tiers: [exact]}}
  - {{name: domain-policy, tiers: null}}
"""


@pytest.mark.slow
def test_tiny_ablation_end_to_end(tmp_path):
    config = tmp_path / "ablation.yaml"
    config.write_text(CONFIG.format(demo=REPO / "experiments" / "demo.yaml", out=tmp_path / "out"))
    db = f"sqlite:///{tmp_path}/mlruns.db"
    args = ["ablate", "-c", str(config), "--tracking-uri", db]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output

    mlflow.set_tracking_uri(db)
    runs = mlflow.search_runs(experiment_names=["tiny-ablation"], output_format="list")
    parent = [r for r in runs if r.data.tags.get("mmrl.kind") == "ablation"]
    assert len(parent) == 1 and parent[0].info.status == "FINISHED"
    pid = parent[0].info.run_id
    children = {r.data.tags.get("mmrl.tier_set") or r.info.run_name: r for r in runs
                if r.data.tags.get("mlflow.parentRunId") == pid}
    assert set(children) == {"baseline", "reward-audit", "exact", "domain-policy"}
    for name in ("exact", "domain-policy"):
        variant = children[name]
        assert variant.data.tags["mmrl.kind"] == "pipeline" and variant.data.tags["mmrl.config_hash"]
        stages = {r.data.tags.get("mmrl.stage"): r for r in runs
                  if r.data.tags.get("mlflow.parentRunId") == variant.info.run_id}
        assert set(stages) == {"data", "train", "final_eval"}
        final = stages["final_eval"]
        assert final.data.tags["mmrl.kind"] == "eval" and final.data.tags["mmrl.tier_set"] == name
        # scored by the reference (the per-domain policy: no fixed tiers), not by the variant's own reward
        assert final.data.params["tiers"] == "" and final.data.params["reward_policy"] == "default"
    assert children["exact"].data.tags["mmrl.tiers"] == "exact"
    assert (children["exact"].data.tags["mmrl.data_fingerprint"]
            == children["domain-policy"].data.tags["mmrl.data_fingerprint"])

    summary = json.loads((tmp_path / "out" / "report" / "ablation_summary.json").read_text())
    assert [v["name"] for v in summary["variants"]] == ["exact", "domain-policy"]
    assert all(v["train"]["steps"] == 2 and v["final"]["overall"]["n"] == 4 for v in summary["variants"])
    assert summary["audit"]["source"].startswith("baseline eval") and summary["warnings"] == []
    # the model-free audit: the tier sets differ in recall on equivalent forms of the golds, and none pays a hack
    mutations = {(r["tier_set"], r["domain"]): r for r in summary["mutation_audit"]["table"]}
    assert mutations[("exact", "all")]["recall"] < mutations[("domain-policy", "all")]["recall"]
    assert mutations[("exact", "all")]["false_positive_rate"] == mutations[("domain-policy", "all")][
        "false_positive_rate"] == 0.0
    assert "Model-free audit" in (tmp_path / "out" / "report" / "ablation.md").read_text()
    assert "audit_mutations/exact/recall" in children["reward-audit"].data.metrics
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(pid, "report")}
    assert {"report/ablation.html", "report/ablation.md", "report/ablation_accuracy.png"} <= artifacts

    again = CliRunner().invoke(app, args, catch_exceptions=False)  # resume: nothing is re-trained
    assert again.exit_code == 0
    output = " ".join(again.output.split())
    assert "skip baseline eval (done)" in output and "skip variant exact (done)" in output
    assert len([r for r in mlflow.search_runs(experiment_names=["tiny-ablation"], output_format="list")
                if r.data.tags.get("mmrl.kind") == "ablation"]) == 1
