"""Which tiers run, in which order, for a given gold answer and domain.

The answer class (:func:`rewards.classify_answer`) decides first: a ``choice``
gold is only ever compared as a letter and a ``text`` gold as a normalised
string — no domain can turn ``Anterior`` into a number. For mathematical golds
a domain entry may reorder or restrict the tiers (numeric first for geometry
and charts, symbolic first for algebra, exact only for multiple choice). Extra
tiers per domain are slotted in after ``exact`` when available (``smiles`` for
Chemistry when RDKit is installed). ``verify(..., tiers=...)`` bypasses all of
this (ablations).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .classify import classify_answer

_MATH = ("exact", "numeric", "fraction", "latex", "symbolic")
NUMERIC_FIRST = ("numeric", "fraction", "exact", "latex", "symbolic")
SYMBOLIC_FIRST = ("exact", "fraction", "symbolic", "latex", "numeric")

DEFAULT_BY_CLASS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "choice": ("exact",),
        "text": ("exact",),
        "integer": _MATH,
        "decimal": _MATH,
        "fraction": ("exact", "fraction", "numeric", "latex", "symbolic"),
        "latex": _MATH,
        "symbolic": ("exact", "symbolic", "latex", "fraction", "numeric"),
    }
)
DEFAULT_BY_DOMAIN: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "geometry": NUMERIC_FIRST,
        "charts": NUMERIC_FIRST,
        "chart": NUMERIC_FIRST,
        "statistics": NUMERIC_FIRST,
        "algebra": SYMBOLIC_FIRST,
        "calculus": SYMBOLIC_FIRST,
        "multiple_choice": ("exact",),
        "mcq": ("exact",),
    }
)
DEFAULT_EXTRAS: Mapping[str, tuple[str, ...]] = MappingProxyType({"chemistry": ("smiles",)})


def normalize_domain(domain: str | None) -> str:
    """``" Multiple Choice "`` → ``"multiple_choice"``; None → ``""``."""
    if not domain or not isinstance(domain, str):
        return ""
    return "_".join(domain.strip().lower().replace("-", " ").split())


@dataclass(frozen=True)
class DomainPolicy:
    """Tier order per answer class, with per-domain overrides and extras.

    Build one from config with :meth:`from_dict`, e.g.
    ``{"by_domain": {"physics": ["numeric", "latex"]}, "extras": {"chemistry": ["smiles"]}}``;
    entries merge over the defaults.
    """

    by_class: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_BY_CLASS))
    by_domain: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_BY_DOMAIN)
    )
    extras: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_EXTRAS))

    @classmethod
    def from_dict(cls, config: Mapping[str, Any] | None) -> DomainPolicy:
        config = dict(config or {})
        unknown = set(config) - {"by_class", "by_domain", "extras"}
        if unknown:
            raise ValueError(
                f"unknown policy keys: {sorted(unknown)} (expected by_class, by_domain, extras)"
            )

        def merged(defaults: Mapping[str, tuple[str, ...]], key: str, normalise) -> dict:
            out = dict(defaults)
            for name, tiers in (config.get(key) or {}).items():
                if isinstance(tiers, str):
                    tiers = [t.strip() for t in tiers.split(",") if t.strip()]
                out[normalise(name)] = tuple(tiers)
            return out

        by_class = merged(DEFAULT_BY_CLASS, "by_class", str)
        bad = set(by_class) - {
            "integer",
            "decimal",
            "fraction",
            "latex",
            "symbolic",
            "choice",
            "text",
        }
        if bad:
            raise ValueError(f"unknown answer classes in policy: {sorted(bad)}")
        return cls(
            by_class=by_class,
            by_domain=merged(DEFAULT_BY_DOMAIN, "by_domain", normalize_domain),
            extras=merged(DEFAULT_EXTRAS, "extras", normalize_domain),
        )

    def tiers_for(self, gold: str, domain: str | None = None, sub_domain: str | None = None) -> tuple[str, ...]:
        answer_class = classify_answer(gold)
        key = normalize_domain(domain)
        if answer_class in ("choice", "text") or key not in self.by_domain:
            order = tuple(self.by_class.get(answer_class, _MATH))
        else:
            order = tuple(self.by_domain[key])
        extras = tuple(t for t in self.extras.get(key, ()) if t not in order and _available(t))
        if extras:
            at = order.index("exact") + 1 if "exact" in order else 0
            order = order[:at] + extras + order[at:]
        return order


def _available(tier_name: str) -> bool:
    from .tiers import TIERS
    from .tiers.smiles import rdkit_available

    if tier_name not in TIERS:
        return False
    return tier_name != "smiles" or rdkit_available()


DEFAULT_POLICY = DomainPolicy()
