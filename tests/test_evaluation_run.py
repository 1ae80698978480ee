"""`run_eval` with a real (tiny) model, its MLflow record, the `mmrl eval` / `mmrl model` commands, and the
statistics behind the per-domain uncertainty."""

from __future__ import annotations

import math

import mlflow
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mlflow.tracking import MlflowClient
from transformers import AutoModelForImageTextToText, AutoProcessor
from typer.testing import CliRunner

from harness.data import PromptSpec
from harness.evaluation import EvalRequest, mean_stderr, run_eval, wilson_interval
from harness.evaluation.lm import ProcessorAwareHFMultimodalLM
from harness.evaluation.runner import select_tasks
from harness.evaluation.table import eval_table, eval_tables, print_eval_table
from harness.models import build_tiny_vlm, prompt_messages
from harness.tracking.eval_log import EVAL_IDS_FILE, SUMMARY_FILE, record_evaluation


@pytest.fixture(scope="module")
def tiny_path():
    return build_tiny_vlm()


@pytest.fixture(scope="module")
def in_memory_result(tiny_path, tmp_path_factory):
    model = AutoModelForImageTextToText.from_pretrained(tiny_path)
    processor = AutoProcessor.from_pretrained(tiny_path)
    model.name_or_path = (
        ""  # nothing to reload the processor from: the given processor must be used
    )
    out = tmp_path_factory.mktemp("eval-in-memory")
    return run_eval(EvalRequest(model, "sample", processor=processor, limit=1, gen_kwargs="max_gen_toks=4",
                                output_dir=out))


def test_in_memory_model_with_its_processor_evaluates_each_domain(in_memory_result):
    result = in_memory_result
    assert set(result.domains) == {"Math", "Physics", "Chemistry", "Biology"}
    assert result.overall.n == 4 and all(d.n == 1 for d in result.domains.values())
    assert result.gen_kwargs["max_gen_toks"] == 4
    assert result.samples_per_s and result.samples_per_s > 0
    assert result.results_path is not None and result.results_path.exists()
    assert len(result.samples_paths) == 4
    assert set(result.evaluated_ids) <= set(result.eval_ids)
    assert result.data["source"] == "sample" and result.data["n_available"] == len(result.eval_ids)


def test_in_memory_model_without_processor_or_name_is_refused(tiny_path):
    model = AutoModelForImageTextToText.from_pretrained(tiny_path)
    model.name_or_path = ""
    with pytest.raises(ValueError, match="processor"):
        ProcessorAwareHFMultimodalLM(pretrained=model, device="cpu")


def test_warmup_prompt_is_the_prompt_lm_eval_sends(tiny_path):
    """The warm-up and every later evaluation must see byte-identical prompts."""
    lm = ProcessorAwareHFMultimodalLM(pretrained=str(tiny_path), device="cpu")
    question = "Find x.\nThe figure shows a triangle."
    via_lm_eval = lm.apply_chat_template(
        [{"role": "user", "content": PromptSpec().placeholder_text(question, 2)}]
    )
    via_warmup = lm.processor.apply_chat_template(
        prompt_messages(question, 2), add_generation_prompt=True
    )
    assert via_lm_eval == via_warmup


def test_mlflow_records_params_metrics_and_artifacts(in_memory_result, tmp_path):
    uri = f"sqlite:///{tmp_path}/mlruns.db"
    run_id = record_evaluation(
        in_memory_result, run_name="eval-test", experiment="eval-tests", tracking_uri=uri
    )
    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["eval-tests"], output_format="list")
    assert [r.info.run_id for r in runs] == [run_id]
    run = runs[0]
    params, metrics = run.data.params, run.data.metrics
    assert params["data_source"] == "sample" and params["tiers"] == "" and params["reward_policy"] == "default"
    assert params["prompt_name"] == "boxed" and run.data.tags["mmrl.role"] == "standalone"
    assert run.data.tags["mmrl.git_commit"] and run.data.tags["mmrl.config_hash"]
    assert params["data_fingerprint"] == in_memory_result.data["fingerprint"]
    assert '"max_gen_toks": 4' in params["gen_kwargs"]
    assert metrics["acc"] == in_memory_result.overall.acc
    assert metrics["Math/n"] == 1 and "Math/acc" in metrics and "acc_exact" in metrics
    assert metrics["samples_per_s"] > 0 and "answer_found" in metrics
    artifacts = {f.path.split("/")[-1] for f in MlflowClient(uri).list_artifacts(run_id, "eval")}
    assert {SUMMARY_FILE, EVAL_IDS_FILE, in_memory_result.results_path.name} <= artifacts
    assert {p.name for p in in_memory_result.samples_paths} <= artifacts
    assert [f.path for f in MlflowClient(uri).list_artifacts(run_id, "prompt")] == ["prompt/prompt.json"]


