"""Fault suite, pipeline: config errors found when the file is read (by dotted key), missing stage inputs,
model references and busy output folders refused before the first stage, and no run left `RUNNING` after a
`kill -9` and a resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pytest
from faults import assert_failed_cleanly, assert_invoked_cleanly, cli_env, invoke, mmrl, run
from mlflow.tracking import MlflowClient

from harness.fs import exclusive_folder
from harness.pipeline.preflight import PipelineError, check_stage_inputs

BAD_INPUT, OS_FAULT = 2, 4


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """MLflow puts new experiments' artifact folders under the working directory: keep them out of the checkout."""
    monkeypatch.chdir(tmp_path)


def write_config(tmp_path: Path, body: str = "") -> Path:
    config = tmp_path / "c.yaml"
    config.write_text(f"name: x\noutput_dir: {tmp_path / 'out'}\n"
                      f"tracking: {{uri: 'sqlite:///{tmp_path}/m.db', experiment: faults}}\n{body}")
    return config


def test_wrong_types_are_reported_by_dotted_key_before_any_stage(tmp_path):
    config = write_config(tmp_path, "eval: {limit: ten}\ndata: {eval_fraction: abc}\n")
    proc = run(mmrl("pipeline", "--config", str(config)), cwd=tmp_path)
    assert_failed_cleanly(proc, BAD_INPUT, "eval.limit = 'ten'", "data.eval_fraction = 'abc'", "expected a number")
    assert not (tmp_path / "out").exists()


def test_set_on_a_single_value_is_a_clear_error(tmp_path):
    result = invoke("pipeline", "--config", str(write_config(tmp_path)), "--set", "name.foo=1")
    assert_invoked_cleanly(result, BAD_INPUT, "--set name.foo=1", "'name' is a single value")


def test_missing_local_model_is_found_before_the_data_stage(tmp_path):
    config = write_config(tmp_path, "model: {name_or_path: /nonexistent/model}\n")
    assert_invoked_cleanly(invoke("pipeline", "--config", str(config)), BAD_INPUT,
                           "model.name_or_path = '/nonexistent/model'", "does not exist")
    assert not (tmp_path / "out" / "data").exists()


def test_malformed_hub_id_is_refused_when_the_config_is_read(tmp_path):
    config = write_config(tmp_path, "model: {name_or_path: 'not a/hub id'}\n")
    assert_invoked_cleanly(invoke("train", "--config", str(config)), BAD_INPUT, "model.name_or_path",
                           "hub id like owner/name")


def test_a_stage_without_its_inputs_is_refused_naming_the_producer(tmp_path):
    result = invoke("pipeline", "--config", str(write_config(tmp_path)), "--stages", "baseline_eval")
    assert_invoked_cleanly(result, BAD_INPUT, "'baseline_eval' needs the output of stage 'data'",
                           "--stages data,baseline_eval")
    assert not (tmp_path / "out" / "eval").exists()


def test_stage_inputs_that_were_deleted_are_reported(tmp_path):
    completed = {"data": {"data_dir": "/nonexistent/data"}}
    with pytest.raises(PipelineError, match="needs the output of stage 'data', but /nonexistent/data/manifest.json"):
        check_stage_inputs(["train"], completed, "out")
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(PipelineError, match="'final_eval' needs the output of stage 'train'"):
        check_stage_inputs(["final_eval"], {"data": {"data_dir": str(tmp_path)}}, "out")
    check_stage_inputs(["data", "eda", "baseline_eval", "train", "final_eval", "report"], {}, "out")  # all produced


def test_a_second_pipeline_on_a_busy_output_dir_is_refused(tmp_path):
    config = write_config(tmp_path)
    with exclusive_folder(tmp_path / "out", name="pipeline", wait=False, what="pipeline output_dir"):
        proc = run(mmrl("pipeline", "--config", str(config), "--stages", "data"), cwd=tmp_path)
    assert_failed_cleanly(proc, OS_FAULT, "another process is using", str(tmp_path / "out"))


# --- orphans after kill -9 --------------------------------------------------------------------------------

STAGE_SCRIPT = """
import sys, time
import mlflow
from harness.pipeline.run import Pipeline
from harness.training.config import config_from_dict

out, uri, mode = sys.argv[1], sys.argv[2], sys.argv[3]

def data_stage(self):
    first = 0 if mode == "first" else 2
    for step in range(first, first + 3):  # a resumed stage continues where the checkpoint was
        mlflow.log_metric("progress", step, step=step)
    if mode == "first":
        print("STARTED", flush=True)
        time.sleep(300)
    return {"data_dir": out + "/data"}

Pipeline.stage_data = data_stage
cfg = config_from_dict({"name": "orphans", "output_dir": out, "tracking": {"uri": uri, "experiment": "orphans"}})
Pipeline(cfg, console_print=lambda *_: None).run(stages=("data",))
print("DONE", flush=True)
"""


