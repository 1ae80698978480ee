"""The experiment YAML is checked when it is read: every field's type and range, by dotted key."""

from __future__ import annotations

import pytest

from harness.training.config import (
    ConfigError,
    check_model_reference,
    config_from_dict,
    load_config,
)

GOOD = {"name": "x", "output_dir": "out"}


@pytest.mark.parametrize(
    ("section", "values", "message"),
    [
        ("eval", {"limit": "ten"}, "eval.limit = 'ten' (str): expected an integer or null"),
        ("eval", {"limit": 0}, "eval.limit = 0: must be positive"),
        ("eval", {"limit": 2.5}, "eval.limit = 2.5 (float): expected an integer or null"),
        ("eval", {"batch_size": True}, "eval.batch_size = True (bool): expected an integer"),
        ("eval", {"backend": "tpu"}, "eval.backend = 'tpu': must be one of 'hf', 'vllm'"),
        ("eval", {"gen_kwargs": "x"}, "eval.gen_kwargs = 'x' (str): expected a mapping"),
        ("data", {"eval_fraction": "abc"}, "data.eval_fraction = 'abc' (str): expected a number"),
        ("data", {"eval_fraction": 1.0}, "data.eval_fraction = 1.0: must lie strictly between 0 and 1"),
        ("data", {"eval_fraction": 0}, "data.eval_fraction = 0: must lie strictly between 0 and 1"),
        ("data", {"train_limit": -3}, "data.train_limit = -3: must be positive"),
        ("data", {"train_subset": "some"}, "data.train_subset = 'some': must be one of 'all', 'warmup'"),
        ("data", {"allow_absolute_image_paths": "yes"}, "expected true or false"),
        ("model", {"tiny_warmup_steps": -1}, "model.tiny_warmup_steps = -1: must not be negative"),
        ("model", {"name_or_path": "a b"}, "hub id like owner/name"),
        ("rewards", {"tiers": ["exact", "nope"]}, "rewards.tiers = ['exact', 'nope']: has unknown tier(s) ['nope']"),
        ("rewards", {"tiers": "exact"}, "expected a list of strings or null"),
        ("rewards", {"format_weight": -0.1}, "rewards.format_weight = -0.1: must not be negative"),
        ("lora", {"dropout": 1.0}, "lora.dropout = 1.0: must be at least 0 and below 1"),
        ("lora", {"r": 0}, "lora.r = 0: must be positive"),
        ("tracking", {"fallback": "remote"}, "tracking.fallback = 'remote': must be one of None, 'local'"),
        ("logging", {"completions_every": 0}, "logging.completions_every = 0: must be positive"),
        ("grpo", {"max_steps": 0}, "grpo.max_steps = 0: must be positive"),
        ("grpo", {"num_generations": 1}, "grpo.num_generations = 1: must be at least 2"),
        ("grpo", {"learning_rate": 0.0}, "grpo.learning_rate = 0.0: must be positive"),
    ],
)
def test_bad_values_are_named_by_their_dotted_key(section, values, message):
    with pytest.raises(ConfigError) as info:
        config_from_dict({**GOOD, section: values})
    assert message in str(info.value)


def test_top_level_values_are_checked_too():
    with pytest.raises(ConfigError, match=r"seed = 'one' \(str\): expected an integer"):
        config_from_dict({**GOOD, "seed": "one"})
    with pytest.raises(ConfigError, match="output_dir = '': must not be empty"):
        config_from_dict({**GOOD, "output_dir": ""})


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("eval: {limit: ten}\ndata: {eval_fraction: abc}\nlogging: {completions_every: 0}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert text.startswith(str(path)) and "\n" not in text
    for key in ("eval.limit", "data.eval_fraction", "logging.completions_every"):
        assert key in text


def test_a_section_given_as_a_single_value_is_an_error():
    with pytest.raises(ConfigError, match=r"data: expected a mapping of fields, got int \(3\)"):
        config_from_dict({**GOOD, "data": 3})
    with pytest.raises(ConfigError, match="grpo: expected a mapping"):
        config_from_dict({**GOOD, "grpo": [1, 2]})


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"name.foo": 1}, "--set name.foo=1: 'name' is a single value ('x'), not a section; use --set name=VALUE"),
        ({"seed.x": 1}, "'seed' is a single value, not a section"),
        ({"data.eval_fraction.x": 1}, "'data.eval_fraction' is a single value (0.25), not a section"),
        ({"eval.limit.x": 1}, "'eval.limit' is a single value, not a section"),
        ({"data..x": 1}, "empty key segment"),
    ],
)
def test_set_through_a_single_value_is_a_clear_error(tmp_path, override, message):
    path = tmp_path / "c.yaml"
    path.write_text("name: x\ndata: {eval_fraction: 0.25}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, override)
    assert message in str(info.value)


def test_set_into_a_free_form_mapping_that_is_null_works(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: x\neval: {gen_kwargs: null}\n")
    cfg = load_config(path, {"eval.gen_kwargs.max_gen_toks": 8, "grpo.max_steps": 3})
    assert cfg.eval.gen_kwargs == {"max_gen_toks": 8} and cfg.grpo == {"max_steps": 3}


def test_a_config_file_that_is_not_text_is_a_config_error(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_model_references_local_folders_must_exist_hub_ids_must_look_like_one(tmp_path):
    check_model_reference("tiny")
    check_model_reference("HuggingFaceTB/SmolVLM-256M-Instruct")
    check_model_reference("Qwen/Qwen2.5-VL-3B-Instruct")  # a dot in a hub id is not a file suffix
    check_model_reference("gpt2")
    (tmp_path / "model").mkdir()
    check_model_reference(str(tmp_path / "model"))
    with pytest.raises(ConfigError, match="does not exist"):
        check_model_reference(str(tmp_path / "missing"))
    (tmp_path / "weights.bin").write_bytes(b"")
    with pytest.raises(ConfigError, match="is a file"):
        check_model_reference(str(tmp_path / "weights.bin"))
    for bad in ("owner/name/extra", "-bad/name", "owner//name", "a--b/c", "has space/x"):
        with pytest.raises(ConfigError):
            check_model_reference(bad)


@pytest.mark.parametrize(
    "written, value", [("1e-3", 1e-3), ("5E+4", 5e4), ("3.0e-4", 3e-4), (".5", 0.5), ("2e-1", 0.2)]
)
def test_floats_are_read_as_people_write_them(tmp_path, written, value):
    """YAML 1.1 reads `1e-3` as a string; configs and --set read YAML 1.2 floats."""
    from harness.training.config import load_config, parse_override

    assert parse_override(f"grpo.learning_rate={written}") == ("grpo.learning_rate", value)
    path = tmp_path / "c.yaml"
    path.write_text(f"name: t\ngrpo:\n  learning_rate: {written}\n")
    assert load_config(path).grpo["learning_rate"] == value


def test_strings_that_only_look_numeric_stay_strings():
    from harness.yaml_text import load_yaml

    assert load_yaml("a: 1.2.3\nb: e5\nc: 1e\nd: '1e-3'\ne: 7") == {
        "a": "1.2.3",
        "b": "e5",
        "c": "1e",
        "d": "1e-3",
        "e": 7,
    }
