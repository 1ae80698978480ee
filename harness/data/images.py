"""Image access and the content-addressed image store.

Training loaders want images as files on disk (cheap to open lazily, shareable between workers) instead of
bytes inside parquet that every access re-decodes; the store writes each distinct image once, named by its
sha256, so reruns and duplicates cost nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image as PILImage

from harness.data.errors import CorruptImageError
from harness.data.image_access import check_inline_size, read_image_file
from harness.fs import write_bytes_atomic

# Formats PIL names -> file extensions used in the store.
_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp", "BMP": "bmp", "TIFF": "tiff"}


def read_image_bytes(image: Any, *, root: str | os.PathLike | None = None) -> bytes:
    """Raw encoded bytes of an image given as a dict {bytes, path}, a path string, or a PIL image.

    Files are read through `read_image_file`: only regular files, at most the byte cap, and with `root`
    given, only inside it; a refused path raises `ImageAccessError` with its reason (see `image_access`).
    """
    if isinstance(image, PILImage.Image):
        buf = io.BytesIO()
        image.save(buf, format=image.format or "PNG")
        return buf.getvalue()
    if isinstance(image, Mapping):
        data = image.get("bytes")
        if data:
            return check_inline_size(bytes(data))
        path = image.get("path")
        if not path:
            raise CorruptImageError("image has neither bytes nor a path")
        image = path
    if isinstance(image, (str, os.PathLike)):
        return read_image_file(image, root=root)
    raise CorruptImageError(f"unsupported image value of type {type(image).__name__}")


def image_bytes_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def probe_image(data: bytes) -> tuple[str, tuple[int, int], str]:
    """(format, (width, height), mode) of encoded bytes; decodes fully so truncated files are caught here."""
    try:
        with PILImage.open(io.BytesIO(data)) as img:
            fmt, size, mode = img.format or "UNKNOWN", img.size, img.mode
            img.load()
    except Exception as exc:  # PIL raises many types (AttributeError, SyntaxError, OSError...) on garbage
        raise CorruptImageError(f"undecodable image ({len(data)} bytes): {exc}") from exc
    return fmt, size, mode


def image_format(data: bytes) -> str:
    return probe_image(data)[0]


def open_image(image: Any, *, root: str | os.PathLike | None = None, mode: str | None = "RGB") -> PILImage.Image:
    """Decode one image (dict, path or PIL) to a loaded PIL image, converted to `mode` unless None."""
    if isinstance(image, PILImage.Image):
        img = image
    else:
        data = read_image_bytes(image, root=root)
        try:
            img = PILImage.open(io.BytesIO(data))
            img.load()
        except Exception as exc:  # PIL raises many types (AttributeError, SyntaxError, OSError...) on garbage
            raise CorruptImageError(f"undecodable image ({len(data)} bytes): {exc}") from exc
    if mode is not None and img.mode != mode:
        img = img.convert(mode)
    return img


def store_path(sha256: str, fmt: str) -> Path:
    """Relative location of an image in the store: `<sha[:2]>/<sha>.<ext>`."""
    ext = _EXTENSIONS.get(fmt.upper(), fmt.lower() or "bin")
    return Path(sha256[:2]) / f"{sha256}.{ext}"


def write_once(root: Path, relative: Path, data: bytes) -> bool:
    """Atomically write `data` unless the file exists; True when written.

    Written through `harness.fs.atomic_target` (unique temp name, fsync, rename): a killed run never leaves a
    half-written image under its final name, so "exists" is a safe resume check.
    """
    target = root / relative
    if target.exists():
        return False
    write_bytes_atomic(target, data)
    return True
