"""Find the `tasks/` folder (lm-eval `--include_path`) in a checkout or an installed distribution.

Located, never imported: the task adapter depends on the harness, not the other way round.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

MARKER = Path("open_mm_rl") / "_open_mm_rl.yaml"


def tasks_dir() -> Path:
    """The folder holding `open_mm_rl/`; checked by content because `tasks` is a common package name."""
    from harness.paths import repo_root

    candidates: list[Path] = [repo_root() / "tasks"]
    try:
        spec = importlib.util.find_spec("tasks")  # finds the package without executing it
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        candidates.extend(Path(p) for p in (spec.submodule_search_locations or []))
    for candidate in candidates:
        if (candidate / MARKER).is_file():
            return candidate.resolve()
    raise FileNotFoundError(
        f"cannot find the lm-eval task folder (looked for {MARKER} under {[str(c) for c in candidates]}); "
        "reinstall the harness (`pip install -e .`) so its YAML files are included"
    )
