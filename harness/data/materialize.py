"""Map every image of a dataset to a file in the content-addressed store (`materialize_images`)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
from datasets import Features, List, Value

from harness.data.errors import CorruptImageError
from harness.data.images import (
    image_bytes_sha256,
    probe_image,
    read_image_bytes,
    store_path,
    write_once,
)
from harness.fs import ensure_writable_dir, write_text_atomic

log = logging.getLogger(__name__)

REJECTED_FILE = "rejected.jsonl"


@dataclass
class MaterializeResult:
    """The path-mapped dataset plus what happened on the way, for summaries and MLflow."""

    dataset: datasets.Dataset
    root: Path
    rows_in: int = 0
    images_seen: int = 0
    images_written: int = 0
    images_deduplicated: int = 0
    bytes_written: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows_out(self) -> int:
        return len(self.dataset)

    def summary(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_rejected": len(self.rejected),
            "images_seen": self.images_seen,
            "images_written": self.images_written,
            "images_deduplicated": self.images_deduplicated,
            "bytes_written": self.bytes_written,
        }


def _path_features(features: Features) -> Features:
    out = Features({name: feat for name, feat in features.items() if name != "images"})
    out["images"] = List(Value("string"))
    return out


def materialize_images(
    dataset: datasets.Dataset | datasets.IterableDataset,
    root: str | os.PathLike,
    *,
    batch_size: int = 64,
    on_row: Callable[[int], None] | None = None,
    image_root: str | os.PathLike | None = None,
    prior_rejections: list[dict[str, Any]] | None = None,
) -> MaterializeResult:
    """Write each distinct image once to `root/<sha[:2]>/<sha>.<ext>`; return rows whose images are paths.

    Rows stream through in batches, so memory holds one batch of images at a time whatever the dataset size.
    A row with an undecodable or refused image is skipped and logged (with its id and reason) to
    `root/rejected.jsonl`, after `prior_rejections` (rows the loader already dropped); the run goes on.
    Rerunning skips files that exist, so an interrupted run resumes where it stopped.
    """
    root = ensure_writable_dir(root, what="image store")
    features = dataset.features
    if features is None or "images" not in features:
        raise ValueError("materialize_images needs a normalised dataset with an 'images' column (load_dataset)")
    result = MaterializeResult(dataset=None, root=root, rejected=list(prior_rejections or []))  # type: ignore[arg-type]
    seen_this_run: set[str] = set()

    def rows() -> Iterator[dict[str, Any]]:
        index = 0
        for batch in dataset.iter(batch_size=batch_size):
            names = list(batch)
            for offset in range(len(batch[names[0]])):
                row = {name: batch[name][offset] for name in names}
                index += 1
                result.rows_in += 1
                mapped = _materialize_row(row, index - 1, root, result, seen_this_run, image_root)
                if on_row is not None:
                    on_row(1)
                if mapped is not None:
                    yield mapped

    # Rows keep only text and short relative paths once their images are written: holding them is cheap
    # next to the images, which never outlive their batch.
    records = list(rows())
    result.dataset = datasets.Dataset.from_list(records, features=_path_features(features)) if records else (
        datasets.Dataset.from_dict({k: [] for k in _path_features(features)}, features=_path_features(features))
    )
    _write_rejected(root, result.rejected)
    log.debug("materialised %s", result.summary())  # the caller prints or records it: once
    return result


def _materialize_row(
    row: dict[str, Any],
    index: int,
    root: Path,
    result: MaterializeResult,
    seen_this_run: set[str],
    image_root: str | os.PathLike | None,
) -> dict[str, Any] | None:
    paths: list[str] = []
    for image_index, image in enumerate(row.get("images") or []):
        result.images_seen += 1
        try:
            data = read_image_bytes(image, root=image_root)
            sha = image_bytes_sha256(data)
            relative = _existing_or_new_path(root, sha, data)
            if write_once(root, relative, data):
                result.images_written += 1
                result.bytes_written += len(data)
            elif sha in seen_this_run:
                result.images_deduplicated += 1
            seen_this_run.add(sha)
            paths.append(relative.as_posix())
        except CorruptImageError as exc:
            reason = {"id": row.get("id"), "row": index, "image_index": image_index, "reason": exc.reason,
                      "error": str(exc)}
            log.warning("rejected row %s (id=%s) image %d: %s", index, row.get("id"), image_index, exc)
            result.rejected.append(reason)
            return None
    out = dict(row)
    out["images"] = paths
    return out


def _existing_or_new_path(root: Path, sha: str, data: bytes) -> Path:
    """Skip decoding when the image is already stored (resume), else validate it before writing."""
    shard = root / sha[:2]
    if shard.is_dir():
        for candidate in shard.glob(f"{sha}.*"):
            if not candidate.name.startswith(".tmp-"):
                return candidate.relative_to(root)
    fmt, _, _ = probe_image(data)
    return store_path(sha, fmt)


def _write_rejected(root: Path, rejected: list[dict[str, Any]]) -> None:
    target = root / REJECTED_FILE
    if not rejected:
        target.unlink(missing_ok=True)
        return
    write_text_atomic(target, "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in rejected))
