"""What a reviewer needs to re-run a recorded run: code version, package versions, config and its hash, seeds."""

from __future__ import annotations

import importlib.metadata
import json
import platform
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import mlflow

from harness.paths import repo_root

PACKAGES = ("torch", "transformers", "trl", "datasets", "lm_eval", "mlflow", "sympy", "latex2sympy2_extended", "accelerate", "peft")


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo_root(), capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=repo_root(), capture_output=True, text=True, timeout=10)
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


def log_provenance(config_yaml: str | None = None, config_hash: str | None = None, extra: dict[str, Any] | None = None) -> None:
    """Tags (not params: they must stay editable and never collide) plus the config file as an artifact."""
    tags = {"mmrl.git_commit": git_commit()}
    tags.update({f"mmrl.version.{k}": v for k, v in package_versions().items()})
    if config_hash:
        tags["mmrl.config_hash"] = config_hash
    tags.update({f"mmrl.{k}": str(v) for k, v in (extra or {}).items()})
    mlflow.set_tags(tags)
    if config_yaml is not None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "config.yaml"
            path.write_text(config_yaml, encoding="utf-8")
            mlflow.log_artifact(str(path), artifact_path="config")
            (Path(tmp) / "versions.json").write_text(json.dumps(package_versions(), indent=1))
            mlflow.log_artifact(str(Path(tmp) / "versions.json"), artifact_path="config")
