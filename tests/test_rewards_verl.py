"""`rewards/verl.py` is verl's `custom_reward_function`: fed rows of our verl export it scores as training does,
and it loads the way verl loads it (a file path, module name `custom_module`), from any directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from harness.grpo_data import export_grpo
from harness.models.warmup import boxed_target
from rewards import make_reward_func
from rewards.verl import compute_score

REPO = Path(__file__).resolve().parent.parent
VERL_FILE = REPO / "rewards" / "verl.py"
KEYS = {"score", "acc", "pred", "tier", "reason"}


@pytest.fixture(scope="module")
def verl_rows(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("verl") / "export"
    export_grpo("sample", out, fmt="verl", splits=("eval",))
    return pq.read_table(out / "eval.parquet", columns=["data_source", "reward_model", "extra_info"]).to_pylist()


def test_rows_of_the_verl_export_score_as_the_training_reward_does(verl_rows):
    training = make_reward_func()
    golds = [row["reward_model"]["ground_truth"] for row in verl_rows]
    right = [f"Working...\n{boxed_target(gold)}" for gold in golds]
    wrong = [f"Working...\n{boxed_target(golds[(i + 1) % len(golds)])}" for i in range(len(golds))]
    for responses in (right, wrong):
        expected = training(completions=responses, answer=golds,
                            domain=[row["extra_info"]["domain"] for row in verl_rows],
                            sub_domain=[row["extra_info"]["sub_domain"] for row in verl_rows])
        got = [compute_score(row["data_source"], response, row["reward_model"]["ground_truth"], row["extra_info"])
               for row, response in zip(verl_rows, responses)]
        assert all(set(result) == KEYS for result in got)
        assert [result["score"] for result in got] == expected
        assert all(isinstance(result["score"], float) for result in got)
    right_scores = [compute_score(r["data_source"], s, r["reward_model"]["ground_truth"], r["extra_info"])["score"]
                    for r, s in zip(verl_rows, right)]
    assert sum(right_scores) >= 0.9 * len(right_scores)  # the warm-up's targets are verifiably right


def test_the_domain_in_extra_info_selects_the_tier_policy():
    policy = {"by_domain": {"math": ["exact"]}}
    gold, response = "\\[0.5\\]", "so \\boxed{\\frac{1}{2}}"
    assert compute_score("sample", response, gold, {"domain": "Physics"}, policy=policy)["score"] == 1.0
    math = compute_score("sample", response, gold, {"domain": "Math"}, policy=policy)
    assert math["score"] == 0.0 and math["reason"] == "mismatch"
    assert compute_score("sample", response, gold, None, tiers=["exact"])["score"] == 0.0
    proved = compute_score("sample", response, gold)
    assert proved["tier"] == "fraction" and proved["acc"] == 1.0 and proved["pred"]


def test_format_weight_adds_the_format_reward_and_unknown_verl_kwargs_are_ignored():
    boxed = compute_score("s", "\\boxed{3}", "\\[3\\]", {"domain": "Math"}, format_weight=0.5,
                          sandbox_fusion_url=None, concurrent_semaphore=None)
    assert boxed["score"] == 1.5 and boxed["acc"] == 1.0
    plain = compute_score("s", "The answer is 4.", "\\[3\\]", {"domain": "Math"}, format_weight=0.5)
    assert plain["score"] == 0.0


def test_a_ground_truth_that_is_not_text_is_named_in_the_error():
    with pytest.raises(TypeError, match="ground_truth must be a string, got list"):
        compute_score("s", "\\boxed{3}", ["3", "4"])


VERL_LOADER = """
import importlib.util, json, sys
import pyarrow.parquet as pq
# what verl.trainer.ppo.reward.get_custom_reward_fn does with custom_reward_function.path / .name
spec = importlib.util.spec_from_file_location("custom_module", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["custom_module"] = module
spec.loader.exec_module(module)
raw_fn = getattr(module, "compute_score")
reward_kwargs = {"format_weight": 0.0}
rows = pq.read_table(sys.argv[2]).to_pylist()
scores = [raw_fn(data_source=r["data_source"], solution_str="\\\\boxed{" + r["reward_model"]["ground_truth"] + "}",
                 ground_truth=r["reward_model"]["ground_truth"], extra_info=r["extra_info"], **reward_kwargs)
          for r in rows[:4]]
print(json.dumps({"scores": scores, "rewards": sys.modules["rewards"].__file__,
                  "harness": "harness" in sys.modules}))
"""


def test_verl_loads_the_file_by_path_from_another_directory(tmp_path):
    out = tmp_path / "export"
    export_grpo("sample", out, fmt="verl", splits=("eval",))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", VERL_LOADER, str(VERL_FILE), str(out / "eval.parquet")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(result["rewards"]).resolve().parent == REPO / "rewards"  # this checkout's reward
    assert result["harness"] is False  # the reward needs nothing of the harness
    assert len(result["scores"]) == 4 and all(set(s) == KEYS for s in result["scores"])
