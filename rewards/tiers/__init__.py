"""The tier registry: named matchers the cascade runs in order.

Add your own tier without touching the cascade::

    class Roman:
        name = "roman"
        sandboxed = False
        def match(self, pred, gold): ...

    rewards.register_tier(Roman())
    rewards.verify(out, gold, tiers=["exact", "roman"])
"""

from __future__ import annotations

import threading
from types import MappingProxyType

from .base import Equal, Match, NotEqual, Tier, Undecided
from .exact import ExactTier
from .fraction import FractionTier
from .latex import LatexTier
from .numeric import NumericTier
from .smiles import SmilesTier
from .symbolic import SymbolicTier

DEFAULT_TIERS: tuple[str, ...] = ("exact", "numeric", "fraction", "latex", "symbolic")

_registry: dict[str, Tier] = {}
_lock = threading.Lock()
_generation = 0
#: read-only view of the registered tiers, by name
TIERS = MappingProxyType(_registry)


def register_tier(tier: Tier, *, replace: bool = False) -> Tier:
    """Add ``tier`` under ``tier.name``; ``replace=True`` swaps a registered one (e.g. a new tolerance)."""
    global _generation
    name = getattr(tier, "name", None)
    if not isinstance(name, str) or not name or not callable(getattr(tier, "match", None)):
        raise TypeError("a tier needs a non-empty str `name` and a `match(pred, gold)` method")
    if not hasattr(tier, "sandboxed"):
        raise TypeError(f"tier {name!r} must say whether it is `sandboxed` (True/False)")
    with _lock:
        if name in _registry and not replace:
            raise ValueError(f"tier {name!r} is already registered (pass replace=True)")
        _registry[name] = tier
        _generation += 1
    return tier


def get_tier(name: str) -> Tier:
    try:
        return _registry[name]
    except KeyError:
        raise ValueError(f"unknown tier {name!r}; registered: {', '.join(_registry)}") from None


def registry_generation() -> int:
    """Bumped on every registration, so caches keyed on it never serve stale verdicts."""
    return _generation


def parse_tiers(value) -> tuple[str, ...] | None:
    """`"exact,numeric"` or a list -> validated tuple; empty / `"all"` / None -> None (the policy decides).

    Raises ValueError naming unknown tiers, TypeError for anything else.
    """
    if value is None:
        return None
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",")]
    elif isinstance(value, (list, tuple)):
        items = [str(part).strip() for part in value]
    else:
        raise TypeError(f"tiers must be a comma-separated string or a list, got {type(value).__name__}: {value!r}")
    items = [item for item in items if item]
    if not items or items == ["all"]:
        return None
    unknown = [item for item in items if item not in _registry]
    if unknown:
        raise ValueError(f"unknown matching tier(s) {unknown}; valid tiers: {', '.join(_registry)}")
    return tuple(dict.fromkeys(items))


for _tier in (
    ExactTier(),
    NumericTier(),
    FractionTier(),
    LatexTier(),
    SymbolicTier(),
    SmilesTier(),
):
    register_tier(_tier)

#: the tiers an evaluation reports a hit rate for: every tier registered at import (the default cascade plus
#: extras such as `smiles`), fixed so every per-tier metric averages over the same documents
TIER_NAMES: tuple[str, ...] = tuple(dict.fromkeys([*DEFAULT_TIERS, *_registry]))

__all__ = [
    "DEFAULT_TIERS",
    "TIERS",
    "TIER_NAMES",
    "Equal",
    "Match",
    "NotEqual",
    "Tier",
    "Undecided",
    "get_tier",
    "parse_tiers",
    "register_tier",
    "registry_generation",
]
