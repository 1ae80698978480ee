"""The offline leaderboard demo: tiny models that genuinely differ, ranked where they can differ.

A 0.9M-parameter model cannot solve held-out problems, so every offline model scores near zero on the held-out
split and a leaderboard of them is a tie. What does differ between tiny models is how much of their training
data they learned: the same build warmed up for 0, 150 and 300 steps (`DEMO_BUDGETS`). The demo evaluates each
on the *train* split, records the runs as every evaluation is recorded (so `mmrl leaderboard --split train`
finds them too), and ranks them on a board labelled "diagnostic: seen data". The held-out board stays the
default everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEMO_BUDGETS = (0, 150, 300)
DEMO_EXPERIMENT = "open-mm-rl-leaderboard-demo"
DEMO_SPLIT = "train"
#: the tag the leaderboard shows as the model's name (the cache paths of tiny builds all look alike)
LABEL_TAG = "mmrl.model_label"


@dataclass
class BoardDemo:
    board: Any  # harness.leaderboard.Leaderboard
    run_ids: dict[str, str]
    report: dict[str, Path]


def run_board_demo(
    out_dir: str | Path,
    *,
    tracking_uri: str,
    budgets: Sequence[int] = DEMO_BUDGETS,
    split: str = DEMO_SPLIT,
    source: str = "sample",
    limit: int | None = None,
    experiment: str = DEMO_EXPERIMENT,
    resamples: int = 1000,
    say: Callable[[str], None] = print,
) -> BoardDemo:
    """Build (or reuse) one tiny model per warm-up budget, evaluate each on `split`, rank them, write the report."""
    from harness.evaluation import EvalRequest, run_eval
    from harness.leaderboard import find_eval_runs, latest_per_model, leaderboard_from_store
    from harness.models import TINY_GEN_KWARGS, resolve_model_reference
    from harness.tracking.eval_log import ROLE_STANDALONE, record_evaluation
    from reports.leaderboard import write_leaderboard

    out = Path(out_dir)
    run_ids: dict[str, str] = {}
    for steps in budgets:
        label = f"tiny-warmup-{steps}"
        say(f"{label}: build (or reuse) and evaluate on the {split} split")
        model = resolve_model_reference("tiny", warmup_steps=steps).path
        request = EvalRequest(model=model, data=source, output_dir=out / "eval" / label, split=split, limit=limit,
                              batch_size=8, max_images=4, gen_kwargs=dict(TINY_GEN_KWARGS))
        result = run_eval(request)
        run_ids[label] = record_evaluation(
            result, role=ROLE_STANDALONE, run_name=label, experiment=experiment, tracking_uri=tracking_uri,
            tags={LABEL_TAG: label, "mmrl.warmup_steps": str(steps), "mmrl.board_demo": "1"},
        )
    runs = [r for r in find_eval_runs(tracking_uri=tracking_uri, experiments=[experiment], split=split)
            if r.run_id in set(run_ids.values())]
    board = leaderboard_from_store(latest_per_model(runs), tracking_uri, resamples=resamples, split=split)
    report = write_leaderboard(board, out / "leaderboard")
    return BoardDemo(board=board, run_ids=run_ids, report=report)
