"""The export's image folder: the data layer's content-addressed store, written one image at a time.

We do not call `harness.data.materialize_images` because it collects all path-mapped rows into one
in-memory dataset before returning; exporting row by row with the same store helpers keeps memory flat in
dataset size and lets the JSONL writer consume each row as soon as its images are on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.data.images import (
    image_bytes_sha256,
    probe_image,
    read_image_bytes,
    store_path,
    write_once,
)

IMAGES_DIR = "images"


@dataclass
class StoredImage:
    path: str  # relative to the export directory, e.g. "images/ab/ab12....png"
    data: bytes


class ImageStore:
    """`<export>/images/<sha[:2]>/<sha>.<ext>`; an image already there is reused without decoding it again."""

    def __init__(self, export_dir: Path):
        self.export_dir = export_dir
        self.root = export_dir / IMAGES_DIR
        self.written = 0
        self.reused = 0
        self.bytes_written = 0

    def put(self, image: Any) -> StoredImage:
        """Store one image (dict {bytes, path}, path or PIL); raises CorruptImageError if it cannot decode.

        Paths were confined when the source was normalised; reading still refuses non-regular files, files
        over the byte cap and refusal markers (`ImageAccessError`, whose `reason` the rejection keeps).
        """
        data = read_image_bytes(image)
        sha = image_bytes_sha256(data)
        relative = self._existing(sha)
        if relative is None:
            fmt, _, _ = probe_image(data)  # full decode: a truncated file is rejected here, not in training
            relative = store_path(sha, fmt)
        if write_once(self.root, relative, data):
            self.written += 1
            self.bytes_written += len(data)
        else:
            self.reused += 1
        return StoredImage(path=f"{IMAGES_DIR}/{relative.as_posix()}", data=data)

    def _existing(self, sha: str) -> Path | None:
        shard = self.root / sha[:2]
        if not shard.is_dir():
            return None
        for candidate in sorted(shard.glob(f"{sha}.*")):
            if not candidate.name.startswith(".tmp-"):
                return candidate.relative_to(self.root)
        return None
