"""`load_grpo_dataset`: an exported split as a `datasets.Dataset` whose images are opened on access.

Rows hold only text and image paths (absolute, or relative to the export folder: either resolves, and an absolute
path into a moved export's content-addressed `images/` is found in its new place); a `with_transform` opens the
image files of exactly the rows being read, so memory holds one batch of decoded images, never the dataset's. The
time spent doing so is counted in an `IOStats` a trainer callback can read to tell whether training waits on data.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from harness.data.images import open_image, read_image_bytes
from harness.grpo_data.formats import FILE_SUFFIX, TRL, TRL_FEATURES
from harness.grpo_data.manifest import read_manifest, split_entry, verify_file
from harness.grpo_data.store import IMAGES_DIR


def resolve_image_path(path: str, root: Path) -> str:
    """Where an exported image path points, for an export now at `root` (an already resolved folder).

    Relative paths are relative to the export folder and returned as they are. An absolute path inside `root`
    is used as written. An absolute path elsewhere that names the content-addressed store
    (`.../images/<sha[:2]>/<sha>.<ext>`) is looked up under `root/images/` first, so an export moved or
    copied after writing absolute paths loads its own images. Anything else is returned unchanged, and the
    confinement check of `read_image_bytes` refuses it (`path_outside_root`) with the path in the message.
    """
    candidate = Path(path)
    if not candidate.is_absolute() or candidate.is_relative_to(root):
        return path
    parts = candidate.parts
    if len(parts) >= 3 and parts[-3] == IMAGES_DIR and len(parts[-2]) == 2 and parts[-1].startswith(parts[-2]):
        moved = root / IMAGES_DIR / parts[-2] / parts[-1]
        if moved.is_file():
            return moved.as_posix()
    return path


@dataclass(frozen=True)
class IOSnapshot:
    images: int
    rows: int
    bytes_read: int
    seconds: float

    @property
    def images_per_s(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else float("nan")

    def as_dict(self) -> dict[str, float]:
        return {
            "io/images": self.images,
            "io/rows": self.rows,
            "io/bytes_read": self.bytes_read,
            "io/decode_seconds": self.seconds,
            "io/images_per_s": self.images_per_s,
        }

    def __sub__(self, earlier: IOSnapshot) -> IOSnapshot:
        """Activity between two snapshots (e.g. one training step)."""
        return IOSnapshot(
            self.images - earlier.images,
            self.rows - earlier.rows,
            self.bytes_read - earlier.bytes_read,
            self.seconds - earlier.seconds,
        )


class IOStats:
    """Thread-safe counters of image reads: images opened, bytes read, seconds spent reading + decoding.

    DataLoader worker processes get a pickled copy, so with `dataloader_num_workers > 0` the parent's
    counters stay at zero; measure with workers off (the default) or aggregate per worker yourself.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._images = self._rows = self._bytes = 0
        self._seconds = 0.0

    def add(self, *, images: int, rows: int, bytes_read: int, seconds: float) -> None:
        with self._lock:
            self._images += images
            self._rows += rows
            self._bytes += bytes_read
            self._seconds += seconds

    def snapshot(self) -> IOSnapshot:
        with self._lock:
            return IOSnapshot(self._images, self._rows, self._bytes, self._seconds)

    def reset(self) -> None:
        with self._lock:
            self._images = self._rows = self._bytes = 0
            self._seconds = 0.0

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


_GLOBAL_STATS = IOStats()


def get_io_stats() -> IOStats:
    """The counters every `load_grpo_dataset` updates unless given its own `io_stats`."""
    return _GLOBAL_STATS


class OpenImages:
    """The transform: replace path lists with loaded PIL images, and tidy prompt blocks.

    Loading JSON through Arrow gives every content block every key, so image blocks come back as
    `{"type": "image", "text": None}`; the None keys are dropped so prompts equal what was exported.
    A picklable class (not a closure) so DataLoader workers can use it.
    """

    def __init__(self, root: Path, stats: IOStats, mode: str | None = "RGB"):
        self.root, self.stats, self.mode = root, stats, mode
        self._resolved_root = Path(root).resolve()

    def __call__(self, batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        out = dict(batch)
        if "images" in batch:
            started = time.perf_counter()
            n_images = n_bytes = 0
            decoded = []
            for paths in batch["images"]:
                row = []
                for path in paths or []:
                    data = read_image_bytes(resolve_image_path(path, self._resolved_root), root=self.root)
                    n_bytes += len(data)
                    row.append(open_image({"bytes": data, "path": path}, mode=self.mode))
                n_images += len(row)
                decoded.append(row)
            out["images"] = decoded
            self.stats.add(
                images=n_images, rows=len(decoded), bytes_read=n_bytes, seconds=time.perf_counter() - started
            )
        if "prompt" in batch:
            out["prompt"] = [_tidy_messages(messages) for messages in batch["prompt"]]
        return out


def _tidy_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tidy = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = [{k: v for k, v in block.items() if v is not None} for block in content]
        tidy.append({**message, "content": content})
    return tidy


def load_grpo_dataset(
    directory: str | os.PathLike,
    split: str = "train",
    *,
    verify: bool = True,
    io_stats: IOStats | None = None,
    image_mode: str | None = "RGB",
    cache_dir: str | os.PathLike | None = None,
) -> datasets.Dataset:
    """A TRL export's `split` as a Dataset for `GRPOTrainer(train_dataset=...)`.

    Columns: id, prompt (conversational, one image block per image), images (list of PIL images, opened
    from disk on access), answer, domain, sub_domain, answer_type, format. `verify` checks the split file
    against the manifest's sha256 first (refuses interrupted or modified exports).
    """
    root = Path(directory)
    manifest = read_manifest(root)
    if manifest.get("format") != TRL:
        raise ValueError(
            f"{root} holds a {manifest.get('format')!r} export; load_grpo_dataset reads 'trl' exports "
            "(verl parquet is read by verl/EasyR1 themselves)"
        )
    entry = split_entry(manifest, split, root)
    if verify:
        verify_file(root, entry["file"], entry["sha256"])
    path = root / entry["file"]
    if not path.name.endswith(FILE_SUFFIX[TRL]):
        raise ValueError(f"unexpected split file {path} for a trl export")
    ds = datasets.load_dataset(
        "json",
        data_files=str(path),
        split="train",
        features=TRL_FEATURES,
        cache_dir=str(cache_dir) if cache_dir is not None else None,
    )
    if len(ds) != entry["rows"]:
        raise ValueError(f"{path} has {len(ds)} rows, the manifest recorded {entry['rows']}")
    return ds.with_transform(OpenImages(root, io_stats or _GLOBAL_STATS, image_mode))
