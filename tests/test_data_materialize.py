"""Content-addressed image store: dedup, corrupt images, resume after an interrupted or killed run."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import datasets
import pytest
from data_factory import OPEN_MM_RL_FEATURES, image_dict, open_mm_rl_dataset, open_mm_rl_rows

from harness.data import materialize_images
from harness.data.images import open_image
from harness.data.normalize import normalize

REPO = Path(__file__).resolve().parent.parent


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.parent != root)


def assert_store_is_consistent(root: Path) -> None:
    """Every stored file is complete: its name is the sha256 of its bytes, no temp files remain."""
    for path in stored_files(root):
        assert not path.name.startswith(".tmp-"), f"leftover temp file {path}"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.stem
        assert path.parent.name == path.stem[:2]


def test_images_become_relative_paths_and_decode_to_the_same_pixels(tmp_path):
    ds = normalize(open_mm_rl_dataset(6))
    result = materialize_images(ds, tmp_path / "store")
    assert result.rows_out == 6 and not result.rejected
    for src, out in zip(ds, result.dataset):
        assert len(src["images"]) == len(out["images"])
        for a, b in zip(src["images"], out["images"]):
            assert not Path(b).is_absolute()
            assert open_image(a).tobytes() == open_image(b, root=tmp_path / "store").tobytes()
    assert_store_is_consistent(tmp_path / "store")
    exts = {Path(p).suffix for row in result.dataset["images"] for p in row}
    assert exts == {".png", ".jpg"}


def test_identical_images_are_written_once(tmp_path):
    rows = open_mm_rl_rows(3)
    same = image_dict((7, 7, 7))
    rows["images"] = [[same], [same, same], [image_dict((8, 8, 8))]]
    ds = normalize(datasets.Dataset.from_dict(rows, features=OPEN_MM_RL_FEATURES))
    result = materialize_images(ds, tmp_path)
    assert result.images_seen == 4
    assert result.images_written == 2
    assert result.images_deduplicated == 2
    assert len(stored_files(tmp_path)) == 2
    assert result.dataset[1]["images"][0] == result.dataset[0]["images"][0]


def test_corrupt_image_rejects_its_row_by_id_and_the_run_goes_on(tmp_path):
    rows = open_mm_rl_rows(4)
    rows["images"][2] = [image_dict((1, 2, 3)), {"bytes": b"\x89PNG\r\n\x1a\n garbage", "path": None}]
    ds = normalize(datasets.Dataset.from_dict(rows, features=OPEN_MM_RL_FEATURES))
    result = materialize_images(ds, tmp_path)
    assert result.dataset["id"] == ["conv-000", "conv-001", "conv-003"]
    assert result.summary()["rows_rejected"] == 1
    rejected = [json.loads(line) for line in (tmp_path / "rejected.jsonl").read_text().splitlines()]
    assert rejected[0]["id"] == "conv-002" and rejected[0]["image_index"] == 1
    assert "undecodable" in rejected[0]["error"]


def test_rerun_skips_existing_files_and_gives_the_same_records(tmp_path):
    ds = normalize(open_mm_rl_dataset(8))
    first = materialize_images(ds, tmp_path)
    mtimes = {p: p.stat().st_mtime_ns for p in stored_files(tmp_path)}
    second = materialize_images(ds, tmp_path)
    assert second.images_written == 0
    assert {p: p.stat().st_mtime_ns for p in stored_files(tmp_path)} == mtimes
    assert first.dataset.to_list() == second.dataset.to_list()


def test_interrupted_run_resumes_to_the_same_result(tmp_path):
    ds = normalize(open_mm_rl_dataset(12))
    clean = materialize_images(ds, tmp_path / "clean")

    class Stop(Exception):
        pass

    count = {"n": 0}

    def stop_after_five(_: int) -> None:
        count["n"] += 1
        if count["n"] == 5:
            raise Stop

    with pytest.raises(Stop):
        materialize_images(ds, tmp_path / "resumed", on_row=stop_after_five)
    partial = stored_files(tmp_path / "resumed")
    assert 0 < len(partial) < len(stored_files(tmp_path / "clean"))
    assert_store_is_consistent(tmp_path / "resumed")
    resumed = materialize_images(ds, tmp_path / "resumed")
    assert resumed.images_written == clean.images_written - len(partial)
    assert resumed.dataset.to_list() == clean.dataset.to_list()


_KILL_SCRIPT = r"""
import sys, datasets
sys.path.insert(0, sys.argv[2])
from data_factory import open_mm_rl_dataset
from harness.data import materialize_images
from harness.data.normalize import normalize
ds = normalize(open_mm_rl_dataset(400))
print("ready", flush=True)
import time
materialize_images(ds, sys.argv[1], batch_size=4, on_row=lambda _: time.sleep(0.01))
print("done", flush=True)
"""


def test_killed_process_leaves_a_consistent_store_that_resumes(tmp_path):
    store = tmp_path / "store"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT, str(store), str(REPO / "tests")],
        stdout=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout.readline().strip() == "ready"
    deadline = time.time() + 60
    while time.time() < deadline and len(stored_files(store)) < 20 if store.exists() else time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_count = len(stored_files(store))
    assert killed_count > 0
    assert_store_is_consistent(store)
    ds = normalize(open_mm_rl_dataset(400))
    resumed = materialize_images(ds, store)
    assert resumed.rows_out == 400
    assert resumed.images_written == len(stored_files(store)) - killed_count
    assert_store_is_consistent(store)
