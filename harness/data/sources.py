"""Open a dataset from the hub, a local file/folder, or the bundled offline sample, then normalise it."""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets

from harness.data.dedupe import drop_duplicate_ids
from harness.data.errors import DataSourceError, EmptyDatasetError
from harness.data.image_access import ImagePolicy
from harness.data.jsonl import scan_jsonl
from harness.data.normalize import normalize
from harness.defaults import HUB_DATASET, SAMPLE_SOURCE
from harness.paths import cache_dir

log = logging.getLogger(__name__)

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_BUILDERS = {".parquet": "parquet", ".jsonl": "json", ".json": "json", ".arrow": "arrow"}


def sample_path(*, n_rows: int | None = None, seed: int = 0) -> Path:
    """Path of the bundled sample, generating it once into the cache (byte-identical on every machine)."""
    from harness.data import sample as sample_mod

    n = n_rows if n_rows is not None else int(os.environ.get("MMRL_SAMPLE_ROWS", "320"))
    target = cache_dir() / "sample" / f"{sample_mod.SAMPLE_VERSION}-seed{seed}-n{n}" / "train.parquet"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        log.info("generating the offline Open-MM-RL sample (%d rows) into %s", n, target)
        sample_mod.generate_sample(target, n_rows=n, seed=seed)
    return target


def _load_hub(repo_id: str, split: str, revision: str | None) -> datasets.Dataset:
    try:
        return datasets.load_dataset(repo_id, split=split, revision=revision)
    except Exception as exc:  # datasets raises many types for "offline"/"not found"; all mean the same to users
        raise DataSourceError(
            f"could not load {repo_id!r} (split={split!r}, revision={revision!r}) from the Hugging Face Hub: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}. "
            "Check your network / HF_TOKEN, or use the offline sample (source 'sample') or a local file."
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _local_files(path: Path, split: str | None) -> tuple[str, list[str]]:
    if path.is_file():
        builder = _BUILDERS.get(path.suffix.lower())
        if builder is None:
            raise DataSourceError(f"unsupported file type {path.suffix!r} for {path}; use parquet, jsonl or arrow")
        return builder, [str(path)]
    for suffix, builder in _BUILDERS.items():
        files = sorted(str(p) for p in path.rglob(f"*{suffix}") if not p.name.startswith("."))
        if builder == "json":
            files = [f for f in files if not f.endswith(("dataset_info.json", "state.json", "manifest.json"))]
        if not files:
            continue
        if split:
            picked = [f for f in files if Path(f).name.startswith(split)]
            files = picked or files
        return builder, files
    raise DataSourceError(f"no parquet, jsonl or arrow files under {path}")


def _checked_jsonl(files: list[str]) -> tuple[list[str], list[dict[str, Any]]]:
    """JSON Lines files with their bad lines taken out (see `harness.data.jsonl`)."""
    out, rejected = [], []
    good = 0
    for name in files:
        if not name.lower().endswith(".jsonl"):
            out.append(name)
            continue
        try:
            scanned = scan_jsonl(name)
        except OSError as exc:
            raise DataSourceError(f"cannot read {name}: {exc.strerror or exc}") from exc
        out.append(str(scanned.path))
        rejected.extend(scanned.rejected)
        good += scanned.good_lines if name.lower().endswith(".jsonl") else 0
    if rejected and good == 0 and all(f.lower().endswith(".jsonl") for f in files):
        raise EmptyDatasetError(f"no readable rows: all {len(rejected)} line(s) rejected, e.g. {rejected[0]['detail']}")
    return out, rejected


def _load_local(path: Path, split: str | None) -> tuple[datasets.Dataset, list[dict[str, Any]]]:
    if path.is_dir() and (path / "dataset_info.json").exists() and (path / "state.json").exists():
        return datasets.load_from_disk(str(path)), []
    builder, files = _local_files(path, split)
    rejected: list[dict[str, Any]] = []
    if builder == "json":
        files, rejected = _checked_jsonl(files)
    try:
        return datasets.load_dataset(builder, data_files=files, split="train"), rejected
    except Exception as exc:
        if "corresponds to no data" in str(exc) or "no data" in str(exc).lower():
            lost = f" ({len(rejected)} unreadable line(s) rejected, e.g. {rejected[0]['detail']})" if rejected else ""
            raise EmptyDatasetError(f"{path} has no rows{lost}") from exc
        raise DataSourceError(f"could not read {path} as {builder}: {type(exc).__name__}: {_first_line(exc)}") from exc


@dataclass
class LoadedSource:
    """A source opened and normalised: the canonical rows (first row per id), the raw table, the folder image
    paths resolve against, and every row the loader rejected (bad JSONL lines, repeated ids) with its reason."""

    dataset: datasets.Dataset
    raw: datasets.Dataset
    base_dir: Path | None
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def log_rejections(self, source: str) -> None:
        if not self.rejected:
            return
        reasons = Counter(r["reason"] for r in self.rejected)
        log.warning("%s: %d row(s) rejected while loading (%s), e.g. %s", source, len(self.rejected),
                    ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items())), self.rejected[0]["detail"])


