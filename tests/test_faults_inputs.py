"""Fault suite, inputs: image paths confined to the image root, capped reads, and per-row rejection.

Each case is one a demanding user hit (issue 13): a row pointing outside the dataset, at /etc/passwd or
/dev/zero; a repeated conversation_id; a non-UTF-8 JSONL line. The rule checked throughout: the bad row
is rejected with a reason, every other row goes through, and no command prints a traceback.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from pathlib import Path

import pytest
from faults import assert_failed_cleanly, cli_env, mmrl, run
from PIL import Image

from harness.data import load_source
from harness.data.errors import ImageAccessError
from harness.data.image_access import MAX_BYTES_ENV, read_image_file
from harness.data.images import read_image_bytes
from harness.grpo_data import export_grpo

DOMAINS = ["Math", "Physics", "Chemistry", "Biology"]


def png(color: tuple[int, int, int], size: tuple[int, int] = (8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def row(i: int, path: str, **extra) -> dict:
    return {"conversation_id": f"c{i:02d}", "question": f"What is {i}?", "answer": str(i),
            "domain": DOMAINS[i % 4], "images": [{"bytes": None, "path": path}], **extra}


def write_jsonl(path: Path, rows: list[dict], bad_lines: dict[int, bytes] | None = None) -> Path:
    """Rows as JSON Lines; `bad_lines` inserts raw bytes before the row of that index."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        for i, r in enumerate(rows):
            if bad_lines and i in bad_lines:
                fh.write(bad_lines[i] + b"\n")
            fh.write(json.dumps(r).encode() + b"\n")
    return path


@pytest.fixture
def dataset(tmp_path, monkeypatch):
    """A folder dataset: 8 good rows with images in img/, plus a secret image outside the folder."""
    monkeypatch.setenv("MMRL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "ds"
    (root / "img").mkdir(parents=True)
    for i in range(8):
        (root / "img" / f"{i}.png").write_bytes(png((30 * i, 10, 200)))
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "x.png").write_bytes(png((1, 2, 3)))
    return root


def good_rows(n: int = 8) -> list[dict]:
    return [row(i, f"img/{i}.png") for i in range(n)]


def rejected(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]


