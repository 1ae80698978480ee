"""GRPO export: round trip through the lazy loader, determinism, kill + resume, rejections, both formats."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tracemalloc
from pathlib import Path

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from data_factory import OPEN_MM_RL_FEATURES
from PIL import Image

from harness.data import split_dataset
from harness.data.images import open_image
from harness.data.normalize import normalize
from harness.data.prompt import IMAGE_TOKEN
from harness.grpo_data import (
    ExportChecksumError,
    IncompleteExportError,
    IOStats,
    export_grpo,
    load_grpo_dataset,
    read_manifest,
    verify_export,
)
from rewards import classify_answer as classify

REPO = Path(__file__).resolve().parent.parent
DOMAINS = ["Math", "Physics", "Chemistry", "Biology"]
ANSWERS = ["\\[12\\]", "\\[-\\frac{71}{4} \\]", "Anterior", "\\[0.25\\]", "\\(x^2+1\\)", "B"]


def noise_png(seed: int, size=(24, 18), fmt="PNG") -> bytes:
    """Random pixels so a wrong or swapped image cannot compare equal."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buf, format=fmt)
    return buf.getvalue()


def raw_rows(n: int, *, image_size=(24, 18)) -> dict[str, list]:
    rows: dict[str, list] = {name: [] for name in OPEN_MM_RL_FEATURES}
    for i in range(n):
        rows["conversation_id"].append(f"q-{i:04d}")
        rows["domain"].append(DOMAINS[i % 4])
        rows["subDomain"].append(f"sub {i % 3} ")
        rows["author_id"].append("a")
        rows["question"].append(f"Question {i}: what is the value shown in the figure? ∫ x dx")
        rows["answer"].append(ANSWERS[i % len(ANSWERS)])
        rows["format"].append("single_image" if i % 3 == 0 else "multi_image")
        rows["images"].append(
            [
                {"bytes": noise_png(1000 * i + j, image_size, "PNG" if j % 2 == 0 else "JPEG"), "path": None}
                for j in range(1 + i % 3)
            ]
        )
    return rows


def raw_dataset(n: int = 16, **kw) -> datasets.Dataset:
    return datasets.Dataset.from_dict(raw_rows(n, **kw), features=OPEN_MM_RL_FEATURES)


@pytest.fixture(scope="module")
def source() -> datasets.Dataset:
    return normalize(raw_dataset(16))


def all_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def load(out: Path, split: str, tmp_path: Path, **kw) -> datasets.Dataset:
    return load_grpo_dataset(out, split, cache_dir=tmp_path / "hf-cache", **kw)


# --- round trip -------------------------------------------------------------------------------------------


def test_round_trip_gives_the_same_questions_answers_and_pixels(source, tmp_path):
    out = tmp_path / "export"
    result = export_grpo(source, out)
    assert result.rejected == []
    by_id = {row["id"]: row for row in source}
    seen = []
    for split in ("train", "eval"):
        ds = load(out, split, tmp_path)
        assert set(ds.column_names) >= {"id", "prompt", "images", "answer", "domain", "sub_domain", "answer_type"}
        for row in ds:
            src = by_id[row["id"]]
            seen.append(row["id"])
            user = row["prompt"][-1]
            assert user["role"] == "user"
            assert src["question"].strip() in user["content"][-1]["text"]
            assert "\\boxed{}" in user["content"][-1]["text"]
            assert [b for b in user["content"] if b["type"] == "image"] == [{"type": "image"}] * len(src["images"])
            assert row["answer"] == src["answer"]
            assert (row["domain"], row["sub_domain"]) == (src["domain"], src["sub_domain"])
            assert row["answer_type"] == classify(src["answer"])
            assert len(row["images"]) == len(src["images"])
            for got, want in zip(row["images"], src["images"]):
                assert isinstance(got, Image.Image)
                assert np.array_equal(np.asarray(got), np.asarray(open_image(want)))
    assert sorted(seen) == sorted(by_id)


