"""Evaluation library: run the `open_mm_rl` lm-eval task on a model (`run_eval`) and report/record the result.

MLflow is optional here: `harness.tracking.eval_log` imports it only when called.
"""

from harness.evaluation.request import DEFAULT_TASK, EvalRequest
from harness.evaluation.results import (
    DomainResult,
    EvalResult,
    mean_stderr,
    summarize_samples,
    wilson_interval,
)
from harness.evaluation.runner import run_eval
from harness.evaluation.taskdir import tasks_dir

__all__ = [
    "DEFAULT_TASK",
    "DomainResult",
    "EvalRequest",
    "EvalResult",
    "mean_stderr",
    "run_eval",
    "summarize_samples",
    "tasks_dir",
    "wilson_interval",
]
