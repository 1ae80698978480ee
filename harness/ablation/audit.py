"""Reward audit: how much noise would a weaker matcher put into training? No training needed.

One fixed set of model outputs (an eval's per-sample log) is re-scored under every tier set. Against the
reference (the full per-domain policy), an answer the reference accepts but a tier set rejects is a *false
negative* of that set: during GRPO it would be punished for being right. The reverse is a *false positive*:
rewarded for being wrong. Counted per domain, because which tiers matter depends on how a domain writes
its answers (integers vs fractions vs expressions vs names).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.leaderboard.samples import SampleRecord

OVERALL = "all"


@dataclass(frozen=True)
class TierSet:
    """A named way of scoring: a fixed tier list for every domain, or None for the per-domain policy."""

    name: str
    tiers: tuple[str, ...] | None = None

    @property
    def description(self) -> str:
        return "per-domain policy" if self.tiers is None else " → ".join(self.tiers)


POLICY = TierSet("domain-policy", None)


@dataclass
class AuditCell:
    """One tier set on one domain (or `all`): its accuracy and its disagreements with the reference."""

    tier_set: str
    domain: str
    n: int = 0
    correct: int = 0
    reference_correct: int = 0
    false_negatives: int = 0
    false_positives: int = 0
    verifier_failures: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.n if self.n else None

    @property
    def reference_accuracy(self) -> float | None:
        return self.reference_correct / self.n if self.n else None

    @property
    def fn_rate(self) -> float | None:
        """Share of truly correct answers this set fails to reward."""
        return self.false_negatives / self.reference_correct if self.reference_correct else None

    @property
    def noise(self) -> float | None:
        """Share of all examples whose reward flips relative to the reference (FN + FP)."""
        return (self.false_negatives + self.false_positives) / self.n if self.n else None

    def to_dict(self) -> dict[str, Any]:
        return {"tier_set": self.tier_set, "domain": self.domain, "n": self.n, "correct": self.correct,
                "accuracy": self.accuracy, "reference_correct": self.reference_correct,
                "reference_accuracy": self.reference_accuracy, "false_negatives": self.false_negatives,
                "false_positives": self.false_positives, "fn_rate": self.fn_rate, "noise": self.noise,
                "verifier_failures": self.verifier_failures}


@dataclass
class AuditResult:
    reference: TierSet
    tier_sets: list[TierSet]
    domains: list[str]  # sorted domains, then `all`
    cells: dict[tuple[str, str], AuditCell]
    disagreements: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    source: str = ""
    logged_mismatches: list[str] = field(default_factory=list)

    def cell(self, tier_set: str, domain: str = OVERALL) -> AuditCell:
        return self.cells[(tier_set, domain)]

    def accuracies(self, domain: str = OVERALL) -> dict[str, float | None]:
        return {ts.name: self.cell(ts.name, domain).accuracy for ts in self.tier_sets}

    def rows(self) -> list[dict[str, Any]]:
        return [self.cells[(ts.name, d)].to_dict() | {"tiers": ts.description}
                for ts in self.tier_sets for d in self.domains]

    def metrics(self, prefix: str = "audit/") -> dict[str, float]:
        """Flat numbers for MLflow: `audit/<set>/<domain>/{acc,false_negatives,false_positives,fn_rate}`."""
        out: dict[str, float] = {}
        for (name, domain), cell in self.cells.items():
            base = f"{prefix}{name}/{domain}/"
            values = {"acc": cell.accuracy, "false_negatives": cell.false_negatives,
                      "false_positives": cell.false_positives, "fn_rate": cell.fn_rate, "noise": cell.noise}
            out.update({base + k: float(v) for k, v in values.items() if v is not None})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"reference": {"name": self.reference.name, "tiers": self.reference.tiers},
                "tier_sets": [{"name": t.name, "tiers": t.tiers, "description": t.description} for t in self.tier_sets],
                "domains": self.domains, "source": self.source, "rows": self.rows(),
                "disagreements": self.disagreements, "logged_mismatches": self.logged_mismatches}


def _verdicts(records: Sequence[SampleRecord], tier_set: TierSet, workers: int | None, policy=None) -> list:
    """Each sample scored as training scores it: its domain and sub-domain select the policy's tiers."""
    from rewards import verify_batch

    return verify_batch([r.prediction for r in records], [r.gold for r in records],
                        domains=[r.domain for r in records], sub_domains=[r.sub_domain for r in records],
                        tiers=tier_set.tiers, policy=policy, workers=workers)


_FAILURES = frozenset({"gold_unparseable", "error"})


def run_audit(records: Sequence[SampleRecord], tier_sets: Sequence[TierSet], *, reference: TierSet = POLICY,
              workers: int | None = None, examples_per_set: int = 5, source: str = "", policy=None) -> AuditResult:
    """Score `records` under every tier set and compare each with `reference`, per domain and overall.

    `policy` (a `rewards.DomainPolicy`, the experiment's `rewards.policy`) is what "the per-domain policy" means
    for every tier set without a fixed tier list.
    """
    if not records:
        raise ValueError("the reward audit needs at least one sample")
    names = [ts.name for ts in tier_sets]
    if len(set(names)) != len(names):
        raise ValueError(f"tier set names must be unique, got {names}")
    reference_verdicts = _verdicts(records, reference, workers, policy)
    domains = sorted({r.domain for r in records})
    cells = {(ts.name, d): AuditCell(ts.name, d) for ts in tier_sets for d in [*domains, OVERALL]}
    disagreements: dict[str, list[dict[str, Any]]] = {}
    for ts in tier_sets:
        verdicts = reference_verdicts if ts.tiers == reference.tiers else _verdicts(records, ts, workers, policy)
        listed = disagreements.setdefault(ts.name, [])
        for record, ref, got in zip(records, reference_verdicts, verdicts):
            fn, fp = ref.correct and not got.correct, got.correct and not ref.correct
            for domain in (record.domain, OVERALL):
                cell = cells[(ts.name, domain)]
                cell.n += 1
                cell.correct += got.correct
                cell.reference_correct += ref.correct
                cell.false_negatives += fn
                cell.false_positives += fp
                cell.verifier_failures += got.reason in _FAILURES
            if (fn or fp) and len(listed) < examples_per_set:
                listed.append({"kind": "false negative" if fn else "false positive", "id": record.doc_id,
                               "domain": record.domain, "gold": record.gold, "extracted": ref.extracted,
                               "reference_tier": ref.tier, "reason": got.reason})
    # When the eval itself ran the reference scoring, its logged verdicts must agree with ours: a mismatch
    # means the rewards library changed since the eval (the audit then describes today's verifier).
    mismatches = [r.doc_id for r, v in zip(records, reference_verdicts)
                  if reference.tiers is None and not r.tiers and r.acc is not None and bool(r.acc) != v.correct]
    return AuditResult(reference=reference, tier_sets=list(tier_sets), domains=[*domains, OVERALL], cells=cells,
                       disagreements=disagreements, source=source, logged_mismatches=mismatches)
