"""Data loading, prompting and scoring for the `open_mm_rl` lm-eval tasks.

lm-eval loads this file by path (`!function utils.x` in the YAML files), so it must stay self-contained: no
relative imports, and no dataclasses (lm-eval registers the module in `sys.modules` only after executing it,
which breaks dataclasses with string annotations). The harness imports it as `tasks.open_mm_rl.utils` to reuse
the exact prompt and split the tasks use.

Choosing the data without editing YAML: lm-eval passes its `--metadata` JSON (and, from the stock CLI, the
`--model_args` too) as keyword arguments to `load_open_mm_rl`; environment variables are the fallback.

| metadata key    | env var              | default                         |
|-----------------|----------------------|---------------------------------|
| `source`        | `MMRL_DATA_SOURCE`   | `TuringEnterprises/Open-MM-RL`  |
| `revision`      | `MMRL_DATA_REVISION` | latest                          |
| `tiers`         | `MMRL_TIERS`         | the verifier's domain cascade   |
| `policy`        | `MMRL_REWARD_POLICY` | the reward's default policy (JSON mapping: by_class / by_domain / extras) |
| `eval_fraction` | `MMRL_EVAL_FRACTION` | 0.25                            |
| `split_seed`    | `MMRL_SPLIT_SEED`    | 0                               |
| `split`         | `MMRL_EVAL_SPLIT`    | `eval` (held out); `train`/`all`|
| `image_root`    | `MMRL_IMAGE_ROOT`    | the dataset's folder            |
| `allow_absolute_image_paths` | `MMRL_ALLOW_ABSOLUTE_IMAGE_PATHS` | false (absolute paths refused) |
"""

import functools
import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import datasets
from PIL import Image as PILImage

from harness.data import ImagePolicy, fingerprint, load_dataset, materialize_images, split_dataset
from harness.data.images import open_image
from harness.paths import cache_dir
from rewards import DEFAULT_TIERS, TIERS, DomainPolicy, verify

log = logging.getLogger("tasks.open_mm_rl")

HUB_DATASET = "TuringEnterprises/Open-MM-RL"
DEFAULT_EVAL_FRACTION = 0.25
DEFAULT_SPLIT_SEED = 0
SPLITS = ("eval", "train", "all")
IMAGE_PLACEHOLDER = "<image>"
INSTRUCTION = "Solve the problem. Put your final answer in \\boxed{}."

# Columns stamped into every doc: `process_results` cannot see lm-eval's metadata, so the options it needs
# travel with the doc; the image root lets the logged samples keep short, machine-independent paths.
TIERS_COLUMN = "mmrl_tiers"
POLICY_COLUMN = "mmrl_policy"
IMAGE_ROOT_COLUMN = "mmrl_image_root"

# Tier metrics every doc reports (the YAML metric lists name the same ones): every tier registered when this
# module loads (the default cascade plus extras such as `smiles`), fixed so every metric is averaged over the
# same documents even when a run restricts the tiers.
TIER_NAMES: tuple[str, ...] = tuple(dict.fromkeys([*DEFAULT_TIERS, *TIERS]))
# Verdict reasons that mean the verifier, not the model, failed: reported as `verify_error`.
VERIFIER_FAILURES = frozenset({"gold_unparseable", "error"})


class DataOptions(NamedTuple):
    """Which rows the tasks evaluate and how answers are matched; one value per eval run."""

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


def parse_tiers(value: Any) -> tuple[str, ...] | None:
    """`"exact,numeric"` or a list -> validated tuple; empty / `"all"` / None -> None (the reward's default cascade)."""
    if value is None:
        return None
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",")]
    elif isinstance(value, Iterable):
        items = [str(part).strip() for part in value]
    else:
        raise TypeError(
            f"tiers must be a comma-separated string or a list, got {type(value).__name__}: {value!r}"
        )
    items = [item for item in items if item]
    if not items or items == ["all"]:
        return None
    unknown = [item for item in items if item not in TIERS]
    if unknown:
        raise ValueError(f"unknown matching tier(s) {unknown}; valid tiers: {', '.join(TIERS)}")
    return tuple(dict.fromkeys(items))


def parse_policy(value: Any) -> str:
    """A policy mapping (or its JSON text) → canonical JSON, validated by the reward; empty → ""."""
    import json

    if value is None or value == "" or value == {}:
        return ""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"policy must be a JSON mapping, got {value[:80]!r}: {exc}") from exc
    if not isinstance(value, Mapping):
        raise TypeError(f"policy must be a mapping, got {type(value).__name__}")
    DomainPolicy.from_dict(value)  # raises ValueError naming the bad key or tier
    return json.dumps(value, sort_keys=True)


@functools.lru_cache(maxsize=32)
def policy_from_json(text: str) -> DomainPolicy | None:
    import json

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
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
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
    )


def _rows_of(options: DataOptions) -> datasets.Dataset:
    return _split_rows(
        options.source, options.revision, options.eval_fraction, options.split_seed, options.split,
        options.image_root, options.allow_absolute_image_paths,
    )


@functools.lru_cache(maxsize=8)
def _split_rows(
    source: str, revision: str | None, eval_fraction: float, split_seed: int, split: str,
    image_root: str | None = None, allow_absolute_image_paths: bool = False,
) -> datasets.Dataset:
    """The rows of one side of the split, images written to the shared store (once per process per options)."""
    policy = ImagePolicy(root=image_root, allow_absolute=allow_absolute_image_paths)
    full = load_dataset(source, revision=revision, images=policy)
    if split == "all":
        rows = full
    else:
        parts = split_dataset(full, eval_fraction=eval_fraction, seed=split_seed)
        rows = parts.eval if split == "eval" else parts.train
    root = cache_dir() / "images"
    stored = materialize_images(rows, root)
    if stored.rejected:
        log.warning(
            "%d row(s) dropped from %s: undecodable images (ids %s); see %s/rejected.jsonl",
            len(stored.rejected),
            source,
            [r.get("id") for r in stored.rejected][:10],
            root,
        )
    return stored.dataset.add_column(IMAGE_ROOT_COLUMN, [str(root)] * len(stored.dataset))


def select_rows(options: DataOptions, domain: str | None = None) -> datasets.Dataset:
    """The docs a task evaluates: one side of the deterministic split, optionally one domain, options stamped in."""
    rows = _rows_of(options)
    tiers = ",".join(options.tiers) if options.tiers else ""
    rows = rows.add_column(
        TIERS_COLUMN, [tiers] * len(rows)
    )  # before filtering: fails on filtered empty sets
    rows = rows.add_column(POLICY_COLUMN, [options.policy] * len(rows))
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


def describe_rows(options: DataOptions) -> dict[str, Any]:
    """What an eval run saw, for tracking: ids, content fingerprint, per-domain counts (before any --limit)."""
    rows = _rows_of(options)
    counts: dict[str, int] = {}
    for domain in rows["domain"]:
        counts[domain] = counts.get(domain, 0) + 1
    return {
        "ids": list(rows["id"]),
        "fingerprint": fingerprint(rows) if len(rows) else "empty",
        "n": len(rows),
        "domains": dict(sorted(counts.items())),
    }


def build_prompt_text(question: str, n_images: int) -> str:
    """The user turn: one `<image>` placeholder per image, the question, then the boxed-answer instruction."""
    return f"{IMAGE_PLACEHOLDER * n_images}\n{question.strip()}\n\n{INSTRUCTION}"


def doc_to_text(doc: Mapping[str, Any]) -> str:
    return build_prompt_text(doc["question"], len(doc["images"] or []))


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