def _open(source: str, split: str, revision: str | None) -> tuple[datasets.Dataset, Path | None, list[dict[str, Any]]]:
    if source == SAMPLE_SOURCE:
        path = sample_path()
        return datasets.load_dataset("parquet", data_files=str(path), split="train"), path.parent, []
    path = Path(source).expanduser()
    if path.exists():
        raw, rejected = _load_local(path, split)
        return raw, (path if path.is_dir() else path.parent), rejected
    if _HUB_ID.match(source):
        return _load_hub(source, split, revision), None, []
    raise DataSourceError(
        f"source {source!r} is neither 'sample', an existing file/folder, nor a hub id like {HUB_DATASET!r}"
    )


def load_raw(
    source: str = SAMPLE_SOURCE, *, split: str = "train", revision: str | None = None
) -> tuple[datasets.Dataset, Path | None]:
    """The source table before normalisation, and the folder relative image paths resolve against."""
    raw, base_dir, _ = _open(source, split, revision)
    return raw, base_dir


def load_source(
    source: str = SAMPLE_SOURCE,
    *,
    split: str = "train",
    revision: str | None = None,
    column_map: Mapping[str, str] | None = None,
    images: ImagePolicy | None = None,
) -> LoadedSource:
    """Open, normalise and de-duplicate a source, keeping what was rejected on the way (see `LoadedSource`)."""
    raw, base_dir, rejected = _open(str(source), split, revision)
    if len(raw) == 0:
        raise EmptyDatasetError(f"source {source!r} (split {split!r}) has no rows")
    ds = normalize(raw, column_map=column_map, base_dir=base_dir, source_name=str(source), images=images)
    ds, duplicates = drop_duplicate_ids(ds)
    return LoadedSource(dataset=ds, raw=raw, base_dir=base_dir, rejected=rejected + duplicates)


def load_dataset(
    source: str = SAMPLE_SOURCE,
    *,
    split: str = "train",
    revision: str | None = None,
    column_map: Mapping[str, str] | None = None,
    images: ImagePolicy | None = None,
) -> datasets.Dataset:
    """Load any supported source as a canonical dataset (see `harness.data.schema`).

    `source`: "sample" (bundled, offline; the default), a hub id such as "TuringEnterprises/Open-MM-RL"
    (`revision` pins a commit/tag), or a local parquet/JSONL/Arrow file or folder (a `save_to_disk` folder too).
    Unreadable JSONL lines and rows repeating an earlier id are dropped and logged; `load_source` returns them.
    """
    loaded = load_source(source, split=split, revision=revision, column_map=column_map, images=images)
    loaded.log_rejections(str(source))
    return loaded.dataset
