"""The offline leaderboard demo separates what it exists to separate (tiny models of different warm-up budgets),
on a board that says it ranks seen data; the held-out board stays the default."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from harness.cli import app


@pytest.mark.slow
def test_the_offline_board_ranks_models_that_differ_with_intervals_that_do_not_overlap(tmp_path):
    from harness.pipeline.board_demo import DEMO_BUDGETS, run_board_demo

    db = f"sqlite:///{tmp_path}/mlruns.db"
    demo = run_board_demo(tmp_path / "demo", tracking_uri=db, say=lambda _: None, resamples=500)
    board = demo.board
    assert len(board.entries) == len(DEMO_BUDGETS) >= 3
    top, bottom = board.entries[0], board.entries[-1]
    assert top.run.model == f"tiny-warmup-{max(DEMO_BUDGETS)}"
    assert bottom.run.model == f"tiny-warmup-{min(DEMO_BUDGETS)}"
    assert top.overall.ci_low > bottom.overall.ci_high, (top.overall, bottom.overall)
    assert top.rank == 1 and bottom.rank > 1
    assert board.diagnostic and "diagnostic: seen data" in board.title
    assert "diagnostic: seen data" in (tmp_path / "demo" / "leaderboard" / "leaderboard.md").read_text()

    runner = CliRunner()
    seen = runner.invoke(app, ["leaderboard", "--split", "train", "--tracking-uri", db], catch_exceptions=False)
    assert seen.exit_code == 0 and "diagnostic: seen data" in " ".join(seen.output.split())
    held_out = runner.invoke(app, ["leaderboard", "--tracking-uri", db], catch_exceptions=False)
    assert held_out.exit_code == 1 and "--split any" in " ".join(held_out.output.split())
