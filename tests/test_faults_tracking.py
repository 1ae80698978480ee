"""Fault suite, tracking: the MLflow store is proven writable before any work, in seconds, with one line
naming the store and the fix; new SQLite stores survive concurrent creation; --tracking-fallback exists
wherever its advice is given."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pytest
from faults import (
    REPO,
    assert_result_failed_cleanly,
    cli_env,
    invoke_many,
    mmrl,
    run,
    unprivileged_prefix,
)

from harness.tracking import TrackingUnavailableError, probe_store, resolve_tracking_uri

TRACKING = 3


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """MLflow puts new experiments' artifact folders under the working directory: keep them out of the checkout."""
    monkeypatch.chdir(tmp_path)
UNREACHABLE = "http://127.0.0.1:9"  # discard port: nothing listens


def locked_store(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "store"
    folder.mkdir()
    uri = f"sqlite:///{folder}/mlruns.db"
    probe_store(uri)  # an existing, valid store...
    folder.chmod(0o555)  # ...that no longer takes writes
    return folder, uri


def demo_config(tmp_path: Path, uri: str) -> Path:
    config = tmp_path / "c.yaml"
    config.write_text(f"name: x\noutput_dir: {tmp_path / 'out'}\ntracking: {{uri: '{uri}'}}\n")
    return config


def test_read_only_store_fails_in_seconds_before_any_work_for_every_tracking_command(tmp_path):
    folder, uri = locked_store(tmp_path)
    config = demo_config(tmp_path, uri)
    out = str(tmp_path / "out")
    cases = {
        "eval": ["eval", "--model", "tiny", "--data", "sample", "--tracking-uri", uri, "--output-dir", out],
        "eda": ["eda", "sample", "--mlflow", "--tracking-uri", uri, "--out", out],
        "pipeline": ["pipeline", "--config", str(config)],
        "demo": ["demo", "--tracking-uri", uri],
        "train": ["train", "--config", str(config)],
        "ablate": ["ablate", "--config", str(REPO / "experiments" / "ablation-tiers.yaml"), "--tracking-uri", uri,
                   "--set", f"output_dir={out}"],
        "rerun": ["rerun", "0123456789abcdef", "--tracking-uri", uri, "--output-dir", out],
        "verify audit": ["verify", "audit", "--data", "sample", "--tracking-uri", uri, "--out", out],
    }
    started = time.monotonic()
    try:
        results = invoke_many(cases, cwd=tmp_path, env=cli_env(), prefix=unprivileged_prefix())
    finally:
        folder.chmod(0o755)
    assert time.monotonic() - started < 120  # eight commands, each refused in seconds
    for name, result in results.items():
        assert_result_failed_cleanly(result, TRACKING, uri, "not writable", "--tracking-uri",
                                     "--tracking-fallback local")
        assert not (tmp_path / "out").exists(), name
    assert not (tmp_path / "runs").exists()  # demo's output_dir


def test_read_only_database_file_is_refused_by_the_write_probe(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlruns.db"
    probe_store(uri)
    (tmp_path / "mlruns.db").chmod(0o444)
    script = ("from harness.tracking.store import probe_store\n"
              f"probe_store({uri!r}, experiment='fresh-experiment')\n")
    try:
        proc = run([sys.executable, "-c", script], cwd=tmp_path, env=cli_env(), prefix=unprivileged_prefix())
    finally:
        (tmp_path / "mlruns.db").chmod(0o644)
    assert proc.returncode != 0
    assert "TrackingUnavailableError" in proc.stderr and "read-only" in proc.stderr


def test_fallback_local_also_covers_a_read_only_store(tmp_path):
    folder, uri = locked_store(tmp_path)
    (tmp_path / "data").mkdir()
    try:
        proc = run(
            mmrl(
                "eda",
                "sample",
                "--no-tokens",
                "--mlflow",
                "--tracking-uri",
                uri,
                "--tracking-fallback",
                "local",
                "--out",
                str(tmp_path / "eda"),
            ),
            cwd=tmp_path / "data",
            env=cli_env(),
            prefix=unprivileged_prefix(),
            timeout=300,
        )
    finally:
        folder.chmod(0o755)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "falling back" in proc.stderr
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'data' / 'mlruns.db'}")
    runs = mlflow.search_runs(experiment_names=["open-mm-rl"], output_format="list")
    assert [r.data.tags["mmrl.kind"] for r in runs] == ["eda"]


def test_unreachable_server_advice_matches_what_eval_accepts(tmp_path):
    results = invoke_many({
        "refused": ["eval", "--model", "tiny", "--data", "sample"],
        # the advised flag exists and works: tracking falls back, and the run stops at the next check
        "advised": ["eval", "--model", str(tmp_path / "nope"), "--data", "sample", "--tracking-fallback", "local"],
    }, cwd=tmp_path, env=cli_env(MLFLOW_TRACKING_URI=UNREACHABLE))
    assert_result_failed_cleanly(results["refused"], TRACKING, UNREACHABLE, "--tracking-fallback local")
    assert_result_failed_cleanly(results["advised"], 2, "does not exist")
    assert (tmp_path / "mlruns.db").exists()


@pytest.mark.parametrize(
    "command", [["eval"], ["eda"], ["train"], ["pipeline"], ["demo"], ["ablate"], ["rerun"], ["verify", "audit"]]
)
def test_every_tracking_command_has_tracking_fallback(command):
    from typer.testing import CliRunner

    from harness.cli import app

    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "--tracking-fallback" in result.output, command


def test_read_only_commands_do_not_advise_a_fallback_they_lack():
    with pytest.raises(TrackingUnavailableError) as info:
        resolve_tracking_uri(UNREACHABLE, write=False)
    assert "--tracking-fallback" not in str(info.value)


RACE = """
import sys, time
import mlflow
from harness.tracking import mlflow_run
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.001)
with mlflow_run("racer", tracking_uri=sys.argv[1], experiment="race") as run:
    mlflow.log_metric("x", 1.0)
print(run.info.run_id)
"""


def test_processes_creating_one_new_sqlite_store_at_once_all_succeed(tmp_path):
    """Without the creation lock, 2 of 3 racers died in MLflow's migrations (duplicate column name: step)."""
    uri = f"sqlite:///{tmp_path}/new.db"
    start = time.time() + 8  # all three are imported and waiting by then
    procs = [subprocess.Popen([sys.executable, "-c", RACE, uri, str(start)], cwd=tmp_path, env=cli_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [p.communicate(timeout=180) for p in procs]
    for proc, (_, stderr) in zip(procs, results):
        assert proc.returncode == 0, stderr[-3000:]
    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["race"], output_format="list")
    assert sorted(r.info.run_id for r in runs) == sorted(out.strip() for out, _ in results)
