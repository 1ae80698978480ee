"""Find the `tasks/` folder (lm-eval `--include_path`) in a checkout or an installed distribution."""

from __future__ import annotations

from pathlib import Path

MARKER = Path("open_mm_rl") / "_open_mm_rl.yaml"


def tasks_dir() -> Path:
    """The folder holding `open_mm_rl/`; checked by content because `tasks` is a common package name."""
    candidates: list[Path] = []
    try:
        import tasks as tasks_package

        candidates.extend(Path(p) for p in getattr(tasks_package, "__path__", []))
    except ImportError:
        pass
    from harness.paths import repo_root

    candidates.append(repo_root() / "tasks")
    for candidate in candidates:
        if (candidate / MARKER).is_file():
            return candidate.resolve()
    raise FileNotFoundError(
        f"cannot find the lm-eval task folder (looked for {MARKER} under {[str(c) for c in candidates]}); "
        "reinstall the harness (`pip install -e .`) so its YAML files are included"
    )
