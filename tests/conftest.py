"""Suite-wide setup: never touch the network, share generated artefacts (sample, tiny model) with the demo,
and never write into the checkout.

The cache is the user's harness cache (`harness.paths.cache_dir`: `MMRL_CACHE_DIR`, else
`~/.cache/open-mm-rl-harness`), the one `make demo` fills, so neither run rebuilds what the other built.
MLflow stores live in temporary folders; a session that leaves an `mlruns/` folder in the checkout fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

CHECKOUT = Path(__file__).resolve().parent.parent
#: what a test run must not create in the checkout (MLflow's defaults when a store is opened carelessly)
FORBIDDEN = ("mlruns", "mlruns.db", "mlartifacts")


@pytest.fixture(scope="session", autouse=True)
def checkout_stays_clean():
    before = {name for name in FORBIDDEN if (CHECKOUT / name).exists()}
    yield
    created = sorted(name for name in FORBIDDEN if (CHECKOUT / name).exists() and name not in before)
    assert not created, f"tests wrote {created} into the checkout {CHECKOUT}: use a store in tmp_path"
