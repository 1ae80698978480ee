"""Model leaderboard: eval runs from MLflow, ranked by accuracy with bootstrap intervals from their samples.

`reports.leaderboard` renders a `Leaderboard` as Markdown, HTML and CSV; `mmrl leaderboard` wires both.
"""

from harness.leaderboard.board import (
    Entry,
    Gap,
    Leaderboard,
    Score,
    build_entry,
    build_leaderboard,
    leaderboard_from_store,
    mlflow_sample_loader,
)
from harness.leaderboard.bootstrap import bootstrap_ci, paired_difference_ci
from harness.leaderboard.collect import EvalRun, find_eval_runs, latest_per_model
from harness.leaderboard.samples import SampleLogError, SampleRecord, load_samples, read_samples

__all__ = [
    "Entry",
    "EvalRun",
    "Gap",
    "Leaderboard",
    "SampleLogError",
    "SampleRecord",
    "Score",
    "bootstrap_ci",
    "build_entry",
    "build_leaderboard",
    "find_eval_runs",
    "leaderboard_from_store",
    "latest_per_model",
    "load_samples",
    "mlflow_sample_loader",
    "paired_difference_ci",
    "read_samples",
]
