"""Tracking store resolution, fail-fast on unreachable servers, safe metric names, the training callback."""

from __future__ import annotations

import dataclasses

import mlflow
import pytest
from typer.testing import CliRunner

from harness.tracking import (
    TrackingUnavailableError,
    log_metrics_safe,
    metric_key,
    mlflow_run,
    resolve_tracking_uri,
)
from harness.tracking.callback import MlflowGRPOCallback, tier_rates

UNREACHABLE = "http://127.0.0.1:9"  # discard port: nothing listens


def test_default_store_is_local_sqlite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert resolve_tracking_uri() == f"sqlite:///{tmp_path.resolve()}/mlruns.db"


def test_env_uri_wins_over_default(monkeypatch, tmp_path):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/x.db")
    assert resolve_tracking_uri() == f"sqlite:///{tmp_path}/x.db"


def test_unreachable_server_fails_at_start_with_a_clear_message():
    with pytest.raises(TrackingUnavailableError, match="unreachable.*--tracking-fallback local"):
        resolve_tracking_uri(UNREACHABLE)


def test_fallback_local_replaces_an_unreachable_server(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_tracking_uri(UNREACHABLE, fallback="local").startswith("sqlite:///")


def test_train_command_refuses_unreachable_server_before_any_work(tmp_path):
    from harness.cli import app

    config = tmp_path / "c.yaml"
    config.write_text(f"name: x\noutput_dir: {tmp_path}/out\n")
    result = CliRunner().invoke(app, ["train", "--config", str(config), "--tracking-uri", UNREACHABLE])
    assert result.exit_code == 3
    assert "unreachable" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "name,expected",
    [("acc,none", "acc"), ("acc_stderr,none", "acc_stderr"), ("x,flt", "x/flt"), ("a b(c)", "a b_c_")],
)
def test_metric_key(name, expected):
    assert metric_key(name) == expected


def test_log_metrics_safe_skips_non_numbers_and_sanitises(tmp_path):
    with mlflow_run("t", experiment="t", tracking_uri=f"sqlite:///{tmp_path}/m.db") as run:
        logged = log_metrics_safe({"acc,none": 0.5, "bad": None, "nan": float("nan"), "flag": True})
    assert logged == {"acc": 0.5, "flag": 1.0}
    data = mlflow.get_run(run.info.run_id).data
    assert data.metrics == {"acc": 0.5, "flag": 1.0}


def test_tier_rates_are_shares_of_scored_completions():
    rates = tier_rates({"total": 8, "correct": 3, "tier/exact": 2, "tier/latex": 1, "reason/no_answer": 4})
    assert rates == {"correct": 3 / 8, "tier/exact": 0.25, "tier/latex": 0.125, "reason/no_answer": 0.5}
    assert tier_rates({"total": 0}) == {}


@dataclasses.dataclass
class _Snap:
    images: int
    bytes_read: int
    seconds: float


class _Counter:
    def __init__(self):
        self.value = _Snap(0, 0, 0.0)

    def snapshot(self):
        return self.value


class _State:
    is_world_process_zero = True
    global_step = 0


def test_callback_logs_per_step_deltas_of_tiers_and_io(tmp_path):
    reward_stats = {"total": 0, "correct": 0, "tier/exact": 0}
    io = _Counter()
    callback = MlflowGRPOCallback(reward_stats={"accuracy": reward_stats}, io_stats=io)
    state = _State()
    with mlflow_run("cb", experiment="t", tracking_uri=f"sqlite:///{tmp_path}/m.db") as run:
        for step, (total, exact, images) in enumerate([(4, 1, 2), (8, 4, 6)], start=1):
            state.global_step = step
            callback.on_step_begin(None, state, None)
            reward_stats.update({"total": total, "correct": exact, "tier/exact": exact})
            io.value = _Snap(images, images * 100, images * 0.001)
            callback.on_step_end(None, state, None)
            callback.on_log(None, state, None, logs={"reward": 0.1 * step, "loss": 0.0})
    client = mlflow.tracking.MlflowClient()
    history = [m.value for m in client.get_metric_history(run.info.run_id, "hits/accuracy/tier/exact")]
    assert history == [0.25, 0.75]  # 1/4 in step 1, then (4-1)/(8-4) in step 2
    assert [m.value for m in client.get_metric_history(run.info.run_id, "io/images")] == [2.0, 6.0]  # totals
    assert [m.value for m in client.get_metric_history(run.info.run_id, "reward")] == [0.1, 0.2]
    shares = [m.value for m in client.get_metric_history(run.info.run_id, "io/data_wait_share")]
    assert all(0.0 <= s <= 1.0 for s in shares)


