"""lm-eval adapter for the `open_mm_rl` tasks: row selection, prompt and scoring come from the harness.

lm-eval loads this file by path (`!function utils.x` in the YAML files), so it stays self-contained: no
relative imports, and no dataclasses defined here (lm-eval registers the module in `sys.modules` only after
executing it, which breaks dataclasses with string annotations). It imports only `rewards` and the public
data API (`harness.data`); nothing in the harness imports it, so the split defaults, the hub id and the prompt
live in `harness.data` and this file reads them.

Choosing the data without editing YAML: lm-eval passes its `--metadata` JSON (and, from the stock CLI, the
`--model_args` too) as keyword arguments to `load_open_mm_rl`; environment variables are the fallback.

| metadata key    | env var              | default                         |
|-----------------|----------------------|---------------------------------|
| `source`        | `MMRL_DATA_SOURCE`   | `TuringEnterprises/Open-MM-RL`  |
| `revision`      | `MMRL_DATA_REVISION` | latest                          |
| `tiers`         | `MMRL_TIERS`         | the verifier's domain cascade   |
| `policy`        | `MMRL_REWARD_POLICY` | the reward's default policy (JSON mapping: by_class / by_domain / extras) |
| `prompt`        | `MMRL_PROMPT`        | `boxed` (a name from `harness.data.PROMPTS`, or a JSON mapping) |
| `eval_fraction` | `MMRL_EVAL_FRACTION` | 0.25                            |
| `split_seed`    | `MMRL_SPLIT_SEED`    | 0                               |
| `split`         | `MMRL_EVAL_SPLIT`    | `eval` (held out); `train`/`all`|
| `image_root`    | `MMRL_IMAGE_ROOT`    | the dataset's folder            |
| `allow_absolute_image_paths` | `MMRL_ALLOW_ABSOLUTE_IMAGE_PATHS` | false (absolute paths refused) |
"""

import functools
import json
import logging
import os
from collections.abc import Mapping
from typing import Any, NamedTuple

import datasets
from PIL import Image as PILImage

from harness.data import (
    DEFAULT_EVAL_FRACTION,
    DEFAULT_SPLIT_SEED,
    EVAL_SPLITS,
    HUB_DATASET,
    IMAGE_ROOT_COLUMN,
    EvalSelection,
    PromptSpec,
    open_image,
    prompt_spec,
    select_eval_rows,
)
from rewards import TIER_NAMES, DomainPolicy, policy_json, verify
from rewards import parse_tiers as rewards_parse_tiers

log = logging.getLogger("tasks.open_mm_rl")

SPLITS = EVAL_SPLITS

# Columns stamped into every doc: `process_results` and `doc_to_text` cannot see lm-eval's metadata, so the
# options they need travel with the doc.
TIERS_COLUMN = "mmrl_tiers"
POLICY_COLUMN = "mmrl_policy"
PROMPT_COLUMN = "mmrl_prompt"
# Verdict reasons that mean the verifier, not the model, failed: reported as `verify_error`.
VERIFIER_FAILURES = frozenset({"gold_unparseable", "error"})


class DataOptions(NamedTuple):
    """Which rows the tasks evaluate, how they are asked and how answers are matched; one value per eval run."""

    source: str = HUB_DATASET
    revision: str | None = None
    tiers: tuple[str, ...] | None = None
    eval_fraction: float = DEFAULT_EVAL_FRACTION
    split_seed: int = DEFAULT_SPLIT_SEED
    split: str = "eval"
    #: the reward policy as canonical JSON ("" = the reward's default policy)
    policy: str = ""
    image_root: str | None = None
    allow_absolute_image_paths: bool = False
    #: the prompt as canonical JSON (`PromptSpec.to_json()`)
    prompt: str = PromptSpec().to_json()

    @property
    def selection(self) -> EvalSelection:
        return EvalSelection(self.source, self.revision, self.eval_fraction, self.split_seed, self.split,
                             self.image_root, self.allow_absolute_image_paths)


def parse_tiers(value: Any) -> tuple[str, ...] | None:
    """`"exact,numeric"` or a list -> validated tuple; empty / `"all"` / None -> None (the policy decides)."""
    return rewards_parse_tiers(value)


def parse_policy(value: Any) -> str:
    """A policy mapping (or its JSON text) -> canonical JSON, validated by the reward; empty -> ""."""
    return policy_json(value)


@functools.lru_cache(maxsize=32)
def policy_from_json(text: str) -> DomainPolicy | None:
    return DomainPolicy.from_dict(json.loads(text)) if text else None