def stored_hashes(folder: Path) -> set[str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.png")}


# --- confinement ------------------------------------------------------------------------------------------


def test_relative_path_escaping_the_dataset_is_rejected_and_never_copied(dataset, tmp_path):
    rows = good_rows() + [row(8, "../secret/x.png"), row(9, "img/../../secret/x.png")]
    write_jsonl(dataset / "train.jsonl", rows)
    result = export_grpo(str(dataset), tmp_path / "out")
    bad = {r["id"]: r for r in rejected(tmp_path / "out")}
    assert {bad["c08"]["reason"], bad["c09"]["reason"]} == {"path_outside_root"}
    assert sum(result.rows.values()) == 8
    secret = hashlib.sha256((tmp_path / "secret" / "x.png").read_bytes()).hexdigest()
    assert secret not in stored_hashes(tmp_path / "out")


def test_materialized_store_never_holds_an_escaped_image(dataset, tmp_path):
    write_jsonl(dataset / "train.jsonl", good_rows() + [row(8, "../secret/x.png")])
    proc = run(mmrl("data", "materialize", str(dataset), "--out", str(tmp_path / "store")), cwd=tmp_path,
               env=cli_env(MMRL_CACHE_DIR=str(tmp_path / "cache")))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [r["reason"] for r in rejected(tmp_path / "store")] == ["path_outside_root"]
    secret = hashlib.sha256((tmp_path / "secret" / "x.png").read_bytes()).hexdigest()
    assert secret not in stored_hashes(tmp_path / "store")


def test_symlink_inside_the_root_pointing_outside_is_rejected(dataset, tmp_path):
    (dataset / "img" / "link.png").symlink_to(tmp_path / "secret" / "x.png")
    write_jsonl(dataset / "train.jsonl", good_rows() + [row(8, "img/link.png")])
    export_grpo(str(dataset), tmp_path / "out")
    assert [(r["id"], r["reason"]) for r in rejected(tmp_path / "out")] == [("c08", "path_outside_root")]


def test_absolute_paths_need_the_opt_in_flag(dataset, tmp_path):
    outside = str(tmp_path / "secret" / "x.png")
    write_jsonl(dataset / "train.jsonl", good_rows() + [row(8, outside), row(9, "/etc/passwd")])
    export_grpo(str(dataset), tmp_path / "default")
    assert {r["id"]: r["reason"] for r in rejected(tmp_path / "default")} == {
        "c08": "path_outside_root", "c09": "path_outside_root"}

    opted = export_grpo(str(dataset), tmp_path / "opted", allow_absolute_image_paths=True)
    assert {r["id"]: r["reason"] for r in rejected(tmp_path / "opted")} == {"c09": "corrupt_image"}  # read, undecodable
    assert sum(opted.rows.values()) == 9


def test_image_root_option_moves_where_relative_paths_resolve(dataset, tmp_path):
    elsewhere = tmp_path / "pictures"
    (elsewhere / "img").mkdir(parents=True)
    for i in range(8):
        (elsewhere / "img" / f"{i}.png").write_bytes(png((5, 5, 20 * i)))
    write_jsonl(dataset / "train.jsonl", good_rows())
    result = export_grpo(str(dataset), tmp_path / "out", image_root=elsewhere)
    assert sum(result.rows.values()) == 8
    assert stored_hashes(tmp_path / "out") == stored_hashes(elsewhere)


def test_image_root_via_the_cli_and_escapes_from_it(dataset, tmp_path):
    write_jsonl(dataset / "train.jsonl", good_rows(4) + [row(4, "../ds/img/0.png")])
    proc = run(mmrl("export", str(dataset / "train.jsonl"), "--out", str(tmp_path / "out"),
                    "--image-root", str(dataset / "img")), cwd=tmp_path,
               env=cli_env(MMRL_CACHE_DIR=str(tmp_path / "cache")))
    assert proc.returncode == 0, proc.stderr[-2000:]
    # relative to img/, "img/0.png" is missing and "../ds/img/0.png" escapes the root
    reasons = {r["id"]: r["reason"] for r in rejected(tmp_path / "out")}
    assert reasons == {"c00": "missing_image", "c01": "missing_image", "c02": "missing_image",
                       "c03": "missing_image", "c04": "path_outside_root"}


# --- not a regular file, byte cap -------------------------------------------------------------------------


def test_dev_zero_is_not_a_file_and_is_never_read(dataset, tmp_path):
    write_jsonl(dataset / "train.jsonl", good_rows() + [row(8, "/dev/zero")])
    started = time.monotonic()
    result = export_grpo(str(dataset), tmp_path / "out", allow_absolute_image_paths=True)
    assert time.monotonic() - started < 60
    assert [(r["id"], r["reason"]) for r in rejected(tmp_path / "out")] == [("c08", "not_a_file")]
    assert sum(result.rows.values()) == 8


def test_folders_and_fifos_are_not_files_and_a_fifo_never_blocks(dataset, tmp_path):
    os.mkfifo(dataset / "img" / "pipe.png")
    write_jsonl(dataset / "train.jsonl", good_rows() + [row(8, "img"), row(9, "img/pipe.png")])
    export_grpo(str(dataset), tmp_path / "out")
    assert {r["id"]: r["reason"] for r in rejected(tmp_path / "out")} == {"c08": "not_a_file", "c09": "not_a_file"}


def test_files_over_the_byte_cap_are_rejected(dataset, tmp_path, monkeypatch):
    (dataset / "img" / "big.png").write_bytes(png((9, 9, 9), size=(600, 600)) + b"\0" * 50_000)
    write_jsonl(dataset / "train.jsonl", good_rows() + [row(8, "img/big.png")])
    monkeypatch.setenv(MAX_BYTES_ENV, "20000")
    result = export_grpo(str(dataset), tmp_path / "out")
    assert [(r["id"], r["reason"]) for r in rejected(tmp_path / "out")] == [("c08", "image_too_large")]
    assert sum(result.rows.values()) == 8


def test_byte_cap_also_bounds_inline_bytes_and_is_set_by_the_cli(tmp_path, monkeypatch):
    monkeypatch.setenv(MAX_BYTES_ENV, "100")
    with pytest.raises(ImageAccessError) as info:
        read_image_bytes({"bytes": b"x" * 101, "path": None})
    assert info.value.reason == "image_too_large"
    proc = run(mmrl("export", "--help"), cwd=tmp_path)
    assert "--max-image-bytes" in proc.stdout


def test_read_time_confinement_protects_loaders_of_tampered_exports(tmp_path):
    root = tmp_path / "export"
    (root / "images").mkdir(parents=True)
    (tmp_path / "x.png").write_bytes(png((1, 1, 1)))
    with pytest.raises(ImageAccessError) as info:
        read_image_file("../x.png", root=root)
    assert info.value.reason == "path_outside_root"
    with pytest.raises(ImageAccessError) as info:
        read_image_file(str(tmp_path / "x.png"), root=root)
    assert info.value.reason == "path_outside_root"


# --- duplicate ids ----------------------------------------------------------------------------------------


def test_duplicate_id_keeps_the_first_row_and_rejects_the_rest(dataset, tmp_path):
    rows = good_rows() + [row(3, "img/5.png", question="a different question")]
    write_jsonl(dataset / "train.jsonl", rows)
    result = export_grpo(str(dataset), tmp_path / "out")
    assert sum(result.rows.values()) == 8
    dupes = [r for r in rejected(tmp_path / "out") if r["reason"] == "duplicate_id"]
    assert [(d["id"], d["index"]) for d in dupes] == [("c03", 8)]
    kept = [json.loads(line) for f in ("train.jsonl", "eval.jsonl") for line in (tmp_path / "out" / f).open()]
    c03 = [r for r in kept if r["id"] == "c03"]
    assert len(c03) == 1 and "What is 3?" in json.dumps(c03[0]["prompt"])  # the first one
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["rejected"]["reasons"] == {"duplicate_id": 1}


def test_eda_and_data_info_report_duplicate_ids(dataset, tmp_path):
    write_jsonl(dataset / "train.jsonl", good_rows() + [row(3, "img/5.png"), row(3, "img/6.png")])
    env = cli_env(MMRL_CACHE_DIR=str(tmp_path / "cache"))
    info = run(mmrl("data", "info", str(dataset)), cwd=tmp_path, env=env)
    assert info.returncode == 0 and "Traceback" not in info.stderr, info.stderr[-2000:]
    assert "2 duplicate_id" in info.stdout
    eda = run(mmrl("eda", str(dataset), "--out", str(tmp_path / "eda"), "--no-tokens"), cwd=tmp_path, env=env)
    assert eda.returncode == 0 and "Traceback" not in eda.stderr, eda.stderr[-2000:]
    summary = json.loads((tmp_path / "eda" / "summary.json").read_text())
    assert summary["rejected_rows"]["reasons"] == {"duplicate_id": 2}
    assert summary["dataset"]["n_examples"] == 8
    finding = next(f for f in summary["findings"] if f["code"] == "duplicate_ids")
    assert finding["level"] == "error" and finding["ids"] == ["c03"]


# --- undecodable lines ------------------------------------------------------------------------------------


def test_non_utf8_and_broken_json_lines_are_rejected_with_file_and_line(dataset, tmp_path):
    path = write_jsonl(dataset / "train.jsonl", good_rows(),
                       bad_lines={2: b'{"conversation_id": "bad\xff\xfe", "question": "x"}', 5: b'{"question": '})
    loaded = load_source(str(path))
    assert len(loaded.dataset) == 8
    assert [(r["reason"], r["line"]) for r in loaded.rejected] == [("undecodable_line", 3), ("invalid_json_line", 7)]
    assert all(r["file"] == str(path) for r in loaded.rejected)

    result = export_grpo(str(path), tmp_path / "out")
    assert sum(result.rows.values()) == 8
    lines = [(r["reason"], r["file"], r["line"]) for r in rejected(tmp_path / "out")]
    assert lines == [("undecodable_line", str(path), 3), ("invalid_json_line", str(path), 7)]


@pytest.mark.parametrize("command", ["info", "eda"])
def test_data_info_and_eda_never_print_a_traceback_for_bad_lines(dataset, tmp_path, command):
    path = write_jsonl(dataset / "train.jsonl", good_rows(), bad_lines={4: b"\xff\xfe not text"})
    args = ["data", "info", str(path)] if command == "info" else [
        "eda", str(path), "--no-tokens", "--out", str(tmp_path / "eda")]
    proc = run(mmrl(*args), cwd=tmp_path, env=cli_env(MMRL_CACHE_DIR=str(tmp_path / "cache")))
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-3000:]
    assert "Traceback" not in text and "UnicodeDecodeError" not in text
    assert f"{path}:5" in "".join(text.split())


def test_a_file_of_only_bad_lines_is_one_clean_error(dataset, tmp_path):
    path = dataset / "train.jsonl"
    path.write_bytes(b"\xff\n{not json\n")
    proc = run(mmrl("data", "info", str(path)), cwd=tmp_path, env=cli_env(MMRL_CACHE_DIR=str(tmp_path / "cache")))
    assert_failed_cleanly(proc, 2, "no readable rows", "train.jsonl:1")
