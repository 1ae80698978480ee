"""A transformers `TrainerCallback` that records a GRPO run in MLflow.

transformers' own MLflowCallback logs only numeric scalars from `logs`; reviewers also need which reward tier
decided each completion, whether the data loader kept up, and what the model actually wrote. This callback
reads those from the objects that know them (reward functions' hit counters, the loader's I/O counters, a
completion buffer) without importing their modules, so tracking stays downstream of training.

One name per figure: the reward functions also report tier and failure shares through TRL's `log_metric`
(`accuracy/tier_exact`, `accuracy/reason_mismatch`), which TRL puts in `logs`; this callback logs the same shares
from the counters as `hits/<reward>/tier/<tier>`, `hits/<reward>/reason/<reason>` and `hits/<reward>/correct`,
and drops TRL's copies. I/O counters (`io/images`, `io/rows`, `io/bytes_read`, `io/load_seconds`) are totals since
training began, so they never fall back to 0 (MLflow's "latest value" is the run's total); the rates
(`io/images_per_s`, `io/data_wait_share`) are per logging interval and logged only for intervals that read images.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import mlflow
from transformers import TrainerCallback

from harness.tracking.runs import log_metrics_safe

log = logging.getLogger(__name__)


def _snapshot(obj: Any) -> dict[str, Any]:
    """Counters as a flat dict, whatever shape the owner keeps them in (dict, dataclass, object with snapshot())."""
    if obj is None:
        return {}
    snap = getattr(obj, "snapshot", None)
    value = snap() if callable(snap) else obj
    if isinstance(value, dict):
        return dict(value)
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if hasattr(value, "_asdict"):
        return dict(value._asdict())
    return dict(vars(value)) if hasattr(value, "__dict__") else {}


def tier_rates(stats: dict[str, Any]) -> dict[str, float]:
    """Share of scored completions per deciding tier and per failure reason.

    Counters look like {"total": n, "correct": k, "tier/<name>": hits, "reason/<why>": count}.
    """
    total = stats.get("total") or 0
    out: dict[str, float] = {}
    if not total:
        return out
    for key, value in stats.items():
        if not isinstance(value, (int, float)) or key == "total":
            continue
        if key.startswith(("tier/", "reason/")) or key in ("correct", "answer_found"):
            out[key] = value / total
    return out


class MlflowGRPOCallback(TrainerCallback):
    """Per-step TRL metrics, tier hit rates, data-loader throughput, and completion samples."""

    def __init__(
        self,
        *,
        reward_stats: dict[str, Any] | None = None,
        io_stats: Any = None,
        completion_samples: Callable[[], Sequence[dict[str, Any]]] | None = None,
        completions_every: int = 5,
    ) -> None:
        self.reward_stats = reward_stats or {}
        self.io_stats = io_stats
        self.completion_samples = completion_samples
        self.completions_every = max(1, completions_every)
        self._io_base: dict[str, Any] = {}
        self._last_io: dict[str, Any] = {}
        self._last_tiers: dict[str, dict[str, Any]] = {}
        self._step_started = 0.0
        self._step_seconds = 0.0
        self._total_step_seconds = 0.0
        self.io_totals: dict[str, float] = {}

    def on_train_begin(self, args, state, control, **kwargs):
        """Counters start here: images read before training (the reward probe, EDA) are not training I/O."""
        self._io_base = _snapshot(self.io_stats)
        self._last_io = dict(self._io_base)

    def _enabled(self, state) -> bool:
        return state.is_world_process_zero and mlflow.active_run() is not None

    def on_step_begin(self, args, state, control, **kwargs):
        self._step_started = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        if self._step_started:
            elapsed = time.perf_counter() - self._step_started
            self._step_seconds += elapsed
            self._total_step_seconds += elapsed
        if self._enabled(state) and self.completion_samples and state.global_step % self.completions_every == 0:
            self._log_completions(state.global_step)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not self._enabled(state) or not logs:
            return
        step = state.global_step
        duplicates = tuple(f"{name}/{kind}_" for name in self.reward_stats for kind in ("tier", "reason"))
        metrics: dict[str, Any] = {k: v for k, v in logs.items()
                                   if isinstance(v, (int, float)) and not k.startswith(duplicates)}
        for name, stats_obj in self.reward_stats.items():
            current = _snapshot(stats_obj)
            delta = self._delta(current, self._last_tiers.get(name, {}))
            self._last_tiers[name] = current
            metrics.update({f"hits/{name}/{key}": rate for key, rate in tier_rates(delta).items()})
        metrics.update(self._io_metrics())
        log_metrics_safe(metrics, step=step)

    def on_train_end(self, args, state, control, **kwargs):
        if self._enabled(state) and self.completion_samples:
            self._log_completions(state.global_step)

    @staticmethod
    def _delta(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
        """Per-step change of flat cumulative counters."""
        return {k: v - previous.get(k, 0) for k, v in current.items() if isinstance(v, (int, float))}

    def _io_metrics(self) -> dict[str, float]:
        current = _snapshot(self.io_stats)
        if not current:
            return {}
        delta = self._delta(current, self._last_io)
        self._last_io = current
        total = self._delta(current, self._io_base)
        images, seconds = delta.get("images", 0), delta.get("seconds", 0.0)
        step_seconds, self._step_seconds = self._step_seconds, 0.0
        out = {"io/images": float(total.get("images", 0)), "io/rows": float(total.get("rows", 0)),
               "io/bytes_read": float(total.get("bytes_read", 0)), "io/load_seconds": float(total.get("seconds", 0.0))}
        if images > 0 and seconds > 0:
            out["io/images_per_s"] = images / seconds
        if images > 0 and step_seconds > 0:
            out["io/data_wait_share"] = min(1.0, seconds / step_seconds)
        self.io_totals = self.io_summary(out)
        return out

    def io_summary(self, totals: dict[str, float] | None = None) -> dict[str, float]:
        """The run's data loading in one dict (what the comparison report shows): totals and whole-run rates."""
        if totals is None:
            return dict(self.io_totals)
        images, seconds = totals.get("io/images", 0.0), totals.get("io/load_seconds", 0.0)
        summary = {"images": images, "rows": totals.get("io/rows", 0.0), "bytes_read": totals.get("io/bytes_read", 0.0),
                   "load_seconds": seconds, "step_seconds": self._total_step_seconds}
        if images > 0 and seconds > 0:
            summary["images_per_s"] = images / seconds
        if self._total_step_seconds > 0:
            summary["data_wait_share"] = min(1.0, seconds / self._total_step_seconds)
        return summary

    def _log_completions(self, step: int) -> None:
        samples = list(self.completion_samples() or [])
        if not samples:
            return
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"completions_step{step:05d}.json"
            path.write_text(json.dumps(samples, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
            mlflow.log_artifact(str(path), artifact_path="completions")