def test_manifest_records_split_ids_counts_and_checksums(source, tmp_path):
    out = tmp_path / "export"
    export_grpo(source, out, eval_fraction=0.25, seed=3)
    manifest = verify_export(out)
    expected = split_dataset(source, eval_fraction=0.25, seed=3)
    assert manifest["split"]["train_ids"] == sorted(expected.train_ids)
    assert manifest["split"]["eval_ids"] == sorted(expected.eval_ids)
    assert not set(manifest["split"]["train_ids"]) & set(manifest["split"]["eval_ids"])
    assert (manifest["split"]["seed"], manifest["split"]["eval_fraction"]) == (3, 0.25)
    train_ids = {json.loads(line)["id"] for line in (out / "train.jsonl").read_text().splitlines()}
    assert train_ids == expected.train_ids
    assert manifest["counts"]["rows"] == len(source)
    assert manifest["counts"]["domains"] == {d: 4 for d in sorted(DOMAINS)}
    assert manifest["format"] == "trl" and manifest["format_version"] == 1
    assert "{question}" in manifest["prompt"]["template"]
    assert manifest["splits"]["train"]["rows"] == len(expected.train_ids)


def test_plain_datasets_json_loader_reads_the_jsonl_with_absolute_paths_into_the_export(source, tmp_path):
    out = tmp_path / "export"
    export_grpo(source, out, splits="train")
    assert not (out / "eval.jsonl").exists()
    ds = datasets.load_dataset("json", data_files=str(out / "train.jsonl"), split="train",
                               cache_dir=str(tmp_path / "hf-cache"))
    assert len(ds) == read_manifest(out)["splits"]["train"]["rows"]
    assert read_manifest(out)["image_paths"] == "absolute"
    images = (out / "images").resolve()
    for row in ds:
        assert row["images"] and all(Path(p).is_absolute() and Path(p).is_file() for p in row["images"])
        assert all(Path(p).is_relative_to(images) for p in row["images"])
        assert sum(b["type"] == "image" for b in row["prompt"][-1]["content"]) == len(row["images"])


def test_relative_paths_are_relative_to_the_export_folder(source, tmp_path):
    out = tmp_path / "export"
    export_grpo(source, out, splits="train", relative_paths=True)
    assert read_manifest(out)["image_paths"] == "relative"
    for line in (out / "train.jsonl").read_text().splitlines():
        paths = json.loads(line)["images"]
        assert paths and all(p.startswith("images/") and (out / p).is_file() for p in paths)


def test_images_are_decoded_only_when_rows_are_read(source, tmp_path):
    out = tmp_path / "export"
    export_grpo(source, out)
    stats = IOStats()
    ds = load(out, "train", tmp_path, io_stats=stats)
    assert stats.snapshot().images == 0  # loading decodes nothing
    assert ds.data.column("images").type == pa.list_(pa.string())  # only paths are held
    first = ds[0]
    after_one = stats.snapshot()
    assert after_one.images == len(first["images"]) and after_one.rows == 1
    assert after_one.bytes_read == sum((out / p).stat().st_size for p in ds.with_format(None)[0]["images"])
    batch = ds[0:3]
    assert stats.snapshot().images == after_one.images + sum(len(x) for x in batch["images"])
    assert (stats.snapshot() - after_one).rows == 3


def test_lazy_decoding_survives_shuffle_select_and_dataloader_workers_pickling(source, tmp_path):
    import pickle

    import torch

    out = tmp_path / "export"
    export_grpo(source, out)
    stats = IOStats()
    ds = load(out, "train", tmp_path, io_stats=stats).shuffle(seed=0).select([0, 1])
    assert all(isinstance(img, Image.Image) for img in ds[1]["images"])
    loader = torch.utils.data.DataLoader(ds, batch_size=2, collate_fn=list)
    assert [len(r["images"]) for r in next(iter(loader))] == [len(p) for p in ds.with_format(None)["images"]]
    clone = pickle.loads(pickle.dumps(stats))  # what a worker process receives
    clone.add(images=1, rows=1, bytes_read=10, seconds=0.5)
    assert clone.snapshot().images == stats.snapshot().images + 1


# --- TRL's own prompt handling ------------------------------------------------------------------------------

