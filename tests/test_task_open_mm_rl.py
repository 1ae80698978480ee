"""The `open_mm_rl` lm-eval task folder: option resolution, the docs it evaluates, scoring, YAML consistency,
and the stock `lm_eval` CLI on the tiny model and the offline sample."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import rewards
from harness.data import PromptSpec, load_dataset, split_dataset
from harness.evaluation import tasks_dir
from harness.models import build_tiny_vlm
from tasks.open_mm_rl import utils

DOMAINS = ("Math", "Physics", "Chemistry", "Biology")
ENV_VARS = (
    "MMRL_DATA_SOURCE",
    "MMRL_DATA_REVISION",
    "MMRL_TIERS",
    "MMRL_EVAL_FRACTION",
    "MMRL_SPLIT_SEED",
    "MMRL_EVAL_SPLIT",
)


@pytest.fixture
def clean_env(monkeypatch):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_point_at_the_hub_dataset(clean_env):
    options = utils.resolve_options({})
    assert options == utils.DataOptions(
        source="TuringEnterprises/Open-MM-RL",
        revision=None,
        tiers=None,
        eval_fraction=0.25,
        split_seed=0,
        split="eval",
    )


def test_metadata_wins_over_env_which_wins_over_defaults(clean_env):
    clean_env.setenv("MMRL_DATA_SOURCE", "sample")
    clean_env.setenv("MMRL_TIERS", "exact,numeric")
    clean_env.setenv("MMRL_EVAL_FRACTION", "0.5")
    clean_env.setenv("MMRL_SPLIT_SEED", "7")
    from_env = utils.resolve_options({"pretrained": "ignored-model-arg", "version": 1.0})
    assert (from_env.source, from_env.tiers, from_env.eval_fraction, from_env.split_seed) == (
        "sample",
        ("exact", "numeric"),
        0.5,
        7,
    )
    from_meta = utils.resolve_options(
        {
            "source": "x.parquet",
            "tiers": ["symbolic"],
            "eval_fraction": 0.2,
            "split_seed": 1,
            "split": "train",
        }
    )
    assert (
        from_meta.source,
        from_meta.tiers,
        from_meta.eval_fraction,
        from_meta.split_seed,
        from_meta.split,
    ) == ("x.parquet", ("symbolic",), 0.2, 1, "train")


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"tiers": "exact,bogus"}, "bogus"),
        ({"eval_fraction": 1.5}, "eval_fraction"),
        ({"eval_fraction": "lots"}, "eval_fraction"),
        ({"split": "test"}, "split"),
    ],
)
def test_bad_options_fail_with_a_message_naming_them(clean_env, metadata, message):
    with pytest.raises(ValueError, match=message):
        utils.resolve_options(metadata)


def test_tier_lists_are_normalised():
    assert utils.parse_tiers(" exact , numeric,exact ") == ("exact", "numeric")
    assert (
        utils.parse_tiers("") is None
        and utils.parse_tiers("all") is None
        and utils.parse_tiers(None) is None
    )
    assert set(rewards.DEFAULT_TIERS) <= set(utils.TIER_NAMES)


def test_domain_tasks_partition_the_held_out_split(clean_env):
    split = split_dataset(load_dataset("sample"), eval_fraction=0.25, seed=0)
    seen: list[str] = []
    for domain in DOMAINS:
        docs = utils.load_open_mm_rl(domain=domain, source="sample", tiers="exact")["test"]
        assert len(docs) > 0 and set(docs["domain"]) == {domain}
        assert set(docs[utils.TIERS_COLUMN]) == {"exact"}
        seen += docs["id"]
    assert len(seen) == len(set(seen))
    assert set(seen) == set(split.eval_ids)
    whole = utils.load_open_mm_rl(source="sample")["test"]
    assert set(whole["id"]) == set(split.eval_ids)
    train = utils.load_open_mm_rl(source="sample", split="train")["test"]
    assert set(train["id"]) == set(split.train_ids)


def test_docs_render_placeholders_and_images(clean_env):
    docs = utils.load_open_mm_rl(source="sample")["test"]
    for doc in docs.select(range(10)):
        text = utils.doc_to_text(doc)
        images = utils.doc_to_image(doc)
        assert text.count("<image>") == len(doc["images"]) == len(images) >= 1
        assert text == PromptSpec().placeholder_text(doc["question"], len(doc["images"]))
        assert all(image.mode == "RGB" and image.size[0] > 0 for image in images)


def test_a_missing_domain_is_a_clear_error(tmp_path, clean_env):
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq
    from PIL import Image

    def png(i: int) -> bytes:
        buf = io.BytesIO()
        Image.new("RGB", (8 + i, 8), (40 * i + 10, 20, 30)).save(buf, format="PNG")
        return buf.getvalue()

    rows = [
        {
            "conversation_id": f"r{i}",
            "domain": "Math",
            "question": "q",
            "answer": "\\[1\\]",
            "images": [{"bytes": png(i), "path": None}],
        }
        for i in range(4)
    ]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "math.parquet")
    with pytest.raises(ValueError, match="open_mm_rl_all"):
        utils.load_open_mm_rl(domain="Physics", source=str(tmp_path / "math.parquet"))


def _doc(answer="\\[\\frac{1}{2}\\]", tiers="", domain="Math"):
    return {"id": "d1", "answer": answer, "domain": domain, utils.TIERS_COLUMN: tiers}


def test_process_results_reports_the_deciding_tier():
    scores = utils.process_results(_doc(), ["Thus \\boxed{0.5}."])
    assert scores["acc"] == 1.0 and scores["answer_found"] == 1.0 and scores["verify_error"] == 0.0
    decided = [t for t in utils.TIER_NAMES if scores[f"acc_{t}"] == 1.0]
    assert decided == [rewards.verify("\\boxed{0.5}", "\\[\\frac{1}{2}\\]", domain="Math").tier]
    assert set(scores) == {
        "acc",
        "answer_found",
        "verify_error",
        *(f"acc_{t}" for t in utils.TIER_NAMES),
    }


def test_process_results_honours_the_stamped_tiers():
    assert utils.process_results(_doc(tiers="exact"), ["\\boxed{0.5}"])["acc"] == 0.0
    assert utils.process_results(_doc(tiers="exact"), ["\\boxed{\\frac{1}{2}}"])["acc_exact"] == 1.0


def test_process_results_without_answer_or_wrong():
    none = utils.process_results(_doc(), ["I cannot tell from the figure."])
    wrong = utils.process_results(_doc(), ["\\boxed{3}"])
    assert none["acc"] == wrong["acc"] == 0.0
    assert none["answer_found"] == 0.0 and wrong["answer_found"] == 1.0


def test_a_verifier_crash_is_counted_not_hidden(monkeypatch, caplog):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(utils, "verify", boom)
    scores = utils.process_results(_doc(), ["\\boxed{1}"])
    assert scores["verify_error"] == 1.0 and scores["acc"] == 0.0
    assert "d1" in caplog.text


def _yaml(name: str) -> dict:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))
    return yaml.load((tasks_dir() / "open_mm_rl" / name).read_text(), Loader=Loader)


def test_yaml_metrics_match_what_process_results_returns():
    returned = set(utils.process_results(_doc(), ["\\boxed{0.5}"]))
    template = {m["metric"] for m in _yaml("_template.yaml")["metric_list"]}
    group = {m["metric"] for m in _yaml("_open_mm_rl.yaml")["aggregate_metric_list"]}
    assert template == group == returned
    assert all(m["weight_by_size"] for m in _yaml("_open_mm_rl.yaml")["aggregate_metric_list"])
    assert _yaml("_open_mm_rl.yaml")["task"] == [f"open_mm_rl_{d.lower()}" for d in DOMAINS]


def test_task_manager_indexes_the_group_and_tasks():
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False)
    assert "open_mm_rl" in manager.all_groups
    assert {f"open_mm_rl_{d.lower()}" for d in DOMAINS} | {"open_mm_rl_all"} <= set(
        manager.all_subtasks
    )


@pytest.mark.slow
def test_stock_lm_eval_cli_on_the_tiny_model_and_sample(tmp_path):
    model = build_tiny_vlm()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "MMRL_TIERS": "exact,numeric",
    }
    cmd = [
        sys.executable,
        "-m",
        "lm_eval",
        "--model",
        "hf-multimodal",
        "--model_args",
        f"pretrained={model},max_images=4",
        "--tasks",
        "open_mm_rl",
        "--include_path",
        str(tasks_dir()),
        "--apply_chat_template",
        "--log_samples",
        "--output_path",
        str(tmp_path),
        "--limit",
        "2",
        "--device",
        "cpu",
        "--metadata",
        json.dumps({"source": "sample"}),
        "--gen_kwargs",
        "max_gen_toks=8",
    ]
    proc = subprocess.run(
        cmd, check=False, env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(next(tmp_path.rglob("results_*.json")).read_text())
    keys = {
        "acc,none",
        "acc_stderr,none",
        "answer_found,none",
        *(f"acc_{t},none" for t in utils.TIER_NAMES),
    }
    for task in [f"open_mm_rl_{d.lower()}" for d in DOMAINS]:
        assert keys <= set(results["results"][task]), task
        assert results["n-samples"][task]["effective"] == 2
    assert keys <= set(results["groups"]["open_mm_rl"])
    samples = [
        json.loads(line)
        for path in tmp_path.rglob("samples_*.jsonl")
        for line in Path(path).read_text().splitlines()
    ]
    assert len(samples) == 8
    assert {s["doc"][utils.TIERS_COLUMN] for s in samples} == {
        "exact,numeric"
    }  # env var reached the loader
    assert all(
        s["arguments"]["gen_args_0"]["arg_0"].startswith("<|im_start|>User:<image>")
        for s in samples
    )