def test_a_killed_stage_run_is_closed_and_linked_when_the_pipeline_resumes(tmp_path):
    out, uri = str(tmp_path / "out"), f"sqlite:///{tmp_path}/m.db"
    first = subprocess.Popen([sys.executable, "-c", STAGE_SCRIPT, out, uri, "first"], cwd=tmp_path, env=cli_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().strip() == "STARTED", first.stderr.read()[-3000:]
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.wait(timeout=60)
    assert first.returncode == -signal.SIGKILL

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("orphans").experiment_id
    (killed,) = client.search_runs([experiment], filter_string="tags.`mmrl.stage` = 'data'")
    assert killed.info.status == "RUNNING"  # what MLflow alone leaves behind

    resumed = run([sys.executable, "-c", STAGE_SCRIPT, out, uri, "again"], cwd=tmp_path, env=cli_env())
    assert resumed.returncode == 0 and "DONE" in resumed.stdout, resumed.stderr[-3000:]

    runs = {r.info.run_id: r for r in client.search_runs([experiment])}
    assert not [r for r in runs.values() if r.info.status == "RUNNING"]
    old = runs[killed.info.run_id]
    (new,) = [r for r in runs.values() if r.data.tags.get("mmrl.stage") == "data" and r.info.run_id != old.info.run_id]
    assert old.info.status == "KILLED" and "mmrl.orphaned" in old.data.tags
    assert old.data.tags["mmrl.resumed_by"] == new.info.run_id
    assert new.info.status == "FINISHED" and new.data.tags["mmrl.resumes"] == old.info.run_id
    parent = old.data.tags["mlflow.parentRunId"]
    assert new.data.tags["mlflow.parentRunId"] == parent and runs[parent].info.status == "FINISHED"
    for r in (old, new):  # each step once per run
        steps = [m.step for m in client.get_metric_history(r.info.run_id, "progress")]
        assert len(steps) == len(set(steps)) == 3
    state = json.loads((tmp_path / "out" / "pipeline_state.json").read_text())
    assert state["parent_run_id"] == parent and list(state["completed"]) == ["data"]


def test_without_a_killed_run_nothing_is_closed(tmp_path):
    uri = f"sqlite:///{tmp_path}/m.db"
    from harness.tracking.orphans import close_orphaned_children

    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("calm")
    with mlflow.start_run() as parent, mlflow.start_run(nested=True):
        pass
    assert close_orphaned_children(parent.info.run_id, MlflowClient(uri)) == {}


@pytest.mark.slow
def test_pipeline_killed_during_grpo_resumes_without_orphans_or_repeated_steps(tmp_path):
    """The issue's case end to end: `kill -9` while GRPO runs, then the same command again."""
    out, db = tmp_path / "out", f"sqlite:///{tmp_path}/m.db"
    config = tmp_path / "c.yaml"
    config.write_text(f"""
name: orphan-grpo
output_dir: {out}
data: {{source: sample, train_subset: warmup, train_limit: 8}}
model: {{name_or_path: tiny, tiny_warmup_steps: 200}}
grpo: {{max_steps: 16, num_generations: 4, per_device_train_batch_size: 8, max_completion_length: 12,
        learning_rate: 1.0e-3, save_steps: 2, temperature: 1.0}}
tracking: {{uri: "{db}", experiment: orphan-grpo}}
""")
    command = mmrl("pipeline", "--config", str(config), "--stages", "data,train")
    first = subprocess.Popen(command, cwd=tmp_path, env=cli_env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 600
        while not (out / "checkpoints" / "checkpoint-2" / "trainer_state.json").exists():
            assert first.poll() is None, first.stderr.read()[-3000:]
            assert time.monotonic() < deadline
            time.sleep(0.2)
        os.kill(first.pid, signal.SIGKILL)  # 14 steps before the end: the stage is certainly still running
    finally:
        first.wait(timeout=60)

    again = run(command, cwd=tmp_path, timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]

    client = MlflowClient(db)
    experiment = client.get_experiment_by_name("orphan-grpo").experiment_id
    runs = client.search_runs([experiment])
    assert not [r for r in runs if r.info.status == "RUNNING"]
    train_runs = [r for r in runs if r.data.tags.get("mmrl.stage") == "train"]
    assert sorted(r.info.status for r in train_runs) == ["FINISHED", "KILLED"], (
        [(r.info.status, r.data.tags) for r in runs], again.stdout[-2000:], again.stderr[-3000:])
    (old,) = [r for r in train_runs if r.info.status == "KILLED"]
    (new,) = [r for r in train_runs if r.info.status == "FINISHED"]
    assert old.data.tags["mmrl.resumed_by"] == new.info.run_id and new.data.tags["mmrl.resumes"] == old.info.run_id
    old_steps = [m.step for m in client.get_metric_history(old.info.run_id, "reward")]
    new_steps = [m.step for m in client.get_metric_history(new.info.run_id, "reward")]
    assert len(old_steps) == len(set(old_steps)) and len(new_steps) == len(set(new_steps))
    assert min(new_steps) >= 3 and max(new_steps) == 16  # resumed from checkpoint-2 (or later), not from step 1