SMOLVLM_LIKE_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{ message['role'] | capitalize }}:"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for block in message['content'] %}{% if block['type'] == 'image' %}<image>"
    "{% elif block['type'] == 'text' %}{{ block['text'] }}{% endif %}{% endfor %}{% endif %}"
    "<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}"
)


def _tokenizer():
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel({"[UNK]": 0}, unk_token="[UNK]")))
    tok.chat_template = SMOLVLM_LIKE_TEMPLATE
    return tok


@pytest.mark.parametrize("system_prompt", [None, "You are a careful scientist."])
def test_trl_renders_exactly_one_image_token_per_image(source, tmp_path, system_prompt):
    """Do what GRPOTrainer does with a row: fill placeholders from `images`, normalise again, apply the template."""
    from trl.data_utils import maybe_apply_chat_template, prepare_multimodal_messages

    out = tmp_path / "export"
    export_grpo(source, out, prompt={"name": "boxed", "system_prompt": system_prompt})
    tok = _tokenizer()
    ds = load(out, "train", tmp_path)
    for row in ds:
        filled = prepare_multimodal_messages(row["prompt"], images=row["images"])
        filled = prepare_multimodal_messages(filled)  # GRPOTrainer._tokenize_prompts calls it again
        assert [b["image"] for m in filled for b in m["content"] if b["type"] == "image"] == row["images"]
        text = maybe_apply_chat_template({"prompt": filled}, tok)["prompt"]
        assert text.count(IMAGE_TOKEN) == len(row["images"]) >= 1
        assert text.endswith("Assistant:")
        assert (system_prompt or "") in text


# --- determinism, atomicity, resume --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["trl", "verl"])
def test_same_input_gives_byte_identical_output(source, tmp_path, fmt):
    """Relative paths: identical in any folder. Default (absolute for TRL): identical up to the folder's path."""
    first = export_grpo(source, tmp_path / "a", fmt=fmt, relative_paths=True)
    export_grpo(source, tmp_path / "b", fmt=fmt, relative_paths=True)
    files_a = all_files(tmp_path / "a")
    assert files_a == all_files(tmp_path / "b")
    assert "manifest.json" in files_a and any(name.startswith("images/") for name in files_a)
    again = export_grpo(source, tmp_path / "a", fmt=fmt, relative_paths=True)  # rerun in place
    assert all_files(tmp_path / "a") == files_a
    assert first.images_written > 0 and again.images_written == 0 and again.images_reused == first.images_written

    export_grpo(source, tmp_path / "c", fmt=fmt)
    export_grpo(source, tmp_path / "d", fmt=fmt)
    files_c, files_d = all_files(tmp_path / "c"), all_files(tmp_path / "d")
    prefix = {name: (str((tmp_path / name).resolve()) + "/").encode() for name in "cd"}
    assert files_c.keys() == files_d.keys()
    for name in set(files_c) - {"manifest.json"}:
        assert files_c[name].replace(prefix["c"], b"") == files_d[name].replace(prefix["d"], b""), name
    manifests = [json.loads(files["manifest.json"]) for files in (files_c, files_d)]
    for manifest in manifests:  # the data files' checksums cover their (folder-dependent) paths
        for entry in manifest["splits"].values():
            entry.pop("sha256")
    assert manifests[0] == manifests[1]
    export_grpo(source, tmp_path / "c", fmt=fmt)
    assert all_files(tmp_path / "c") == files_c


def test_an_error_midway_leaves_no_split_file_and_no_manifest(source, tmp_path):
    out = tmp_path / "export"
    calls = []

    def failing(gold: str) -> str:
        calls.append(gold)
        if len(calls) == 4:
            raise RuntimeError("boom")
        return classify(gold)

    with pytest.raises(RuntimeError, match="boom"):
        export_grpo(source, out, answer_classifier=failing)
    assert sorted(p.name for p in out.iterdir()) == ["images"]
    with pytest.raises(IncompleteExportError):
        load(out, "train", tmp_path)


