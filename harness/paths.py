"""Where the harness keeps generated artefacts that are expensive to rebuild (sample data, tiny model)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Root of the harness cache; `MMRL_CACHE_DIR` overrides it so CI and tests can isolate or share it."""
    root = os.environ.get("MMRL_CACHE_DIR")
    if root:
        path = Path(root).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "open-mm-rl-harness"
    path.mkdir(parents=True, exist_ok=True)
    return path


def repo_root() -> Path:
    """The checkout (or install prefix) holding the top-level packages; used to find `tasks/` and `experiments/`."""
    return Path(__file__).resolve().parent.parent
