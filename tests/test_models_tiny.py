"""The offline tiny VLM: SmolVLM's architecture and processor, loadable like a hub checkpoint, cached, and
(after a short warm-up) able to answer some training prompts in boxed form."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import (
    AutoModelForImageTextToText,
    AutoProcessor,
    Idefics3ForConditionalGeneration,
    Idefics3Processor,
)

from harness.data import load_dataset, split_dataset
from harness.data.images import open_image
from harness.models import boxed_target, build_tiny_vlm, prompt_messages, read_build_info, warmup_target
from harness.models.tokenizer import SPECIAL_TOKENS
from harness.models.warmup import encode_examples, supervised_warmup
from rewards import verify


@pytest.fixture(scope="module")
def tiny_path():
    return build_tiny_vlm()  # cached under MMRL_CACHE_DIR after the first build


@pytest.fixture(scope="module")
def loaded(tiny_path):
    return AutoModelForImageTextToText.from_pretrained(tiny_path), AutoProcessor.from_pretrained(
        tiny_path
    )


@pytest.fixture(scope="module")
def train_rows():
    return list(split_dataset(load_dataset("sample"), eval_fraction=0.25, seed=0).train)


def test_loads_with_auto_classes_as_smolvlm_v1(loaded):
    model, processor = loaded
    assert isinstance(model, Idefics3ForConditionalGeneration)
    assert isinstance(processor, Idefics3Processor)
    n_params = sum(p.numel() for p in model.parameters())
    assert 300_000 < n_params < 2_000_000


def test_config_agrees_with_the_processor(loaded):
    model, processor = loaded
    tokenizer = processor.tokenizer
    assert model.config.image_token_id == tokenizer.convert_tokens_to_ids("<image>")
    assert model.config.text_config.vocab_size >= len(tokenizer)
    vision = model.config.vision_config
    assert (
        processor.image_seq_len
        == (vision.image_size // vision.patch_size) ** 2 // model.config.scale_factor**2
    )
    assert processor.image_processor.max_image_size["longest_edge"] == vision.image_size
    for token in SPECIAL_TOKENS:  # single ids, never split or unknown
        ids = tokenizer(token, add_special_tokens=False)["input_ids"]
        assert len(ids) == 1 and ids[0] != tokenizer.unk_token_id or token == tokenizer.unk_token, (
            token
        )
    assert tokenizer.eos_token == "<end_of_utterance>"
    assert model.generation_config.eos_token_id == tokenizer.eos_token_id
    assert len(tokenizer) <= 2048 + len(SPECIAL_TOKENS)


def test_chat_template_renders_smolvlm_format(loaded):
    _, processor = loaded
    text = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is x?"}]}],
        add_generation_prompt=True,
    )
    assert text == "<|im_start|>User:<image>What is x?<end_of_utterance>\nAssistant:"
    system = processor.apply_chat_template(
        [{"role": "system", "content": "Be brief."}], add_generation_prompt=False
    )
    assert system == "<|im_start|>System: Be brief.<end_of_utterance>\n"


def test_processor_expands_images_and_model_generates(loaded, train_rows):
    model, processor = loaded
    row = next(r for r in train_rows if len(r["images"]) == 2)
    images = [open_image(i).convert("RGB") for i in row["images"]]
    prompt = processor.apply_chat_template(
        prompt_messages(row["question"], 2), add_generation_prompt=True
    )
    inputs = processor(text=[prompt], images=[images], return_tensors="pt")
    n_image_tokens = int((inputs["input_ids"] == model.config.image_token_id).sum())
    assert n_image_tokens == 2 * processor.image_seq_len
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    assert (
        out.shape[1] == inputs["input_ids"].shape[1] + 5
        or int(out[0, -1]) == processor.tokenizer.eos_token_id
    )


def test_build_is_cached_and_deterministic(tmp_path):
    first = build_tiny_vlm(tmp_path / "a", seed=1)
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    assert build_tiny_vlm(tmp_path / "a", seed=1) == first
    assert (first / "model.safetensors").stat().st_mtime_ns == stamp  # reused, not rebuilt
    second = build_tiny_vlm(tmp_path / "b", seed=1)
    other_seed = build_tiny_vlm(tmp_path / "c", seed=2)
    weights = [
        AutoModelForImageTextToText.from_pretrained(p).state_dict()
        for p in (first, second, other_seed)
    ]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert not all(torch.equal(weights[0][k], weights[2][k]) for k in weights[0])
    assert (
        read_build_info(first)["key"]
        == read_build_info(second)["key"]
        != read_build_info(other_seed)["key"]
    )


def test_refuses_to_overwrite_a_foreign_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        build_tiny_vlm(tmp_path, seed=0)


@pytest.mark.parametrize(
    ("gold", "boxed"),
    [
        ("\\[12\\]", "\\boxed{12}"),
        ("\\[-\\frac{71}{4} \\]", "\\boxed{-\\frac{71}{4}}"),
        (
            "\n\\[\n\\left(\\frac{2}{3},\\,4\\right)\n\\]",
            "\\boxed{\\left(\\frac{2}{3},\\,4\\right)}",
        ),
        ("\r\n\\[7396\\pi\\]\r\n", "\\boxed{7396\\pi}"),
        ("Anterior", "\\boxed{Anterior}"),
        ("\\( CC(=O)O \\)", "\\boxed{CC(=O)O}"),
        ("$x^2$", "\\boxed{x^2}"),
    ],
)
def test_boxed_target_strips_math_delimiters(gold, boxed):
    assert boxed_target(gold) == boxed


def test_boxed_targets_of_the_sample_verify_against_their_gold(train_rows):
    # The warm-up must teach answers the verifier accepts, or it teaches nothing useful.
    results = [
        verify(boxed_target(r["answer"]), r["answer"], domain=r["domain"]) for r in train_rows[:80]
    ]
    failures = [(r["answer"], v.reason) for r, v in zip(train_rows, results) if not v.correct]
    assert len(failures) <= 2, failures


def test_warmup_masks_the_prompt_and_lowers_the_loss(tmp_path, train_rows):
    path = build_tiny_vlm(tmp_path / "m", seed=0)
    model, processor = (
        AutoModelForImageTextToText.from_pretrained(path),
        AutoProcessor.from_pretrained(path),
    )
    rows = train_rows[:4]
    example = encode_examples(processor, rows[:1])[0]
    answer_ids = example.input_ids[example.labels != -100]
    assert (
        processor.tokenizer.decode(answer_ids)
        == f" {warmup_target(rows[0]).text}<end_of_utterance>"
    )
    report = supervised_warmup(model, processor, rows, steps=25, seed=0, batch_size=2)
    assert report.steps == 25 and report.examples == 4
    assert report.last_loss < report.first_loss / 2


@pytest.mark.slow
def test_warmed_up_model_answers_some_training_prompts():
    """GRPO needs signal: after the documented warm-up some train prompts get correct boxed answers."""
    path = build_tiny_vlm(seed=0, warmup_steps=200)  # the cached demo build other suites reuse
    info = read_build_info(path)
    model, processor = (
        AutoModelForImageTextToText.from_pretrained(path),
        AutoProcessor.from_pretrained(path),
    )
    rows = [r for r in load_dataset("sample") if r["id"] in set(info["warmup"]["example_ids"])]
    correct = found = 0
    for row in rows:
        images = [open_image(i).convert("RGB") for i in row["images"]]
        prompt = processor.apply_chat_template(
            prompt_messages(row["question"], len(images)), add_generation_prompt=True
        )
        inputs = processor(text=[prompt], images=[images], return_tensors="pt")
        with torch.no_grad():
            out = model.generate(**inputs, max_new_tokens=40, do_sample=False)
        text = processor.tokenizer.decode(
            out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True
        )
        verdict = verify(text, row["answer"], domain=row["domain"])
        correct += verdict.correct
        found += verdict.extracted is not None
    assert found >= 0.9 * len(rows)
    assert correct >= 0.25 * len(rows), (
        f"{correct}/{len(rows)} correct; " + json.dumps(info["warmup"], default=str)[:300]
    )
