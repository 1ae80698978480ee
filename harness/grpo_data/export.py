"""`export_grpo`: a dataset → GRPO-ready files (TRL JSONL or verl parquet) + image store + manifest.

Guarantees, and how they are kept:
- deterministic: rows keep the split's order, keys a fixed order, nothing time-dependent is written;
- streaming: rows flow batch by batch from the source through the image store into the writer;
- atomic: each data file is written as `<name>.partial` and renamed when complete; `manifest.json` is
  deleted when a run starts and written last, so "manifest present and checksums match" means complete;
- resumable: a rerun reuses every image already in the store (no decode, no write) and rewrites the
  (cheap, text-only) data files from scratch, giving the same bytes as an uninterrupted run.

Image paths in TRL JSONL are absolute by default, so stock `datasets.load_dataset("json", ...)` plus stock
`GRPOTrainer` (whose processor opens path strings with transformers' `load_image`, relative to the working
directory) train from any directory. `relative_paths=True` writes them relative to the export folder, for an
export that will be moved; `load_grpo_dataset` resolves either. Absolute paths make the JSONL depend on where
the export lives; exports into the same folder stay byte-identical, and relative ones are identical anywhere.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets

from harness.data import (
    CANONICAL_COLUMNS,
    DEFAULT_EVAL_FRACTION,
    DEFAULT_SPLIT_SEED,
    ImagePolicy,
    PromptSpec,
    drop_duplicate_ids,
    fingerprint,
    load_source,
    prompt_spec,
    split_dataset,
)
from harness.data.errors import CorruptImageError
from harness.fs import (
    atomic_target,
    ensure_writable_dir,
    exclusive_folder,
    remove_stale_partials,
    write_text_atomic,
)
from harness.grpo_data.formats import (
    FILE_SUFFIX,
    FORMAT_VERSION,
    FORMATS,
    TRL,
    json_line,
    open_writer,
    trl_record,
    verl_record,
)
from harness.grpo_data.manifest import MANIFEST_FILE, REJECTED_FILE, file_sha256, write_manifest
from harness.grpo_data.store import IMAGES_DIR, ImageStore
from harness.grpo_data.validate import CORRUPT_IMAGE, Rejection, check_record, check_source_row

log = logging.getLogger(__name__)

SPLITS = ("train", "eval")
AnswerClassifier = Callable[[str], str]


@dataclass
class ExportResult:
    """Where the files went and what it cost; `summary()` is what the CLI prints and training logs."""

    out_dir: Path
    fmt: str
    files: dict[str, Path]
    rows: dict[str, int]
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rows_in: int = 0
    images_written: int = 0
    images_reused: int = 0
    bytes_written: int = 0
    seconds: float = 0.0
    split_entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def manifest_path(self) -> Path:
        return self.out_dir / MANIFEST_FILE

    @property
    def examples_per_s(self) -> float:
        return self.rows_in / self.seconds if self.seconds > 0 else float("nan")

    def summary(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "format": self.fmt,
            "files": {k: str(v) for k, v in self.files.items()},
            "rows": dict(self.rows),
            "rows_in": self.rows_in,
            "rejected": len(self.rejected),
            "images_written": self.images_written,
            "images_reused": self.images_reused,
            "bytes_written": self.bytes_written,
            "seconds": round(self.seconds, 3),
            "examples_per_s": round(self.examples_per_s, 2),
        }


def _normalize_splits(splits: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(splits, str):
        splits = SPLITS if splits == "all" else (splits,)
    chosen = tuple(dict.fromkeys(splits))
    unknown = [s for s in chosen if s not in SPLITS]
    if unknown or not chosen:
        raise ValueError(f"unknown split(s) {unknown or list(chosen)}; choose from {SPLITS} or 'all'")
    return tuple(s for s in SPLITS if s in chosen)  # fixed order: train before eval


def _default_classifier() -> AnswerClassifier:
    """`rewards.classify_answer`: the one answer-type label EDA, export and reward policy share."""
    from rewards import classify_answer

    return classify_answer


def _as_canonical(
    source_or_dataset: str | os.PathLike | datasets.Dataset,
    revision: str | None,
    source_name: str | None,
    images: ImagePolicy,
) -> tuple[datasets.Dataset, str, list[dict[str, Any]]]:
    """(canonical rows, source name, rows rejected while loading: bad JSONL lines, repeated ids)."""
    if isinstance(source_or_dataset, datasets.Dataset):
        ds = source_or_dataset
        name = source_name or "in-memory dataset"
        if not set(CANONICAL_COLUMNS) <= set(ds.column_names):
            from harness.data.normalize import normalize

            ds = normalize(ds, source_name=name, base_dir=images.root, images=images)
        ds, rejected = drop_duplicate_ids(ds)
        return ds, name, rejected
    source = str(source_or_dataset)
    loaded = load_source(source, revision=revision, images=images)
    return loaded.dataset, source_name or source, loaded.rejected


def _source_rejection(item: dict[str, Any]) -> dict[str, Any]:
    """A loader rejection in `rejected.jsonl`'s shape (`split` null: the row never reached a split)."""
    record = {"id": item.get("id"), "split": None, "index": item.get("row"), "reason": item["reason"],
              "detail": item["detail"]}
    for key in ("file", "line"):
        if key in item:
            record[key] = item[key]
    return record


