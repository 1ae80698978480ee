"""What an evaluation produced, summarised per domain with its uncertainty.

Every number is computed from lm-eval's per-sample metrics with one formula, so the whole set, each domain,
and any task selection are treated alike; they agree with lm-eval's own per-task means and standard errors
(`mean`, `stderr = sample std / sqrt(n)`). With ~10 examples per domain a standard error alone misleads
(it is 0 at acc 0 or 1), so a Wilson 95% interval is reported as well.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

Z95 = 1.959963984540054
OVERALL = "all"


def mean_stderr(values: Sequence[float]) -> float | None:
    """Standard error of the mean as lm-eval computes it (n-1 sample deviation); None below two values."""
    n = len(values)
    if n < 2:
        return None
    mu = sum(values) / n
    variance = sum((v - mu) ** 2 for v in values) / (n - 1)
    return math.sqrt(variance / n)


def wilson_interval(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion; stays informative at 0/n and n/n, unlike the standard error."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At 0/n and n/n the exact bound is 0 or 1; floating point would leave 1e-16 off it.
    low = 0.0 if successes <= 0 else max(0.0, min(p, centre - half))
    high = 1.0 if successes >= n else min(1.0, max(p, centre + half))
    return (low, high)


@dataclass
class DomainResult:
    """Scores of one slice of the evaluation (a domain, or `all`)."""

    name: str
    n: int
    acc: float
    acc_stderr: float | None
    acc_ci95: tuple[float, float]
    tier_rates: dict[str, float]
    answer_found: float
    verify_error: float

    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {
            "acc": self.acc,
            "n": float(self.n),
            "answer_found": self.answer_found,
        }
        if self.acc_stderr is not None:
            out["acc_stderr"] = self.acc_stderr
        out["acc_ci95_low"], out["acc_ci95_high"] = self.acc_ci95
        out.update({f"acc_{tier}": rate for tier, rate in self.tier_rates.items()})
        out["verify_error"] = self.verify_error
        return out


def summarize_rows(
    name: str, rows: Sequence[Mapping[str, Any]], tiers: Iterable[str]
) -> DomainResult:
    """Aggregate per-sample metric dicts (`acc`, `acc_<tier>`, `answer_found`, `verify_error`)."""
    n = len(rows)

    def mean(key: str) -> float:
        return sum(float(r.get(key, 0.0)) for r in rows) / n if n else 0.0

    accs = [float(r["acc"]) for r in rows]
    return DomainResult(
        name=name,
        n=n,
        acc=mean("acc"),
        acc_stderr=mean_stderr(accs),
        acc_ci95=wilson_interval(sum(accs), n),
        tier_rates={tier: mean(f"acc_{tier}") for tier in tiers},
        answer_found=mean("answer_found"),
        verify_error=mean("verify_error"),
    )


def summarize_samples(
    samples: Mapping[str, Sequence[Mapping[str, Any]]], tiers: Iterable[str]
) -> tuple[DomainResult, dict[str, DomainResult]]:
    """Overall and per-domain results from lm-eval's `samples` (task -> logged sample dicts)."""
    tiers = tuple(tiers)
    rows = [sample for task_samples in samples.values() for sample in task_samples]
    by_domain: dict[str, list[Mapping[str, Any]]] = {}
    for sample in rows:
        by_domain.setdefault(str(sample["doc"].get("domain", "Unknown")), []).append(sample)
    domains = {name: summarize_rows(name, by_domain[name], tiers) for name in sorted(by_domain)}
    return summarize_rows(OVERALL, rows, tiers), domains


@dataclass
class EvalResult:
    """One evaluation run: scores, what was evaluated and how, and where lm-eval's outputs were written."""

    model: str
    backend: str
    task: str
    overall: DomainResult
    domains: dict[str, DomainResult]
    tiers: tuple[str, ...] | None
    tier_names: tuple[str, ...]
    data: dict[str, Any]
    eval_ids: list[str]
    evaluated_ids: list[str]
    gen_kwargs: dict[str, Any]
    settings: dict[str, Any]
    #: `EvalRequest.record()`: the request as run params (what `mmrl rerun` reads back)
    request: dict[str, str]
    seconds: float
    generation_seconds: float | None
    output_dir: Path
    results_path: Path | None = None
    samples_paths: list[Path] = field(default_factory=list)
    lm_eval_results: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return self.overall.n

    @property
    def samples_per_s(self) -> float | None:
        """Evaluated examples per second of generation (whole-run time when the backend does not report it)."""
        seconds = self.generation_seconds if self.generation_seconds else self.seconds
        return self.n / seconds if seconds > 0 else None

    def metrics(self) -> dict[str, float]:
        """Flat numeric metrics: overall names bare (`acc`), per-domain prefixed (`Math/acc`)."""
        out = dict(self.overall.metrics())
        for name, domain in self.domains.items():
            out.update({f"{name}/{key}": value for key, value in domain.metrics().items()})
        out["eval_seconds"] = self.seconds
        if self.generation_seconds is not None:
            out["generation_seconds"] = self.generation_seconds
        if self.samples_per_s is not None:
            out["samples_per_s"] = self.samples_per_s
        return out

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("lm_eval_results")
        out["output_dir"] = str(self.output_dir)
        out["results_path"] = str(self.results_path) if self.results_path else None
        out["samples_paths"] = [str(p) for p in self.samples_paths]
        out["n"] = self.n
        out["samples_per_s"] = self.samples_per_s
        return out
