"""Data layer: load Open-MM-RL (hub, local files or the bundled offline sample) into one canonical schema,
split it deterministically, and map its images onto a content-addressed store on disk."""

from harness.data.errors import (
    ColumnTypeError,
    CorruptImageError,
    DataError,
    DataSourceError,
    DuplicateIdError,
    EmptyDatasetError,
    MissingColumnError,
)
from harness.data.materialize import MaterializeResult, materialize_images
from harness.data.schema import CANONICAL_COLUMNS, DEFAULT_COLUMN_MAP
from harness.data.sources import HUB_DATASET, SAMPLE_SOURCE, load_dataset, sample_path
from harness.data.split import Split, fingerprint, kfold_split, split_dataset

__all__ = [
    "CANONICAL_COLUMNS",
    "DEFAULT_COLUMN_MAP",
    "HUB_DATASET",
    "SAMPLE_SOURCE",
    "ColumnTypeError",
    "CorruptImageError",
    "DataError",
    "DataSourceError",
    "DuplicateIdError",
    "EmptyDatasetError",
    "MaterializeResult",
    "MissingColumnError",
    "Split",
    "fingerprint",
    "kfold_split",
    "load_dataset",
    "materialize_images",
    "sample_path",
    "split_dataset",
]
