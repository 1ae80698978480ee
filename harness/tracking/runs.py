"""Run context and logging helpers that never let a bad metric name or value kill a long job."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import mlflow

from harness.tracking.store import DEFAULT_EXPERIMENT, resolve_tracking_uri, use_experiment

log = logging.getLogger(__name__)
_ILLEGAL = re.compile(r"[^A-Za-z0-9_\-. /:]")
_MAX_PARAM_LEN = 6000


def metric_key(name: str) -> str:
    """lm-eval's `acc,none` -> `acc`; `acc_stderr,none` -> `acc_stderr`; other illegal chars -> `_`."""
    if name.endswith(",none"):
        name = name[: -len(",none")]
    return _ILLEGAL.sub("_", name.replace(",", "/"))


@contextmanager
def mlflow_run(
    run_name: str | None = None,
    *,
    experiment: str | None = None,
    tags: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    tracking_uri: str | None = None,
    fallback: str | None = None,
    nested: bool = False,
) -> Iterator[mlflow.ActiveRun]:
    """Start (or nest) a run in the resolved store; the store is checked before the body runs."""
    if not nested or mlflow.active_run() is None:
        name = experiment or DEFAULT_EXPERIMENT
        use_experiment(name, resolve_tracking_uri(tracking_uri, fallback=fallback, experiment=name))
    with mlflow.start_run(run_name=run_name, nested=nested, tags=dict(tags or {})) as run:
        if params:
            log_params_safe(params)
        yield run


def log_params_safe(params: Mapping[str, Any]) -> None:
    clean = {}
    for key, value in params.items():
        text = "" if value is None else str(value)
        clean[metric_key(str(key))] = text[:_MAX_PARAM_LEN]
    mlflow.log_params(clean)


def log_metrics_safe(metrics: Mapping[str, Any], step: int | None = None) -> dict[str, float]:
    """Log numeric values under legal names; skip None/NaN/non-numbers with a warning instead of crashing."""
    clean: dict[str, float] = {}
    for key, value in metrics.items():
        if isinstance(value, bool):
            value = float(value)
        if not isinstance(value, (int, float)) or value is None or math.isnan(float(value)):
            log.warning("not logging metric %r = %r (not a finite number)", key, value)
            continue
        clean[metric_key(str(key))] = float(value)
    if clean:
        mlflow.log_metrics(clean, step=step)
    return clean
