"""Turn any supported source table into the canonical schema (see `schema.py`)."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import datasets
from datasets import Image, List

from harness.data.errors import ColumnTypeError, EmptyDatasetError, MissingColumnError
from harness.data.image_access import ImagePolicy, confine_path
from harness.data.schema import (
    CANONICAL_TEXT_COLUMNS,
    DEFAULT_COLUMN_MAP,
    REQUIRED,
    UNKNOWN_DOMAIN,
    canonical_features,
    detect_image_columns,
    normalize_format,
    resolve_column_map,
)

log = logging.getLogger(__name__)
_PROBE_ROWS = 8


def _undecoded(ds: datasets.Dataset, columns: list[str]) -> datasets.Dataset:
    """Switch image features to decode=False so images flow as bytes and are decoded only on demand."""
    for name in columns:
        feat = ds.features[name]
        if isinstance(feat, Image):
            ds = ds.cast_column(name, Image(decode=False))
        elif getattr(feat, "feature", None) is not None and isinstance(feat.feature, Image):
            ds = ds.cast_column(name, List(Image(decode=False)))
    return ds


def _as_image_dict(value: Any, root: Path, allow_absolute: bool) -> dict[str, Any] | None:
    from PIL import Image as PILImage

    if value is None:
        return None
    if isinstance(value, PILImage.Image):
        import io

        buf = io.BytesIO()
        value.save(buf, format=value.format or "PNG")
        return {"bytes": buf.getvalue(), "path": None}
    if isinstance(value, Mapping):
        data, path = value.get("bytes"), value.get("path")
        if not data and path:
            path = confine_path(str(path), root, allow_absolute=allow_absolute)
        return {"bytes": data, "path": path}
    raise ColumnTypeError(f"expected an image, found {type(value).__name__}")


def _image_list(row: Mapping[str, Any], image_columns: list[str], root: Path, allow_absolute: bool) -> list[dict]:
    images: list[dict] = []
    for name in image_columns:
        value = row.get(name)
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            img = _as_image_dict(item, root, allow_absolute)
            if img is not None:
                images.append(img)
    return images


def _check_text_types(ds: datasets.Dataset, mapping: dict[str, str | None]) -> None:
    for canonical, source in mapping.items():
        if source is None:
            continue
        feat = ds.features[source]
        dtype = getattr(feat, "dtype", None)
        if canonical in ("question", "answer") and dtype not in ("string", "large_string", "null"):
            raise ColumnTypeError(
                f"column {source!r} (canonical {canonical!r}) must hold text, found {feat}"
            )


def _stable_id(question: str, index: int) -> str:
    return "row-" + hashlib.sha256(f"{index}\0{question}".encode()).hexdigest()[:16]


def find_image_columns(
    raw: datasets.Dataset, *, exclude: list[str] | None = None, override: str | None = None
) -> list[str]:
    """The source columns holding images: typed `Image` features first, else a probe of the first rows' values."""
    columns = list(raw.column_names)
    if override:
        if override not in columns:
            raise MissingColumnError("images", [override], columns)
        return [override]
    candidates = [c for c in columns if c not in set(exclude or ())]
    sub = datasets.Features({c: raw.features[c] for c in candidates})
    found = detect_image_columns(sub, [])  # typed columns: no need to decode anything
    if found or len(raw) == 0:
        return found
    probe = raw.select_columns(candidates).select(range(min(_PROBE_ROWS, len(raw)))).to_list()
    return detect_image_columns(sub, probe)


def normalize(
    raw: datasets.Dataset,
    *,
    column_map: Mapping[str, str] | None = None,
    base_dir: str | os.PathLike | None = None,
    source_name: str = "dataset",
    images: ImagePolicy | None = None,
) -> datasets.Dataset:
    """Map a raw table onto the canonical schema, keeping unmapped columns as extras.

    Required: a question column, an answer column and at least one image column (detected by type). Missing
    optional columns get documented fallbacks: id from a hash of row index and question, domain "Unknown",
    format inferred from the image count.

    Image paths are confined (see `harness.data.image_access`): relative ones resolve inside `images.root`,
    else `base_dir` (the dataset's folder), else the working directory; escaping ones become refusal markers.
    """
    if len(raw) == 0:
        raise EmptyDatasetError(f"{source_name} has no rows")
    columns = list(raw.column_names)
    overrides = dict(column_map or {})
    image_override = overrides.pop("images", None)
    mapping = resolve_column_map(columns, overrides)
    for canonical in REQUIRED:
        if mapping[canonical] is None:
            raise MissingColumnError(canonical, list(DEFAULT_COLUMN_MAP[canonical]), columns)
    _check_text_types(raw, mapping)

    image_columns = find_image_columns(raw, exclude=[c for c in mapping.values() if c], override=image_override)
    if not image_columns:
        raise MissingColumnError("images", ["<any column of images: PIL, {bytes,path} dicts or lists>"], columns)
    raw = _undecoded(raw, image_columns)

    used = {c for c in mapping.values() if c} | set(image_columns)
    extras = [c for c in columns if c not in used and c not in CANONICAL_TEXT_COLUMNS + ("images",)]
    features = canonical_features(datasets.Features({c: raw.features[c] for c in extras}))
    policy = images or ImagePolicy()
    image_root = Path(policy.root or base_dir or os.getcwd()).resolve()
    allow_absolute = policy.allow_absolute
    missing = [c for c in ("id", "domain", "sub_domain", "format") if mapping[c] is None]
    if missing:
        log.warning("%s: no column for %s; using fallbacks (see harness.data.normalize)", source_name, missing)

    def convert(batch: dict[str, list], indices: list[int]) -> dict[str, list]:
        n = len(indices)
        out: dict[str, list] = {name: [] for name in features}
        for k in range(n):
            row = {name: batch[name][k] for name in batch}
            row_images = _image_list(row, image_columns, image_root, allow_absolute)
            question = row[mapping["question"]]
            answer = row[mapping["answer"]]
            rid = row[mapping["id"]] if mapping["id"] else None
            domain = row[mapping["domain"]] if mapping["domain"] else None
            sub_domain = row[mapping["sub_domain"]] if mapping["sub_domain"] else None
            fmt = row[mapping["format"]] if mapping["format"] else None
            out["id"].append(str(rid) if rid is not None and str(rid) != "" else _stable_id(question or "", indices[k]))
            out["question"].append(question if question is not None else "")
            out["answer"].append(answer if answer is not None else "")
            out["domain"].append(str(domain).strip() if domain is not None and str(domain).strip() else UNKNOWN_DOMAIN)
            out["sub_domain"].append(str(sub_domain).strip() if sub_domain is not None else "")
            out["format"].append(normalize_format(fmt, len(row_images)))
            out["images"].append(row_images)
            for name in extras:
                out[name].append(row[name])
        return out

    return raw.map(
        convert,
        batched=True,
        batch_size=64,
        with_indices=True,
        remove_columns=columns,
        features=features,
        desc=f"normalising {source_name}",
    )
