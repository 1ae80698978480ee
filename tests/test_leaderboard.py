"""Leaderboard: constructed eval runs in a throwaway MLflow store are ranked by accuracy, and every interval is
the bootstrap of the per-sample log each run carries (not the summary metrics it logged)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.evaluation import EvalRequest, EvalResult, summarize_samples
from harness.leaderboard import (
    bootstrap_ci,
    build_leaderboard,
    find_eval_runs,
    latest_per_model,
    mlflow_sample_loader,
    paired_difference_ci,
)
from harness.leaderboard.board import CI_LOGGED
from harness.tracking.eval_log import record_evaluation

TIERS = ("exact", "numeric")
TASK = "open_mm_rl_all"
DOMAINS = ("Math", "Biology")
DOCS = [f"doc-{i:02d}" for i in range(20)]  # 10 Math, then 10 Biology


def outcomes(correct_ids: set[int]) -> dict[str, tuple[str, float]]:
    return {doc: (DOMAINS[i // 10], float(i in correct_ids)) for i, doc in enumerate(DOCS)}


def eval_result(root: Path, model: str, results: dict[str, tuple[str, float]], *, fingerprint: str = "fp-one",
                stamp: str = "2026-01-01T00-00-00.000001", split: str = "eval", role_request: dict | None = None
                ) -> EvalResult:
    """An `EvalResult` shaped like `run_eval`'s, with an lm-eval per-sample file holding `results`."""
    rows = []
    for index, (doc_id, (domain, acc)) in enumerate(results.items()):
        rows.append(
            {
                "doc_id": index,
                "doc": {"id": doc_id, "domain": domain, "answer": "\\[1\\]"},
                "target": "\\[1\\]",
                "resps": [["\\boxed{1}" if acc else "\\boxed{2}"]],
                "filtered_resps": ["\\boxed{1}" if acc else "\\boxed{2}"],
                "metrics": ["acc", "acc_exact", "acc_numeric", "answer_found", "verify_error"],
                "acc": acc,
                "acc_exact": acc,
                "acc_numeric": 0.0,
                "answer_found": 1.0,
                "verify_error": 0.0,
            }
        )
    out = root / model.replace("/", "__")
    out.mkdir(parents=True, exist_ok=True)
    samples = out / f"samples_{TASK}_{stamp}.jsonl"
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    overall, domains = summarize_samples({TASK: rows}, TIERS)
    return EvalResult(
        model=model, backend="hf", task=TASK, overall=overall, domains=domains, tiers=None, tier_names=TIERS,
        data={"source": "sample", "revision": None, "split": split, "eval_fraction": 0.25, "split_seed": 0,
              "fingerprint": fingerprint, "n_available": len(rows), "domains_available": {}},
        eval_ids=list(results), evaluated_ids=list(results), gen_kwargs={"max_gen_toks": 8}, settings={
            "limit": None, "batch_size": 2, "max_images": None, "apply_chat_template": True, "random_seed": 0,
            "lm_eval_version": "0.4.13"},
        request=EvalRequest(model=model, data="sample", output_dir=out, split=split, batch_size=2,
                            gen_kwargs={"max_gen_toks": 8}, **(role_request or {})).record(),
        seconds=4.0, generation_seconds=2.0, output_dir=out, samples_paths=[samples])


def log_constructed_eval(root: Path, db: str, model: str, results, experiment: str = "lb", role: str = "standalone",
                         **kwargs) -> str:
    return record_evaluation(eval_result(root, model, results, **kwargs), role=role, experiment=experiment,
                             tracking_uri=db)


