"""Errors of the data layer.

Every error names what it could not use (column, row id, file) and what it found instead, so a user with a
40-row or a 40k-row dataset can fix the input without a debugger.
"""

from __future__ import annotations


class DataError(Exception):
    """Base class: anything wrong with a data source or a record."""


class DataSourceError(DataError):
    """The source could not be opened (unknown path, hub unreachable, unsupported file type)."""


class MissingColumnError(DataError):
    """A required canonical column has no counterpart in the source."""

    def __init__(self, canonical: str, tried: list[str], found: list[str]):
        self.canonical, self.tried, self.found = canonical, tried, found
        super().__init__(
            f"required column {canonical!r} not found: looked for {tried}, the source has {found}. "
            f"Pass column_map={{'{canonical}': '<your column>'}} to map it."
        )


class ColumnTypeError(DataError):
    """A column holds values of a type the canonical schema cannot take."""


class EmptyDatasetError(DataError):
    """The source holds no rows: training or evaluating on it would silently produce nothing."""


class DuplicateIdError(DataError):
    """Two rows share an id, so train/eval splits by id could overlap."""


class CorruptImageError(DataError):
    """An image's bytes cannot be decoded (truncated file, wrong format, missing path)."""

    reason = "corrupt_image"


class ImageAccessError(CorruptImageError):
    """An image the harness refuses to read, with a stable `reason` that rejections and reports carry.

    Reasons: `path_outside_root` (a path escaping the image root, or an absolute path without opt-in),
    `not_a_file` (a directory, device, FIFO...), `image_too_large` (over the byte cap), `missing_image`,
    `unreadable_image` (permission denied and other read errors).
    """

    def __init__(self, reason: str, detail: str):
        self.reason, self.detail = reason, detail
        super().__init__(f"{reason}: {detail}")
