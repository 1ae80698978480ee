"""File-system chores every layer shares: atomic writes with per-process temp names, output-folder checks,
exclusive folder locks, and one-line descriptions of OS faults.

It sits below every other harness module (it imports nothing of the project), so the data layer, the
exporters, the pipeline and the CLI all write files, check folders and word disk-full / read-only /
permission errors the same way.

Why per-process temp names: two processes writing the same target (two exports into one folder, two
pipelines on one output_dir) must never delete or rename each other's half-written file; with a shared
`<name>.partial` the slower one died with `FileNotFoundError`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

PARTIAL_SUFFIX = ".partial"
PROBE_PREFIX = ".mmrl-probe-"

# errno values that are the machine's fault, not the program's: the user gets one line naming the path.
OS_FAULTS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EFBIG: "file too large for this file system or ulimit",
}


class OutputError(OSError):
    """An output folder or file cannot be used (not creatable, not writable, not enough free space).

    An `OSError` so callers that already handle OS faults handle this one; its message is one line that
    names the path and what to do.
    """


class FolderBusyError(RuntimeError):
    """Another process holds the folder's lock (a second pipeline on the same output_dir)."""


def partial_path(target: Path) -> Path:
    """`<name>.<pid>-<random>.partial` next to `target`: unique per process and per call."""
    return target.with_name(f"{target.name}.{os.getpid()}-{secrets.token_hex(4)}{PARTIAL_SUFFIX}")


def with_path(exc: OSError, path: str | os.PathLike) -> OSError:
    """Give an `OSError` raised by a write (which carries no file name) the path it was writing."""
    if getattr(exc, "filename", None) is None:
        exc.filename = str(path)
    return exc


@contextlib.contextmanager
def atomic_target(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a unique temp path to write; on success fsync and rename it to `target`, on error delete it.

    A reader sees the previous file, no file, or the finished one, never a truncated one; a failed write
    (disk full, read-only) leaves nothing behind and re-raises with the target's path attached.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        with_path(exc, target.parent)
        raise
    tmp = partial_path(target)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        with_path(exc, target)
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(target: str | os.PathLike, text: str) -> Path:
    with atomic_target(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_bytes_atomic(target: str | os.PathLike, data: bytes) -> Path:
    with atomic_target(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def sha256_file(path: str | os.PathLike, *, chunk_size: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            h.update(chunk)
    return h.hexdigest()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(directory: Path) -> list[Path]:
    """Delete `.partial` leftovers of killed runs in `directory` (top level), never a live process's.

    A partial whose writer pid still runs on this machine belongs to a concurrent writer and is kept.
    """
    removed = []
    if not directory.is_dir():
        return removed
    for path in sorted(directory.glob("*" + PARTIAL_SUFFIX)):
        owner = _partial_owner(path)
        if owner is not None and owner != os.getpid() and _pid_alive(owner):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _partial_owner(path: Path) -> int | None:
    stem = path.name[: -len(PARTIAL_SUFFIX)]
    tag = stem.rsplit(".", 1)[-1]
    pid = tag.split("-", 1)[0]
    return int(pid) if pid.isdigit() else None


def ensure_writable_dir(path: str | os.PathLike, *, what: str = "output folder", need_bytes: int = 0) -> Path:
    """Create `path` if needed and prove it takes a file (create + delete a probe) before any work starts.

    `need_bytes`: free space the caller is about to use, where that is knowable; 0 skips the check.
    Raises `OutputError` with one line naming the folder and the fix.
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=PROBE_PREFIX, dir=folder)
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise OutputError(
            exc.errno, f"{what} {folder} is not writable ({describe_errno(exc)}): make it writable or choose "
            "another folder", str(folder)
        ) from exc
    if need_bytes > 0:
        free = shutil.disk_usage(folder).free
        if free < need_bytes:
            raise OutputError(
                errno.ENOSPC, f"{what} {folder} has {human_bytes(free)} free but this step writes about "
                f"{human_bytes(need_bytes)}: free some space or choose another folder", str(folder)
            )
    return folder


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # unreachable


def describe_errno(exc: OSError) -> str:
    return OS_FAULTS.get(exc.errno or 0) or (exc.strerror or type(exc).__name__).lower()


def os_fault(exc: BaseException) -> OSError | None:
    """The disk-full / read-only / permission `OSError` behind `exc` (itself or anywhere in its cause chain)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OutputError):
            return current
        if isinstance(current, OSError) and current.errno in OS_FAULTS:
            return current
        current = current.__cause__ or current.__context__
    return None


def describe_os_fault(exc: OSError) -> str:
    """One line: what went wrong, on which path, and what to do."""
    if isinstance(exc, OutputError):
        return exc.strerror or str(exc)
    where = exc.filename or "a file (path not reported by the library)"
    fix = {
        errno.ENOSPC: "free some space or write elsewhere",
        errno.EDQUOT: "free some space or write elsewhere",
        errno.EFBIG: "raise the file-size limit (ulimit -f) or write elsewhere",
        errno.EROFS: "choose a writable location",
    }.get(exc.errno or 0, "fix the permissions or choose another location")
    return f"{describe_errno(exc)}: {where}; {fix}"


@contextlib.contextmanager
def exclusive_folder(folder: str | os.PathLike, *, name: str, wait: bool, what: str) -> Iterator[None]:
    """Hold an exclusive lock on `folder` for the duration (released by the OS even on `kill -9`).

    The lock file lives in the harness cache (`locks/<name>-<hash of the folder's path>.lock`), not in the
    folder, so outputs stay exactly what the command writes.

    `wait=False`: a held lock raises `FolderBusyError` at once (a second pipeline on one output_dir must not
    interleave with the first); `wait=True`: block until the holder finishes (a second export into the same
    folder then resumes the first one's work and ends with identical files).
    """
    from filelock import FileLock, Timeout

    from harness.paths import cache_dir

    folder = ensure_writable_dir(folder, what=what)
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:20]
    locks = cache_dir() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(locks / f"{name}-{key}.lock"))
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout as exc:
        raise FolderBusyError(
            f"another process is using {folder} ({what}); wait for it to finish or choose another folder"
        ) from exc
    try:
        yield
    finally:
        lock.release()
