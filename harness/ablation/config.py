"""Ablation file: one base experiment, a list of reward tier sets to train and score it with.

```yaml
name: ablation-tiers
base: demo.yaml            # path relative to this file, or an inline experiment mapping
overrides: {grpo.max_steps: 16}   # dotted keys applied to the base for every variant
variants:
  - {name: exact, tiers: [exact]}                 # one fixed tier list for every domain ("global")
  - {name: domain-policy, tiers: null}            # the per-domain DomainPolicy (rewards' default)
```

A variant changes only `rewards.tiers` (and its output folder), so every variant starts from the same model,
seed and data. `to_yaml()` writes the base inline, fully resolved: the logged copy alone re-runs the ablation.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.ablation.audit import TierSet
from harness.training.config import ConfigError, ExperimentConfig, config_from_dict
from harness.yaml_text import load_yaml

POLICIES = ("domain", "global")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_TOP_LEVEL = {"name", "base", "overrides", "output_dir", "variants", "reference", "audit", "final_eval"}


@dataclass(frozen=True)
class Variant:
    """One reward setting: `tiers` for every domain (`policy: global`) or the per-domain policy (`tiers: null`)."""

    name: str
    tiers: tuple[str, ...] | None
    policy: str

    @property
    def rewards_tiers(self) -> list[str] | None:
        """The `rewards.tiers` value training uses (None: the per-domain policy decides)."""
        return list(self.tiers) if self.tiers is not None else None

    @property
    def tier_set(self) -> TierSet:
        return TierSet(self.name, self.tiers)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "tiers": self.rewards_tiers, "policy": self.policy}


def parse_variant(raw: Any, index: int) -> Variant:
    where = f"variants[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping with name/tiers/policy, got {type(raw).__name__}")
    unknown = set(raw) - {"name", "tiers", "policy"}
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {sorted(unknown)}; valid: name, tiers, policy")
    name = str(raw.get("name") or "")
    if not _NAME.match(name):
        raise ConfigError(f"{where}: name {name!r} must be letters, digits, '.', '_' or '-' (it names a folder)")
    tiers = raw.get("tiers")
    policy = raw.get("policy") or ("domain" if tiers is None else "global")
    if policy not in POLICIES:
        raise ConfigError(f"{where} ({name}): policy must be one of {POLICIES}, got {policy!r}")
    if tiers is None:
        if policy == "global":
            from rewards import DEFAULT_TIERS

            tiers = list(DEFAULT_TIERS)  # one global cascade: every tier, same order, every domain
    else:
        if policy == "domain":
            raise ConfigError(f"{where} ({name}): 'policy: domain' takes 'tiers: null' (the policy picks the tiers "
                              "per domain); a tier list is one global order: use 'policy: global'")
        if isinstance(tiers, str):
            tiers = [t.strip() for t in tiers.split(",") if t.strip()]
        if not isinstance(tiers, list) or not tiers:
            raise ConfigError(f"{where} ({name}): tiers must be a non-empty list or null")
        from rewards import TIERS

        unknown_tiers = [t for t in tiers if t not in TIERS]
        if unknown_tiers:
            raise ConfigError(f"{where} ({name}): unknown tier(s) {unknown_tiers}; valid: {', '.join(TIERS)}")
    return Variant(name=name, tiers=tuple(tiers) if tiers is not None else None, policy=policy)


def _apply_dotted(raw: dict[str, Any], overrides: dict[str, Any], where: str) -> None:
    for dotted, value in overrides.items():
        node = raw
        *parents, leaf = str(dotted).split(".")
        for key in parents:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise ConfigError(f"{where}: cannot set {dotted!r}: {key!r} is not a mapping")
            node = child
        node[leaf] = value


@dataclass
class AblationConfig:
    name: str
    output_dir: str
    base: dict[str, Any]  # the resolved base experiment (ExperimentConfig.to_dict shape)
    variants: list[Variant]
    reference: str | None = None  # variant whose scoring is the audit's truth; None: the per-domain policy
    # {samples: path | run id | null, mutations: true, mutation_rows: null | int}
    audit: dict[str, Any] = field(default_factory=dict)
    final_eval: dict[str, Any] = field(default_factory=dict)  # {split: eval}
    source_path: str | None = None

    def __post_init__(self) -> None:
        names = [v.name for v in self.variants]
        if not names:
            raise ConfigError("variants: at least one variant is needed")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigError(f"variants: duplicate name(s) {duplicates}")
        if "baseline" in names or "reward-audit" in names:
            raise ConfigError("variants: 'baseline' and 'reward-audit' are reserved names")
        if self.reference is not None and self.reference not in names:
            raise ConfigError(f"reference: {self.reference!r} is not a variant name ({', '.join(names)})")
        unknown = set(self.audit) - {"samples", "mutations", "mutation_rows"}
        if unknown:
            raise ConfigError(f"audit: unknown field(s) {sorted(unknown)}; valid: samples, mutations, mutation_rows")
        if not isinstance(self.audit.get("mutations", True), bool):
            raise ConfigError(f"audit.mutations = {self.audit['mutations']!r}: expected true or false")
        rows = self.audit.get("mutation_rows")
        if rows is not None and (isinstance(rows, bool) or not isinstance(rows, int) or rows < 1):
            raise ConfigError(f"audit.mutation_rows = {rows!r}: expected a positive integer or null (all rows)")
        unknown = set(self.final_eval) - {"split"}
        if unknown:
            raise ConfigError(f"final_eval: unknown field(s) {sorted(unknown)}; valid: split")
        self.base_config()  # validate the base now, not after the first variant trained

    @property
    def reference_set(self) -> TierSet:
        if self.reference is None:
            return TierSet("domain-policy", None)
        return next(v.tier_set for v in self.variants if v.name == self.reference)

    @property
    def eval_split(self) -> str:
        return str(self.final_eval.get("split") or "eval")

    def base_config(self) -> ExperimentConfig:
        return config_from_dict(copy.deepcopy(self.base))

    def variant_dir(self, name: str) -> Path:
        return Path(self.output_dir) / name

    def variant_config(self, variant: Variant) -> ExperimentConfig:
        raw = copy.deepcopy(self.base)
        raw.setdefault("rewards", {})["tiers"] = variant.rewards_tiers
        raw["output_dir"] = str(self.variant_dir(variant.name))
        raw["name"] = f"{self.name}-{variant.name}"
        return config_from_dict(raw)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "output_dir": self.output_dir, "base": copy.deepcopy(self.base),
                "variants": [v.to_dict() for v in self.variants], "reference": self.reference,
                "audit": dict(self.audit), "final_eval": dict(self.final_eval)}

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def config_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:12]


def ablation_from_dict(raw: dict[str, Any], *, base_dir: Path | None = None, source_path: str | None = None,
                       overrides: dict[str, Any] | None = None) -> AblationConfig:
    raw = copy.deepcopy(raw or {})
    unknown = set(raw) - _TOP_LEVEL
    if unknown:
        raise ConfigError(f"unknown top-level field(s) {sorted(unknown)}; valid: {sorted(_TOP_LEVEL)}")
    base = raw.get("base")
    if isinstance(base, str):
        path = Path(base) if Path(base).is_absolute() else (base_dir or Path.cwd()) / base
        if not path.exists():
            raise ConfigError(f"base: experiment file {path} not found "
                              "(relative paths resolve against the ablation file)")
        base = load_yaml(path.read_text(encoding="utf-8")) or {}
    if not isinstance(base, dict):
        raise ConfigError("base: expected an experiment file path or an inline experiment mapping")
    raw["base"] = base
    _apply_dotted(base, raw.get("overrides") or {}, "overrides")
    _apply_dotted(raw, overrides or {}, "--set")  # CLI: `base.grpo.max_steps=2`, `output_dir=...`
    name = str(raw.get("name") or "ablation")
    base_cfg = config_from_dict(copy.deepcopy(raw["base"]))
    variants = [parse_variant(v, i) for i, v in enumerate(raw.get("variants") or [])]
    return AblationConfig(
        name=name, output_dir=str(raw.get("output_dir") or f"runs/{name}"), base=base_cfg.to_dict(),
        variants=variants, reference=raw.get("reference"), audit=dict(raw.get("audit") or {}),
        final_eval=dict(raw.get("final_eval") or {}), source_path=source_path,
    )


def load_ablation_config(path: str | Path, overrides: dict[str, Any] | None = None) -> AblationConfig:
    """Read an ablation YAML; `overrides` are dotted keys on the ablation file (`base.grpo.max_steps: 2`)."""
    path = Path(path)
    raw = load_yaml(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return ablation_from_dict(raw, base_dir=path.parent, source_path=str(path), overrides=overrides)
