"""Fast generation (harness.generation): GRPOConfig fields, TRL's compile switch, prompt buckets, and the rule that
it changes speed, not outputs (greedy tokens and the reward probe agree with it on and off)."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForImageTextToText, AutoProcessor, GenerationConfig

from harness.data import load_dataset
from harness.data.images import open_image
from harness.generation import (
    FastGeneration,
    enable_compiled_decoding,
    from_mapping,
    generate_kwargs,
    grpo_fields,
    pad_left_to_bucket,
)
from harness.models import build_tiny_vlm, prompt_messages
from harness.training.config import ConfigError, config_from_dict


def test_off_adds_nothing_to_the_grpo_config():
    assert grpo_fields(FastGeneration(), {"max_steps": 3}) == {}
    assert generate_kwargs(FastGeneration()) == {}


def test_on_sets_static_cache_and_buckets_unless_the_yaml_does():
    fast = FastGeneration(fast=True, prompt_bucket=32, max_cache_len=1024)
    fields = grpo_fields(fast, {"generation_kwargs": {"top_k": 5}})
    assert fields == {"cache_implementation": "static", "pad_to_multiple_of": 32,
                      "generation_kwargs": {"max_cache_len": 1024, "top_k": 5}}
    assert grpo_fields(fast, {"cache_implementation": "dynamic", "pad_to_multiple_of": 8}) == {
        "generation_kwargs": {"max_cache_len": 1024}}
    assert grpo_fields(fast, {"use_vllm": True}) == {}  # vLLM's engine, vLLM's sampling parameters


def test_grpo_args_carry_the_fast_fields(tmp_path):
    from harness.training.grpo import grpo_args

    cfg = config_from_dict({"grpo": {"max_steps": 1}, "generation": {"fast": True, "prompt_bucket": 16}})
    args = grpo_args(cfg, tmp_path)
    assert args.cache_implementation == "static" and args.pad_to_multiple_of == 16
    assert grpo_args(config_from_dict({}), tmp_path).cache_implementation is None


def test_trl_style_config_gets_compilation_back():
    config = GenerationConfig(cache_implementation="static", disable_compile=True)  # what TRL 1.16 builds
    enable_compiled_decoding(config, FastGeneration(fast=True))
    assert config.disable_compile is False and config.compile_config is None  # transformers' default: GPU only
    enable_compiled_decoding(config, FastGeneration(fast=True, compile="all"))
    assert config.compile_config is not None and config.compile_config._compile_all_devices
    enable_compiled_decoding(config, FastGeneration(fast=True, compile="off"))
    assert config.disable_compile is True
    untouched = GenerationConfig(disable_compile=True)
    enable_compiled_decoding(untouched, FastGeneration(fast=False))
    assert untouched.disable_compile is True


def test_left_padding_to_a_bucket():
    inputs = {"input_ids": torch.tensor([[5, 6, 7], [0, 8, 9]]), "attention_mask": torch.tensor([[1, 1, 1], [0, 1, 1]]),
              "pixel_values": torch.zeros(2, 1, 3, 4, 4)}
    pad_left_to_bucket(inputs, pad_token_id=0, bucket=4)
    assert inputs["input_ids"].tolist() == [[0, 5, 6, 7], [0, 0, 8, 9]]
    assert inputs["attention_mask"].tolist() == [[0, 1, 1, 1], [0, 0, 1, 1]]
    assert inputs["pixel_values"].shape == (2, 1, 3, 4, 4)
    pad_left_to_bucket(inputs, pad_token_id=0, bucket=4)  # already a multiple: unchanged
    assert inputs["input_ids"].shape[1] == 4


@pytest.mark.parametrize(
    ("section", "message"),
    [({"compile": "cpu"}, "generation.compile = 'cpu': must be one of"),
     ({"prompt_bucket": 0}, "generation.prompt_bucket = 0"),
     ({"fast": "yes"}, "generation.fast = 'yes' (str): expected true or false"),
     ({"speed": 1}, "generation: unknown field")],
)
def test_generation_section_is_checked(section, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        config_from_dict({"generation": section})


def test_from_mapping_accepts_what_model_args_carry():
    assert from_mapping(None) == FastGeneration()
    assert from_mapping({"fast": True}).fast
    fast = FastGeneration(fast=True)
    assert from_mapping(fast) is fast


def test_greedy_tokens_are_the_same_with_fast_generation():
    path = build_tiny_vlm()
    processor = AutoProcessor.from_pretrained(path)
    processor.tokenizer.padding_side = "left"
    model = AutoModelForImageTextToText.from_pretrained(path).eval()
    rows = [load_dataset("sample")[i] for i in range(3)]
    texts = [processor.apply_chat_template(prompt_messages(r["question"], 1), add_generation_prompt=True) for r in rows]
    images = [[open_image(r["images"][0]).convert("RGB")] for r in rows]
    fast = FastGeneration(fast=True, prompt_bucket=64)

    def run(on: bool) -> list[list[int]]:
        inputs = processor(text=texts, images=images, return_tensors="pt", padding=True)
        if on:
            pad_left_to_bucket(inputs, processor.tokenizer.pad_token_id, fast.prompt_bucket)
        kwargs = generate_kwargs(fast) if on else {}
        with torch.no_grad():
            out = model.generate(**inputs, max_new_tokens=8, do_sample=False, **kwargs)
        return out[:, inputs["input_ids"].shape[1]:].tolist()

    assert run(True) == run(False)


def test_probe_gives_the_same_greedy_reward_with_fast_generation(tmp_path):
    from harness.grpo_data import export_grpo, load_grpo_dataset
    from harness.training.grpo import build_reward_funcs
    from harness.training.probe import probe_mean_reward

    export_grpo("sample", tmp_path / "data", fmt="trl", splits=("train",))
    dataset = load_grpo_dataset(tmp_path / "data", "train")
    funcs = build_reward_funcs(config_from_dict({}))
    path = str(build_tiny_vlm())
    kwargs = {"limit": 4, "max_new_tokens": 8, "temperature": 0.0}
    off = probe_mean_reward(path, dataset, funcs, [1.0, 0.5], **kwargs)
    on = probe_mean_reward(path, dataset, funcs, [1.0, 0.5], generation=FastGeneration(fast=True), **kwargs)
    assert on.per_function == off.per_function and on.n == off.n == 4


def test_the_vllm_guard_sees_no_6294_fix_in_released_trl():
    """trl <= 1.16.0 lacks the un-expanded vLLM prompt track (PRs 6718/6719): the guard must keep refusing there."""
    import trl
    from packaging.version import Version

    from harness.training.grpo import trl_feeds_vllm_unexpanded_prompts

    if Version(trl.__version__) <= Version("1.16.0"):
        assert trl_feeds_vllm_unexpanded_prompts() is False