def test_table_has_a_row_per_domain_plus_all_and_a_column_per_tier(in_memory_result):
    table = eval_table(in_memory_result)
    assert table.row_count == 5
    headers = [column.header for column in table.columns]
    assert {"n", "acc ± se", "95% CI", "answer found", *in_memory_result.tier_names} <= set(headers)


@pytest.mark.parametrize("width", [80, 100])
def test_the_table_fits_a_narrow_terminal_without_cutting_a_cell(in_memory_result, width):
    import io

    from rich.console import Console

    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    print_eval_table(in_memory_result, console)
    text = console.export_text()
    assert "…" not in text
    assert all(len(line) <= width for line in text.splitlines())
    for word in ("Chemistry", "Biology", "acc ± se", "answer found", *in_memory_result.tier_names):
        assert word in text, word
    assert len(eval_tables(in_memory_result, Console(width=200, file=io.StringIO()))) == 1  # wide: one table


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({"Math": 3, "Physics": 2, "Chemistry": 1, "Biology": 4}, ["open_mm_rl"]),
        ({"Math": 3, "Biology": 4}, ["open_mm_rl_math", "open_mm_rl_biology"]),
        ({"Math": 3, "Unknown": 1}, ["open_mm_rl_all"]),
    ],
)
def test_select_tasks_never_asks_lm_eval_for_an_empty_task(counts, expected):
    assert select_tasks("open_mm_rl", counts) == expected
    assert select_tasks("open_mm_rl_all", counts) == ["open_mm_rl_all"]


@given(st.lists(st.sampled_from([0.0, 1.0]), min_size=2, max_size=60))
def test_mean_stderr_matches_the_textbook_formula(values):
    n = len(values)
    mu = sum(values) / n
    expected = math.sqrt(sum((v - mu) ** 2 for v in values) / (n - 1) / n)
    assert mean_stderr(values) == pytest.approx(expected)


@given(st.integers(min_value=1, max_value=500), st.data())
def test_wilson_interval_contains_the_estimate_and_stays_in_bounds(n, data):
    k = data.draw(st.integers(min_value=0, max_value=n))
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0
    assert high - low > 0  # never claims certainty, even at 0/n or n/n


def test_wilson_interval_known_value():
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-3)


def test_cli_build_tiny_and_eval_end_to_end(tmp_path):
    from harness.cli import app

    runner = CliRunner()
    built = runner.invoke(app, ["model", "build-tiny", "--out", str(tmp_path / "tiny")])
    assert built.exit_code == 0, built.output
    assert built.output.strip().splitlines()[-1] == str(tmp_path / "tiny")
    uri = f"sqlite:///{tmp_path}/mlruns.db"
    result = runner.invoke(
        app,
        [
            "eval",
            "--model",
            str(tmp_path / "tiny"),
            "--data",
            "sample",
            "--limit",
            "1",
            "--tiers",
            "exact,numeric",
            "--output-dir",
            str(tmp_path / "out"),
            "--tracking-uri",
            uri,
            "--experiment",
            "cli-eval",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "all" in result.output and "Math" in result.output
    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["cli-eval"], output_format="list")
    assert len(runs) == 1
    assert runs[0].data.params["tiers"] == "exact,numeric"
    assert (
        '"max_gen_toks": 64' in runs[0].data.params["gen_kwargs"]
    )  # the tiny model's CPU-friendly default
    assert list((tmp_path / "out").rglob("results_*.json"))


def test_cli_eval_reports_bad_input_clearly(tiny_path, tmp_path):
    from harness.cli import app

    result = CliRunner().invoke(
        app,
        [
            "eval",
            "--model",
            str(tiny_path),
            "--data",
            "sample",
            "--tiers",
            "nonsense",
            "--no-mlflow",
            "--output-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2
    assert "nonsense" in result.output


def test_missing_model_path_is_a_clear_error_not_a_traceback(tmp_path):
    from typer.testing import CliRunner

    from harness.cli import app

    result = CliRunner().invoke(app, ["eval", "--model", str(tmp_path / "nope"), "--data", "sample", "--no-mlflow"])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "does not exist" in output and "Traceback" not in output
