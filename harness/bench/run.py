"""`mmrl bench train` / `mmrl bench eval`: size a run before spending hours on it.

Training: N steps of the stock `GRPOTrainer` through `harness.training.grpo.train` (the same reward
functions, dataset, GRPOConfig and fast-generation settings as `mmrl train`), on the bundled sample, with
`StepMeter` watching. Evaluation: the lm-eval task through `run_eval`, with the LM object kept so its
generation time and token count can be read. Each returns one flat record (a dict) that the command prints
as JSON or a table and logs to MLflow.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.bench.measure import (
    StepMeter,
    compiled_graphs,
    environment,
    peak_memory,
    reset_peak_memory,
    synchronize,
)
from harness.bench.shapes import build_shape, default_config


@dataclass
class BenchOptions:
    """What to benchmark. `model` (a local folder or hub id) replaces the built `shape`; `shape` still picks
    the default `config`. `overrides` are `--set` pairs, applied after the benchmark's own."""

    shape: str = "tiny"
    model: str | None = None
    config: Path | None = None
    data: str = "sample"
    steps: int = 5
    warmup_steps: int = 1
    limit: int = 4
    batch_size: int | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    output_dir: Path | None = None

    def config_path(self) -> Path:
        return Path(self.config) if self.config is not None else default_config(self.shape)


def load_bench_config(opts: BenchOptions, forced: dict[str, Any]):
    from harness.training.config import load_config

    return load_config(opts.config_path(), {**forced, **opts.overrides})


@contextlib.contextmanager
def _work_dir(opts: BenchOptions, kind: str) -> Iterator[Path]:
    if opts.output_dir is not None:
        path = Path(opts.output_dir)
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix=f"mmrl-bench-{kind}-") as tmp:
        yield Path(tmp)


def _model(opts: BenchOptions, cfg: Any) -> str:
    from harness.training.grpo import config_dtype

    if opts.model:
        return opts.model
    return str(build_shape(opts.shape, dtype=config_dtype(cfg), source="sample"))


def _effective_grpo(cfg: Any, out: Path) -> dict[str, Any]:
    from harness.training.grpo import grpo_args

    args = grpo_args(cfg, out / "checkpoints")
    keys = ("per_device_train_batch_size", "gradient_accumulation_steps", "generation_batch_size",
            "num_generations", "max_completion_length", "temperature", "bf16", "gradient_checkpointing",
            "use_vllm", "vllm_mode", "cache_implementation", "pad_to_multiple_of", "generation_kwargs")
    return {k: getattr(args, k, None) for k in keys}


def bench_train(opts: BenchOptions) -> dict[str, Any]:
    """N GRPO steps; seconds per step, generation share and rate, GPU utilisation and peak memory."""
    import statistics

    from harness.pipeline.train_stage import export_data
    from harness.training.grpo import train

    forced = {"data.source": opts.data, "data.train_subset": "all", "grpo.max_steps": opts.steps,
              "grpo.save_strategy": "no", "grpo.logging_steps": 1}
    cfg = load_bench_config(opts, forced)
    model_path = _model(opts, cfg)
    meter = StepMeter(warmup_steps=min(opts.warmup_steps, max(0, opts.steps - 1)))
    with _work_dir(opts, "train") as out:
        cfg.output_dir = str(out)
        export_data(cfg, out / "data")
        settings = _effective_grpo(cfg, out)
        result = train(cfg, out / "data", model=model_path, callbacks=[meter])
        synchronize()
    peak, peak_kind = peak_memory()
    trl_times = [h["step_time"] for h in result.log_history if "step_time" in h][meter.warmup_steps:]
    return {
        "kind": "train",
        "shape": None if opts.model else opts.shape,
        "model": model_path,
        "parameters": meter.parameters,
        "config": str(opts.config_path()),
        "data": opts.data,
        **meter.summary(),
        "compiled_graphs": compiled_graphs(),
        "trl_step_time": statistics.fmean(trl_times) if trl_times else None,
        "peak_memory_bytes": peak,
        "peak_memory_kind": peak_kind,
        "fast_generation": cfg.generation.to_dict(),
        "grpo": settings,
        **environment(),
    }


def bench_eval(opts: BenchOptions) -> dict[str, Any]:
    """lm-eval on `limit` held-out docs (all domains): seconds, samples/s, generated tokens/s, peak memory."""
    from harness.evaluation import run_eval
    from harness.evaluation.lm import make_lm
    from harness.training.evaluation import eval_request

    cfg = load_bench_config(opts, {"data.source": opts.data})
    model_path = _model(opts, cfg)
    batch_size = opts.batch_size or cfg.eval.batch_size
    lm = make_lm(model_path, backend="hf", batch_size=batch_size, max_images=cfg.eval.max_images,
                 model_args={"fast_generation": cfg.generation})
    reset_peak_memory()
    with _work_dir(opts, "eval") as out:
        request = eval_request(cfg, lm, out / "eval").with_(limit=opts.limit, batch_size=batch_size, backend="hf")
        result = run_eval(request)
    peak, peak_kind = peak_memory()
    calls = list(lm.generate_calls)  # (seconds, tokens, rows) per generate call, i.e. per batch
    gen_s = sum(c[0] for c in calls)
    tokens = sum(c[1] for c in calls)
    later_s = sum(c[0] for c in calls[1:])
    docs = len(result.evaluated_ids)
    return {
        "kind": "eval",
        "shape": None if opts.model else opts.shape,
        "model": model_path,
        "config": str(opts.config_path()),
        "data": opts.data,
        "docs": docs,
        "batch_size": batch_size,
        "batches": len(calls),
        "seconds": result.seconds,
        "samples_per_s": docs / result.seconds if result.seconds else None,
        "generation_seconds": gen_s,
        "generation_share": gen_s / result.seconds if result.seconds else None,
        "generated_tokens": tokens,
        "generated_tokens_per_s": tokens / gen_s if gen_s else None,
        "first_batch_seconds": calls[0][0] if calls else None,
        # the first batch carries compilation when generation.fast is on: the rate after it is the steady one
        "generated_tokens_per_s_after_first_batch": sum(c[1] for c in calls[1:]) / later_s if later_s else None,
        "peak_memory_bytes": peak,
        "peak_memory_kind": peak_kind,
        "gen_kwargs": dict(cfg.eval.gen_kwargs),
        "fast_generation": cfg.generation.to_dict(),
        **environment(),
    }
