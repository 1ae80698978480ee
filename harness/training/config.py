"""Experiment configuration: one YAML file drives data, model, rewards, GRPO, evaluation and tracking.

Following TRL's pairing of each trainer with a config dataclass, `ExperimentConfig` holds our own settings and
passes the `grpo:` section straight into `trl.GRPOConfig`, so every GRPOConfig field is settable from YAML
without this file listing them (unknown names fail loudly, with the list of valid ones).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.data import PromptSpec, prompt_spec
from harness.defaults import DEFAULT_EVAL_FRACTION, DEFAULT_SPLIT_SEED, SAMPLE_SOURCE
from harness.generation import FastGeneration
from harness.training.config_checks import TINY_MODEL, check_model_reference, check_value
from harness.yaml_text import load_yaml

__all__ = ["TINY_MODEL", "ConfigError", "ExperimentConfig", "check_model_reference", "config_from_dict",
           "load_config", "parse_override"]


@dataclass
class DataConfig:
    source: str = SAMPLE_SOURCE
    revision: str | None = None
    eval_fraction: float = DEFAULT_EVAL_FRACTION
    split_seed: int = DEFAULT_SPLIT_SEED
    train_limit: int | None = None
    # "all": every train-split prompt; "warmup": only those the tiny model was warmed up on (demo)
    train_subset: str = "all"
    # relative image paths resolve inside this folder (None: the dataset's own folder); absolute paths
    # outside it are refused unless allow_absolute_image_paths (harness.data.image_access)
    image_root: str | None = None
    allow_absolute_image_paths: bool = False


@dataclass
class ModelConfig:
    # "tiny" builds the offline SmolVLM-architecture model; otherwise a hub id or a local path.
    name_or_path: str = TINY_MODEL
    tiny_seed: int = 0
    tiny_warmup_steps: int = 0


@dataclass
class RewardConfig:
    # None: the domain policy decides the tiers; a list overrides it for every domain (ablations).
    tiers: list[str] | None = None
    # the reward policy keyed on the data's domain/sub-domain (rewards.DomainPolicy.from_dict); None: default
    policy: dict[str, Any] | None = None
    format_weight: float = 0.2
    accuracy_weight: float = 1.0


@dataclass
class LoraConfig:
    enabled: bool = False
    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: list[str] | str = "all-linear"


@dataclass
class EvalConfig:
    enabled: bool = True
    limit: int | None = None
    batch_size: int = 8
    backend: str = "hf"
    max_images: int = 4
    # prompts from the train split on which the mean GRPO reward is measured before and after training
    probe_prompts: int = 16
    probe_samples: int = 4
    gen_kwargs: dict[str, Any] = field(default_factory=lambda: {"max_gen_toks": 64, "do_sample": False})


@dataclass
class TrackingConfig:
    uri: str | None = None
    experiment: str = "open-mm-rl"
    fallback: str | None = None


@dataclass
class LoggingConfig:
    completions_every: int = 5
    completions_per_log: int = 8


@dataclass
class ExperimentConfig:
    name: str = "experiment"
    output_dir: str = "runs/experiment"
    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    rewards: RewardConfig = field(default_factory=RewardConfig)
    grpo: dict[str, Any] = field(default_factory=dict)
    lora: LoraConfig = field(default_factory=LoraConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    # the one prompt of training, evaluation and the tiny model's warm-up: a name from harness.data.PROMPTS
    # ("boxed", "think-boxed", "answer-tags") or a mapping {name, template, system_prompt}; None: "boxed"
    prompt: str | dict[str, Any] | None = None
    # static cache + compiled decoding for rollouts, the reward probe and evaluation (harness.generation)
    generation: FastGeneration = field(default_factory=FastGeneration)
    source_path: str | None = None

    def prompt_spec(self) -> PromptSpec:
        return prompt_spec(self.prompt)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("source_path", None)
        return data

    def config_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:12]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


_SECTIONS = {
    "data": DataConfig,
    "model": ModelConfig,
    "rewards": RewardConfig,
    "lora": LoraConfig,
    "eval": EvalConfig,
    "tracking": TrackingConfig,
    "logging": LoggingConfig,
    "generation": FastGeneration,
}


class ConfigError(ValueError):
    """The experiment file names a field that does not exist or gives it the wrong shape."""


def _build(cls: type, values: dict[str, Any], where: str, problems: list[str]) -> Any:
    """The section dataclass; type and range problems are appended to `problems` (reported together)."""
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: expected a mapping of fields, got {type(values).__name__} ({values!r})")
    valid = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - valid
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {sorted(unknown)}; valid: {sorted(valid)}")
    hints = typing.get_type_hints(cls)
    problems.extend(p for p in (check_value(f"{where}.{k}", v, hints[k]) for k, v in values.items()) if p)
    return cls(**values)


def reward_policy(cfg: ExperimentConfig):
    """The experiment's reward policy as the object `rewards` takes (None: the reward's default)."""
    if not cfg.rewards.policy:
        return None
    import rewards

    return rewards.DomainPolicy.from_dict(cfg.rewards.policy)


def _check_reward_policy(section: RewardConfig) -> None:
    if section.policy is None:
        return
    import rewards

    if not isinstance(section.policy, dict):
        raise ConfigError(f"rewards.policy: expected a mapping, got {type(section.policy).__name__}")
    try:
        rewards.DomainPolicy.from_dict(section.policy)
    except ValueError as exc:
        raise ConfigError(f"rewards.{exc}" if str(exc).startswith("policy") else f"rewards.policy: {exc}") from exc


def config_from_dict(raw: dict[str, Any], *, source_path: str | None = None) -> ExperimentConfig:
    """Build and validate an `ExperimentConfig`; every wrong type or out-of-range value is reported at once,
    each by its dotted key (`eval.limit = 'ten' (str): expected an integer or null`)."""
    raw = dict(raw or {})
    if "reward" in raw:  # `reward:` is accepted as the section's singular spelling
        if "rewards" in raw:
            raise ConfigError("both 'reward' and 'rewards' sections given; use 'rewards'")
        raw["rewards"] = raw.pop("reward")
    problems: list[str] = []
    kwargs: dict[str, Any] = {}
    if isinstance(raw.get("data"), dict) and "system_prompt" in raw["data"]:
        raise ConfigError(
            "data.system_prompt moved to prompt.system_prompt (prompt: {name: boxed, system_prompt: ...})"
        )
    for name, cls in _SECTIONS.items():
        if name in raw:
            kwargs[name] = _build(cls, raw.pop(name) or {}, name, problems)
    if "rewards" in kwargs:
        _check_reward_policy(kwargs["rewards"])
    try:
        prompt_spec(raw.get("prompt"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    grpo = raw.pop("grpo", {}) or {}
    if not isinstance(grpo, dict):
        raise ConfigError(f"grpo: expected a mapping of GRPOConfig fields, got {type(grpo).__name__} ({grpo!r})")
    validate_grpo_fields(grpo)
    problems.extend(p for p in (check_value(f"grpo.{k}", v) for k, v in grpo.items()) if p)
    kwargs["grpo"] = grpo
    top = {f.name for f in dataclasses.fields(ExperimentConfig)} - set(_SECTIONS) - {"grpo", "source_path"}
    unknown = set(raw) - top
    if unknown:
        raise ConfigError(
            f"unknown top-level field(s) {sorted(unknown)}; valid: {sorted(top | set(_SECTIONS) | {'grpo'})}"
        )
    hints = typing.get_type_hints(ExperimentConfig)
    problems.extend(p for p in (check_value(k, v, hints[k]) for k, v in raw.items()) if p)
    if problems:
        where = f"{source_path}: " if source_path else ""
        raise ConfigError(where + "; ".join(problems))
    kwargs.update(raw)
    return ExperimentConfig(**kwargs, source_path=source_path)


def _type_ok(value: Any, annotation: Any) -> bool:
    """Loose check of a YAML scalar against a dataclass annotation (containers and unions of them pass)."""
    import types
    import typing

    if value is None:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, arg) for arg in typing.get_args(annotation) if arg is not type(None))
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is str:
        return isinstance(value, str)
    return True  # enums, lists, dicts, Literal...: left to GRPOConfig itself


def validate_grpo_fields(grpo: dict[str, Any]) -> None:
    """Unknown names and wrongly typed values fail when the config is read, not hours later in TRL."""
    import typing

    import trl
    from trl import GRPOConfig

    valid = {f.name for f in dataclasses.fields(GRPOConfig)}
    unknown = set(grpo) - valid
    if unknown:
        raise ConfigError(f"grpo: {sorted(unknown)} are not GRPOConfig fields (trl {trl.__version__})")
    try:
        hints = typing.get_type_hints(GRPOConfig)
    except Exception:  # noqa: BLE001 - unresolvable annotations: skip the type check, keep the name check
        return
    for name, value in grpo.items():
        if name in hints and not _type_ok(value, hints[name]):
            raise ConfigError(f"grpo.{name} = {value!r} ({type(value).__name__}) does not fit {hints[name]}")


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> ExperimentConfig:
    """Read an experiment YAML; `overrides` use dotted keys (`grpo.max_steps: 2`) for CLI tweaks and tests."""
    path = Path(path)
    try:
        raw = load_yaml(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping of sections, found {type(raw).__name__}")
    for dotted, value in (overrides or {}).items():
        apply_override(raw, dotted, value)
    return config_from_dict(raw, source_path=str(path))


def _is_mapping_key(parents: list[str]) -> bool | None:
    """Whether the key at `parents` holds a mapping in the schema (None: unknown key, left to validation)."""
    if len(parents) == 1:
        key = parents[0]
        if key in _SECTIONS or key == "grpo":
            return True
        top = {f.name for f in dataclasses.fields(ExperimentConfig)}
        return False if key in top else None
    if len(parents) == 2 and parents[0] in _SECTIONS:
        hints = typing.get_type_hints(_SECTIONS[parents[0]])
        if parents[1] not in hints:
            return None
        annotation = hints[parents[1]]
        return annotation is dict or typing.get_origin(annotation) is dict
    return True  # inside a free-form mapping (grpo.*, eval.gen_kwargs.*)


def apply_override(raw: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `section.field=value` in the raw mapping; a scalar on the way is a clear error, not a TypeError."""
    *parents, leaf = dotted.split(".")
    if not leaf or any(not p for p in parents):
        raise ConfigError(f"--set {dotted}: empty key segment")
    node = raw
    for depth, key in enumerate(parents, start=1):
        prefix = ".".join(parents[:depth])
        child = node.get(key)
        if child is None:
            if _is_mapping_key(parents[:depth]) is False:
                raise ConfigError(f"--set {dotted}={value!r}: {prefix!r} is a single value, not a section; "
                                  f"use --set {prefix}=VALUE")
            child = node[key] = {}
        elif not isinstance(child, dict):
            raise ConfigError(f"--set {dotted}={value!r}: {prefix!r} is a single value ({child!r}), not a "
                              f"section; use --set {prefix}=VALUE")
        node = child
    node[leaf] = value


def parse_override(text: str) -> tuple[str, Any]:
    """`grpo.max_steps=3` -> ("grpo.max_steps", 3): values parsed as YAML scalars."""
    if "=" not in text:
        raise ConfigError(f"override {text!r} must look like section.field=value")
    key, value = text.split("=", 1)
    return key.strip(), load_yaml(value)