def _estimated_bytes(ds: datasets.Dataset, out: Path) -> int:
    """Bytes the export is about to write: the source table's size (inline images dominate it) minus the
    images a previous run already stored (a resumed export only writes what is missing)."""
    try:
        total = int(ds.data.nbytes)
    except Exception:  # noqa: BLE001 - an estimate only; not knowable for some backends
        return 0
    images = out / IMAGES_DIR
    stored = sum(p.stat().st_size for p in images.rglob("*") if p.is_file()) if images.is_dir() else 0
    return max(0, total - stored)


def _rows(ds: datasets.Dataset, batch_size: int) -> Iterator[dict[str, Any]]:
    for batch in ds.iter(batch_size=batch_size):
        names = list(batch)
        for offset in range(len(batch[names[0]])):
            yield {name: batch[name][offset] for name in names}


class _SplitExporter:
    """Turns source rows of one split into validated records or rejections."""

    def __init__(
        self,
        *,
        fmt: str,
        out_dir: Path,
        store: ImageStore,
        spec: PromptSpec,
        classify: AnswerClassifier,
        data_source: str,
        relative_paths: bool = False,
    ):
        self.fmt, self.out_dir, self.store, self.spec = fmt, out_dir, store, spec
        self.classify, self.data_source = classify, data_source
        self.relative_paths = relative_paths
        self._absolute_root = out_dir.resolve()

    def record(self, row: dict[str, Any], split: str, index: int) -> tuple[dict[str, Any] | None, Rejection | None]:
        problem = check_source_row(row)
        if problem is not None:
            return None, problem
        stored = []
        for image_index, image in enumerate(row["images"]):
            try:
                stored.append(self.store.put(image))
            except CorruptImageError as exc:  # ImageAccessError carries its own reason (path_outside_root, ...)
                reason, detail = getattr(exc, "reason", CORRUPT_IMAGE), getattr(exc, "detail", str(exc))
                return None, Rejection(reason, f"image {image_index}: {detail}")
        paths = [s.path for s in stored]
        answer_type = self.classify(row["answer"])
        if self.fmt == TRL:
            if not self.relative_paths:  # what stock TRL opens from any working directory
                paths = [(self._absolute_root / p).as_posix() for p in paths]
            record = trl_record(row, paths, answer_type, self.spec)
        else:
            record = verl_record(
                row, paths, [s.data for s in stored], answer_type, self.spec,
                data_source=self.data_source, split=split, index=index,
            )
        problem = check_record(self.fmt, record, self.out_dir)
        return (None, problem) if problem is not None else (record, None)