def test_a_failed_rerun_over_a_finished_export_is_not_mistaken_for_complete(source, tmp_path):
    out = tmp_path / "export"
    export_grpo(source, out)
    with pytest.raises(RuntimeError):
        export_grpo(source, out, answer_classifier=lambda gold: (_ for _ in ()).throw(RuntimeError("x")))
    assert (out / "train.jsonl").exists() and not (out / "manifest.json").exists()
    with pytest.raises(IncompleteExportError, match="not a finished export"):
        load(out, "train", tmp_path)


def test_loader_refuses_a_split_file_that_differs_from_the_manifest(source, tmp_path):
    out = tmp_path / "export"
    export_grpo(source, out)
    lines = (out / "train.jsonl").read_text().splitlines(keepends=True)
    (out / "train.jsonl").write_text("".join(lines[:-1]))  # a truncated file
    with pytest.raises(ExportChecksumError, match="train.jsonl"):
        load(out, "train", tmp_path)


KILL_SCRIPT = """
import sys, time
import datasets
from harness.grpo_data import export_grpo
from rewards import classify_answer
calls = 0
def classify_then_stall(gold):
    global calls
    calls += 1
    if calls == 6:
        print("MIDWAY", flush=True)
        time.sleep(120)
    return classify_answer(gold)
export_grpo(datasets.load_from_disk(sys.argv[1]), sys.argv[2], answer_classifier=classify_then_stall)
"""


def test_killed_export_resumes_to_the_same_bytes_as_a_clean_run(source, tmp_path):
    saved = tmp_path / "source"
    source.save_to_disk(str(saved))
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(saved), str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "MIDWAY"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "manifest.json").exists()
    assert not (out / "train.jsonl").exists()  # only the .partial, which no reader takes for complete
    assert any((out / "images").rglob("*.*"))  # some images were already written
    with pytest.raises(IncompleteExportError):
        load(out, "train", tmp_path)

    resumed = export_grpo(source, out)
    assert resumed.images_reused > 0
    clean = tmp_path / "clean"
    export_grpo(source, clean)
    moved = {name: data.replace(str(out.resolve()).encode(), str(clean.resolve()).encode())
             for name, data in all_files(out).items() if name != "manifest.json"}
    assert moved == {name: data for name, data in all_files(clean).items() if name != "manifest.json"}
    export_grpo(source, out, relative_paths=True)
    export_grpo(source, clean, relative_paths=True)
    assert all_files(out) == all_files(clean)


def _export_peak_bytes(ds: datasets.Dataset, out: Path) -> int:
    tracemalloc.start()
    try:
        export_grpo(ds, out, batch_size=4)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_export_memory_stays_flat_in_dataset_size(tmp_path):
    """Four times the rows (and image bytes) must not raise the Python-side peak by more than a sliver of them."""
    small, large = (normalize(raw_dataset(n, image_size=(96, 96))) for n in (24, 96))
    image_bytes = [sum(len(img["bytes"]) for row in ds for img in row["images"]) for ds in (small, large)]
    _export_peak_bytes(small, tmp_path / "warm-up")  # one-time imports and caches are not what we measure
    peak_small = _export_peak_bytes(small, tmp_path / "small")
    peak_large = _export_peak_bytes(large, tmp_path / "large")
    grown = image_bytes[1] - image_bytes[0]
    assert grown > 2_500_000
    assert peak_large - peak_small < grown / 10, (peak_small, peak_large, grown)


# --- validation on the way out -------------------------------------------------------------------------------


def test_bad_rows_go_to_rejected_jsonl_with_their_reason(tmp_path):
    rows = raw_rows(12)
    rows["answer"][1] = "   "
    rows["images"][2] = [{"bytes": b"\x89PNG\r\n\x1a\n truncated", "path": None}]
    rows["question"][3] = "Compare <image> with the second figure."
    rows["images"][4] = []
    ds = normalize(datasets.Dataset.from_dict(rows, features=OPEN_MM_RL_FEATURES))
    out = tmp_path / "export"
    result = export_grpo(ds, out)
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    reasons = {r["id"]: r["reason"] for r in rejected}
    assert reasons == {
        "q-0001": "empty_answer",
        "q-0002": "corrupt_image",
        "q-0003": "image_count_mismatch",
        "q-0004": "no_images",
    }
    assert all(r["detail"] and r["split"] in ("train", "eval") for r in rejected)
    assert len(result.rejected) == 4
    manifest = verify_export(out)
    assert manifest["rejected"]["count"] == 4 and manifest["counts"]["rows"] == 8
    written = set()
    for split in ("train", "eval"):
        written |= {json.loads(line)["id"] for line in (out / f"{split}.jsonl").read_text().splitlines()}
    assert written == {f"q-{i:04d}" for i in range(12)} - set(reasons)


