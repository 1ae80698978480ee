"""lm-eval task definitions shipped with the harness (pass this folder to lm-eval's `--include_path`).

The folder is a package only so that the YAML files travel with an installed distribution and the harness can
find them (`tasks_dir()`); lm-eval itself reads the YAML files and loads `utils.py` by path.
"""

from __future__ import annotations

from pathlib import Path


def tasks_dir() -> Path:
    """The folder to give lm-eval as `--include_path` / `TaskManager(include_path=...)`."""
    return Path(__file__).resolve().parent
