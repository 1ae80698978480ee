"""One pass over a dataset into two pandas frames: one row per example, one row per image.

Images are streamed batch by batch and each is decoded exactly once (by `probe_image`, which must decode
fully to catch truncated files); only metadata (format, size, mode, hash) is kept, so a dataset of any size
fits in memory as long as its text does. Token counts reuse those image sizes instead of decoding again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

from harness.data.errors import CorruptImageError
from harness.data.images import image_bytes_sha256, probe_image, read_image_bytes
from harness.eda.tokens import TokenCounter, describe_unavailable

log = logging.getLogger(__name__)

MISSING_ANSWER = "missing"
UNCLASSIFIED = "unclassified"
NO_SUB_DOMAIN = "(none)"

EXAMPLE_COLUMNS = [
    "id", "domain", "sub_domain", "format", "question", "answer", "n_images", "n_corrupt_images",
    "question_chars", "answer_chars", "answer_missing", "answer_type",
    "question_tokens", "answer_tokens", "prompt_text_tokens", "image_tokens", "prompt_tokens",
    "prompt_answer_tokens",
]
IMAGE_COLUMNS = [
    "example_id", "image_index", "domain", "file_format", "mode", "width", "height", "n_bytes", "sha256",
    "corrupt", "error", "image_tokens",
]
_TOKEN_COLUMNS = ["question_tokens", "answer_tokens", "prompt_text_tokens", "image_tokens", "prompt_tokens",
                  "prompt_answer_tokens"]

AnswerClassifier = Callable[[str], str]


def default_answer_classifier() -> AnswerClassifier:
    """The reward policy's classifier, so EDA's answer types are the ones the rewards act on."""
    try:
        import rewards

        return rewards.classify_answer
    except (ImportError, AttributeError) as exc:
        raise RuntimeError(
            f"answer types need rewards.classify_answer, which is unavailable ({exc}); "
            "pass answer_classifier= to build_frames/run_eda to use another classifier"
        ) from exc


def _as_counter(processor: Any) -> TokenCounter | None:
    if processor is None or isinstance(processor, TokenCounter):
        return processor
    return TokenCounter(processor)


def _rows(ds: Any, batch_size: int) -> Iterator[dict[str, Any]]:
    """Rows of a datasets.Dataset / IterableDataset (batched, so memory holds one batch) or any iterable of dicts."""
    if hasattr(ds, "iter"):
        for batch in ds.iter(batch_size=batch_size):
            names = list(batch)
            for k in range(len(batch[names[0]]) if names else 0):
                yield {name: batch[name][k] for name in names}
    else:
        yield from ds


def _probe(example_id: str, index: int, domain: str, image: Any, counter: TokenCounter | None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "example_id": example_id, "image_index": index, "domain": domain, "file_format": None, "mode": None,
        "width": None, "height": None, "n_bytes": None, "sha256": None, "corrupt": False, "error": None,
        "image_tokens": None,
    }
    try:
        data = read_image_bytes(image)
        record["n_bytes"], record["sha256"] = len(data), image_bytes_sha256(data)
        fmt, (width, height), mode = probe_image(data)
    except CorruptImageError as exc:
        log.warning("example %s image %d is unreadable: %s", example_id, index, exc)
        record.update(corrupt=True, error=str(exc))
        return record
    record.update(file_format=fmt, mode=mode, width=width, height=height)
    if counter is not None and counter.counts_image_tokens:
        record["image_tokens"] = counter.image_tokens(width, height)
    return record


def _classify(classifier: AnswerClassifier, example_id: str, answer: str) -> str:
    if not answer.strip():
        return MISSING_ANSWER
    try:
        return str(classifier(answer))
    except Exception as exc:  # noqa: BLE001 - one odd gold answer must not stop the analysis; it is counted as unclassified
        log.warning("could not classify the answer of %s (%r): %s", example_id, answer[:80], exc)
        return UNCLASSIFIED


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def build_frames(
    ds: Any,
    processor: Any = None,
    *,
    answer_classifier: AnswerClassifier | None = None,
    batch_size: int = 32,
    progress: Callable[[int], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(examples, images) frames of a canonical dataset (see `harness.data.load_dataset`).

    `processor`: a transformers processor (text + image tokens), a tokenizer (text tokens only), a
    `TokenCounter`, or None (token columns stay empty and the summary says why). Token columns are
    nullable integers: NA where a count is impossible (a row with a corrupt image has no prompt length).
    `examples.attrs["tokenizer"]` describes how tokens were counted.
    """
    counter = _as_counter(processor)
    classify = answer_classifier or default_answer_classifier()
    examples: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    pending: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []

    def flush() -> None:
        if counter is not None and pending:
            _count_tokens(counter, pending)
        pending.clear()

    for position, row in enumerate(_rows(ds, batch_size)):
        example_id = _text(row.get("id")) or f"row-{position}"
        domain = _text(row.get("domain")) or "Unknown"
        question, answer = _text(row.get("question")), _text(row.get("answer"))
        row_images = [
            _probe(example_id, i, domain, image, counter) for i, image in enumerate(row.get("images") or [])
        ]
        record = {
            "id": example_id,
            "domain": domain,
            "sub_domain": _text(row.get("sub_domain")).strip() or NO_SUB_DOMAIN,
            "format": _text(row.get("format")),
            "question": question,
            "answer": answer,
            "n_images": len(row_images),
            "n_corrupt_images": sum(1 for r in row_images if r["corrupt"]),
            "question_chars": len(question),
            "answer_chars": len(answer),
            "answer_missing": not answer.strip(),
            "answer_type": _classify(classify, example_id, answer),
        }
        record.update({name: None for name in _TOKEN_COLUMNS})
        examples.append(record)
        images.extend(row_images)
        pending.append((record, row_images))
        if len(pending) >= batch_size:
            flush()
        if progress is not None:
            progress(1)
    flush()
    return _to_frames(examples, images, counter)


