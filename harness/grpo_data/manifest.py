"""`manifest.json`: what an export holds and how it was made, written last so its presence means "complete".

The sha256 of every data file lets a reader prove it is reading the files this export finished, not the
leftovers of a killed rerun. Nothing time- or machine-dependent goes in, so reruns are byte-identical.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from harness.fs import sha256_file, write_text_atomic

MANIFEST_FILE = "manifest.json"
REJECTED_FILE = "rejected.jsonl"


class ExportError(Exception):
    """An export directory cannot be used."""


class IncompleteExportError(ExportError):
    """No manifest (the export was interrupted or never ran), or the split was not exported."""


class ExportChecksumError(ExportError):
    """A data file differs from the one the manifest recorded."""


def write_manifest(export_dir: Path, manifest: dict[str, Any]) -> Path:
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return write_text_atomic(export_dir / MANIFEST_FILE, text)


def read_manifest(export_dir: str | os.PathLike) -> dict[str, Any]:
    path = Path(export_dir) / MANIFEST_FILE
    if not path.is_file():
        raise IncompleteExportError(
            f"{path} not found: {export_dir} is not a finished export (interrupted run?). Rerun `mmrl export`; "
            "it resumes, reusing the images already written."
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ExportError(f"{path} is not valid JSON: {exc}") from exc


def split_entry(manifest: dict[str, Any], split: str, export_dir: str | os.PathLike) -> dict[str, Any]:
    entry = manifest.get("splits", {}).get(split)
    if entry is None:
        raise IncompleteExportError(
            f"split {split!r} is not in {Path(export_dir) / MANIFEST_FILE}; exported splits: "
            f"{sorted(manifest.get('splits', {}))}"
        )
    return entry


def verify_file(export_dir: Path, file_name: str, expected_sha256: str) -> None:
    path = export_dir / file_name
    if not path.is_file():
        raise IncompleteExportError(f"{path} is listed in the manifest but missing")
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ExportChecksumError(
            f"{path} has sha256 {actual[:12]}…, the manifest recorded {expected_sha256[:12]}…: the file was "
            "changed or a later export was interrupted after replacing it. Rerun the export."
        )


def verify_export(export_dir: str | os.PathLike) -> dict[str, Any]:
    """Check every data file the manifest lists; return the manifest."""
    export_dir = Path(export_dir)
    manifest = read_manifest(export_dir)
    for entry in manifest.get("splits", {}).values():
        verify_file(export_dir, entry["file"], entry["sha256"])
    rejected = manifest.get("rejected")
    if rejected:
        verify_file(export_dir, rejected["file"], rejected["sha256"])
    return manifest


def file_sha256(export_dir: Path, file_name: str) -> str:
    return sha256_file(export_dir / file_name)