def file_scores(root: Path, model: str) -> list[float]:
    path = next((root / model.replace("/", "__")).glob("samples_*.jsonl"))
    return [json.loads(line)["acc"] for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("leaderboard")
    db = f"sqlite:///{root}/mlruns.db"
    runs = {
        "org/model-b": outcomes(set(range(0, 20, 2))),                    # 10/20
        "org/model-a": outcomes(set(range(16))),                          # 16/20
        "org/model-c": outcomes(set(range(13))),                          # 13/20
        "org/model-d": outcomes({0, 1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 15}),  # 13/20: ties with c
    }
    ids = {model: log_constructed_eval(root, db, model, results) for model, results in runs.items()}
    return root, db, ids


def board_for(db, **kwargs):
    runs = find_eval_runs(tracking_uri=db, **kwargs)
    return build_leaderboard(runs, mlflow_sample_loader(db), resamples=500, seed=7)


def test_runs_are_ordered_by_accuracy_and_ranked_by_their_paired_intervals(store):
    _, db, _ = store
    board = board_for(db)
    # 20 examples cannot separate 80% from 65% or 65% from 50%: every paired interval contains 0, all tie
    assert [(e.rank, e.run.model) for e in board.entries] == [
        (1, "org/model-a"), (1, "org/model-c"), (1, "org/model-d"), (1, "org/model-b")]
    assert all(e.vs_next.low <= 0 <= e.vs_next.high for e in board.entries[:-1])
    assert [e.overall.acc for e in board.entries] == [0.8, 0.65, 0.65, 0.5]
    assert board.entries[0].domains["Math"].acc == 1.0 and board.entries[0].domains["Biology"].acc == 0.6
    assert board.entries[0].tier_rates == {"exact": 0.8, "numeric": 0.0}
    assert board.entries[0].samples_per_s == pytest.approx(10.0)  # 20 examples in 2 s of generation
    assert board.warnings == []


def test_intervals_are_the_bootstrap_of_the_logged_samples(store):
    root, db, ids = store
    board = board_for(db)
    for entry in board.entries:
        values = file_scores(root, entry.run.model)
        assert (entry.overall.ci_low, entry.overall.ci_high) == bootstrap_ci(values, resamples=500, seed=7)
        assert (entry.domains["Biology"].ci_low, entry.domains["Biology"].ci_high) == bootstrap_ci(
            values[10:], resamples=500, seed=7)
        # not the Wilson interval the run logged as metrics
        assert entry.overall.ci_low != pytest.approx(entry.run.metrics["acc_ci95_low"], abs=1e-6)
        assert entry.run.run_id in ids.values()
    a = board.entries[0]
    assert board.entries[1].run.model == "org/model-c"
    expected = paired_difference_ci(file_scores(root, "org/model-a"), file_scores(root, "org/model-c"),
                                    resamples=500, seed=7)
    assert (a.vs_next.diff, a.vs_next.low, a.vs_next.high) == pytest.approx(expected)
    assert a.vs_next.shared == 20 and a.vs_next.diff == pytest.approx(0.15)


def test_different_data_is_flagged_and_can_be_filtered(store, tmp_path):
    root, db, _ = store
    other = f"sqlite:///{tmp_path}/other.db"
    log_constructed_eval(root, other, "org/model-a", outcomes(set(range(16))))
    log_constructed_eval(tmp_path, other, "org/model-x", outcomes({1}), fingerprint="fp-two", split="train")
    board = board_for(other)
    assert any("different data" in w for w in board.warnings) and any("different splits" in w for w in board.warnings)
    only = board_for(other, fingerprint="fp-one")
    assert [e.run.model for e in only.entries] == ["org/model-a"] and only.warnings == []


def test_a_run_without_samples_falls_back_to_its_logged_interval_and_says_so(tmp_path):
    from harness.tracking import mlflow_run

    db = f"sqlite:///{tmp_path}/m.db"
    with mlflow_run("bare", experiment="lb", tags={"mmrl.kind": "eval", "mmrl.model": "bare"}, tracking_uri=db,
                    params={"data_fingerprint": "fp-one", "data_split": "eval", "tiers": "x", "limit": ""}):
        import mlflow

        mlflow.log_metrics({"acc": 0.4, "n": 10, "acc_ci95_low": 0.17, "acc_ci95_high": 0.69, "Math/acc": 0.4})
    board = board_for(db)
    entry = board.entries[0]
    assert entry.ci_source == CI_LOGGED and (entry.overall.ci_low, entry.overall.ci_high) == (0.17, 0.69)
    assert entry.domains["Math"].acc == 0.4
    assert any("no per-sample files" in w for w in board.warnings)


def test_newest_run_per_model_replaces_older_ones(store, tmp_path):
    root, _, _ = store
    db = f"sqlite:///{tmp_path}/re.db"
    first = log_constructed_eval(tmp_path / "1", db, "org/m", outcomes({1, 2}))
    second = log_constructed_eval(tmp_path / "2", db, "org/m", outcomes({1, 2, 3}))
    runs = find_eval_runs(tracking_uri=db)
    assert {r.run_id for r in runs} == {first, second}
    assert [r.run_id for r in latest_per_model(runs)] == [second]


def test_bootstrap_matches_the_normal_approximation_on_a_large_sample():
    values = [1.0] * 200 + [0.0] * 200
    low, high = bootstrap_ci(values, resamples=4000, seed=1)
    half = 1.959964 * math.sqrt(0.25 / 400)
    assert low == pytest.approx(0.5 - half, abs=0.01) and high == pytest.approx(0.5 + half, abs=0.01)
    assert bootstrap_ci([1.0] * 5) == (1.0, 1.0)
    assert bootstrap_ci(values, seed=3) == bootstrap_ci(values, seed=3)
    diff, d_low, d_high = paired_difference_ci([1, 1, 1, 0], [0, 0, 1, 0], resamples=200)
    assert diff == 0.5 and d_low <= diff <= d_high
    with pytest.raises(ValueError):
        bootstrap_ci([])
    rng = np.random.default_rng(0)
    wide, narrow = bootstrap_ci(rng.integers(0, 2, 20)), bootstrap_ci(rng.integers(0, 2, 2000))
    assert wide[1] - wide[0] > narrow[1] - narrow[0]


def test_command_writes_table_csv_markdown_and_html(store, tmp_path):
    _, db, ids = store
    out = tmp_path / "board"
    result = CliRunner().invoke(app, ["leaderboard", "--tracking-uri", db, "--experiment", "lb", "--out", str(out),
                                      "--resamples", "200"], env={"COLUMNS": "200"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "model-a" in result.output and "Open-MM-RL leaderboard" in result.output
    with (out / "leaderboard.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["model"] for r in rows] == ["org/model-a", "org/model-c", "org/model-d", "org/model-b"]
    assert rows[0]["run_id"] == ids["org/model-a"] and float(rows[0]["acc"]) == 0.8
    assert {"Math_acc", "Biology_ci_low", "tier_exact", "answer_found", "samples_per_s", "vs_next_diff"} <= set(rows[0])
    markdown = (out / "leaderboard.md").read_text()
    assert "| 1 | org/model-a |" in markdown and "| 1 | org/model-b |" in markdown  # 20 examples: all tie
    html = (out / "leaderboard.html").read_text()
    assert "data:image/png;base64," in html and "org/model-d" in html
    missing = CliRunner().invoke(app, ["leaderboard", "--tracking-uri", db, "--experiment", "nope"])
    assert missing.exit_code == 2 and "no MLflow experiment named 'nope'" in missing.output


def test_every_role_is_on_the_board_and_can_be_filtered(tmp_path):
    """Pipeline baseline/trained and ablation evaluations are recorded like `mmrl eval`'s and ranked beside them."""
    db = f"sqlite:///{tmp_path}/p.db"
    log_constructed_eval(tmp_path / "s", db, "org/standalone", outcomes(set(range(12))))
    log_constructed_eval(tmp_path / "b", db, "runs/demo/base", outcomes(set(range(3))), role="baseline")
    log_constructed_eval(tmp_path / "t", db, "runs/demo/final", outcomes(set(range(5))), role="trained")
    log_constructed_eval(tmp_path / "a", db, "runs/abl/exact/final", outcomes(set(range(7))), role="ablation:exact")
    board = board_for(db)
    assert [(e.run.model, e.run.role) for e in board.entries] == [
        ("org/standalone", "standalone"), ("runs/abl/exact/final", "ablation:exact"),
        ("runs/demo/final", "trained"), ("runs/demo/base", "baseline")]
    assert all(e.ci_source == "bootstrap" for e in board.entries) and board.warnings == []
    assert [e.run.role for e in board_for(db, roles=["baseline", "trained"]).entries] == ["trained", "baseline"]
    assert [e.run.role for e in board_for(db, roles=["ablation"]).entries] == ["ablation:exact"]
    with pytest.raises(ValueError, match="unknown role"):
        find_eval_runs(tracking_uri=db, roles=["final_eval"])


def test_runs_asked_with_another_prompt_or_policy_are_flagged(tmp_path):
    db = f"sqlite:///{tmp_path}/q.db"
    log_constructed_eval(tmp_path / "1", db, "org/a", outcomes({1}))
    log_constructed_eval(tmp_path / "2", db, "org/b", outcomes({1}), role_request={"prompt": "think-boxed"})
    log_constructed_eval(
        tmp_path / "3", db, "org/c", outcomes({1}), role_request={"policy": {"by_domain": {"Math": ["exact"]}}}
    )
    warnings = board_for(db).warnings
    assert any("different prompts" in w for w in warnings)
    assert any("different reward policies" in w for w in warnings)


def _entry(model: str, correct: set[int], n: int = 60):
    from harness.leaderboard import Entry, EvalRun, Score

    run = EvalRun(run_id=model, run_name=model, experiment="e", role="standalone", model=model, start_time=0,
                  tags={}, params={}, metrics={})
    scores = {str(i): float(i in correct) for i in range(n)}
    acc = len(correct) / n
    return Entry(run=run, rank=0, overall=Score(n=n, acc=acc, ci_low=None, ci_high=None), domains={},
                 tier_rates={}, answer_found=None, samples_per_s=None, ci_source="bootstrap", scores=scores)


def test_a_gap_the_paired_interval_excludes_starts_a_new_rank_and_one_it_includes_is_a_tie():
    from harness.leaderboard.board import rank_entries

    entries = [_entry("low", set()), _entry("top", set(range(60))), _entry("top-too", set(range(59))),
               _entry("mid", set(range(30)))]
    ranked = rank_entries(entries, resamples=500, seed=0)
    assert [(e.rank, e.run.model) for e in ranked] == [(1, "top"), (1, "top-too"), (3, "mid"), (4, "low")]
    assert ranked[0].vs_next.low <= 0 and ranked[1].vs_next.low > 0 and ranked[2].vs_next.low > 0


def test_without_shared_examples_only_equal_accuracy_ties():
    from harness.leaderboard.board import rank_entries

    a, b, c = _entry("a", set(range(30))), _entry("b", set(range(30))), _entry("c", set(range(10)))
    for e in (a, b, c):
        e.scores = {}
    assert [e.rank for e in rank_entries([c, b, a], resamples=100, seed=0)] == [1, 1, 3]
