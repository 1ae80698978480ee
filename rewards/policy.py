"""Which tiers run, in which order, for one gold answer of one dataset row.

Keyed on what the data carries: the answer's class (:func:`rewards.classify_answer`), the row's ``domain``
(Open-MM-RL: Math, Physics, Chemistry, Biology) and its normalised ``subDomain`` (``Organic Chemistry`` →
``organic_chemistry``). The most specific rule wins: ``domain/sub_domain``, then ``domain``, then the class
default. A rule is either a tier list (it applies to every mathematical class of that domain) or a mapping
from answer class to tier list. Extras (``smiles`` for Chemistry, when RDKit is installed) are slotted in
after ``exact``.

Classes that can never be mathematics keep their own order whatever the domain: a ``choice`` gold is only
compared as a letter and a ``text`` gold as a normalised string. In Chemistry a gold written as a chemical
formula (``CO``, ``NaCl``, ``C_5H_{12}O``) is the class ``formula`` and is compared as written (case
included): ``OC`` is not ``CO``, although the two products of symbols are equal.

From an experiment YAML (``rewards.policy``)::

    policy:
      by_domain:
        physics: [numeric, exact, fraction, latex, symbolic]
        math/geometry: [numeric, fraction, exact, latex, symbolic]
        chemistry: {formula: [exact]}
      extras:
        chemistry: [smiles]

Entries merge over the defaults; ``verify(..., tiers=...)`` bypasses the policy (ablations).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .classify import ANSWER_CLASSES, classify_answer

_MATH = ("exact", "numeric", "fraction", "latex", "symbolic")
NUMERIC_FIRST = ("numeric", "fraction", "exact", "latex", "symbolic")
SYMBOLIC_FIRST = ("exact", "fraction", "latex", "symbolic", "numeric")
#: classes whose order no domain rule changes
_FIXED_CLASSES = ("choice", "text")
POLICY_CLASSES = (*ANSWER_CLASSES, "formula")

DEFAULT_BY_CLASS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "choice": ("exact",),
        "text": ("exact",),
        "integer": _MATH,
        "decimal": _MATH,
        "fraction": ("exact", "fraction", "numeric", "latex", "symbolic"),
        "latex": _MATH,
        "symbolic": ("exact", "symbolic", "latex", "fraction", "numeric"),
        "formula": ("exact",),
    }
)
RuleValue = tuple[str, ...] | Mapping[str, tuple[str, ...]]
#: The default keeps the cheapest-first class order everywhere (so per-tier hit rates stay comparable across
#: domains) and only restricts what a domain needs restricted; reorderings such as NUMERIC_FIRST for
#: ``physics`` are one YAML line away.
DEFAULT_BY_DOMAIN: Mapping[str, RuleValue] = MappingProxyType(
    {"chemistry": MappingProxyType({"formula": ("exact",)})}
)
DEFAULT_EXTRAS: Mapping[str, tuple[str, ...]] = MappingProxyType({"chemistry": ("smiles",)})
#: domains whose golds may be chemical formulas (elsewhere ``BC`` is a segment, not boron carbide)
FORMULA_DOMAINS = frozenset({"chemistry"})


def normalize_domain(domain: str | None) -> str:
    """``" Multiple Choice "`` → ``"multiple_choice"``; ``"Physics (general)"`` → ``"physics_general"``."""
    if not domain or not isinstance(domain, str):
        return ""
    cleaned = "".join(ch if ch.isalnum() or ch in " -_/" else " " for ch in domain.strip().lower())
    return "/".join("_".join(part.replace("-", " ").split()) for part in cleaned.split("/"))


def policy_key(domain: str | None, sub_domain: str | None = None) -> str:
    """``("Chemistry", "Organic Chemistry ")`` → ``"chemistry/organic_chemistry"``."""
    d = normalize_domain(domain)
    s = normalize_domain(sub_domain).replace("/", "_")
    return f"{d}/{s}" if d and s else d


@dataclass(frozen=True)
class DomainPolicy:
    """Tier order per answer class, with rules per domain and sub-domain, and extras per domain."""

    by_class: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_BY_CLASS))
    by_domain: Mapping[str, RuleValue] = field(default_factory=lambda: dict(DEFAULT_BY_DOMAIN))
    extras: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_EXTRAS))

    @classmethod
    def from_dict(cls, config: Mapping[str, Any] | None) -> DomainPolicy:
        """Build from a config mapping (``by_class``, ``by_domain``, ``extras``); merges over the defaults.

        Raises ValueError naming the bad key or tier (unknown tiers are caught here, not mid-training).
        """
        config = dict(config or {})
        unknown = set(config) - {"by_class", "by_domain", "extras"}
        if unknown:
            raise ValueError(f"unknown policy keys: {sorted(unknown)} (expected by_class, by_domain, extras)")
        by_class = dict(DEFAULT_BY_CLASS)
        for name, tiers in _mapping(config, "by_class").items():
            if name not in POLICY_CLASSES:
                raise ValueError(f"policy.by_class: unknown answer class {name!r}; valid: {', '.join(POLICY_CLASSES)}")
            by_class[name] = _tiers(tiers, f"policy.by_class.{name}")
        by_domain: dict[str, RuleValue] = dict(DEFAULT_BY_DOMAIN)
        for name, rule in _mapping(config, "by_domain").items():
            key = normalize_domain(name)
            if isinstance(rule, Mapping):
                bad = set(rule) - set(POLICY_CLASSES)
                if bad:
                    raise ValueError(f"policy.by_domain.{name}: unknown answer classes {sorted(bad)}")
                by_domain[key] = {c: _tiers(t, f"policy.by_domain.{name}.{c}") for c, t in rule.items()}
            else:
                by_domain[key] = _tiers(rule, f"policy.by_domain.{name}")
        extras = dict(DEFAULT_EXTRAS)
        for name, tiers in _mapping(config, "extras").items():
            extras[normalize_domain(name)] = _tiers(tiers, f"policy.extras.{name}", allow_empty=True)
        return cls(by_class=by_class, by_domain=by_domain, extras=extras)

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-ready description (what a run records as its reward policy)."""
        return {
            "by_class": {k: list(v) for k, v in sorted(self.by_class.items())},
            "by_domain": {
                k: (list(v) if isinstance(v, tuple) else {c: list(t) for c, t in sorted(v.items())})
                for k, v in sorted(self.by_domain.items())
            },
            "extras": {k: list(v) for k, v in sorted(self.extras.items())},
        }

    def answer_class(self, gold: str, domain: str | None = None) -> str:
        """The class the policy acts on: :func:`classify_answer`, plus ``formula`` in formula domains."""
        answer_class = classify_answer(gold)
        if normalize_domain(domain) in FORMULA_DOMAINS and answer_class not in ("choice",):
            from .normalize import canonical, is_formula

            if is_formula(canonical(gold).value):
                return "formula"
        return answer_class

    def tiers_for(self, gold: str, domain: str | None = None, sub_domain: str | None = None) -> tuple[str, ...]:
        answer_class = self.answer_class(gold, domain)
        order = tuple(self.by_class.get(answer_class, _MATH))
        if answer_class not in _FIXED_CLASSES:
            for key in _keys(domain, sub_domain):
                rule = self.by_domain.get(key)
                if rule is None:
                    continue
                if isinstance(rule, Mapping):
                    if answer_class in rule:
                        order = tuple(rule[answer_class])
                        break
                    continue
                if answer_class != "formula":
                    order = tuple(rule)
                    break
        extras: list[str] = []
        for key in _keys(domain, sub_domain) if answer_class != "formula" else ():
            extras += [t for t in self.extras.get(key, ()) if t not in order and t not in extras and _available(t)]
        if extras:
            at = order.index("exact") + 1 if "exact" in order else 0
            order = order[:at] + tuple(extras) + order[at:]
        return order


