"""The defaults every layer shares: where the dataset lives and how it is split.

One home, so the export, the evaluation task, the tiny model's warm-up and the CLI can never disagree about
which rows are held out (the task reads these too, through `harness.data`; nothing reads them from the task).
It imports nothing, so the CLI can show them as option defaults without loading `datasets`.
"""

from __future__ import annotations

HUB_DATASET = "TuringEnterprises/Open-MM-RL"
SAMPLE_SOURCE = "sample"
#: share of every domain held out for evaluation
DEFAULT_EVAL_FRACTION = 0.25
#: seed of the hash-based split (membership depends on (seed, id) only)
DEFAULT_SPLIT_SEED = 0
#: sides of the split an evaluation may run on
EVAL_SPLITS = ("eval", "train", "all")
#: the model reference that means "the offline tiny SmolVLM-architecture demo model" (`harness.models`)
TINY_MODEL = "tiny"
