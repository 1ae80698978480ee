"""Checks every exported record must pass; a failing record goes to `rejected.jsonl` with its reason.

These guard the three ways a GRPO run breaks late and expensively: an image file that is not there, a
prompt whose image tokens do not match its images (the processor raises mid-training), and an empty gold
answer (every completion scores zero, silently).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.data.prompt import image_slots
from harness.grpo_data.formats import TRL

# Reasons, stable strings that tests and users can filter on.
CORRUPT_IMAGE = "corrupt_image"
MISSING_IMAGE = "missing_image"
NO_IMAGES = "no_images"
IMAGE_COUNT_MISMATCH = "image_count_mismatch"
EMPTY_ANSWER = "empty_answer"
EMPTY_QUESTION = "empty_question"


@dataclass(frozen=True)
class Rejection:
    reason: str
    detail: str

    def record(self, *, row_id: Any, split: str, index: int) -> dict[str, Any]:
        return {"id": row_id, "split": split, "index": index, "reason": self.reason, "detail": self.detail}


def check_source_row(row: dict[str, Any]) -> Rejection | None:
    """Problems visible before any image is touched (cheap, so they are checked first)."""
    if not (row.get("answer") or "").strip():
        return Rejection(EMPTY_ANSWER, "the gold answer is empty or whitespace")
    if not (row.get("question") or "").strip():
        return Rejection(EMPTY_QUESTION, "the question is empty or whitespace")
    if not row.get("images"):
        return Rejection(NO_IMAGES, "the row has no images; a multimodal GRPO batch needs at least one per row")
    return None


def check_record(fmt: str, record: dict[str, Any], export_dir: Path) -> Rejection | None:
    """Validate the record exactly as it will be written (paths relative to `export_dir`)."""
    if fmt == TRL:
        prompt, paths, answer = record["prompt"], record["images"], record["answer"]
    else:
        prompt = record["prompt"]
        paths = [image["path"] for image in record["images"]]
        answer = record["reward_model"]["ground_truth"]
    if not (answer or "").strip():
        return Rejection(EMPTY_ANSWER, "the gold answer is empty or whitespace")
    missing = [p for p in paths if not (export_dir / p).is_file()]
    if missing:
        return Rejection(MISSING_IMAGE, f"image file(s) not found under the export: {missing}")
    slots = image_slots(prompt)
    if slots != len(paths):
        return Rejection(
            IMAGE_COUNT_MISMATCH,
            f"prompt has {slots} image placeholder(s) (blocks plus literal '<image>' in text) for {len(paths)} "
            "image(s)",
        )
    return None
