"""`mmrl rerun`: recorded runs (eval, pipeline, audit-only ablation) re-executed from what MLflow holds about them."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient
from test_leaderboard import eval_result, outcomes  # sibling test module: constructed eval runs
from typer.testing import CliRunner

from harness.cli import app
from harness.rerun import (
    RERUN_TAG,
    RerunError,
    config_hash_without_output,
    fetch_run,
    provenance_warnings,
    recorded_request,
    rerun,
)

REPO = Path(__file__).resolve().parent.parent


def recorded_eval(tmp_path: Path, db: str) -> tuple[str, object]:
    """An eval run as `mmrl eval` records it, with non-default settings so every field is checked."""
    from harness.evaluation import EvalRequest
    from harness.tracking.eval_log import record_evaluation

    request = EvalRequest(
        model="org/model", data="sample", output_dir=tmp_path / "orig", tiers="exact,numeric",
        policy={"by_domain": {"Math": ["exact", "numeric"]}}, prompt="think-boxed", limit=5, batch_size=3,
        gen_kwargs={"max_gen_toks": 8, "do_sample": False}, eval_fraction=0.3, split_seed=7, split="train",
        revision="v1", max_images=2, random_seed=4, image_root=str(tmp_path), allow_absolute_image_paths=True,
    )
    result = eval_result(tmp_path / "orig", "org/model", outcomes({1, 2, 3}))
    result.request = request.record()
    result.task = "open_mm_rl_math,open_mm_rl_biology"  # a group run records the domain tasks it resolved to
    run_id = record_evaluation(result, experiment="rerun", tracking_uri=db, run_name="orig")
    return run_id, request


def test_the_recorded_request_is_the_original_one(tmp_path):
    db = f"sqlite:///{tmp_path}/m.db"
    run_id, request = recorded_eval(tmp_path, db)
    again = recorded_request(fetch_run(run_id, db), output_dir=tmp_path / "orig")
    assert again == request
    assert again.task == "open_mm_rl"  # the requested group, not the domain tasks it resolved to


def test_eval_rerun_runs_the_recorded_request_and_links_the_runs(tmp_path, monkeypatch):
    import harness.evaluation

    db = f"sqlite:///{tmp_path}/m.db"
    run_id, request = recorded_eval(tmp_path, db)
    calls = []

    def fake_run_eval(asked):
        calls.append(asked)
        result = eval_result(tmp_path / "new", asked.model, outcomes({1, 2, 3}))
        result.request = asked.record()
        return result

    monkeypatch.setattr(harness.evaluation, "run_eval", fake_run_eval)
    new_id = rerun(run_id, tracking_uri=db, output_dir=tmp_path / "out", say=lambda *_: None)
    assert calls == [request.with_(output_dir=tmp_path / "out")]
    client = MlflowClient(db)
    new, old = client.get_run(new_id), client.get_run(run_id)
    assert new.data.tags[RERUN_TAG] == run_id and new.data.tags["mmrl.kind"] == "eval"
    assert new.data.tags["mmrl.role"] == old.data.tags["mmrl.role"] == "standalone"
    assert new.data.metrics["acc"] == old.data.metrics["acc"]
    resolved = {"tasks_run"}  # what the (faked) evaluation resolved to, not what was asked
    assert {k: v for k, v in new.data.params.items() if k not in resolved} == {
        k: v for k, v in old.data.params.items() if k not in resolved}


def test_eval_rerun_refuses_a_vanished_local_model(tmp_path):
    from harness.tracking.eval_log import record_evaluation

    db = f"sqlite:///{tmp_path}/m.db"
    result = eval_result(tmp_path, str(tmp_path / "gone" / "final"), outcomes({1}))
    run_id = record_evaluation(result, experiment="rerun", tracking_uri=db)
    with pytest.raises(RerunError, match="no longer exists here; pass --model"):
        rerun(run_id, tracking_uri=db, say=lambda *_: None)


def test_an_eval_run_without_its_request_is_refused(tmp_path):
    from harness.tracking import mlflow_run

    db = f"sqlite:///{tmp_path}/m.db"
    with mlflow_run("old", experiment="p", tags={"mmrl.kind": "eval"}, tracking_uri=db,
                    params={"model": "org/m"}) as run:
        pass
    with pytest.raises(RerunError, match="lacks its request params"):
        rerun(run.info.run_id, tracking_uri=db, say=lambda *_: None)


def test_changed_commit_and_versions_are_reported(tmp_path, monkeypatch):
    import harness.tracking.provenance as provenance

    db = f"sqlite:///{tmp_path}/m.db"
    with _run_in(db) as recorded:
        provenance.log_provenance("name: x\n", "h", {"seed": 0})
    run = fetch_run(recorded.info.run_id, db)
    monkeypatch.setattr(provenance, "git_commit", lambda: "0123abc")
    monkeypatch.setattr(provenance, "package_versions", lambda: {"torch": "0.0.1"})
    warnings = provenance_warnings(run)
    assert any(f"git commit differs: recorded {run.tags['mmrl.git_commit']}, now 0123abc" in w for w in warnings)
    assert any("torch" in w and "-> 0.0.1" in w for w in warnings)


def _run_in(db: str):
    from harness.tracking import mlflow_run

    return mlflow_run("plain", experiment="p", tags={"mmrl.kind": "train"}, tracking_uri=db)


def test_runs_without_a_config_or_of_unknown_kind_are_refused(tmp_path):
    from harness.tracking import mlflow_run

    db = f"sqlite:///{tmp_path}/m.db"
    with mlflow_run("t", experiment="p", tags={"mmrl.kind": "train"}, tracking_uri=db) as run:
        pass
    with pytest.raises(RerunError, match="no config/config.yaml"):
        rerun(run.info.run_id, tracking_uri=db)
    with mlflow_run("x", experiment="p", tags={"mmrl.kind": "mystery"}, tracking_uri=db) as other:
        pass
    with pytest.raises(RerunError, match="re-runnable kinds"):
        rerun(other.info.run_id, tracking_uri=db)
    result = CliRunner().invoke(app, ["rerun", "0" * 32, "--tracking-uri", db])
    assert result.exit_code == 2 and "no run" in result.output


def test_pipeline_rerun_repeats_the_recorded_stages_with_the_same_config(tmp_path):
    from harness.pipeline import run_pipeline
    from harness.training.config import load_config

    db = f"sqlite:///{tmp_path}/m.db"
    cfg = load_config(REPO / "experiments" / "demo.yaml", {"output_dir": str(tmp_path / "orig"), "tracking.uri": db,
                                                            "tracking.experiment": "rerun-pipeline"})
    original = run_pipeline(cfg, stages=("data",), tracking_uri=db, say=lambda _: None)
    data_child = [r for r in mlflow.search_runs(experiment_names=["rerun-pipeline"], output_format="list")
                  if r.data.tags.get("mmrl.stage") == "data"][0]
    with pytest.raises(RerunError, match=f"step of run {original.parent_run_id}"):
        rerun(data_child.info.run_id, tracking_uri=db)

    result = CliRunner().invoke(app, ["rerun", original.parent_run_id, "--tracking-uri", db,
                                      "--output-dir", str(tmp_path / "again")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())  # rich wraps at the test terminal's width
    assert "stages data" in output and "config identical apart from output_dir" in output
    state = json.loads((tmp_path / "again" / "pipeline_state.json").read_text())
    assert list(state["completed"]) == ["data"]
    assert state["completed"]["data"]["fingerprint"] == original.completed["data"]["fingerprint"]
    new = fetch_run(state["parent_run_id"], db)
    assert new.tags[RERUN_TAG] == original.parent_run_id and new.child_stages == ["data"]
    old = fetch_run(original.parent_run_id, db)
    import yaml

    assert config_hash_without_output(yaml.safe_load(new.config_yaml)) == config_hash_without_output(
        yaml.safe_load(old.config_yaml))
    assert new.tags["mmrl.git_commit"] == old.tags["mmrl.git_commit"]


def test_audit_only_ablation_reruns_on_the_same_samples(tmp_path):
    from test_ablation_audit import write_samples

    from harness.ablation.config import ablation_from_dict
    from harness.ablation.runner import run_ablation

    db = f"sqlite:///{tmp_path}/m.db"
    write_samples(tmp_path / "eval" / "m")
    acfg = ablation_from_dict(
        {
            "name": "a",
            "output_dir": str(tmp_path / "a"),
            "base": {"tracking": {"experiment": "ra"}},
            "variants": [{"name": "exact", "tiers": ["exact"]}, {"name": "domain-policy"}],
        }
    )
    first = run_ablation(acfg, tracking_uri=db, audit_only=True, samples=str(tmp_path / "eval"), say=lambda _: None)
    new_id = rerun(first.parent_run_id, tracking_uri=db, output_dir=tmp_path / "b")
    new = fetch_run(new_id, db)
    assert new.tags[RERUN_TAG] == first.parent_run_id and new.tags["mmrl.ablation_mode"] == "audit"
    again = json.loads((tmp_path / "b" / "audit" / "ablation_summary.json").read_text())
    assert again["audit"]["rows"] == first.summary["audit"]["rows"]


@pytest.mark.slow
def test_real_eval_rerun_reproduces_the_accuracy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path}/m.db"
    runner = CliRunner()
    first = runner.invoke(app, ["eval", "--model", "tiny", "--data", "sample", "--limit", "1", "-o", "orig",
                                "--tracking-uri", db, "--experiment", "rerun-real"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    orig = mlflow.search_runs(experiment_names=["rerun-real"], output_format="list")[0]
    second = runner.invoke(
        app, ["rerun", orig.info.run_id, "--tracking-uri", db, "-o", "again"], catch_exceptions=False
    )
    assert second.exit_code == 0, second.output
    assert "data fingerprint unchanged" in " ".join(second.output.split())
    new = [r for r in mlflow.search_runs(experiment_names=["rerun-real"], output_format="list")
           if r.data.tags.get(RERUN_TAG) == orig.info.run_id][0]
    for key in ("acc", "n", "answer_found", "Math/acc"):
        assert new.data.metrics[key] == orig.data.metrics[key], key
    again, before = fetch_run(new.info.run_id, db), fetch_run(orig.info.run_id, db)
    assert recorded_request(again, output_dir="x") == recorded_request(before, output_dir="x")


@pytest.mark.slow
def test_train_rerun_trains_again_from_the_logged_config(tmp_path):
    db = f"sqlite:///{tmp_path}/m.db"
    runner = CliRunner()
    first = runner.invoke(app, ["train", "--config", str(REPO / "experiments" / "demo.yaml"), "--tracking-uri", db,
                                "--set", f"output_dir={tmp_path / 'orig'}", "--set", "grpo.max_steps=1",
                                "--set", "tracking.experiment=rerun-train"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    orig = mlflow.search_runs(experiment_names=["rerun-train"], output_format="list")[0]
    new_id = rerun(orig.info.run_id, tracking_uri=db, output_dir=tmp_path / "again")
    new = fetch_run(new_id, db)
    assert new.kind == "train" and new.tags[RERUN_TAG] == orig.info.run_id
    assert (tmp_path / "again" / "final" / "config.json").exists()
    assert new.params["grpo.max_steps"] == "1" and new.params["model"] == orig.data.params["model"]
