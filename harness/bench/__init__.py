"""Throughput benchmarks of the real training and evaluation loops (`mmrl bench train|eval`)."""

from harness.bench.run import BenchOptions, bench_eval, bench_train
from harness.bench.shapes import SHAPES, build_shape

__all__ = ["SHAPES", "BenchOptions", "bench_eval", "bench_train", "build_shape"]
