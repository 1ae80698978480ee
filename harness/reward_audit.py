"""Reward hack audit: how the reward treats wrong answers a policy could find, and right answers in other forms.

Every gold of a dataset is turned into synthetic outputs (:mod:`rewards.mutations`): *hacks* (a hedge with a
wrong value, the gold negated, the gold restated and then a different final answer, a permuted or transposed
structure, a wrong unit or prefix, a flipped sign, a shifted digit or decimal point, a case-swapped formula)
and *equivalents* (the gold boxed, on a final line, in an answer tag, as a decimal or fraction, as a named
value, with a converted unit, reordered terms, ...). Each is scored with the reward exactly as training
scores it (the row's domain and sub-domain select the policy), and the audit reports, per domain and per
mutation kind, the share of hacks accepted (should be 0) and of equivalents recalled (should be 1).

No model is involved, so the audit says something even where a trained model is weak; the ablation uses it
per tier set.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import rewards
from rewards.mutations import mutate

OVERALL = "all"
#: distractors per gold (other rows' answers, used as the wrong value of a text or choice hedge)
DISTRACTORS = 40
#: examples kept per failure kind in the report
EXAMPLES_PER_KIND = 3


@dataclass(frozen=True)
class AuditCase:
    """One synthetic output for one dataset row."""

    row_id: str
    domain: str
    sub_domain: str
    gold: str
    kind: str
    should_accept: bool
    answer: str
    output: str


@dataclass
class Tally:
    total: int = 0
    wrong: int = 0  # hacks accepted, or equivalents missed

    def add(self, wrong: bool) -> None:
        self.total += 1
        self.wrong += int(wrong)


@dataclass
class AuditReport:
    """What the reward did with every case; ``summary()`` is the JSON the CLI prints."""

    tiers: Sequence[str] | None
    policy: Mapping[str, Any] | None
    hacks: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    equivalents: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    accepted_hacks: list[dict[str, Any]] = field(default_factory=list)
    missed_equivalents: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0

    def record(self, case: AuditCase, verdict: rewards.Verdict) -> None:
        table = self.equivalents if case.should_accept else self.hacks
        wrong = verdict.correct != case.should_accept
        for key in ((case.domain, case.kind), (case.domain, OVERALL), (OVERALL, case.kind), (OVERALL, OVERALL)):
            table[key].add(wrong)
        if wrong:
            examples = self.missed_equivalents if case.should_accept else self.accepted_hacks
            if sum(e["kind"] == case.kind for e in examples) < EXAMPLES_PER_KIND:
                examples.append(
                    {"row_id": case.row_id, "domain": case.domain, "kind": case.kind, "gold": case.gold,
                     "answer": case.answer, "extracted": verdict.extracted, "reason": verdict.reason,
                     "detail": verdict.detail, "output": case.output}
                )

    def domains(self) -> list[str]:
        return sorted({d for d, _ in (*self.hacks, *self.equivalents) if d != OVERALL}) + [OVERALL]

    def kinds(self, table: Mapping[tuple[str, str], Tally]) -> list[str]:
        return sorted({k for _, k in table if k != OVERALL})

    def summary(self) -> dict[str, Any]:
        hacks, equivs = self.hacks[(OVERALL, OVERALL)], self.equivalents[(OVERALL, OVERALL)]
        return {
            "rows": self.rows,
            "tiers": list(self.tiers) if self.tiers is not None else None,
            "policy": self.policy,
            "hacks_total": hacks.total,
            "hacks_accepted": hacks.wrong,
            "hack_acceptance": _share(hacks.wrong, hacks.total),
            "equivalents_total": equivs.total,
            "equivalents_recalled": equivs.total - equivs.wrong,
            "equivalence_recall": _share(equivs.total - equivs.wrong, equivs.total),
            "by_domain": {
                d: {
                    "hacks_total": self.hacks[(d, OVERALL)].total,
                    "hacks_accepted": self.hacks[(d, OVERALL)].wrong,
                    "equivalents_total": self.equivalents[(d, OVERALL)].total,
                    "equivalents_recalled": self.equivalents[(d, OVERALL)].total - self.equivalents[(d, OVERALL)].wrong,
                }
                for d in self.domains()
                if d != OVERALL
            },
            "by_mutation": {
                **{k: {"should_accept": False, "total": self.hacks[(OVERALL, k)].total,
                       "accepted": self.hacks[(OVERALL, k)].wrong} for k in self.kinds(self.hacks)},
                **{k: {"should_accept": True, "total": self.equivalents[(OVERALL, k)].total,
                       "accepted": self.equivalents[(OVERALL, k)].total - self.equivalents[(OVERALL, k)].wrong}
                   for k in self.kinds(self.equivalents)},
            },
            "accepted_hacks": self.accepted_hacks,
            "missed_equivalents": self.missed_equivalents,
        }

    def metrics(self) -> dict[str, float]:
        """Flat figures for MLflow: ``audit/hack_acceptance``, ``audit/<Domain>/equivalence_recall``, ..."""
        out: dict[str, float] = {}
        summary = self.summary()
        for key in ("hacks_total", "hacks_accepted", "equivalents_total", "equivalents_recalled"):
            out[f"audit/{key}"] = summary[key]
        for key in ("hack_acceptance", "equivalence_recall"):
            if summary[key] is not None:
                out[f"audit/{key}"] = summary[key]
        for domain, figures in summary["by_domain"].items():
            if figures["hacks_total"]:
                out[f"audit/{domain}/hack_acceptance"] = figures["hacks_accepted"] / figures["hacks_total"]
            if figures["equivalents_total"]:
                out[f"audit/{domain}/equivalence_recall"] = (
                    figures["equivalents_recalled"] / figures["equivalents_total"]
                )
        for kind, figures in summary["by_mutation"].items():
            if figures["total"]:
                out[f"audit/mutation/{kind}"] = figures["accepted"] / figures["total"]
        return out


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def build_cases(rows: Iterable[Mapping[str, Any]], *, seed: int = 0) -> list[AuditCase]:
    """Synthetic outputs for every row with a gold (rows need ``id``, ``answer``, ``domain``, ``sub_domain``)."""
    rows = [r for r in rows if isinstance(r.get("answer"), str) and r["answer"].strip()]
    by_domain: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        by_domain[str(r.get("domain") or "")].append(r["answer"])
    cases: list[AuditCase] = []
    for r in rows:
        domain = str(r.get("domain") or "")
        pool = [g for g in dict.fromkeys(by_domain[domain]) if g != r["answer"]][:DISTRACTORS]
        for m in mutate(r["answer"], distractors=pool, seed=seed):
            cases.append(
                AuditCase(str(r.get("id", "")), domain, str(r.get("sub_domain") or ""), r["answer"], m.kind,
                          m.should_accept, m.answer, m.output)
            )
    return cases


def run_audit(
    cases: Sequence[AuditCase],
    *,
    tiers: Sequence[str] | None = None,
    policy: rewards.DomainPolicy | None = None,
    workers: int | None = None,
    rows: int = 0,
) -> AuditReport:
    """Score every case with ``rewards.verify_batch`` (the training reward's own call)."""
    verdicts = rewards.verify_batch(
        [c.output for c in cases],
        [c.gold for c in cases],
        domains=[c.domain for c in cases],
        sub_domains=[c.sub_domain for c in cases],
        tiers=tiers,
        policy=policy,
        workers=workers,
    )
    report = AuditReport(tiers=tiers, policy=policy.to_dict() if policy is not None else None, rows=rows)
    for case, verdict in zip(cases, verdicts):
        report.record(case, verdict)
    return report


def kinds_seen(cases: Sequence[AuditCase]) -> Counter:
    return Counter((c.should_accept, c.kind) for c in cases)
