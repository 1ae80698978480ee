"""Data layer: load Open-MM-RL (hub, local files or the bundled offline sample) into one canonical schema,
split it deterministically, and map its images onto a content-addressed store on disk."""

from harness.data.dedupe import DUPLICATE_ID, drop_duplicate_ids
from harness.data.errors import (
    ColumnTypeError,
    CorruptImageError,
    DataError,
    DataSourceError,
    DuplicateIdError,
    EmptyDatasetError,
    ImageAccessError,
    MissingColumnError,
)
from harness.data.eval_rows import (
    IMAGE_ROOT_COLUMN,
    EvalSelection,
    describe_eval_rows,
    select_eval_rows,
)
from harness.data.image_access import ImagePolicy
from harness.data.images import open_image
from harness.data.materialize import MaterializeResult, materialize_images
from harness.data.prompt import DEFAULT_PROMPT, IMAGE_TOKEN, PROMPTS, PromptSpec, prompt_spec
from harness.data.schema import CANONICAL_COLUMNS, DEFAULT_COLUMN_MAP
from harness.data.sources import (
    LoadedSource,
    load_dataset,
    load_source,
    sample_path,
)
from harness.data.split import Split, fingerprint, kfold_split, split_dataset
from harness.defaults import (
    DEFAULT_EVAL_FRACTION,
    DEFAULT_SPLIT_SEED,
    EVAL_SPLITS,
    HUB_DATASET,
    SAMPLE_SOURCE,
)

__all__ = [
    "CANONICAL_COLUMNS",
    "DEFAULT_EVAL_FRACTION",
    "DEFAULT_PROMPT",
    "DEFAULT_SPLIT_SEED",
    "EVAL_SPLITS",
    "IMAGE_ROOT_COLUMN",
    "IMAGE_TOKEN",
    "PROMPTS",
    "EvalSelection",
    "PromptSpec",
    "describe_eval_rows",
    "open_image",
    "prompt_spec",
    "select_eval_rows",
    "DEFAULT_COLUMN_MAP",
    "DUPLICATE_ID",
    "HUB_DATASET",
    "SAMPLE_SOURCE",
    "ColumnTypeError",
    "CorruptImageError",
    "DataError",
    "DataSourceError",
    "DuplicateIdError",
    "EmptyDatasetError",
    "ImageAccessError",
    "ImagePolicy",
    "LoadedSource",
    "MaterializeResult",
    "MissingColumnError",
    "Split",
    "fingerprint",
    "drop_duplicate_ids",
    "kfold_split",
    "load_dataset",
    "load_source",
    "materialize_images",
    "sample_path",
    "split_dataset",
]
