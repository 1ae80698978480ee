"""A scripted model with known outputs: acc, per-tier hit rates, answer_found and the per-domain and group
aggregation must come out exactly right, in `EvalResult` and in lm-eval's own results and samples."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from lm_eval.api.model import LM
from PIL import Image

from harness.data import load_dataset, split_dataset
from harness.evaluation import EvalRequest, mean_stderr, run_eval
from rewards import verify

# id -> (domain, gold, scripted output, expected correct, expected deciding tier, answer extractable)
CASES = {
    "m-exact": ("Math", "\\[12\\]", "So the result is \\boxed{12}.", True, "exact", True),
    "m-numeric": ("Math", "\\[12\\]", "\\boxed{12.0}", True, "numeric", True),
    "m-fraction": ("Math", "\\[\\frac{1}{2}\\]", "It is \\boxed{0.5}", True, "fraction", True),
    "m-none": ("Math", "\\[12\\]", "I cannot tell from the figure.", False, None, False),
    "p-symbolic": ("Physics", "\\[1+2x\\]", "\\boxed{2x+1}", True, "symbolic", True),
    "p-wrong": ("Physics", "\\[7\\]", "\\boxed{8}", False, None, True),
    "p-exact": ("Physics", "\r\n\\[3\\]\r\n", "The answer is \\boxed{3}.", True, "exact", True),
    "c-text": (
        "Chemistry",
        "tetracarbonylnickel(0)",
        "\\boxed{tetracarbonylnickel(0)}",
        True,
        "exact",
        True,
    ),
    "c-empty": ("Chemistry", "\\[42\\]", "", False, None, False),
    "b-wrong": ("Biology", "Anterior", "\\boxed{Posterior}", False, None, True),
    "b-case": ("Biology", "Anterior", "\\boxed{anterior}", True, "exact", True),
    "b-exact": ("Biology", "\\[5\\]", "\\boxed{5}", True, "exact", True),
}
DOMAINS = ("Math", "Physics", "Chemistry", "Biology")


def _png(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (24 + seed, 16), (30 + 10 * seed, 90, 200)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def scripted_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    rows = []
    for index, (row_id, (domain, gold, *_)) in enumerate(CASES.items()):
        images = [{"bytes": _png(index + k), "path": None} for k in range(1 + index % 2)]
        rows.append(
            {
                "conversation_id": row_id,
                "domain": domain,
                "subDomain": "test",
                "author_id": "a",
                "question": f"What is shown in case {row_id}?",
                "answer": gold,
                "format": "single_image" if len(images) == 1 else "multi_image",
                "images": images,
            }
        )
    path = tmp_path_factory.mktemp("scripted") / "scripted.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    return str(path)


class ScriptedLM(LM):
    """Returns a fixed output per doc id and records the prompts and images it was sent."""

    MULTIMODAL = True

    def __init__(self, outputs: dict[str, str]) -> None:
        super().__init__()
        self.outputs = outputs
        self.requests: list = []

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        self.requests.extend(requests)
        return [self.outputs[request.doc["id"]] for request in requests]

    def loglikelihood(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError

    @property
    def tokenizer_name(self) -> str:
        return "scripted"

    def chat_template(self, chat_template: bool | str = False) -> str:
        return "scripted"

    def apply_chat_template(self, chat_history, add_generation_prompt: bool = True) -> str:
        return "\n".join(f"{m['role']}: {m['content']}" for m in chat_history)


def _expected(ids, key):
    values = [CASES[i] for i in ids]
    if key == "acc":
        return sum(v[3] for v in values) / len(values)
    if key == "answer_found":
        return sum(v[5] for v in values) / len(values)
    tier = key.removeprefix("acc_")
    return sum(v[4] == tier for v in values) / len(values)


def _ids(domain=None):
    return [i for i, case in CASES.items() if domain is None or case[0] == domain]


def test_scripted_outputs_get_the_verdicts_the_expectations_assume():
    # Guards the expectations below: a failure here means `rewards` changed, not the aggregation.
    for row_id, (domain, gold, output, correct, tier, found) in CASES.items():
        verdict = verify(output, gold, domain=domain)
        assert (verdict.correct, verdict.tier, verdict.extracted is not None) == (
            correct,
            tier,
            found,
        ), row_id


@pytest.fixture(scope="module")
def scripted_run(scripted_source, tmp_path_factory):
    lm = ScriptedLM({i: case[2] for i, case in CASES.items()})
    out = tmp_path_factory.mktemp("scripted-out")
    result = run_eval(EvalRequest(lm, scripted_source, split="all", output_dir=out))
    return lm, result


METRICS = (
    "acc",
    "acc_exact",
    "acc_numeric",
    "acc_fraction",
    "acc_latex",
    "acc_symbolic",
    "answer_found",
)


def test_per_domain_and_overall_metrics_are_exact(scripted_run):
    _, result = scripted_run
    assert set(result.domains) == set(DOMAINS)
    for domain in DOMAINS:
        row = result.domains[domain]
        assert row.n == len(_ids(domain))
        for key in METRICS:
            got = (
                row.acc
                if key == "acc"
                else row.answer_found
                if key == "answer_found"
                else row.tier_rates[key[4:]]
            )
            assert got == pytest.approx(_expected(_ids(domain), key), abs=1e-12), (domain, key)
        assert sum(row.tier_rates.values()) == pytest.approx(row.acc)
    overall = result.overall
    assert overall.n == len(CASES)
    assert overall.acc == pytest.approx(8 / 12)
    assert overall.tier_rates["exact"] == pytest.approx(5 / 12)
    assert (
        overall.tier_rates["numeric"]
        == overall.tier_rates["fraction"]
        == overall.tier_rates["symbolic"]
        == pytest.approx(1 / 12)
    )
    assert overall.answer_found == pytest.approx(10 / 12)
    assert overall.verify_error == 0.0
    accs = [float(CASES[i][3]) for i in _ids()]
    assert overall.acc_stderr == pytest.approx(mean_stderr(accs))
    low, high = overall.acc_ci95
    assert low < overall.acc < high


def test_lm_eval_results_agree_per_task_and_for_the_weighted_group(scripted_run):
    _, result = scripted_run
    raw = json.loads(Path(result.results_path).read_text())
    for domain in DOMAINS:
        task = f"open_mm_rl_{domain.lower()}"
        metrics = raw["results"][task]
        for key in METRICS:
            assert metrics[f"{key},none"] == pytest.approx(_expected(_ids(domain), key)), (
                task,
                key,
            )
        accs = [float(CASES[i][3]) for i in _ids(domain)]
        assert metrics["acc_stderr,none"] == pytest.approx(
            math.sqrt(
                sum((a - sum(accs) / len(accs)) ** 2 for a in accs) / (len(accs) - 1) / len(accs)
            )
        )
        assert raw["n-samples"][task]["effective"] == len(_ids(domain))
    group = raw["groups"]["open_mm_rl"]
    for key in METRICS:  # weighted by domain size = the mean over all examples
        assert group[f"{key},none"] == pytest.approx(_expected(_ids(), key)), key


def test_samples_are_written_per_task_with_their_metrics(scripted_run):
    _, result = scripted_run
    assert len(result.samples_paths) == 4
    seen = {}
    for path in result.samples_paths:
        for line in Path(path).read_text().splitlines():
            sample = json.loads(line)
            seen[sample["doc"]["id"]] = sample
    assert set(seen) == set(CASES)
    for row_id, sample in seen.items():
        assert sample["acc"] == float(CASES[row_id][3])
        assert sample["filtered_resps"] == [CASES[row_id][2]]
    assert sorted(result.evaluated_ids) == sorted(CASES)


def test_prompts_carry_one_placeholder_per_image_and_the_images(scripted_run):
    lm, _ = scripted_run
    assert len(lm.requests) == len(CASES)
    for request in lm.requests:
        context, gen_kwargs, aux = request.args
        n_images = len(request.doc["images"])
        assert context.count("<image>") == n_images
        assert len(aux["visual"]) == n_images
        assert all(img.mode == "RGB" for img in aux["visual"])
        assert "\\boxed{}" in context and request.doc["question"] in context
        assert "<end_of_utterance>" in gen_kwargs["until"]


def test_restricting_tiers_changes_only_what_those_tiers_decide(scripted_source, tmp_path):
    lm = ScriptedLM({i: case[2] for i, case in CASES.items()})
    result = run_eval(EvalRequest(lm, scripted_source, split="all", tiers="exact", output_dir=tmp_path))
    assert result.tiers == ("exact",)
    exact_ids = [i for i, case in CASES.items() if case[4] == "exact"]
    assert result.overall.acc == pytest.approx(len(exact_ids) / len(CASES))
    assert result.overall.tier_rates["exact"] == pytest.approx(result.overall.acc)
    assert result.overall.tier_rates["numeric"] == result.overall.tier_rates["symbolic"] == 0.0
    assert result.overall.answer_found == pytest.approx(
        10 / 12
    )  # extraction does not depend on tiers


def test_default_split_scores_only_held_out_rows(scripted_source, tmp_path):
    lm = ScriptedLM({i: "" for i in CASES})
    result = run_eval(EvalRequest(lm, scripted_source, eval_fraction=0.5, split_seed=3, output_dir=tmp_path))
    split = split_dataset(load_dataset(scripted_source), eval_fraction=0.5, seed=3)
    assert set(result.evaluated_ids) == set(split.eval_ids) == set(result.eval_ids)
    assert not set(result.evaluated_ids) & split.train_ids
    assert result.data["split_seed"] == 3 and result.data["eval_fraction"] == 0.5
    assert result.overall.acc == 0.0 and result.overall.answer_found == 0.0
