"""Read JSON Lines files line by line, so one bad line costs that line, not the file.

`datasets`' JSON builder parses a whole file with Arrow: a single non-UTF-8 byte or broken line makes it
raise (a `UnicodeDecodeError` traceback from `mmrl data info`, the whole file refused by export) without
saying where. Each file is scanned first; lines that are not UTF-8, not JSON or not an object are
rejected with file and line number, and the builder reads a cleaned copy (content-addressed in the cache,
so a rerun reuses it) holding every good line unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.fs import write_bytes_atomic
from harness.paths import cache_dir

log = logging.getLogger(__name__)

UNDECODABLE_LINE = "undecodable_line"
INVALID_JSON_LINE = "invalid_json_line"


@dataclass
class ScannedFile:
    """A JSONL file as the builder should read it (`path`: the original or a cleaned copy) and its bad lines."""

    original: Path
    path: Path
    good_lines: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _problem(raw: bytes) -> tuple[str, str] | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return UNDECODABLE_LINE, f"not UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return INVALID_JSON_LINE, f"not JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(value, dict):
        return INVALID_JSON_LINE, f"a JSON {type(value).__name__}, not an object"
    return None


def scan_jsonl(path: str | Path) -> ScannedFile:
    """Check every line of `path`; write a cleaned copy only when some line is bad."""
    path = Path(path)
    scanned = ScannedFile(original=path, path=path)
    good: list[bytes] = []
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            digest.update(raw)
            if not raw.strip():
                continue
            problem = _problem(raw)
            if problem is None:
                good.append(raw if raw.endswith(b"\n") else raw + b"\n")
                continue
            reason, detail = problem
            scanned.rejected.append({"reason": reason, "file": str(path), "line": number,
                                     "detail": f"{path}:{number}: {detail}"})
    scanned.good_lines = len(good)
    if scanned.rejected:
        for item in scanned.rejected:
            log.warning("rejected %s", item["detail"])
        clean = cache_dir() / "clean-jsonl" / f"{digest.hexdigest()[:24]}-{path.name}"
        if not clean.exists():
            write_bytes_atomic(clean, b"".join(good))
        scanned.path = clean
    return scanned
