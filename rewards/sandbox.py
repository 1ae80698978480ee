"""A small pool of persistent, killable worker processes with a per-call deadline.

Why processes: ``signal.alarm`` only works in the main thread of the main
interpreter (not in TRL/verl worker threads) and cannot interrupt SymPy while
it multiplies huge integers in C. A separate process can always be killed.

Why ``subprocess`` rather than ``multiprocessing``: it works from daemonic
processes (a ``multiprocessing.Pool`` worker may not start children), from any
thread, and does not fork a parent that may hold CUDA/torch threads.

A worker that overruns its deadline is killed (SIGKILL) and replaced lazily;
the time a fresh worker spends starting up is not charged to the job.
"""

from __future__ import annotations

import atexit
import json
import os
import pickle
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path

DEFAULT_TIMEOUT_S = 2.0
STARTUP_TIMEOUT_S = 60.0


class SandboxTimeout(Exception):
    """The job ran past its deadline; the worker was killed."""


class SandboxError(Exception):
    """The worker died or could not be started."""


class _Worker:
    def __init__(self) -> None:
        job_read, job_write = os.pipe()
        res_read, res_write = os.pipe()
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parent.parent)
        paths = [package_root] + [p for p in sys.path if p and os.path.isdir(p)]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
        env.setdefault("OMP_NUM_THREADS", "1")
        try:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "rewards._worker",
                    str(job_read),
                    str(res_write),
                    str(os.getpid()),
                ],
                pass_fds=(job_read, res_write),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
                close_fds=True,
            )
        finally:
            os.close(job_read)
            os.close(res_write)
        self.outbox = Connection(job_write, readable=False)
        self.inbox = Connection(res_read, writable=False)
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.inbox.poll(STARTUP_TIMEOUT_S):
            self.kill()
            raise SandboxError("worker did not start in time")
        try:
            self.inbox.recv_bytes()
        except (EOFError, OSError) as exc:
            self.kill()
            raise SandboxError(
                f"worker died while starting (exit code {self.proc.poll()})"
            ) from exc
        self.ready = True

    def call(self, payload: bytes, timeout: float) -> list:
        self.wait_ready()
        try:
            self.outbox.send_bytes(payload)
            if not self.inbox.poll(timeout):
                self.kill()
                raise SandboxTimeout(f"no result within {timeout:g}s")
            return json.loads(self.inbox.recv_bytes())
        except (EOFError, OSError, BrokenPipeError) as exc:
            self.kill()
            raise SandboxError(f"worker died (exit code {self.proc.poll()})") from exc

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.close_pipes()

    def close_pipes(self) -> None:
        for conn in (self.outbox, self.inbox):
            try:
                conn.close()
            except OSError:
                pass

    def stop(self) -> None:
        """Polite shutdown: closing the job pipe makes the worker exit."""
        self.close_pipes()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()


class WorkerPool:
    """Thread-safe pool; workers start on demand, up to ``size`` at once."""

    def __init__(self, size: int = 2) -> None:
        self.size = max(1, size)
        self._idle: list[_Worker] = []
        self._count = 0
        self._cond = threading.Condition()
        self._pid = os.getpid()
        self.restarts = 0

    def resize(self, size: int) -> None:
        with self._cond:
            self.size = max(self.size, size)
            self._cond.notify_all()

    def run(self, job: dict, timeout: float) -> list:
        """Send ``job`` to a worker; raises SandboxTimeout or SandboxError."""
        payload = pickle.dumps(job)
        worker = self._checkout()
        ok = False
        try:
            result = worker.call(payload, timeout)
            ok = True
            return result
        finally:
            self._checkin(worker, ok)

    def warm(self, n: int | None = None) -> None:
        """Start ``n`` workers now (default: the pool size) and wait until they are ready."""
        workers = [self._checkout() for _ in range(min(n or self.size, self.size))]
        try:
            for w in workers:
                w.wait_ready()
        finally:
            for w in workers:
                self._checkin(w, w.alive())

    def _checkout(self) -> _Worker:
        with self._cond:
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    worker.kill()
                    self._count -= 1
                if self._count < self.size:
                    self._count += 1
                    break
                self._cond.wait()
        try:
            return _Worker()
        except Exception as exc:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise SandboxError(f"cannot start a worker: {exc}") from exc

    def _checkin(self, worker: _Worker, healthy: bool) -> None:
        with self._cond:
            if healthy and worker.alive():
                self._idle.append(worker)
            else:
                worker.kill()
                self._count -= 1
                self.restarts += 1
            self._cond.notify()

    def clear_worker_caches(self) -> None:
        """Make every started worker forget its parsed answers (honest cold benchmarks)."""
        with self._cond:
            idle = list(self._idle)
            self._idle.clear()
        try:
            for worker in idle:
                worker.call(pickle.dumps({"clear_caches": True}), STARTUP_TIMEOUT_S)
        finally:
            for worker in idle:
                self._checkin(worker, worker.alive())

    def close(self) -> None:
        with self._cond:
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        for worker in idle:
            worker.stop()


_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def get_pool(min_size: int | None = None) -> WorkerPool:
    """The process-wide pool (recreated in a forked child, which must not share pipes)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool._pid != os.getpid():
            _pool = WorkerPool(default_workers())
        if min_size:
            _pool.resize(min_size)
        return _pool


def existing_pool() -> WorkerPool | None:
    """The pool if this process already started one (never starts workers)."""
    return _pool if _pool is not None and _pool._pid == os.getpid() else None


def shutdown() -> None:
    """Stop the idle workers of this process's pool (also runs at interpreter exit)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None and pool._pid == os.getpid():
        pool.close()


atexit.register(shutdown)