def _count_tokens(counter: TokenCounter, pending: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> None:
    records = [record for record, _ in pending]
    for record, q, a in zip(
        records,
        counter.count_texts([r["question"] for r in records]),
        counter.count_texts([r["answer"] for r in records]),
    ):
        record["question_tokens"], record["answer_tokens"] = q, a
    for record, row_images in pending:
        record["prompt_text_tokens"] = counter.prompt_text_tokens(record["question"], record["n_images"])
        if counter.counts_image_tokens:
            per_image = [r["image_tokens"] for r in row_images]
            if any(n is None for n in per_image):
                continue  # a corrupt image has no size, so the prompt length is unknown rather than short
            record["image_tokens"] = sum(per_image)
        else:
            record["image_tokens"] = None
        image_part = record["image_tokens"] or 0
        record["prompt_tokens"] = record["prompt_text_tokens"] + image_part
        record["prompt_answer_tokens"] = record["prompt_tokens"] + record["answer_tokens"]


def _to_frames(
    examples: list[dict[str, Any]], images: list[dict[str, Any]], counter: TokenCounter | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    ex = pd.DataFrame(examples, columns=EXAMPLE_COLUMNS)
    for name in _TOKEN_COLUMNS + ["question_chars", "answer_chars", "n_images", "n_corrupt_images"]:
        ex[name] = ex[name].astype("Int64")
    ex["answer_missing"] = ex["answer_missing"].astype(bool)
    im = pd.DataFrame(images, columns=IMAGE_COLUMNS)
    for name in ("image_index", "width", "height", "n_bytes", "image_tokens"):
        im[name] = im[name].astype("Int64")
    im["corrupt"] = im["corrupt"].astype(bool)
    ex.attrs["tokenizer"] = counter.info.as_dict() if counter is not None else describe_unavailable(
        "no tokenizer given: character statistics only"
    )
    return ex, im

