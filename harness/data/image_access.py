"""Where a dataset's image paths may point, and how much of a file the harness will read.

A row is untrusted input: its `path` may say `../../../home/x.png`, `/etc/passwd` or `/dev/zero`. Relative
paths therefore resolve inside one image root (the dataset's folder, or `--image-root`) and must stay there
after symlinks are followed; absolute paths are refused unless the user opts in; only regular files are
opened, and never more than a byte cap.

The confinement verdict is made once, when a source is normalised (only there is the dataset's folder
known). A refused path is replaced by a marker, `mmrl-refused:<reason>:<original path>`, that every reader
rejects with that reason: no consumer (export, EDA, materialisation, the lm-eval task) can read the file by
forgetting a check, and the row is rejected with a reason instead of silently losing an image.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from harness.data.errors import DataSourceError, ImageAccessError

PATH_OUTSIDE_ROOT = "path_outside_root"
NOT_A_FILE = "not_a_file"
IMAGE_TOO_LARGE = "image_too_large"
MISSING_IMAGE = "missing_image"
UNREADABLE_IMAGE = "unreadable_image"

REFUSED_PREFIX = "mmrl-refused:"
MAX_BYTES_ENV = "MMRL_MAX_IMAGE_BYTES"
# Real Open-MM-RL images are well under 5 MB; 64 MiB leaves room for scans and lossless panels.
DEFAULT_MAX_IMAGE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ImagePolicy:
    """How image paths of a source are resolved: `root` (None: the dataset's own folder) and the opt-in
    for absolute paths outside it (`--allow-absolute-image-paths`)."""

    root: str | None = None
    allow_absolute: bool = False


def max_image_bytes() -> int:
    """The byte cap for one image: `MMRL_MAX_IMAGE_BYTES` (set by `--max-image-bytes`) or the default."""
    raw = os.environ.get(MAX_BYTES_ENV)
    if not raw:
        return DEFAULT_MAX_IMAGE_BYTES
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise DataSourceError(f"{MAX_BYTES_ENV}={raw!r} must be a positive number of bytes")
    return value


def set_max_image_bytes(value: int | None) -> None:
    """Apply `--max-image-bytes` to this process and its workers (DataLoader workers inherit the environment)."""
    if value is None:
        return
    if value <= 0:
        raise DataSourceError(f"--max-image-bytes must be positive, got {value}")
    os.environ[MAX_BYTES_ENV] = str(value)


def refused_marker(reason: str, original: str) -> str:
    return f"{REFUSED_PREFIX}{reason}:{original}"


def parse_refused(path: str) -> tuple[str, str] | None:
    """(reason, original path) of a refusal marker, None for an ordinary path."""
    if not path.startswith(REFUSED_PREFIX):
        return None
    reason, _, original = path[len(REFUSED_PREFIX):].partition(":")
    return reason, original


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def confine_path(path: str, root: str | os.PathLike, *, allow_absolute: bool = False) -> str:
    """The resolved absolute path of an image `path` from a row, or a refusal marker.

    Relative paths join `root`; the result, with symlinks followed, must lie inside `root` (also resolved).
    An absolute path inside the root is fine; outside it, only with `allow_absolute`.
    """
    if parse_refused(path) is not None:
        return path
    base = Path(root).resolve()
    given = Path(path)
    resolved = (given if given.is_absolute() else base / given).resolve()
    if _inside(resolved, base) or (given.is_absolute() and allow_absolute):
        return str(resolved)
    return refused_marker(PATH_OUTSIDE_ROOT, path)


def _refusal_error(path: str) -> ImageAccessError | None:
    parsed = parse_refused(path)
    if parsed is None:
        return None
    reason, original = parsed
    if reason == PATH_OUTSIDE_ROOT:
        detail = (f"{original!r} points outside the image root; relative paths must stay inside the dataset's "
                  "folder (or --image-root), absolute paths need --allow-absolute-image-paths")
    else:
        detail = f"{original!r} was refused"
    return ImageAccessError(reason, detail)


def read_image_file(path: str | os.PathLike, *, root: str | os.PathLike | None = None,
                    max_bytes: int | None = None) -> bytes:
    """Bytes of one image file: refusal markers, escapes from `root`, non-regular files and files over the
    cap raise `ImageAccessError` with a reason; at most `max_bytes + 1` bytes are ever read."""
    text = os.fspath(path)
    refused = _refusal_error(text)
    if refused is not None:
        raise refused
    target = Path(text)
    if root is not None:
        base = Path(root).resolve()
        target = (target if target.is_absolute() else base / target).resolve()
        if not _inside(target, base):
            raise ImageAccessError(PATH_OUTSIDE_ROOT, f"{text!r} points outside {base}")
    limit = max_image_bytes() if max_bytes is None else max_bytes
    try:
        info = os.stat(target)  # before opening: opening some devices has side effects
    except FileNotFoundError as exc:
        raise ImageAccessError(MISSING_IMAGE, f"{target} does not exist") from exc
    except OSError as exc:
        raise ImageAccessError(UNREADABLE_IMAGE, f"{target}: {exc.strerror or exc}") from exc
    _check_regular(info, target, limit)
    try:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ImageAccessError(UNREADABLE_IMAGE, f"{target}: {exc.strerror or exc}") from exc
    try:
        _check_regular(os.fstat(fd), target, limit)  # the file may have been swapped since the stat
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise ImageAccessError(UNREADABLE_IMAGE, f"{target}: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ImageAccessError(IMAGE_TOO_LARGE, f"{target} is larger than the {limit}-byte cap ({MAX_BYTES_ENV})")
    return data


def _check_regular(info: os.stat_result, target: Path, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ImageAccessError(NOT_A_FILE, f"{target} is not a regular file")
    if info.st_size > limit:
        raise ImageAccessError(
            IMAGE_TOO_LARGE, f"{target} has {info.st_size} bytes, over the {limit}-byte cap ({MAX_BYTES_ENV})"
        )


def check_inline_size(data: bytes, limit: int | None = None) -> bytes:
    """Inline image bytes obey the same cap as files, so a source cannot smuggle a huge blob past it."""
    cap = max_image_bytes() if limit is None else limit
    if len(data) > cap:
        raise ImageAccessError(IMAGE_TOO_LARGE, f"inline image of {len(data)} bytes is over the {cap}-byte cap")
    return data
