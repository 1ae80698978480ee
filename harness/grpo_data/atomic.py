"""Write files so that a killed process never leaves a complete-looking but truncated output.

Everything is written to `<name>.partial` and renamed into place only after it is flushed to disk; a
reader either sees the previous file, no file, or the finished one.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PARTIAL_SUFFIX = ".partial"


def partial_path(target: Path) -> Path:
    return target.with_name(target.name + PARTIAL_SUFFIX)


@contextmanager
def atomic_target(target: str | os.PathLike) -> Iterator[Path]:
    """Yield the `.partial` path to write; on success fsync and rename it to `target`, on error delete it."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(target)
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(target: str | os.PathLike, text: str) -> Path:
    with atomic_target(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def sha256_file(path: str | os.PathLike, *, chunk_size: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            h.update(chunk)
    return h.hexdigest()


def remove_stale_partials(directory: Path) -> list[Path]:
    """Delete `.partial` leftovers of a killed run (top level only: the image store cleans its own)."""
    removed = []
    if directory.is_dir():
        for path in sorted(directory.glob("*" + PARTIAL_SUFFIX)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