def test_one_name_per_figure_and_io_counters_never_fall_back_at_the_last_log(tmp_path):
    """TRL's copies of the tier shares are dropped; the train-end log (no new step) keeps the I/O totals."""
    reward_stats = {"total": 0, "correct": 0, "tier/exact": 0, "reason/mismatch": 0}
    io = _Counter()
    io.value = _Snap(5, 500, 0.5)  # read before training (the reward probe): not training I/O
    callback = MlflowGRPOCallback(reward_stats={"accuracy": reward_stats}, io_stats=io)
    state = _State()
    with mlflow_run("cb", experiment="t", tracking_uri=f"sqlite:///{tmp_path}/m.db") as run:
        callback.on_train_begin(None, state, None)
        state.global_step = 1
        callback.on_step_begin(None, state, None)
        reward_stats.update({"total": 4, "correct": 1, "tier/exact": 1, "reason/mismatch": 3})
        io.value = _Snap(9, 900, 0.9)
        callback.on_step_end(None, state, None)
        callback.on_log(None, state, None, logs={"reward": 0.25, "accuracy/tier_exact": 0.25,
                                                 "accuracy/reason_mismatch": 0.75})
        callback.on_log(None, state, None, logs={"train_runtime": 3.0, "train_loss": 0.0})  # TRL's summary
    client = mlflow.tracking.MlflowClient()
    metrics = mlflow.get_run(run.info.run_id).data.metrics
    assert "accuracy/tier_exact" not in metrics and "accuracy/reason_mismatch" not in metrics
    assert metrics["hits/accuracy/tier/exact"] == 0.25 and metrics["hits/accuracy/reason/mismatch"] == 0.75
    for key, total in (("io/images", 4.0), ("io/bytes_read", 400.0)):
        assert [m.value for m in client.get_metric_history(run.info.run_id, key)] == [total, total]
    assert len(client.get_metric_history(run.info.run_id, "io/images_per_s")) == 1  # no rate for an idle log
    summary = callback.io_summary()
    assert summary["images"] == 4.0 and summary["images_per_s"] == pytest.approx(10.0)
    assert 0.0 <= summary["data_wait_share"] <= 1.0


def test_experiments_open_on_their_runs_in_the_mlflow_ui(tmp_path):
    """MLflow 3's UI picks the experiment's landing tab from `mlflow.experimentKind`; ours are model runs."""
    from mlflow.tracking import MlflowClient

    from harness.tracking.store import EXPERIMENT_KIND, EXPERIMENT_KIND_TAG, use_experiment

    uri = f"sqlite:///{tmp_path}/m.db"
    client = MlflowClient(tracking_uri=uri)
    new_id = use_experiment("fresh", uri)
    assert client.get_experiment(new_id).tags[EXPERIMENT_KIND_TAG] == EXPERIMENT_KIND == "custom_model_development"
    old_id = client.create_experiment("made-before")  # an experiment of an older store: no kind
    assert EXPERIMENT_KIND_TAG not in client.get_experiment(old_id).tags
    use_experiment("made-before", uri)
    assert client.get_experiment(old_id).tags[EXPERIMENT_KIND_TAG] == EXPERIMENT_KIND
    chosen = client.create_experiment("chosen", tags={EXPERIMENT_KIND_TAG: "genai_development"})
    use_experiment("chosen", uri)
    assert client.get_experiment(chosen).tags[EXPERIMENT_KIND_TAG] == "genai_development"  # someone's choice
