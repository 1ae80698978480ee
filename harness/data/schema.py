"""The canonical record schema and the mapping from source columns onto it.

Open-MM-RL names its columns `conversation_id`, `subDomain`, ...; other datasets use `problem`, `image`, ...
Everything downstream (rewards, EDA, export, eval) reads only the canonical names defined here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from datasets import Features, Image, List, Value
from datasets import Sequence as HFSequence

# canonical name -> source column names tried in order (the first present wins).
DEFAULT_COLUMN_MAP: dict[str, tuple[str, ...]] = {
    "id": ("conversation_id", "id", "uid", "question_id"),
    "question": ("question", "problem", "prompt", "query"),
    "answer": ("answer", "gold", "ground_truth", "final_answer"),
    "domain": ("domain", "subject", "category"),
    "sub_domain": ("subDomain", "sub_domain", "subdomain", "subfield"),
    "format": ("format", "image_format", "layout"),
}
REQUIRED = ("question", "answer")
CANONICAL_TEXT_COLUMNS = ("id", "question", "answer", "domain", "sub_domain", "format")
CANONICAL_COLUMNS = CANONICAL_TEXT_COLUMNS + ("images",)

FORMAT_ALIASES = {
    "single": "single_image",
    "single_image": "single_image",
    "image": "single_image",
    "multi": "multi_image",
    "multi_image": "multi_image",
    "multi_images": "multi_image",
    "multiple_images": "multi_image",
    "multi_panel": "multi_panel",
    "multipanel": "multi_panel",
    "panel": "multi_panel",
}
UNKNOWN_DOMAIN = "Unknown"


def canonical_features(extra: Features | None = None, *, undecoded_images: bool = True) -> Features:
    """Features of a normalised dataset; images stay undecoded so hashing and copying never re-encode them."""
    feats = {name: Value("string") for name in CANONICAL_TEXT_COLUMNS}
    feats["images"] = List(Image(decode=not undecoded_images))
    if extra:
        feats.update({k: v for k, v in extra.items() if k not in feats})
    return Features(feats)


def normalize_format(value: str | None, n_images: int) -> str:
    """Snake-case the layout label (`Multi-image` -> `multi_image`); infer it from the image count if absent."""
    if value is None or not str(value).strip():
        return "single_image" if n_images <= 1 else "multi_image"
    key = re.sub(r"[^a-z0-9]+", "_", str(value).strip().lower()).strip("_")
    return FORMAT_ALIASES.get(key, key)


def resolve_column_map(
    columns: Sequence[str], overrides: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """Pick the source column for every canonical text column; overrides must exist, defaults may be absent."""
    overrides = dict(overrides or {})
    unknown = set(overrides) - set(CANONICAL_TEXT_COLUMNS) - {"images"}
    if unknown:
        raise ValueError(
            f"column_map has unknown canonical names {sorted(unknown)}; "
            f"valid names are {list(CANONICAL_TEXT_COLUMNS)}"
        )
    resolved: dict[str, str | None] = {}
    for canonical in CANONICAL_TEXT_COLUMNS:
        if canonical in overrides:
            source = overrides[canonical]
            if source not in columns:
                from harness.data.errors import MissingColumnError

                raise MissingColumnError(canonical, [source], list(columns))
            resolved[canonical] = source
            continue
        resolved[canonical] = next((c for c in DEFAULT_COLUMN_MAP[canonical] if c in columns), None)
    return resolved


def _is_image_value(value: Any) -> bool:
    from PIL import Image as PILImage

    if isinstance(value, PILImage.Image):
        return True
    return isinstance(value, Mapping) and set(value) >= {"bytes", "path"} or (
        isinstance(value, Mapping) and set(value) == {"bytes"}
    )


def _is_image_feature(feature: Any) -> bool:
    if isinstance(feature, Image):
        return True
    inner = getattr(feature, "feature", None)
    return isinstance(feature, (List, HFSequence)) and isinstance(inner, Image)


def looks_like_images(value: Any) -> bool:
    """True for a PIL image, an image dict with bytes/path, or a non-empty list of those."""
    if isinstance(value, (list, tuple)):
        return len(value) > 0 and all(v is None or _is_image_value(v) for v in value) and any(
            v is not None for v in value
        )
    return _is_image_value(value)


def detect_image_columns(features: Features, first_rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Find image columns by type, not by name: HF Image features first, then by inspecting values."""
    by_feature = [name for name, feat in features.items() if _is_image_feature(feat)]
    if by_feature:
        return by_feature
    found = []
    for name in features:
        values = [row.get(name) for row in first_rows if row.get(name) is not None]
        if values and all(looks_like_images(v) for v in values):
            found.append(name)
    return found
