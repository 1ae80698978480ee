"""Atomic writes for the exporters; the helpers live in `harness.fs`, shared with every other writer.

Everything is written to a per-process `<name>.<pid>-<random>.partial` and renamed into place only after it
is flushed to disk; a reader either sees the previous file, no file, or the finished one.
"""

from harness.fs import (
    PARTIAL_SUFFIX,
    atomic_target,
    partial_path,
    remove_stale_partials,
    sha256_file,
    write_text_atomic,
)

__all__ = [
    "PARTIAL_SUFFIX",
    "atomic_target",
    "partial_path",
    "remove_stale_partials",
    "sha256_file",
    "write_text_atomic",
]
