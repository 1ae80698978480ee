"""Keep the first row of every id and reject the others, instead of refusing the whole dataset.

Splits are decided by id, so two rows sharing one could land on both sides; one repeated
`conversation_id` used to abort the export with no rows written. Now the first occurrence wins (the same
rule everywhere: export, evaluation, the tiny model's training split), and each later one becomes a
`duplicate_id` rejection naming both row positions.
"""

from __future__ import annotations

from typing import Any

import datasets

DUPLICATE_ID = "duplicate_id"


def drop_duplicate_ids(ds: datasets.Dataset) -> tuple[datasets.Dataset, list[dict[str, Any]]]:
    """(rows with first-seen ids only, one rejection per dropped row)."""
    first: dict[str, int] = {}
    keep: list[int] = []
    rejected: list[dict[str, Any]] = []
    for index, row_id in enumerate(ds["id"]):
        seen = first.get(row_id)
        if seen is None:
            first[row_id] = index
            keep.append(index)
            continue
        rejected.append({"reason": DUPLICATE_ID, "id": row_id, "row": index,
                         "detail": f"row {index} repeats the id {row_id!r} of row {seen}; the first row is kept"})
    if not rejected:
        return ds, []
    return ds.select(keep), rejected