def policy_json(value: Any) -> str:
    """A policy mapping (or its JSON text) validated and written canonically; None or empty -> ``""`` (the
    default policy). What a run records and what travels to lm-eval's documents."""
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


def _keys(domain: str | None, sub_domain: str | None) -> list[str]:
    specific = policy_key(domain, sub_domain)
    general = normalize_domain(domain)
    return [k for k in dict.fromkeys((specific, general)) if k]


def _mapping(config: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = config.get(key) or {}
    if not isinstance(value, Mapping):
        raise ValueError(f"policy.{key} must be a mapping, got {type(value).__name__}")
    return value


def _tiers(value: Any, where: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    from .tiers import TIERS

    if isinstance(value, str):
        value = [t.strip() for t in value.split(",") if t.strip()]
    if not isinstance(value, (list, tuple)) or (not value and not allow_empty):
        raise ValueError(f"{where}: expected a list of tier names, got {value!r}")
    unknown = [t for t in value if t not in TIERS]
    if unknown:
        raise ValueError(f"{where}: unknown tier(s) {unknown}; registered: {', '.join(TIERS)}")
    return tuple(value)


def _available(tier_name: str) -> bool:
    from .tiers import TIERS
    from .tiers.smiles import rdkit_available

    if tier_name not in TIERS:
        return False
    return tier_name != "smiles" or rdkit_available()


DEFAULT_POLICY = DomainPolicy()
