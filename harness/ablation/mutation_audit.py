"""The ablation's model-free audit: every tier set scored on synthetic outputs made from the data's golds.

The sample audit (`harness.ablation.audit`) re-scores a model's real outputs, so it only says something where
the model writes right answers. This one needs no model: `harness.reward_audit` turns each gold into outputs a
model could write (the gold in other equivalent forms, which a reward should pay) and outputs a policy could
find (hedges, negations, wrong units, ...: which it must not pay), and each tier set scores all of them. Its
figures per tier set and domain are *recall* (equivalent forms paid) and *false-positive rate* (hacks paid):
what the tier set would do to a model that answers in those forms, whether or not the demo model does.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.ablation.audit import TierSet
from harness.reward_audit import OVERALL, AuditReport, build_cases, run_audit

__all__ = ["MutationAudit", "mutation_rows", "run_mutation_audit"]


@dataclass
class MutationAudit:
    rows: int
    cases: int
    seed: int
    reports: dict[str, AuditReport] = field(default_factory=dict)  # tier set name -> report

    def table(self) -> list[dict[str, Any]]:
        """One row per (tier set, domain): equivalents paid and hacks paid, with their shares."""
        out = []
        for name, report in self.reports.items():
            summary = report.summary()
            by_domain = dict(summary["by_domain"])
            by_domain[OVERALL] = {k: summary[k] for k in
                                  ("hacks_total", "hacks_accepted", "equivalents_total", "equivalents_recalled")}
            for domain, f in sorted(by_domain.items(), key=lambda kv: (kv[0] != OVERALL, kv[0])):
                out.append({
                    "tier_set": name, "domain": domain,
                    "equivalents": f["equivalents_total"], "recalled": f["equivalents_recalled"],
                    "recall": f["equivalents_recalled"] / f["equivalents_total"] if f["equivalents_total"] else None,
                    "hacks": f["hacks_total"], "hacks_paid": f["hacks_accepted"],
                    "false_positive_rate": f["hacks_accepted"] / f["hacks_total"] if f["hacks_total"] else None,
                })
        return out

    def recall(self, tier_set: str, domain: str = OVERALL) -> float | None:
        return next((r["recall"] for r in self.table() if r["tier_set"] == tier_set and r["domain"] == domain), None)

    def metrics(self) -> dict[str, float]:
        """`audit_mutations/<tier set>/recall`, `.../false_positive_rate`, and per domain `.../<Domain>/recall`."""
        out: dict[str, float] = {}
        for row in self.table():
            prefix = f"audit_mutations/{row['tier_set']}" + ("" if row["domain"] == OVERALL else f"/{row['domain']}")
            for key in ("recall", "false_positive_rate"):
                if row[key] is not None:
                    out[f"{prefix}/{key}"] = row[key]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "cases": self.cases, "seed": self.seed, "table": self.table(),
                "missed_equivalents": {name: r.missed_equivalents for name, r in self.reports.items()},
                "accepted_hacks": {name: r.accepted_hacks for name, r in self.reports.items()}}


def mutation_rows(dataset: Sequence[Mapping[str, Any]], *, limit: int | None, seed: int) -> list[dict[str, Any]]:
    """The rows whose golds are mutated: all of them, or a seeded sample of `limit` (same seed, same rows)."""
    rows = [{"id": r.get("id"), "answer": r.get("answer"), "domain": r.get("domain"),
             "sub_domain": r.get("sub_domain")} for r in dataset]
    if limit is not None and len(rows) > limit:
        rows = random.Random(seed).sample(rows, limit)
    return rows


def run_mutation_audit(rows: Sequence[Mapping[str, Any]], tier_sets: Sequence[TierSet], *, policy=None,
                       seed: int = 0, workers: int | None = None) -> MutationAudit:
    """Score the same synthetic outputs under every tier set (`None` tiers: the per-domain `policy`)."""
    cases = build_cases(rows, seed=seed)
    audit = MutationAudit(rows=len(rows), cases=len(cases), seed=seed)
    for tier_set in tier_sets:
        audit.reports[tier_set.name] = run_audit(cases, tiers=tier_set.tiers, policy=policy, workers=workers,
                                                 rows=len(rows))
    return audit
