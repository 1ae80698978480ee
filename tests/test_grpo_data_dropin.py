"""The TRL export is drop-in data: stock `datasets.load_dataset("json", ...)` and the stock `GRPOTrainer` train on
it from any working directory, and `load_grpo_dataset` reads absolute, relative and moved exports alike."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import datasets
import pytest

from harness.grpo_data import export_grpo, load_grpo_dataset, read_manifest


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dropin") / "export"
    export_grpo("sample", out, splits=("train",))
    return out


def first_images(out: Path) -> list[str]:
    return json.loads((out / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])["images"]


def test_stock_grpo_trainer_trains_on_the_stock_loaded_jsonl_from_another_directory(exported, tmp_path, monkeypatch):
    """No harness code between the files and the trainer: what a TRL user would write, run from elsewhere."""
    from transformers import AutoProcessor
    from trl import GRPOConfig, GRPOTrainer

    from harness.models import build_tiny_vlm

    model_dir = str(build_tiny_vlm())  # the cached offline tiny model the rest of the suite uses
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert not (elsewhere / "images").exists()  # relative paths could not resolve from here

    ds = datasets.load_dataset("json", data_files=str(exported / "train.jsonl"), split="train",
                               cache_dir=str(tmp_path / "hf-cache")).select(range(2))

    def answered(completions, answer, **kwargs) -> list[float]:
        return [float(str(gold) in str(completion)) for completion, gold in zip(completions, answer)]

    trainer = GRPOTrainer(
        model=model_dir,
        processing_class=AutoProcessor.from_pretrained(model_dir),
        reward_funcs=answered,
        args=GRPOConfig(
            output_dir=str(tmp_path / "grpo"), max_steps=1, per_device_train_batch_size=2, num_generations=2,
            max_completion_length=4, use_cpu=True, bf16=False, report_to="none", logging_steps=1,
            save_strategy="no", activation_checkpointing=False, dataloader_num_workers=0,
        ),
        train_dataset=ds,
    )
    trainer.train()
    assert trainer.state.global_step == 1
    assert any("reward" in entry for entry in trainer.state.log_history)


def test_relative_export_loads_with_the_harness_loader_from_another_directory(tmp_path, monkeypatch):
    out = tmp_path / "export"
    export_grpo("sample", out, splits=("train",), relative_paths=True)
    assert all(p.startswith("images/") for p in first_images(out))
    monkeypatch.chdir(tmp_path / "export" / "images")  # a cwd where "images/..." does not exist
    ds = load_grpo_dataset(out, "train", cache_dir=tmp_path / "hf-cache")
    assert ds[0]["images"] and all(image.size[0] > 0 for image in ds[0]["images"])


def test_a_moved_export_with_absolute_paths_finds_its_own_images(exported, tmp_path):
    moved = tmp_path / "moved"
    shutil.copytree(exported, moved)
    assert all(not Path(p).is_relative_to(moved.resolve()) for p in first_images(moved))
    ds = load_grpo_dataset(moved, "train", cache_dir=tmp_path / "hf-cache")  # else: path_outside_root
    assert len(ds[0]["images"]) == len(first_images(moved))
    assert read_manifest(moved)["image_paths"] == "absolute"


def test_a_moved_export_whose_original_is_gone_still_loads(tmp_path):
    original = tmp_path / "original"
    export_grpo("sample", original, splits=("train",))
    moved = tmp_path / "moved"
    shutil.move(str(original), str(moved))
    assert not Path(first_images(moved)[0]).exists()
    ds = load_grpo_dataset(moved, "train", cache_dir=tmp_path / "hf-cache")
    assert ds[0]["images"]


def test_an_absolute_path_outside_the_export_is_refused_naming_the_path(tmp_path):
    from harness.data.image_access import ImageAccessError

    out = tmp_path / "export"
    export_grpo("sample", out, splits=("train",))
    stray = tmp_path / "stray.png"
    shutil.copy(first_images(out)[0], stray)
    lines = (out / "train.jsonl").read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[0])
    row["images"][0] = str(stray)
    lines[0] = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    (out / "train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ds = load_grpo_dataset(out, "train", verify=False, cache_dir=tmp_path / "hf-cache")
    with pytest.raises(ImageAccessError, match="stray.png"):
        ds[0]