def test_missing_image_file_is_rejected(tmp_path):
    rows = raw_rows(6)
    rows["images"][0] = [{"bytes": None, "path": str(tmp_path / "nowhere.png")}]
    ds = normalize(datasets.Dataset.from_dict(rows, features=OPEN_MM_RL_FEATURES), base_dir=tmp_path)
    result = export_grpo(ds, tmp_path / "export")
    assert [(r["id"], r["reason"]) for r in result.rejected] == [("q-0000", "missing_image")]
    assert "nowhere.png" in result.rejected[0]["detail"]


# --- verl parquet -----------------------------------------------------------------------------------------


def test_verl_parquet_has_the_geo3k_schema_and_embeds_the_stored_images(source, tmp_path):
    out = tmp_path / "verl"
    export_grpo(source, out, fmt="verl", prompt={"system_prompt": "Be precise."})
    schema = pq.read_schema(out / "train.parquet")
    assert schema.names == ["data_source", "prompt", "images", "ability", "reward_model", "extra_info"]
    assert schema.field("data_source").type == pa.string()
    message = schema.field("prompt").type.value_type
    assert {message.field(i).name: message.field(i).type for i in range(message.num_fields)} == {
        "role": pa.string(), "content": pa.string()}
    image = schema.field("images").type.value_type
    assert {image.field(i).name: image.field(i).type for i in range(image.num_fields)} == {
        "bytes": pa.binary(), "path": pa.string()}
    reward = schema.field("reward_model").type
    assert [reward.field(i).name for i in range(reward.num_fields)] == ["style", "ground_truth"]
    extra = schema.field("extra_info").type
    assert {"split", "index", "id", "answer_type", "sub_domain"} <= {
        extra.field(i).name for i in range(extra.num_fields)
    }

    table = pq.read_table(out / "train.parquet").to_pylist()
    by_id = {row["id"]: row for row in source}
    assert len(table) == read_manifest(out)["splits"]["train"]["rows"]
    for i, row in enumerate(table):
        src = by_id[row["extra_info"]["id"]]
        assert row["reward_model"] == {"style": "rule", "ground_truth": src["answer"]}
        assert row["ability"] == src["domain"] and row["extra_info"]["index"] == i
        assert row["prompt"][0] == {"role": "system", "content": "Be precise."}
        assert row["prompt"][-1]["content"].count(IMAGE_TOKEN) == len(row["images"]) == len(src["images"])
        for img in row["images"]:
            assert (out / img["path"]).read_bytes() == img["bytes"]
    # `datasets` (what verl's RLHFDataset uses) reads the images as Image features.
    ds = datasets.load_dataset("parquet", data_files=str(out / "eval.parquet"), split="train",
                               cache_dir=str(tmp_path / "hf-cache"))
    assert isinstance(ds[0]["images"][0], Image.Image)


def test_loader_rejects_a_verl_export(source, tmp_path):
    export_grpo(source, tmp_path / "verl", fmt="verl", splits="eval")
    with pytest.raises(ValueError, match="verl"):
        load(tmp_path / "verl", "eval", tmp_path)


def test_unknown_split_and_format_are_refused_before_writing(source, tmp_path):
    with pytest.raises(ValueError, match="split"):
        export_grpo(source, tmp_path / "x", splits="test")
    with pytest.raises(ValueError, match="format"):
        export_grpo(source, tmp_path / "x", fmt="csv")
    with pytest.raises(ValueError, match="question"):
        export_grpo(source, tmp_path / "x", prompt={"template": "no slot"})
    assert not (tmp_path / "x").exists()
