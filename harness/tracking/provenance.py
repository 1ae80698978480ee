"""What a reviewer needs to re-run a recorded run: code version, package versions, config and its hash, seeds."""

from __future__ import annotations

import functools
import importlib.metadata
import json
import platform
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import mlflow

from harness.paths import repo_root

PACKAGES = (
    "torch",
    "transformers",
    "trl",
    "datasets",
    "lm_eval",
    "mlflow",
    "sympy",
    "latex2sympy2_extended",
    "accelerate",
    "peft",
)


@functools.lru_cache(maxsize=1)
def git_commit() -> str:
    """HEAD (with `-dirty` for uncommitted changes) of the checkout the code runs from; "unknown" outside one.

    Read once per process: every run of a pipeline records it, and the code cannot change under a process."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo_root(), capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=repo_root(), capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = out.stdout.strip() or "unknown"
    return commit + ("-dirty" if dirty.stdout.strip() else "")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name.replace("_", "-") if name == "lm_eval" else name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "absent"
    versions["python"] = platform.python_version()
    return versions


def provenance_tags(config_hash: str | None = None, extra: dict[str, Any] | None = None) -> dict[str, str]:
    """Code version, package versions, config hash and seed as `mmrl.*` tags (every run carries them)."""
    tags = {"mmrl.git_commit": git_commit()}
    tags.update({f"mmrl.version.{k}": v for k, v in package_versions().items()})
    if config_hash:
        tags["mmrl.config_hash"] = config_hash
    tags.update({f"mmrl.{k}": str(v) for k, v in (extra or {}).items()})
    return tags


def log_prompt(spec: dict[str, Any], *, params: bool = True) -> None:
    """The prompt a run trained or evaluated with: `prompt/prompt.json` (and the `prompt_name`/`prompt` params)."""
    text = json.dumps(spec, sort_keys=True)
    if params:
        mlflow.log_params({"prompt_name": str(spec.get("name", "")), "prompt": text[:6000]})
    mlflow.log_text(json.dumps(spec, indent=1, sort_keys=True), "prompt/prompt.json")


def log_provenance(
    config_yaml: str | None = None, config_hash: str | None = None, extra: dict[str, Any] | None = None
) -> None:
    """Tags (not params: they must stay editable and never collide) plus the config file as an artifact."""
    mlflow.set_tags(provenance_tags(config_hash, extra))
    if config_yaml is not None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "config.yaml"
            path.write_text(config_yaml, encoding="utf-8")
            mlflow.log_artifact(str(path), artifact_path="config")
            (Path(tmp) / "versions.json").write_text(json.dumps(package_versions(), indent=1))
            mlflow.log_artifact(str(Path(tmp) / "versions.json"), artifact_path="config")
