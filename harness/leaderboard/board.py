"""Rank evaluation runs by accuracy, with intervals bootstrapped from their per-sample logs.

Accuracy, per-domain accuracy and their intervals are recomputed from the logged examples, so the number
a row is ranked by and the interval drawn around it come from the same data. A run without sample files
falls back to the metrics it logged (Wilson interval) and says so in `ci_source`, never silently.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.leaderboard.bootstrap import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    bootstrap_ci,
    paired_difference_ci,
)
from harness.leaderboard.collect import EvalRun
from harness.leaderboard.samples import SampleLogError, SampleRecord

log = logging.getLogger(__name__)

#: splits whose examples a trained model may have seen (the held-out one is "eval")
SEEN_SPLITS = ("train", "all")
CI_BOOTSTRAP = "bootstrap"
CI_LOGGED = "logged (Wilson; no samples)"
ACC_MISMATCH_TOL = 1e-6


@dataclass
class Score:
    """Accuracy of one slice (overall or a domain) with its 95% interval."""

    n: int
    acc: float
    ci_low: float | None
    ci_high: float | None


@dataclass
class Gap:
    """Paired accuracy difference to the next-ranked entry over the examples both scored."""

    other: str
    shared: int
    diff: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0


@dataclass
class Entry:
    run: EvalRun
    rank: int
    overall: Score
    domains: dict[str, Score]
    tier_rates: dict[str, float]
    answer_found: float | None
    samples_per_s: float | None
    ci_source: str
    vs_next: Gap | None = None
    scores: dict[str, float] = field(default_factory=dict, repr=False)  # doc id -> correctness

    @property
    def label(self) -> str:
        return f"{self.run.model} [{self.run.role}] ({self.run.run_id[:8]})"


@dataclass
class Leaderboard:
    entries: list[Entry]
    domains: list[str]
    tiers: list[str]
    warnings: list[str]
    resamples: int
    seed: int
    generated_at: str
    split: str | None = None  # the one split ranked (None: runs of any split, with a warning if they differ)

    @property
    def diagnostic(self) -> bool:
        """Ranked on examples the models may have trained on: what they memorised, not what they can do."""
        return self.split in SEEN_SPLITS

    @property
    def title(self) -> str:
        if self.diagnostic:
            return f"Open-MM-RL leaderboard — diagnostic: seen data ({self.split} split)"
        if self.split == "eval":
            return "Open-MM-RL leaderboard — held-out split"
        return "Open-MM-RL leaderboard"

    @property
    def note(self) -> str | None:
        if not self.diagnostic:
            return None
        return (f"diagnostic: seen data. The {self.split} split holds examples the models were trained or warmed "
                "up on; this ranking shows what they memorised, not how they do on new problems (the default "
                "board ranks the held-out split).")

    def rows(self) -> list[dict[str, Any]]:
        """Flat rows (one per entry) for CSV and templates; names are stable column headers."""
        out = []
        for e in self.entries:
            row: dict[str, Any] = {
                "rank": e.rank, "model": e.run.model, "role": e.run.role, "run_id": e.run.run_id,
                "run_name": e.run.run_name,
                "experiment": e.run.experiment, "n": e.overall.n, "acc": e.overall.acc,
                "acc_ci_low": e.overall.ci_low, "acc_ci_high": e.overall.ci_high, "ci_source": e.ci_source,
            }
            for domain in self.domains:
                score = e.domains.get(domain)
                row[f"{domain}_n"] = score.n if score else None
                row[f"{domain}_acc"] = score.acc if score else None
                row[f"{domain}_ci_low"] = score.ci_low if score else None
                row[f"{domain}_ci_high"] = score.ci_high if score else None
            for tier in self.tiers:
                row[f"tier_{tier}"] = e.tier_rates.get(tier)
            row["answer_found"] = e.answer_found
            row["samples_per_s"] = e.samples_per_s
            row["vs_next_diff"] = e.vs_next.diff if e.vs_next else None
            row["vs_next_ci_low"] = e.vs_next.low if e.vs_next else None
            row["vs_next_ci_high"] = e.vs_next.high if e.vs_next else None
            row["vs_next_significant"] = e.vs_next.significant if e.vs_next else None
            row["data_fingerprint"] = e.run.fingerprint
            row["data_split"] = e.run.split
            row["tiers"] = e.run.tiers
            row["reward_policy"] = e.run.policy
            row["prompt"] = e.run.prompt
            row["limit"] = e.run.limit
            row["git_commit"] = e.run.tags.get("mmrl.git_commit", "")
            out.append(row)
        return out


def short_model(model: str) -> str:
    """Checkpoint paths are long and alike at the front: keep the last two parts (`exact/final`)."""
    from pathlib import PurePath

    parts = PurePath(model).parts
    return "/".join(parts[-2:]) if len(parts) > 2 else model


def _score(values: Sequence[float], resamples: int, seed: int) -> Score:
    low, high = bootstrap_ci(values, resamples=resamples, seed=seed)
    return Score(n=len(values), acc=sum(values) / len(values), ci_low=low, ci_high=high)


def _logged_score(metrics: dict[str, float], prefix: str = "") -> Score | None:
    acc = metrics.get(f"{prefix}acc")
    if acc is None:
        return None
    return Score(n=int(metrics.get(f"{prefix}n", 0)), acc=acc, ci_low=metrics.get(f"{prefix}acc_ci95_low"),
                 ci_high=metrics.get(f"{prefix}acc_ci95_high"))


def _per_doc(run: EvalRun, records: Sequence[SampleRecord]) -> tuple[dict[str, float], dict[str, str]]:
    scores: dict[str, float] = {}
    domains: dict[str, str] = {}
    for record in records:
        if record.acc is None:
            raise SampleLogError(f"run {run.run_id}: sample {record.doc_id!r} ({record.task}) has no 'acc' value")
        if record.doc_id in scores:
            log.warning("run %s: doc %s logged by more than one task; counting it once", run.run_id, record.doc_id)
            continue
        scores[record.doc_id] = record.acc
        domains[record.doc_id] = record.domain
    return scores, domains


def build_entry(run: EvalRun, records: Sequence[SampleRecord] | None, *, resamples: int = DEFAULT_RESAMPLES,
                seed: int = DEFAULT_SEED, warnings: list[str] | None = None) -> Entry:
    """One row: scores from the samples when there are any, else from the logged metrics."""
    warnings = warnings if warnings is not None else []
    metrics = run.metrics
    tier_rates = {k.removeprefix("acc_"): v for k, v in metrics.items()
                  if k.startswith("acc_") and "/" not in k and not k.startswith(("acc_ci95", "acc_stderr"))}
    common = dict(tier_rates=tier_rates, answer_found=metrics.get("answer_found"),
                  samples_per_s=metrics.get("samples_per_s"))
    if records:
        scores, doc_domains = _per_doc(run, records)
        overall = _score(list(scores.values()), resamples, seed)
        by_domain: dict[str, list[float]] = defaultdict(list)
        for doc_id, value in scores.items():
            by_domain[doc_domains[doc_id]].append(value)
        domains = {d: _score(v, resamples, seed) for d, v in sorted(by_domain.items())}
        logged = metrics.get("acc")
        if logged is not None and abs(logged - overall.acc) > ACC_MISMATCH_TOL:
            warnings.append(f"run {run.run_id[:8]} ({run.model}): logged acc {logged:.4f} differs from its samples "
                            f"({overall.acc:.4f}); ranking by the samples")
        return Entry(run=run, rank=0, overall=overall, domains=domains, ci_source=CI_BOOTSTRAP, scores=scores, **common)
    overall = _logged_score(metrics)
    if overall is None:
        raise SampleLogError(f"run {run.run_id} has neither per-sample files nor an 'acc' metric")
    domain_names = sorted({k.split("/", 1)[0] for k in metrics if k.endswith("/acc")})
    domains = {d: s for d in domain_names if (s := _logged_score(metrics, f"{d}/")) is not None}
    warnings.append(f"run {run.run_id[:8]} ({run.model}): no per-sample files; its interval is the logged Wilson one")
    return Entry(run=run, rank=0, overall=overall, domains=domains, ci_source=CI_LOGGED, **common)


def comparability_warnings(runs: Sequence[EvalRun]) -> list[str]:
    """Ranking runs that scored different examples, or scored them differently, would mislead: say so."""
    out = []
    checks = (("fingerprint", "evaluated different data (dataset fingerprints)",
               "pass --fingerprint to rank one dataset"),
              ("split", "evaluated different splits", "rank runs of one split"),
              ("tiers", "were scored with different matching tiers", "accuracy depends on the tier set"),
              ("policy", "were scored under different reward policies", "accuracy depends on the policy"),
              ("prompt", "were asked with different prompts", "accuracy depends on the prompt"),
              ("limit", "used different example limits", "they scored different subsets"))
    for attribute, what, hint in checks:
        groups: dict[str, list[str]] = defaultdict(list)
        for run in runs:
            groups[str(getattr(run, attribute)) or "none"].append(run.model)
        if len(groups) > 1:
            detail = "; ".join(f"{value[:16]}: {len(models)} run(s)" for value, models in sorted(groups.items()))
            out.append(f"runs {what} ({detail}): {hint}")
    return out


def order_entries(entries: list[Entry]) -> list[Entry]:
    """Sort by accuracy (then more examples, then model name, then run id: a stable order for equal rows)."""
    return sorted(entries, key=lambda e: (-e.overall.acc, -e.overall.n, e.run.model, e.run.run_id))


def attach_gaps(entries: Sequence[Entry], *, resamples: int, seed: int) -> None:
    """Paired bootstrap of each entry against the next one, over the doc ids both scored."""
    for entry, below in zip(entries, entries[1:]):
        shared = sorted(entry.scores.keys() & below.scores.keys())
        if not shared:
            continue
        diff, low, high = paired_difference_ci([entry.scores[k] for k in shared], [below.scores[k] for k in shared],
                                               resamples=resamples, seed=seed)
        entry.vs_next = Gap(other=below.label, shared=len(shared), diff=diff, low=low, high=high)


def assign_ranks(entries: Sequence[Entry]) -> None:
    """Ties are shown as ties, and the paired intervals decide what a tie is: an entry shares the rank of the one
    above it unless the paired interval of their gap excludes 0 (1, 1, 3 reads "the first two are not
    separable, both beat the third"). Without shared examples to pair, only equal accuracy ties."""
    for i, entry in enumerate(entries):
        if i == 0:
            entry.rank = 1
            continue
        above = entries[i - 1]
        gap = above.vs_next
        tied = (not gap.significant) if gap is not None else abs(above.overall.acc - entry.overall.acc) <= 1e-12
        entry.rank = above.rank if tied else i + 1


def rank_entries(entries: list[Entry], *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> list[Entry]:
    """Order, pair each entry with the next, and rank (`assign_ranks`)."""
    ordered = order_entries(entries)
    attach_gaps(ordered, resamples=resamples, seed=seed)
    assign_ranks(ordered)
    return ordered


SampleLoader = Callable[[EvalRun], Sequence[SampleRecord] | None]


def build_leaderboard(runs: Sequence[EvalRun], load_samples: SampleLoader, *, resamples: int = DEFAULT_RESAMPLES,
                      seed: int = DEFAULT_SEED, split: str | None = None) -> Leaderboard:
    """Rank `runs`; `load_samples(run)` returns its per-sample records (None/empty: use logged metrics)."""
    warnings = comparability_warnings(runs)
    entries = []
    for run in runs:
        try:
            records = load_samples(run)
        except SampleLogError as exc:
            warnings.append(f"run {run.run_id[:8]} ({run.model}): {exc}")
            records = None
        try:
            entries.append(build_entry(run, records, resamples=resamples, seed=seed, warnings=warnings))
        except SampleLogError as exc:
            warnings.append(f"skipped run {run.run_id[:8]} ({run.model}): {exc}")
    ranked = rank_entries(entries, resamples=resamples, seed=seed)
    domains = sorted({d for e in ranked for d in e.domains})
    tiers = sorted({t for e in ranked for t in e.tier_rates})
    return Leaderboard(entries=ranked, domains=domains, tiers=tiers, warnings=warnings, resamples=resamples,
                       seed=seed, generated_at=time.strftime("%Y-%m-%d %H:%M:%S"), split=split)


def mlflow_sample_loader(tracking_uri: str | None, cache_dir: str | None = None) -> SampleLoader:
    """Loader that downloads each run's `eval/samples_*.jsonl` artifacts (into `cache_dir`/<run id> if given)."""
    from pathlib import Path

    from harness.leaderboard.samples import download_run_samples, read_samples

    def load(run: EvalRun) -> list[SampleRecord]:
        dst = None
        if cache_dir:
            dst = Path(cache_dir) / run.run_id
            dst.mkdir(parents=True, exist_ok=True)
        return read_samples(download_run_samples(run.run_id, tracking_uri=tracking_uri, dst=dst))

    return load


def leaderboard_from_store(runs: Sequence[EvalRun], tracking_uri: str | None, *, resamples: int = DEFAULT_RESAMPLES,
                           seed: int = DEFAULT_SEED, split: str | None = None) -> Leaderboard:
    """`build_leaderboard` over runs of an MLflow store: each run's samples are downloaded into a temporary folder
    that is gone when the board is built (MLflow's per-file progress bars are off: they would bury the table)."""
    import os
    import tempfile

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    with tempfile.TemporaryDirectory(prefix="mmrl-leaderboard-") as downloads:
        return build_leaderboard(runs, mlflow_sample_loader(tracking_uri, downloads), resamples=resamples, seed=seed,
                                 split=split)
