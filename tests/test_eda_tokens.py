"""Token counts of the EDA equal what the real processor produces, without decoding images to count them."""

from __future__ import annotations

import io

import datasets
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from harness.eda import TokenCounter, build_frames, load_token_counter, make_charts, summarize
from harness.eda.tokens import IMAGE_METHOD_SIZE_FORMULA

QUESTION = "A triangle has sides 3, 4 and 5.\nWhat is its area? Give the answer in square units."


def _png(size: tuple[int, int], seed: int = 1) -> bytes:
    buf = io.BytesIO()
    # Not all-black: Idefics3 treats all-zero pixel values as padding.
    Image.new("RGB", size, (seed * 37 % 255, 90, 200)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def tiny_processor():
    from transformers import AutoProcessor

    from harness.models import build_tiny_vlm

    return AutoProcessor.from_pretrained(str(build_tiny_vlm()))


def _processor_like(tiny, *, longest_edge: int, tile: int, image_seq_len: int, splitting: bool = True):
    """A real Idefics3Processor with another image config on the tiny tokenizer (SmolVLM-256M: 2048/512/64)."""
    from transformers import AutoTokenizer, Idefics3Processor

    try:
        from transformers.models.idefics3.image_processing_pil_idefics3 import (
            Idefics3ImageProcessorPil as cls,
        )
    except ImportError:  # older transformers
        from transformers import Idefics3ImageProcessor as cls
    tokenizer = AutoTokenizer.from_pretrained(tiny.tokenizer.name_or_path)
    image_processor = cls(do_image_splitting=splitting, size={"longest_edge": longest_edge},
                          max_image_size={"longest_edge": tile})
    return Idefics3Processor(image_processor=image_processor, tokenizer=tokenizer, image_seq_len=image_seq_len,
                             chat_template=tiny.chat_template)


def _real_prompt_tokens(processor, counter: TokenCounter, question: str, sizes: list[tuple[int, int]]) -> int:
    images = [Image.open(io.BytesIO(_png(size, i))) for i, size in enumerate(sizes)]
    encoded = processor(text=counter.prompt(question, len(sizes)), images=images or None)
    return len(encoded["input_ids"][0])


def _eval_prompt_builder():
    from harness.data import PromptSpec

    return PromptSpec().placeholder_text


def test_tiny_model_counts_match_a_real_processor_call(tiny_processor):
    counter = TokenCounter(tiny_processor, prompt_builder=_eval_prompt_builder())
    assert counter.counts_image_tokens and counter.info.image_method == IMAGE_METHOD_SIZE_FORMULA
    for sizes in ([(317, 157)], [(1296, 1213), (40, 30)], [(8, 900), (900, 8), (32, 32)], []):
        n = len(sizes)
        predicted = counter.prompt_text_tokens(QUESTION, n) + sum(counter.image_tokens(w, h) for w, h in sizes)
        assert predicted == _real_prompt_tokens(tiny_processor, counter, QUESTION, sizes), sizes
    assert "Put your final answer" in counter.prompt(QUESTION, 1)  # the evaluation prompt is what is counted


def test_smolvlm_256m_tiling_counts_match_a_real_processor_call(tiny_processor):
    smol = _processor_like(tiny_processor, longest_edge=2048, tile=512, image_seq_len=64)
    counter = TokenCounter(smol)
    # small, square, just over a tile, wide, tall, and the dataset's extremes
    sizes = [(317, 157), (1296, 1213), (512, 512), (513, 512), (2000, 300), (300, 2000)]
    for size in sizes:
        expected = _real_prompt_tokens(smol, counter, "Q?", [size])
        assert counter.prompt_text_tokens("Q?", 1) + counter.image_tokens(*size) == expected, size
    # A large figure costs around a thousand tokens with SmolVLM's defaults (4x4 tiles of 64 + a global view).
    assert counter.image_tokens(1296, 1213) > 1000
    assert counter.image_tokens(1296, 1213) > counter.image_tokens(317, 157)


@pytest.fixture(scope="module")
def small_tiles(tiny_processor):
    """Same tiling logic at a quarter of SmolVLM's scale, so a real call per example stays cheap."""
    return {flag: _processor_like(tiny_processor, longest_edge=256, tile=64, image_seq_len=4, splitting=flag)
            for flag in (False, True)}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(width=st.integers(1, 700), height=st.integers(1, 700), splitting=st.booleans())
def test_image_token_formula_matches_processor_for_any_size(small_tiles, width, height, splitting):
    processor = small_tiles[splitting]
    counter = TokenCounter(processor)
    expected = _real_prompt_tokens(processor, counter, "x", [(width, height)])
    assert counter.prompt_text_tokens("x", 1) + counter.image_tokens(width, height) == expected


def test_build_frames_with_a_processor_fills_token_columns(tiny_processor):
    features = datasets.Features({
        "id": datasets.Value("string"), "question": datasets.Value("string"), "answer": datasets.Value("string"),
        "domain": datasets.Value("string"), "sub_domain": datasets.Value("string"),
        "format": datasets.Value("string"), "images": datasets.List(datasets.Image(decode=False)),
    })
    rows = [
        {"id": "a", "question": QUESTION, "answer": "6", "domain": "Math", "sub_domain": "Geometry",
         "format": "single_image", "images": [{"bytes": _png((300, 200)), "path": None}]},
        {"id": "b", "question": "Name it.", "answer": "ethanol", "domain": "Chemistry", "sub_domain": "Organic",
         "format": "multi_image", "images": [{"bytes": _png((64, 64)), "path": None},
                                             {"bytes": b"broken", "path": None}]},
    ]
    ds = datasets.Dataset.from_list(rows, features=features)
    counter = TokenCounter(tiny_processor)
    ex, im = build_frames(ds, counter, answer_classifier=lambda a: "integer")
    a = ex.set_index("id").loc["a"]
    assert a["question_tokens"] == len(tiny_processor.tokenizer(QUESTION, add_special_tokens=False)["input_ids"])
    assert a["image_tokens"] == counter.image_tokens(300, 200) == im.loc[0, "image_tokens"]
    assert a["prompt_tokens"] == _real_prompt_tokens(tiny_processor, counter, QUESTION, [(300, 200)])
    assert a["prompt_answer_tokens"] == a["prompt_tokens"] + a["answer_tokens"]
    b = ex.set_index("id").loc["b"]
    assert b["question_tokens"] > 0 and b["prompt_tokens"] is pd.NA  # unknown, not understated
    summary = summarize(ex, im)
    ctx = summary["context_window"]
    assert ctx["available"] and ctx["rows_without_count"] == 1
    assert ctx["prompt_tokens"]["max"] == a["prompt_tokens"]
    assert ctx["suggested_max_length"] % 64 == 0 and ctx["suggested_max_length"] >= a["prompt_answer_tokens"]
    assert summary["tokenizer"]["counts_image_tokens"] is True


def test_token_chart_is_drawn_when_tokens_exist(tiny_processor, tmp_path):
    features = datasets.Features({"question": datasets.Value("string"), "answer": datasets.Value("string"),
                                  "images": datasets.List(datasets.Image(decode=False))})
    ds = datasets.Dataset.from_list(
        [{"question": f"q {i} " * i, "answer": str(i), "images": [{"bytes": _png((50 + i, 40)), "path": None}]}
         for i in range(1, 6)], features=features)
    ex, im = build_frames(ds, tiny_processor, answer_classifier=lambda a: "integer")
    charts = make_charts(ex, im, tmp_path)
    assert "token_lengths" in charts and charts["token_lengths"].stat().st_size > 5000


def test_a_bare_tokenizer_counts_text_and_says_image_tokens_are_missing(tiny_processor):
    counter = TokenCounter(tiny_processor.tokenizer)
    assert not counter.counts_image_tokens
    rendered = counter.prompt("What is 2+2?", 2)
    assert "<image>" not in rendered and "What is 2+2?" in rendered
    assert counter.prompt_text_tokens("What is 2+2?", 2) == len(tiny_processor.tokenizer(rendered)["input_ids"])
    features = datasets.Features({"question": datasets.Value("string"), "answer": datasets.Value("string"),
                                  "images": datasets.List(datasets.Image(decode=False))})
    ds = datasets.Dataset.from_list([{"question": "q", "answer": "1",
                                      "images": [{"bytes": _png((20, 20)), "path": None}]}], features=features)
    ex, im = build_frames(ds, counter, answer_classifier=lambda a: "integer")
    assert ex["image_tokens"].isna().all() and ex["prompt_tokens"].notna().all()
    codes = {f["code"] for f in summarize(ex, im)["findings"]}
    assert "image_tokens_not_counted" in codes


def test_unloadable_tokenizer_is_reported_not_raised(tmp_path, monkeypatch):
    import huggingface_hub

    counter, why = load_token_counter(str(tmp_path / "nothing-here"))
    assert counter is None and "nothing-here" in why and "no such file" in why
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    counter, why = load_token_counter("nobody-here/no-such-model")
    assert counter is None and "HF_HUB_OFFLINE" in why  # no minutes of download retries


def test_command_resolves_the_tiny_model_by_default(tiny_processor):
    from harness.eda import resolve_token_counter

    counter, why = resolve_token_counter("tiny")
    assert why is None and counter.counts_image_tokens
    assert counter.info.name.startswith("tiny VLM")
    assert "Put your final answer" in counter.prompt("q", 1)
    assert resolve_token_counter(None) == (None, "disabled with --no-tokens")