def export_grpo(
    source_or_dataset: str | os.PathLike | datasets.Dataset,
    out_dir: str | os.PathLike,
    *,
    fmt: str = TRL,
    splits: str | Iterable[str] = SPLITS,
    eval_fraction: float = DEFAULT_EVAL_FRACTION,
    seed: int = DEFAULT_SPLIT_SEED,
    prompt: PromptSpec | str | dict[str, Any] | None = None,
    revision: str | None = None,
    source_name: str | None = None,
    image_root: str | os.PathLike | None = None,
    allow_absolute_image_paths: bool = False,
    relative_paths: bool = False,
    batch_size: int = 64,
    answer_classifier: AnswerClassifier | None = None,
    on_row: Callable[[int], None] | None = None,
) -> ExportResult:
    """Export `source_or_dataset` (a source string for `harness.data.load_dataset`, or a dataset) to `out_dir`.

    Writes `<split>.jsonl` (fmt "trl") or `<split>.parquet` (fmt "verl") for each of `splits` (of
    `split_dataset(ds, eval_fraction, seed)`; "all" = train and eval), `images/`, `rejected.jsonl` and,
    last, `manifest.json`. `prompt` is the run's prompt (`harness.data.prompt_spec`: a name, a mapping or a
    `PromptSpec`; default `boxed`), the same one evaluation asks; `answer_classifier` defaults to
    `rewards.classify_answer`. Rerunning after an interruption resumes (see the module docstring).

    Relative image paths resolve inside `image_root` (default: the source's folder); absolute paths outside it need
    `allow_absolute_image_paths`. The TRL JSONL names its images by absolute path (stock TRL then trains from any
    working directory) unless `relative_paths`, which names them relative to `out_dir` (an export that can be
    moved); verl rows carry the image bytes, and their `path` stays relative. Rows rejected on the way (unreadable
    JSONL lines, repeated ids, refused or undecodable images, empty answers...) go to `rejected.jsonl` with a
    reason; the rest export. Two exports into one folder take turns (a folder lock); the second resumes the first's
    work.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {FORMATS}")
    chosen = _normalize_splits(splits)
    spec = prompt_spec(prompt)
    classify = answer_classifier or _default_classifier()
    started = time.perf_counter()

    policy = ImagePolicy(root=str(image_root) if image_root is not None else None,
                         allow_absolute=allow_absolute_image_paths)
    out = ensure_writable_dir(out_dir, what="export folder")
    ds, name, source_rejected = _as_canonical(source_or_dataset, revision, source_name, policy)
    split = split_dataset(ds, eval_fraction=eval_fraction, seed=seed)
    with exclusive_folder(out, name="export", wait=True, what="export folder"):
        ensure_writable_dir(out, what="export folder", need_bytes=_estimated_bytes(ds, out))
        result = _write_export(
            out, fmt=fmt, chosen=chosen, split=split, spec=spec, classify=classify, name=name,
            batch_size=batch_size, on_row=on_row, source_rejected=source_rejected, relative_paths=relative_paths,
        )
        result.rows_in += len(source_rejected)
        manifest = _manifest(fmt, name, revision, ds, spec, split, result.split_entries, result.rejected, out)
        manifest["image_paths"] = "relative" if relative_paths or fmt != TRL else "absolute"
        write_manifest(out, manifest)
    result.seconds = time.perf_counter() - started
    log.debug("exported %s", result.summary())  # the caller prints or records it: once
    return result


def _write_export(
    out: Path,
    *,
    fmt: str,
    chosen: tuple[str, ...],
    split: Any,
    spec: PromptSpec,
    classify: AnswerClassifier,
    name: str,
    batch_size: int,
    on_row: Callable[[int], None] | None,
    source_rejected: list[dict[str, Any]],
    relative_paths: bool = False,
) -> ExportResult:
    """The data files, images and `rejected.jsonl` of one export (the caller holds the folder lock)."""
    (out / MANIFEST_FILE).unlink(missing_ok=True)  # from here until the end the export reads as incomplete
    remove_stale_partials(out)
    store = ImageStore(out)
    exporter = _SplitExporter(fmt=fmt, out_dir=out, store=store, spec=spec, classify=classify, data_source=name,
                              relative_paths=relative_paths)

    result = ExportResult(out_dir=out, fmt=fmt, files={}, rows={})
    result.rejected.extend(_source_rejection(item) for item in source_rejected)
    split_entries: dict[str, dict[str, Any]] = {}
    for split_name in chosen:
        part = split.train if split_name == "train" else split.eval
        file_name = split_name + FILE_SUFFIX[fmt]
        domains: Counter[str] = Counter()
        n_rows = n_images = n_rejected = 0
        with atomic_target(out / file_name) as tmp:
            writer = open_writer(fmt, tmp)
            try:
                for index, row in enumerate(_rows(part, batch_size)):
                    result.rows_in += 1
                    record, problem = exporter.record(row, split_name, index)
                    if problem is not None:
                        log.warning("rejected %s row %d (id=%s): %s: %s", split_name, index, row.get("id"),
                                    problem.reason, problem.detail)
                        result.rejected.append(problem.record(row_id=row.get("id"), split=split_name, index=index))
                        n_rejected += 1
                    else:
                        writer.write(record)
                        n_rows += 1
                        n_images += len(record["images"])
                        domains[row["domain"]] += 1
                    if on_row is not None:
                        on_row(1)
            finally:
                writer.close()
        result.files[split_name] = out / file_name
        result.rows[split_name] = n_rows
        split_entries[split_name] = {
            "file": file_name,
            "sha256": file_sha256(out, file_name),
            "rows": n_rows,
            "images": n_images,
            "rejected": n_rejected,
            "domains": dict(sorted(domains.items())),
        }

    write_text_atomic(out / REJECTED_FILE, "".join(json_line(r) for r in result.rejected))
    result.images_written, result.images_reused = store.written, store.reused
    result.bytes_written = store.bytes_written
    result.split_entries = split_entries
    return result


def _manifest(
    fmt: str,
    source: str,
    revision: str | None,
    ds: datasets.Dataset,
    spec: PromptSpec,
    split: Any,
    split_entries: dict[str, dict[str, Any]],
    rejected: list[dict[str, Any]],
    out: Path,
) -> dict[str, Any]:
    domains: Counter[str] = Counter()
    for entry in split_entries.values():
        domains.update(entry["domains"])
    return {
        "format": fmt,
        "format_version": FORMAT_VERSION,
        "source": source,
        "revision": revision,
        "fingerprint": fingerprint(ds),
        "source_rows": len(ds),
        "prompt": spec.to_dict(),
        "images_dir": IMAGES_DIR,
        "split": split.manifest(),
        "splits": split_entries,
        "rejected": {
            "file": REJECTED_FILE,
            "sha256": file_sha256(out, REJECTED_FILE),
            "count": len(rejected),
            "reasons": dict(sorted(Counter(r["reason"] for r in rejected).items())),
        },
        "counts": {
            "rows": sum(e["rows"] for e in split_entries.values()),
            "rejected": len(rejected),
            "domains": dict(sorted(domains.items())),
        },
    }