def resolve_options(metadata: Mapping[str, Any] | None = None) -> DataOptions:
    """Metadata (lm-eval `--metadata`) wins over `MMRL_*` environment variables, which win over defaults."""
    metadata = metadata or {}

    def pick(key: str, env: str) -> Any:
        value = metadata.get(key)
        if value is None or value == "":
            value = os.environ.get(env) or None
        return value

    source = pick("source", "MMRL_DATA_SOURCE") or HUB_DATASET
    revision = pick("revision", "MMRL_DATA_REVISION")
    fraction_raw = pick("eval_fraction", "MMRL_EVAL_FRACTION")
    seed_raw = pick("split_seed", "MMRL_SPLIT_SEED")
    split = str(pick("split", "MMRL_EVAL_SPLIT") or "eval")
    image_root = pick("image_root", "MMRL_IMAGE_ROOT")
    allow_absolute = pick("allow_absolute_image_paths", "MMRL_ALLOW_ABSOLUTE_IMAGE_PATHS") or False
    try:
        eval_fraction = DEFAULT_EVAL_FRACTION if fraction_raw is None else float(fraction_raw)
        split_seed = DEFAULT_SPLIT_SEED if seed_raw is None else int(seed_raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"eval_fraction must be a number and split_seed an integer, got {fraction_raw!r} and {seed_raw!r}"
        ) from exc
    if not 0.0 < eval_fraction < 1.0:
        raise ValueError(f"eval_fraction must be in (0, 1), got {eval_fraction}")
    if split not in EVAL_SPLITS:
        raise ValueError(f"split must be one of {EVAL_SPLITS}, got {split!r}")
    return DataOptions(
        source=str(source),
        revision=None if revision is None else str(revision),
        tiers=parse_tiers(pick("tiers", "MMRL_TIERS")),
        eval_fraction=eval_fraction,
        split_seed=split_seed,
        split=split,
        policy=parse_policy(pick("policy", "MMRL_REWARD_POLICY")),
        image_root=None if image_root is None else str(image_root),
        allow_absolute_image_paths=str(allow_absolute).strip().lower() in ("1", "true", "yes"),
        prompt=prompt_spec(pick("prompt", "MMRL_PROMPT")).to_json(),
    )


def select_rows(options: DataOptions, domain: str | None = None) -> datasets.Dataset:
    """The docs a task evaluates: one side of the deterministic split, optionally one domain, options stamped in."""
    rows = select_eval_rows(options.selection)
    tiers = ",".join(options.tiers) if options.tiers else ""
    rows = rows.add_column(
        TIERS_COLUMN, [tiers] * len(rows)
    )  # before filtering: fails on filtered empty sets
    rows = rows.add_column(POLICY_COLUMN, [options.policy] * len(rows))
    rows = rows.add_column(PROMPT_COLUMN, [options.prompt] * len(rows))
    if domain is not None:
        wanted = domain.strip().lower()
        rows = rows.filter(
            lambda value: str(value).strip().lower() == wanted, input_columns="domain"
        )
    return rows


def load_open_mm_rl(domain: str | None = None, **metadata: Any) -> dict[str, datasets.Dataset]:
    """lm-eval `custom_dataset`: called with the task's metadata (+ `--metadata`, model args) and dataset_kwargs."""
    options = resolve_options(metadata)
    rows = select_rows(options, domain)
    if len(rows) == 0:  # lm-eval cannot build a task without docs; say which task to run instead
        raise ValueError(
            f"no {options.split}-split rows for domain {domain!r} in {options.source!r}: evaluate only the "
            "domains it has (e.g. --tasks open_mm_rl_math) or the whole set (--tasks open_mm_rl_all)"
        )
    return {"test": rows}


@functools.lru_cache(maxsize=32)
def _prompt(text: str) -> PromptSpec:
    return prompt_spec(text or None)


def doc_to_text(doc: Mapping[str, Any]) -> str:
    """The run's prompt with one `<image>` per image in front (the GRPO export asks the same question)."""
    return _prompt(doc.get(PROMPT_COLUMN) or "").placeholder_text(doc["question"], len(doc["images"] or []))


def doc_to_image(doc: Mapping[str, Any]) -> list[PILImage.Image]:
    root = doc.get(IMAGE_ROOT_COLUMN) or None
    return [open_image(path, root=root).convert("RGB") for path in doc["images"] or []]


def doc_tiers(doc: Mapping[str, Any]) -> tuple[str, ...] | None:
    return parse_tiers(doc.get(TIERS_COLUMN))


def score_verdict(verdict: Any) -> dict[str, float]:
    """One doc's metrics: `acc` (any tier), `acc_<tier>` (decided by that tier), `answer_found` (extraction)."""
    correct = bool(verdict.correct)
    scores = {"acc": float(correct)}
    for tier in TIER_NAMES:
        scores[f"acc_{tier}"] = float(correct and verdict.tier == tier)
    if correct and verdict.tier not in TIER_NAMES:
        log.warning(
            "verdict decided by tier %r, which is not in %s: counted in acc only",
            verdict.tier,
            TIER_NAMES,
        )
    scores["answer_found"] = float(verdict.extracted is not None)
    scores["verify_error"] = float(verdict.reason in VERIFIER_FAILURES)
    return scores


def error_scores() -> dict[str, float]:
    scores = {"acc": 0.0, **{f"acc_{tier}": 0.0 for tier in TIER_NAMES}, "answer_found": 0.0}
    scores["verify_error"] = 1.0
    return scores


def process_results(doc: Mapping[str, Any], results: list[str]) -> dict[str, float]:
    """Verify the generation against the gold with the doc's tiers; a verifier crash is scored 0 and counted."""
    prediction = results[0] if results else ""
    try:
        verdict = verify(
            prediction, doc["answer"], domain=doc.get("domain"), sub_domain=doc.get("sub_domain"),
            tiers=doc_tiers(doc), policy=policy_from_json(doc.get(POLICY_COLUMN) or ""),
        )
    except Exception as exc:  # noqa: BLE001 - one bad row must not lose a long eval; `verify_error` shows it
        log.warning("verify failed on doc id=%s: %s: %s", doc.get("id"), type(exc).__name__, exc)
        return error_scores()
    if verdict.reason in VERIFIER_FAILURES:
        log.warning(
            "verifier could not judge doc id=%s (%s): %s",
            doc.get("id"),
            verdict.reason,
            verdict.detail,
        )
    return score_verdict(verdict)
