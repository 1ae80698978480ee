"""Type and range checks for the experiment YAML, run when it is read, naming the dotted key.

Unchecked, `eval.limit: "ten"` or `data.eval_fraction: "abc"` let the data stage run and then failed with
a `TypeError` that named no key. Every section field is checked against its dataclass annotation, then
against a range rule (fractions in (0, 1), positive limits, known names); every problem found is reported
in one message, so a user fixes the file once.
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

# A value-check returns what is wrong with the value, or None.
Rule = Callable[[Any], str | None]

_HUB_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?"
HUB_ID = re.compile(rf"^(?:{_HUB_PART}/)?{_HUB_PART}$")
from harness.defaults import TINY_MODEL  # noqa: E402 - re-exported for config users


def describe_type(annotation: Any) -> str:
    """`int | None` -> "an integer or null", for messages a YAML user can act on."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        parts = [describe_type(a) for a in args if a is not type(None)]
        return " or ".join(parts) + (" or null" if type(None) in args else "")
    if origin is list:
        (inner,) = typing.get_args(annotation) or (Any,)
        return f"a list of {describe_type(inner).removeprefix('a ').removeprefix('an ')}s"
    if origin is dict or annotation is dict:
        return "a mapping"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(
        annotation, str(annotation)
    )


def fits(value: Any, annotation: Any) -> bool:
    """Strict check of a YAML value against a dataclass annotation (no silent "10" -> 10)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(fits(value, arg) for arg in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is Any:
        return True
    if origin is list:
        (inner,) = typing.get_args(annotation) or (Any,)
        return isinstance(value, list) and all(fits(v, inner) for v in value)
    if origin is dict or annotation is dict:
        return isinstance(value, dict)
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if annotation is str:
        return isinstance(value, str)
    return True


# -- range rules ------------------------------------------------------------------------------------------
def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def open_fraction(value: Any) -> str | None:
    return None if not _number(value) or 0 < value < 1 else "must lie strictly between 0 and 1"


def unit_interval_right_open(value: Any) -> str | None:
    return None if not _number(value) or 0 <= value < 1 else "must be at least 0 and below 1"


def positive(value: Any) -> str | None:
    return None if value is None or not _number(value) or value > 0 else "must be positive"


def non_negative(value: Any) -> str | None:
    return None if value is None or not _number(value) or value >= 0 else "must not be negative"


def at_least(n: int) -> Rule:
    return lambda value: None if value is None or not _number(value) or value >= n else f"must be at least {n}"


def one_of(*choices: Any) -> Rule:
    return lambda value: None if value in choices else f"must be one of {', '.join(repr(c) for c in choices)}"


def non_empty(value: Any) -> str | None:
    return None if not isinstance(value, str) or value.strip() else "must not be empty"


def max_steps(value: Any) -> str | None:
    return None if not _number(value) or value == -1 or value > 0 else "must be positive (or -1: use num_train_epochs)"


def model_reference_form(value: Any) -> str | None:
    """Hub ids must look like `owner/name`; paths are checked for existence before the first stage."""
    if not isinstance(value, str) or value == TINY_MODEL or looks_like_path(value):
        return None
    if HUB_ID.match(value) and "--" not in value and ".." not in value:
        return None
    return "is neither 'tiny', a local folder (./path or /path) nor a hub id like owner/name"


def looks_like_path(value: str) -> bool:
    return value.startswith((".", "/", "~")) or value.count("/") > 1 or "\\" in value or Path(value).exists()


def known_tiers(value: Any) -> str | None:
    if not isinstance(value, list):
        return None
    from rewards import TIERS

    unknown = [t for t in value if t not in TIERS]
    return f"has unknown tier(s) {unknown}; valid: {', '.join(TIERS)}" if unknown else None


RULES: dict[str, Rule] = {
    "name": non_empty,
    "output_dir": non_empty,
    "seed": non_negative,
    "data.source": non_empty,
    "data.eval_fraction": open_fraction,
    "data.split_seed": non_negative,
    "data.train_limit": positive,
    "data.train_subset": one_of("all", "warmup"),
    "model.name_or_path": model_reference_form,
    "model.tiny_seed": non_negative,
    "model.tiny_warmup_steps": non_negative,
    "rewards.tiers": known_tiers,
    "rewards.format_weight": non_negative,
    "rewards.accuracy_weight": non_negative,
    "lora.r": positive,
    "lora.alpha": positive,
    "lora.dropout": unit_interval_right_open,
    "eval.limit": positive,
    "eval.batch_size": positive,
    "eval.backend": one_of("hf", "vllm"),
    "eval.max_images": positive,
    "eval.probe_prompts": non_negative,
    "eval.probe_samples": positive,
    "tracking.experiment": non_empty,
    "tracking.fallback": one_of(None, "local"),
    "logging.completions_every": positive,
    "logging.completions_per_log": non_negative,
    "generation.prompt_bucket": positive,
    "generation.max_cache_len": positive,
    "generation.compile": one_of("gpu", "all", "off"),
    # GRPOConfig fields whose bad values TRL would only reject when training starts
    "grpo.max_steps": max_steps,
    "grpo.learning_rate": positive,
    "grpo.num_generations": at_least(2),
    "grpo.per_device_train_batch_size": positive,
    "grpo.gradient_accumulation_steps": positive,
    "grpo.max_completion_length": positive,
    "grpo.temperature": positive,
    "grpo.beta": non_negative,
}


def check_value(dotted: str, value: Any, annotation: Any = Any) -> str | None:
    """What is wrong with `dotted = value` (type first, then range), or None."""
    if annotation is not Any and not fits(value, annotation):
        return f"{dotted} = {value!r} ({type(value).__name__}): expected {describe_type(annotation)}"
    rule = RULES.get(dotted)
    problem = rule(value) if rule is not None else None
    return f"{dotted} = {value!r}: {problem}" if problem else None


def check_model_reference(name: str, *, where: str = "model.name_or_path") -> None:
    """Local model folders must exist; anything else must look like a hub id (form only: no network)."""
    from harness.training.config import ConfigError

    if name == TINY_MODEL:
        return
    path = Path(name).expanduser()
    if looks_like_path(name):
        if not path.exists():
            raise ConfigError(
                f"{where} = {name!r}: that folder does not exist (give an existing local model folder or a "
                "hub id like owner/name)"
            )
        if not path.is_dir():
            raise ConfigError(f"{where} = {name!r} is a file; a local model is a folder with config.json")
        return
    problem = model_reference_form(name)
    if problem:
        raise ConfigError(f"{where} = {name!r} {problem}")
