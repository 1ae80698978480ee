"""GRPO data: export a dataset to TRL JSONL / verl parquet with images on disk, and load it back lazily.

Images are written once to a content-addressed folder and referenced by path, so a trainer opens only the
images of the rows it is reading instead of decoding parquet bytes held in memory.
"""

from harness.grpo_data.export import ExportResult, export_grpo
from harness.grpo_data.formats import (
    FORMAT_VERSION,
    FORMATS,
    TRL,
    TRL_FEATURES,
    VERL,
    VERL_FEATURES,
)
from harness.grpo_data.loader import IOSnapshot, IOStats, get_io_stats, load_grpo_dataset
from harness.grpo_data.manifest import (
    MANIFEST_FILE,
    REJECTED_FILE,
    ExportChecksumError,
    ExportError,
    IncompleteExportError,
    read_manifest,
    verify_export,
)

__all__ = [
    "FORMATS",
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "REJECTED_FILE",
    "TRL",
    "TRL_FEATURES",
    "VERL",
    "VERL_FEATURES",
    "ExportChecksumError",
    "ExportError",
    "ExportResult",
    "IOSnapshot",
    "IOStats",
    "IncompleteExportError",
    "export_grpo",
    "get_io_stats",
    "load_grpo_dataset",
    "read_manifest",
    "verify_export",
]
