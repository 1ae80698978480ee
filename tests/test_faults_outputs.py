"""Fault suite, outputs: disk full, read-only and permission-denied folders, and two writers of one folder.

The rule: one line naming the path and the fix, a non-zero exit (4 for OS faults), nothing half-written
(no manifest, no `.partial` leftovers, no truncated file under a final name), and no traceback.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from pathlib import Path

import datasets
import numpy as np
import pytest
from data_factory import OPEN_MM_RL_FEATURES
from faults import (
    assert_failed_cleanly,
    assert_result_failed_cleanly,
    cli_env,
    enospc_env,
    invoke_many,
    mmrl,
    read_only_prefix,
    run,
    tmpfs_prefix,
    unprivileged_prefix,
)
from PIL import Image
from typer.testing import CliRunner

from harness.cli import app
from harness.fs import PARTIAL_SUFFIX, partial_path, remove_stale_partials
from harness.grpo_data import export_grpo

OS_FAULT = 4


def noise_png(seed: int, side: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(side, side, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def write_source(path: Path, n: int, side: int) -> Path:
    """A parquet source of `n` rows, each with its own noise image of `side` x `side` pixels."""
    domains = ["Math", "Physics", "Chemistry", "Biology"]
    rows = {name: [] for name in OPEN_MM_RL_FEATURES}
    for i in range(n):
        rows["conversation_id"].append(f"r{i:04d}")
        rows["domain"].append(domains[i % 4])
        rows["subDomain"].append("s")
        rows["author_id"].append("a")
        rows["question"].append(f"Question {i}?")
        rows["answer"].append(str(i))
        rows["format"].append("single_image")
        rows["images"].append([{"bytes": noise_png(i, side), "path": None}])
    path.parent.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_dict(rows, features=OPEN_MM_RL_FEATURES).to_parquet(str(path))
    return path


@pytest.fixture
def small_source(tmp_path) -> Path:
    return write_source(tmp_path / "src" / "train.parquet", 120, 8)


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return cli_env(MMRL_CACHE_DIR=str(tmp_path / "cache"), **extra)


def assert_nothing_half_written(out: Path) -> None:
    if not out.exists():
        return
    assert not (out / "manifest.json").exists()
    assert not list(out.rglob("*" + PARTIAL_SUFFIX)), list(out.rglob("*" + PARTIAL_SUFFIX))
    assert not list(out.rglob(".tmp-*"))
    for name in ("train.jsonl", "eval.jsonl"):
        assert not (out / name).exists()


# --- disk full --------------------------------------------------------------------------------------------


def test_disk_full_during_export_on_a_real_tmpfs(small_source, tmp_path):
    disk = tmp_path / "disk"
    out = disk / "out"
    proc = run(mmrl("export", str(small_source), "--out", str(out)), cwd=tmp_path, env=env_for(tmp_path),
               prefix=tmpfs_prefix(disk, "200k"))
    line = assert_failed_cleanly(proc, OS_FAULT, "no space left on device", str(out))
    assert "free some space" in line
    # the tmpfs is gone with the namespace; what the process saw is asserted through its exit and message


def test_disk_full_simulated_midway_leaves_nothing_half_written_and_resumes(small_source, tmp_path):
    out = tmp_path / "out"
    proc = run(mmrl("export", str(small_source), "--out", str(out), "--relative-paths"), cwd=tmp_path,
               env={**enospc_env(out, 20_000), "MMRL_CACHE_DIR": str(tmp_path / "cache")})
    assert_failed_cleanly(proc, OS_FAULT, "no space left on device", str(out))
    assert_nothing_half_written(out)
    assert any((out / "images").rglob("*.png"))  # it did get going before the disk filled

    again = run(mmrl("export", str(small_source), "--out", str(out), "--relative-paths"), cwd=tmp_path,
                env=env_for(tmp_path))
    assert again.returncode == 0, again.stderr[-2000:]
    clean = run(mmrl("export", str(small_source), "--out", str(tmp_path / "clean"), "--relative-paths"),
                cwd=tmp_path, env=env_for(tmp_path))
    assert clean.returncode == 0
    for name in ("train.jsonl", "eval.jsonl", "manifest.json"):  # relative paths: comparable across folders
        assert (out / name).read_bytes() == (tmp_path / "clean" / name).read_bytes()


def test_not_enough_free_space_is_refused_before_writing(tmp_path):
    source = write_source(tmp_path / "src" / "train.parquet", 40, 100)  # ~1.2 MB of images
    disk = tmp_path / "disk"
    out = disk / "out"
    proc = run(mmrl("export", str(source), "--out", str(out)), cwd=tmp_path, env=env_for(tmp_path),
               prefix=tmpfs_prefix(disk, "256k") + [
                   "sh", "-c", '"$@"; rc=$?; echo "images=$(find "$0" -name "*.png" 2>/dev/null | wc -l)"; exit $rc',
                   str(out)])
    assert_failed_cleanly(proc, OS_FAULT, "free but this step writes about", str(out))
    assert "images=0" in proc.stdout


# --- read-only and permission denied ----------------------------------------------------------------------


def test_read_only_file_system_is_one_line_naming_the_folder(small_source, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    proc = run(mmrl("export", str(small_source), "--out", str(locked / "out")), cwd=tmp_path,
               env=env_for(tmp_path), prefix=read_only_prefix(locked))
    assert_failed_cleanly(proc, OS_FAULT, "read-only file system", str(locked / "out"))


def test_permission_denied_output_folder_fails_before_any_work(small_source, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    outs = {name: locked / name for name in ("export", "eda", "materialize", "eval", "pipeline", "train")}
    configs = {}
    for name in ("pipeline", "train"):
        configs[name] = tmp_path / f"{name}.yaml"
        configs[name].write_text(f"name: x\noutput_dir: {outs[name]}\ntracking: {{uri: 'sqlite:///{tmp_path}/m.db'}}\n")
    cases = {
        "export": ["export", str(small_source), "--out", str(outs["export"])],
        "eda": ["eda", str(small_source), "--out", str(outs["eda"]), "--no-tokens"],
        "materialize": ["data", "materialize", str(small_source), "--out", str(outs["materialize"])],
        "eval": ["eval", "--model", "tiny", "--data", str(small_source), "--no-mlflow", "--output-dir",
                 str(outs["eval"])],
        "pipeline": ["pipeline", "--config", str(configs["pipeline"]), "--stages", "data"],
        "train": ["train", "--config", str(configs["train"])],
    }
    try:
        results = invoke_many(cases, cwd=tmp_path, env=env_for(tmp_path), prefix=unprivileged_prefix())
    finally:
        locked.chmod(0o755)
    for name, result in results.items():
        assert_result_failed_cleanly(result, OS_FAULT, "not writable", "permission denied", str(outs[name]))
        assert not outs[name].exists(), name


def test_an_os_fault_inside_a_command_is_translated_and_a_bug_is_not(monkeypatch, tmp_path):
    import harness.grpo_data as grpo_data

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "out" / "train.jsonl"))

    monkeypatch.setattr(grpo_data, "export_grpo", full)
    result = CliRunner().invoke(app, ["export", "sample", "--out", str(tmp_path / "out")])
    assert result.exit_code == OS_FAULT
    assert result.output.count("error:") == 1 and "no space left on device" in result.output
    assert str(tmp_path / "out" / "train.jsonl") in result.output

    def bug(*args, **kwargs):
        return 1 / 0

    monkeypatch.setattr(grpo_data, "export_grpo", bug)
    result = CliRunner().invoke(app, ["export", "sample", "--out", str(tmp_path / "out")])
    assert isinstance(result.exception, ZeroDivisionError)  # a bug keeps its traceback


# --- two writers ------------------------------------------------------------------------------------------


def test_two_exports_into_one_folder_both_succeed_with_identical_files(small_source, tmp_path):
    out = tmp_path / "shared"
    procs = [subprocess.Popen(mmrl("export", str(small_source), "--out", str(out), "--relative-paths"),
                              cwd=tmp_path, env=env_for(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_, stderr) in zip(procs, outputs):
        assert proc.returncode == 0, stderr[-3000:]
        assert "Traceback" not in stderr
    clean = tmp_path / "clean"
    export_grpo(str(small_source), clean, relative_paths=True)  # comparable across folders
    for name in ("train.jsonl", "eval.jsonl", "rejected.jsonl", "manifest.json"):
        assert (out / name).read_bytes() == (clean / name).read_bytes(), name
    assert not list(out.rglob("*" + PARTIAL_SUFFIX))


def test_partial_names_are_unique_and_a_live_writers_partial_survives_cleanup(tmp_path):
    target = tmp_path / "train.jsonl"
    assert partial_path(target) != partial_path(target)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f"train.jsonl.{sleeper.pid}-abcd1234{PARTIAL_SUFFIX}"
        dead = tmp_path / f"eval.jsonl.999999999-abcd1234{PARTIAL_SUFFIX}"
        legacy = tmp_path / f"old.jsonl{PARTIAL_SUFFIX}"
        for path in (live, dead, legacy):
            path.write_text("x")
        removed = remove_stale_partials(tmp_path)
        assert sorted(removed) == sorted([dead, legacy])
        assert live.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
