"""Training and evaluation ask the same question: for the same row, the prompt GRPO renders from the export and
the prompt lm-eval sends to the model are the same string after the chat template.

Compared end to end: lm-eval's own logged request (`arguments.gen_args_0.arg_0` in its per-sample file, what
the model was sent) against what `GRPOTrainer` renders from the exported row (`prepare_multimodal_messages`
with the row's images, then the processor's chat template), on the tiny model's real processor.
"""

from __future__ import annotations

import json

import pytest
from transformers import AutoProcessor
from trl.data_utils import prepare_multimodal_messages

from harness.data import PROMPTS, prompt_spec
from harness.evaluation import EvalRequest, run_eval
from harness.grpo_data import export_grpo, load_grpo_dataset
from harness.models import build_tiny_vlm, prompt_messages

SYSTEM = "You are a careful scientist. Check units."


@pytest.fixture(scope="module")
def tiny():
    return build_tiny_vlm()


def sent_prompts(result) -> dict[str, tuple[str, str]]:
    """doc id -> (the prompt lm-eval sent, the doc's question)."""
    sent = {}
    for path in result.samples_paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            sample = json.loads(line)
            sent[sample["doc"]["id"]] = (sample["arguments"]["gen_args_0"]["arg_0"], sample["doc"]["question"])
    return sent


@pytest.mark.parametrize("prompt", ["boxed", "answer-tags", {"name": "think-boxed", "system_prompt": SYSTEM},
                                    {"template": "Question: {question}\nReply with \\boxed{} only."}])
def test_grpo_and_lm_eval_send_the_same_prompt_for_the_same_row(tiny, tmp_path, prompt):
    out = tmp_path / "export"
    export_grpo("sample", out, splits=("eval",), prompt=prompt)
    rows = {row["id"]: row for row in load_grpo_dataset(out, "eval", cache_dir=tmp_path / "hf-cache")}
    result = run_eval(EvalRequest(str(tiny), "sample", prompt=prompt, limit=1, gen_kwargs={"max_gen_toks": 1},
                                  output_dir=tmp_path / "eval", device="cpu"))
    sent = sent_prompts(result)
    assert len(sent) == 4  # one row per domain
    processor = AutoProcessor.from_pretrained(tiny)
    for doc_id, (via_lm_eval, question) in sent.items():
        row = rows[doc_id]
        messages = prepare_multimodal_messages(row["prompt"], images=row["images"])
        via_grpo = processor.apply_chat_template(messages, add_generation_prompt=True)
        assert via_grpo == via_lm_eval, doc_id
        spec = prompt_spec(prompt)
        assert spec.user_text(question) in via_lm_eval
        assert (spec.system_prompt or "") in via_lm_eval


@pytest.mark.parametrize("name", sorted(PROMPTS))
def test_the_warm_up_renders_the_prompt_as_training_does(tiny, name):
    """The tiny model's warm-up builds its chat with the same module, so it learns the prompt it is asked."""
    spec = prompt_spec(name)
    processor = AutoProcessor.from_pretrained(tiny)
    question = "Find x.\nThe figure shows a triangle."
    assert prompt_messages(question, 2, spec) == spec.conversation(question, 2)
    rendered = processor.apply_chat_template(prompt_messages(question, 2, spec), add_generation_prompt=True)
    assert rendered.count("<image>") >= 2 and spec.user_text(question) in rendered


def test_runs_with_different_prompts_are_recorded_as_different(tmp_path):
    boxed, tags = EvalRequest("m", prompt="boxed").record(), EvalRequest("m", prompt="answer-tags").record()
    assert boxed["prompt"] != tags["prompt"] and (boxed["prompt_name"], tags["prompt_name"]) == ("boxed", "answer-tags")
    assert EvalRequest.from_record(tags, model="m", output_dir=tmp_path).prompt == prompt_spec("answer-tags")
