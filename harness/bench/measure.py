"""What a benchmark measures while stock TRL trains: step times, time inside `generate`, tokens, memory, GPU load.

`StepMeter` is a plain `TrainerCallback`; at `on_train_begin` it wraps the policy's own `generate` (the call
TRL's transformers rollout path makes) with a timer and a token counter, so the generation share is measured
on the real loop, not estimated. On CUDA every boundary synchronises, so asynchronous kernels are charged to
the phase that launched them.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import TrainerCallback


def synchronize() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def describe_device() -> str:
    """`cuda:0 (NVIDIA H200)` or `cpu (2 threads)`: what the figures were measured on."""
    if torch.cuda.is_available():
        return f"cuda:{torch.cuda.current_device()} ({torch.cuda.get_device_name()})"
    return f"cpu ({torch.get_num_threads()} threads)"


def reset_peak_memory() -> None:
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def peak_memory() -> tuple[int, str]:
    """(bytes, kind): the CUDA allocator's peak on a GPU, else the process's peak resident set."""
    if torch.cuda.is_available():
        return int(torch.cuda.max_memory_allocated()), "cuda_max_allocated"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == "darwin" else rss * 1024), "process_max_rss"


def count_new_tokens(out: torch.Tensor, prompt_len: int, eos_ids: list[int], pad_id: int | None) -> int:
    """Tokens generated per row up to and including the first end token (what TRL keeps as the completion)."""
    new = out[:, prompt_len:]
    if new.numel() == 0:
        return 0
    stop = torch.isin(new, torch.tensor(eos_ids or ([] if pad_id is None else [pad_id]), device=new.device))
    has_stop = stop.any(dim=1)
    first = torch.where(
        has_stop, stop.int().argmax(dim=1) + 1, torch.full_like(has_stop, new.shape[1], dtype=torch.long)
    )
    return int(first.sum())


def _eos_ids(model: Any, kwargs: dict[str, Any]) -> tuple[list[int], int | None]:
    config = kwargs.get("generation_config") or getattr(model, "generation_config", None)
    eos = getattr(config, "eos_token_id", None)
    eos_ids = [eos] if isinstance(eos, int) else list(eos or [])
    return eos_ids, getattr(config, "pad_token_id", None)


class GpuSampler:
    """Mean GPU utilisation (%) from NVML (torch.cuda.utilization) or nvidia-smi, sampled in a thread."""

    def __init__(self, interval_s: float = 0.25) -> None:
        self.interval_s = interval_s
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._read = self._reader()

    def _reader(self):
        if not torch.cuda.is_available():
            return None
        try:
            torch.cuda.utilization()
            return lambda: float(torch.cuda.utilization())
        except Exception:  # noqa: BLE001 - pynvml missing or NVML refused: fall back to nvidia-smi
            pass
        smi = shutil.which("nvidia-smi")
        if smi is None:
            return None
        index = str(torch.cuda.current_device())

        def read() -> float:
            out = subprocess.run([smi, "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits", "-i", index],
                                 capture_output=True, text=True, timeout=5, check=True)
            return float(out.stdout.strip().splitlines()[0])

        return read

    def start(self) -> None:
        if self._read is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="gpu-sampler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.samples.append(self._read())
            except Exception:  # noqa: BLE001 - a failed sample is skipped, the benchmark goes on
                continue

    def stop(self) -> float | None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        return sum(self.samples) / len(self.samples) if self.samples else None


@dataclass
class StepRecord:
    seconds: float = 0.0
    generation_seconds: float = 0.0
    generated_tokens: int = 0
    completions: int = 0


@dataclass
class StepMeter(TrainerCallback):
    """Times each optimizer step and the `generate` calls inside it; samples the GPU after `warmup_steps`.

    A step's time runs from the end of the previous step (the start of training for the first), so batch
    loading and logging, which transformers does outside `on_step_begin`/`on_step_end`, are counted: the mean
    is the loop's real wall-clock rate.
    """

    warmup_steps: int = 1
    steps: list[StepRecord] = field(default_factory=list)
    gpu_utilization: float | None = None
    parameters: int | None = None
    _current: StepRecord | None = None
    _started: float = 0.0
    _sampler: GpuSampler | None = None

    def wrap_generate(self, model: Any) -> None:
        original = model.generate
        if getattr(original, "__mmrl_metered__", False):
            return

        @functools.wraps(original)
        def metered(*args: Any, **kwargs: Any) -> Any:
            synchronize()
            start = time.perf_counter()
            out = original(*args, **kwargs)
            synchronize()
            record = self._current or StepRecord()
            record.generation_seconds += time.perf_counter() - start
            prompt = kwargs.get("input_ids")
            if isinstance(out, torch.Tensor) and isinstance(prompt, torch.Tensor):
                eos_ids, pad_id = _eos_ids(model, kwargs)
                record.generated_tokens += count_new_tokens(out, prompt.shape[1], eos_ids, pad_id)
                record.completions += out.shape[0]
            return out

        metered.__mmrl_metered__ = True  # type: ignore[attr-defined]
        model.generate = metered

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if model is not None:
            self.wrap_generate(model)
            self.parameters = sum(p.numel() for p in model.parameters())
        reset_peak_memory()
        synchronize()
        self._started = time.perf_counter()

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if len(self.steps) == self.warmup_steps and self._sampler is None:
            self._sampler = GpuSampler()
            self._sampler.start()
        self._current = StepRecord()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        synchronize()
        now = time.perf_counter()
        if self._current is not None:
            self._current.seconds = now - self._started
            self.steps.append(self._current)
        self._current = None
        self._started = now

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._sampler is not None:
            self.gpu_utilization = self._sampler.stop()
            self._sampler = None

    def summary(self) -> dict[str, Any]:
        """Means over the steps after the warm-up (all steps when there are no others)."""
        measured = self.steps[self.warmup_steps:] or self.steps
        step_s = sum(s.seconds for s in measured)
        gen_s = sum(s.generation_seconds for s in measured)
        tokens = sum(s.generated_tokens for s in measured)
        completions = sum(s.completions for s in measured)
        n = max(1, len(measured))
        return {
            "steps": len(self.steps),
            "measured_steps": len(measured),
            "seconds_per_step": step_s / n if measured else None,
            "first_step_seconds": self.steps[0].seconds if self.steps else None,
            "step_seconds": [round(s.seconds, 4) for s in self.steps],
            "generation_seconds_per_step": gen_s / n if measured else None,
            "generation_share": gen_s / step_s if step_s > 0 else None,
            "generated_tokens_per_step": tokens / n if measured else None,
            "generated_tokens_per_s": tokens / gen_s if gen_s > 0 else None,
            "completions_per_step": completions / n if measured else None,
            "mean_completion_tokens": tokens / completions if completions else None,
            "gpu_utilization": self.gpu_utilization,
        }


def compiled_graphs() -> int | None:
    """Graphs torch.compile built in this process (dynamo's own counter): how many shapes were compiled."""
    try:
        from torch._dynamo.utils import counters

        return int(counters["stats"]["unique_graphs"])
    except Exception:  # noqa: BLE001 - an internal counter: absent in some torch versions
        return None


def environment() -> dict[str, Any]:
    """Versions and machine facts every benchmark record carries, so figures can be compared honestly."""
    import transformers
    import trl

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "device": describe_device(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "trl": trl.__version__,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_1m": load,
    }
