"""Images/second delivered to a GRPO trainer: lazy path-mapped loader vs decoding in-memory parquet bytes.

Both loaders run in the same session on the same rows (group "grpo-io-images"), so pytest-benchmark's table
compares them directly; `extra_info` carries images/s and the bytes each keeps resident. Export throughput
(examples/s) is measured too. Scale with MMRL_BENCH_ROWS (default 24, quick under --benchmark-disable).
"""

from __future__ import annotations

import io
import itertools
import os
from pathlib import Path

import datasets
import numpy as np
import pyarrow.parquet as pq
import pytest
from datasets import Features, List, Value
from datasets import Image as HFImage
from PIL import Image, ImageDraw

from harness.data.normalize import normalize
from harness.grpo_data import IOStats, export_grpo, load_grpo_dataset

N_ROWS = int(os.environ.get("MMRL_BENCH_ROWS", "24"))
ROUNDS = 3

RAW_FEATURES = Features(
    {
        "conversation_id": Value("string"),
        "domain": Value("string"),
        "subDomain": Value("string"),
        "question": Value("string"),
        "answer": Value("string"),
        "format": Value("string"),
        "images": List(HFImage()),
    }
)


def figure(seed: int) -> bytes:
    """A diagram-like figure of Open-MM-RL's typical size (PNG) or a photo-like one (JPEG)."""
    rng = np.random.default_rng(seed)
    width, height = int(rng.integers(480, 900)), int(rng.integers(320, 700))
    if seed % 3 == 2:
        base = np.linspace(0, 255, width, dtype=np.float32)[None, :, None].repeat(height, 0).repeat(3, 2)
        noisy = np.clip(base + rng.normal(0, 25, base.shape), 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(noisy, "RGB").save(buf, format="JPEG", quality=85)
        return buf.getvalue()
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x0, y0, x1, y1 = (int(v) for v in rng.integers(0, min(width, height), 4))
        draw.line((x0, y0, x1, y1), fill=tuple(int(c) for c in rng.integers(0, 200, 3)), width=2)
    for k in range(12):
        draw.text((int(rng.integers(0, width - 40)), int(rng.integers(0, height - 20))), f"P{k}", fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def raw_dataset(n: int) -> datasets.Dataset:
    ids = itertools.count()
    rows = {
        "conversation_id": [f"b-{i:05d}" for i in range(n)],
        "domain": [["Math", "Physics", "Chemistry", "Biology"][i % 4] for i in range(n)],
        "subDomain": ["bench"] * n,
        "question": [f"Question {i} about the figure(s)." for i in range(n)],
        "answer": [f"\\[{i}\\]" for i in range(n)],
        "format": ["multi_image" if i % 2 else "single_image" for i in range(n)],
        "images": [[{"bytes": figure(next(ids)), "path": None} for _ in range(1 + i % 3)] for i in range(n)],
    }
    return datasets.Dataset.from_dict(rows, features=RAW_FEATURES)


@pytest.fixture(scope="module")
def source() -> datasets.Dataset:
    return normalize(raw_dataset(N_ROWS))


@pytest.fixture(scope="module")
def exports(source, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bench-io")
    export_grpo(source, root / "trl", splits="train")
    export_grpo(source, root / "verl", fmt="verl", splits="train")
    return {"trl": root / "trl", "verl": root / "verl", "root": root}


def consume(ds: datasets.Dataset) -> int:
    """What a trainer's collate does: read every row and touch every image's pixels."""
    n = 0
    for row in ds:
        for img in row["images"]:
            img.getpixel((0, 0))
            n += 1
    return n


def record_rate(benchmark, count: int, key: str) -> None:
    stats = getattr(benchmark, "stats", None)  # None under --benchmark-disable
    if stats is not None:
        benchmark.extra_info[key] = round(count / stats.stats.mean, 1)


@pytest.mark.benchmark(group="grpo-io-images")
def test_lazy_path_loader_images_per_s(benchmark, exports):
    stats = IOStats()
    ds = load_grpo_dataset(exports["trl"], "train", io_stats=stats, cache_dir=exports["root"] / "hf-cache")
    n = benchmark.pedantic(consume, args=(ds,), rounds=ROUNDS, iterations=1)
    assert n == sum(len(paths) for paths in ds.with_format(None)["images"]) > 0
    assert stats.snapshot().images % n == 0 and stats.snapshot().images >= n
    benchmark.extra_info["images"] = n
    benchmark.extra_info["resident_table_bytes"] = ds.data.nbytes
    record_rate(benchmark, n, "images_per_s")


@pytest.mark.benchmark(group="grpo-io-images")
def test_in_memory_parquet_bytes_images_per_s(benchmark, exports):
    """The naive path: image bytes inside an in-memory table, decoded by `datasets` on every access."""
    table = pq.read_table(exports["verl"] / "train.parquet")
    ds = datasets.Dataset(table)  # Image features from the parquet's HF metadata: decode on access
    n = benchmark.pedantic(consume, args=(ds,), rounds=ROUNDS, iterations=1)
    lazy = load_grpo_dataset(exports["trl"], "train", cache_dir=exports["root"] / "hf-cache")
    assert n == sum(len(row["images"]) for row in lazy)
    assert np.array_equal(np.asarray(ds[0]["images"][0].convert("RGB")), np.asarray(lazy[0]["images"][0]))
    benchmark.extra_info["images"] = n
    benchmark.extra_info["resident_table_bytes"] = table.nbytes
    record_rate(benchmark, n, "images_per_s")


@pytest.mark.benchmark(group="grpo-export")
def test_export_examples_per_s(benchmark, source, tmp_path):
    runs = itertools.count()

    def fresh_dir():
        return (source, tmp_path / f"run-{next(runs)}"), {}

    result = benchmark.pedantic(export_grpo, setup=fresh_dir, rounds=ROUNDS, iterations=1)
    assert sum(result.rows.values()) == len(source) and result.images_written > 0
    benchmark.extra_info["examples"] = len(source)
    record_rate(benchmark, len(source), "examples_per_s")
