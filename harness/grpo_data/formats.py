"""The two on-disk formats: TRL JSONL (images by path) and verl/EasyR1 parquet.

Both writers stream: one record (JSONL) or one batch (a parquet row group) at a time, so memory does not
grow with the dataset. Output bytes depend only on the records, never on time or machine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features, Image, List, Value

from harness.data.prompt import PromptSpec

TRL = "trl"
VERL = "verl"
FORMATS = (TRL, VERL)
FILE_SUFFIX = {TRL: ".jsonl", VERL: ".parquet"}
FORMAT_VERSION = 1

# Key order of a TRL line (fixed: it is part of the byte-identical output).
TRL_COLUMNS = ("id", "prompt", "images", "answer", "domain", "sub_domain", "answer_type", "format")

TRL_FEATURES = Features(
    {
        "id": Value("string"),
        "prompt": List(
            {"role": Value("string"), "content": List({"type": Value("string"), "text": Value("string")})}
        ),
        "images": List(Value("string")),
        "answer": Value("string"),
        "domain": Value("string"),
        "sub_domain": Value("string"),
        "answer_type": Value("string"),
        "format": Value("string"),
    }
)

# The geo3k recipe of verl (examples/data_preprocess/geo3k.py) writes these columns; `images` is the HF
# Image struct {bytes, path}, which verl's and EasyR1's `process_image` both open from `bytes`. `path` keeps
# the image's location in the export's content-addressed store.
VERL_FEATURES = Features(
    {
        "data_source": Value("string"),
        "prompt": List({"role": Value("string"), "content": Value("string")}),
        "images": List(Image()),
        "ability": Value("string"),
        "reward_model": {"style": Value("string"), "ground_truth": Value("string")},
        "extra_info": {
            "split": Value("string"),
            "index": Value("int64"),
            "id": Value("string"),
            "answer_type": Value("string"),
            "domain": Value("string"),
            "sub_domain": Value("string"),
            "format": Value("string"),
            "question": Value("string"),
            "answer": Value("string"),
        },
    }
)


def trl_record(row: dict[str, Any], image_paths: list[str], answer_type: str, spec: PromptSpec) -> dict[str, Any]:
    return {
        "id": row["id"],
        "prompt": spec.conversation(row["question"], len(image_paths)),
        "images": image_paths,
        "answer": row["answer"],
        "domain": row["domain"],
        "sub_domain": row["sub_domain"],
        "answer_type": answer_type,
        "format": row.get("format") or "",
    }


def verl_record(
    row: dict[str, Any],
    image_paths: list[str],
    image_bytes: list[bytes],
    answer_type: str,
    spec: PromptSpec,
    *,
    data_source: str,
    split: str,
    index: int,
) -> dict[str, Any]:
    return {
        "data_source": data_source,
        "prompt": spec.verl_messages(row["question"], len(image_paths)),
        "images": [{"bytes": data, "path": path} for data, path in zip(image_bytes, image_paths)],
        "ability": row["domain"],
        "reward_model": {"style": "rule", "ground_truth": row["answer"]},
        "extra_info": {
            "split": split,
            "index": index,
            "id": row["id"],
            "answer_type": answer_type,
            "domain": row["domain"],
            "sub_domain": row["sub_domain"],
            "format": row.get("format") or "",
            "question": row["question"],
            "answer": row["answer"],
        },
    }


def json_line(record: dict[str, Any]) -> str:
    """One compact JSON line; non-ASCII kept as UTF-8 so LaTeX and names stay readable."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


class RecordWriter(Protocol):
    def write(self, record: dict[str, Any]) -> None: ...
    def close(self) -> None: ...


class JsonlWriter:
    def __init__(self, path: Path):
        self._fh: IO[str] = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 (closed by close())

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(json_line(record))

    def close(self) -> None:
        self._fh.close()


class ParquetWriter:
    """Buffers up to `row_group_size` records, then writes them as one row group."""

    def __init__(self, path: Path, *, row_group_size: int = 64):
        self.schema = VERL_FEATURES.arrow_schema
        self._writer = pq.ParquetWriter(str(path), self.schema)
        self._buffer: list[dict[str, Any]] = []
        self._row_group_size = row_group_size

    def write(self, record: dict[str, Any]) -> None:
        self._buffer.append(record)
        if len(self._buffer) >= self._row_group_size:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._writer.write_table(pa.Table.from_pylist(self._buffer, schema=self.schema))
            self._buffer = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


def open_writer(fmt: str, path: Path) -> RecordWriter:
    if fmt == TRL:
        return JsonlWriter(path)
    if fmt == VERL:
        return ParquetWriter(path)
    raise ValueError(f"unknown export format {fmt!r}; choose one of {FORMATS}")
