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
import time
from multiprocessing.connection import Connection
from pathlib import Path

DEFAULT_TIMEOUT_S = 2.0
STARTUP_TIMEOUT_S = 60.0


class SandboxTimeout(Exception):
    """The job ran past its deadline; the worker was killed."""


class SandboxError(Exception):
    """The worker died or could not be started."""


class _Worker:
    def __init__(self, slot: int = 0) -> None:
        self.slot = slot
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
        self.send(payload)
        try:
            if not self.inbox.poll(timeout):
                self.kill()
                raise SandboxTimeout(f"no result within {timeout:g}s")
        except (EOFError, OSError) as exc:
            self.kill()
            raise SandboxError(f"worker died (exit code {self.proc.poll()})") from exc
        return self.receive()

    def send(self, payload: bytes) -> None:
        self.wait_ready()
        try:
            self.outbox.send_bytes(payload)
        except (OSError, BrokenPipeError) as exc:
            self.kill()
            raise SandboxError(f"worker died (exit code {self.proc.poll()})") from exc

    def receive(self) -> list:
        try:
            return json.loads(self.inbox.recv_bytes())
        except (EOFError, OSError) as exc:
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
        self._slots: set[int] = set()
        self._cond = threading.Condition()
        self._pid = os.getpid()
        self.restarts = 0

    def resize(self, size: int) -> None:
        with self._cond:
            self.size = max(self.size, size)
            self._cond.notify_all()

    def run(self, job: dict, timeout: float, affinity: int | None = None) -> list:
        """Send ``job`` to a worker; raises SandboxTimeout or SandboxError.

        ``affinity`` (e.g. a hash of the gold) prefers the same worker for the same key when it is idle, so a
        gold is parsed once per run rather than once per worker (GRPO scores every gold many times).
        """
        payload = pickle.dumps(job)
        worker = self._checkout(affinity)
        ok = False
        try:
            result = worker.call(payload, timeout)
            ok = True
            return result
        finally:
            self._checkin(worker, ok)

    def try_checkout(self, affinity: int | None = None) -> _Worker | None:
        """An idle (or newly started) worker, or None when all ``size`` are busy; never waits."""
        with self._cond:
            if not self._idle and self._count >= self.size:
                return None
        return self._checkout(affinity)

    def checkin(self, worker: _Worker, healthy: bool) -> None:
        self._checkin(worker, healthy)

    def warm(self, n: int | None = None) -> None:
        """Start ``n`` workers now (default: the pool size) and wait until they are ready."""
        workers = [self._checkout() for _ in range(min(n or self.size, self.size))]
        try:
            for w in workers:
                w.wait_ready()
        finally:
            for w in workers:
                self._checkin(w, w.alive())

    def _checkout(self, affinity: int | None = None) -> _Worker:
        with self._cond:
            while True:
                if affinity is not None and self._idle:
                    want = affinity % self.size
                    for k, candidate in enumerate(self._idle):
                        if candidate.slot == want and candidate.alive():
                            return self._idle.pop(k)
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    self._retire(worker)
                if self._count < self.size:
                    self._count += 1
                    slot = min(set(range(self.size + len(self._slots) + 1)) - self._slots)
                    self._slots.add(slot)
                    break
                self._cond.wait()
        try:
            return _Worker(slot)
        except Exception as exc:
            with self._cond:
                self._count -= 1
                self._slots.discard(slot)
                self._cond.notify()
            raise SandboxError(f"cannot start a worker: {exc}") from exc

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker and free its slot (call with the lock held)."""
        worker.kill()
        self._count -= 1
        self._slots.discard(worker.slot)

    def _checkin(self, worker: _Worker, healthy: bool) -> None:
        with self._cond:
            if healthy and worker.alive():
                self._idle.append(worker)
            else:
                self._retire(worker)
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
                self._slots.discard(worker.slot)
        for worker in idle:
            worker.stop()


class Dispatcher:
    """Runs many jobs on the pool from one thread: sends a job whenever a worker is free and collects results
    as they arrive, while the caller keeps working between calls to :meth:`pump`.

    Why not a thread per job: a thread that wakes on a result must win the GIL back from a caller busy in
    pure Python, which costs up to the interpreter's switch interval (5 ms) per job; here the caller itself
    polls the pipes, so extraction and the cheap tiers overlap the sandboxed tiers without that convoy.
    ``on_result(tag, result_or_exception)`` may submit follow-up jobs.
    """

    def __init__(self, pool: WorkerPool, timeout: float, on_result, limit: int | None = None) -> None:
        self.pool = pool
        self.timeout = timeout
        self.on_result = on_result
        self.limit = max(1, limit or pool.size)
        self._queue: list[tuple[object, bytes, int | None]] = []
        self._busy: dict[_Worker, tuple[object, float]] = {}

    def submit(self, tag: object, job: dict, affinity: int | None = None) -> None:
        """Queue a job; it starts at the next :meth:`pump` (results are only ever delivered from pump)."""
        self._queue.append((tag, pickle.dumps(job), affinity))

    @property
    def pending(self) -> int:
        return len(self._queue) + len(self._busy)

    def pump(self, block: bool) -> None:
        """Start queued jobs on free workers; deliver finished ones; kill overdue ones. ``block``: wait for
        at least one result (or a deadline) when nothing is ready."""
        from multiprocessing.connection import wait

        while self._queue and len(self._busy) < self.limit:
            tag, payload, affinity = self._queue[0]
            try:
                worker = self.pool.try_checkout(affinity)
            except SandboxError as exc:
                self._queue.pop(0)
                self.on_result(tag, exc)
                continue
            if worker is None:
                break
            self._queue.pop(0)
            try:
                worker.send(payload)
            except SandboxError as exc:
                self.pool.checkin(worker, False)
                self.on_result(tag, exc)
                continue
            self._busy[worker] = (tag, time.monotonic() + self.timeout)
        if not self._busy:
            return
        now = time.monotonic()
        wait_for = 0.0 if not block else max(0.0, min(d for _, d in self._busy.values()) - now)
        ready = wait([w.inbox for w in self._busy], timeout=wait_for)
        by_inbox = {w.inbox: w for w in self._busy}
        for conn in ready:
            worker = by_inbox[conn]
            if worker not in self._busy:
                continue
            tag, _ = self._busy.pop(worker)
            try:
                result: object = worker.receive()
                self.pool.checkin(worker, True)
            except SandboxError as exc:
                self.pool.checkin(worker, False)
                result = exc
            self.on_result(tag, result)
        now = time.monotonic()
        for worker, (tag, deadline) in list(self._busy.items()):
            if now >= deadline and worker in self._busy:
                del self._busy[worker]
                worker.kill()
                self.pool.checkin(worker, False)
                self.on_result(tag, SandboxTimeout(f"no result within {self.timeout:g}s"))

    def drain(self) -> None:
        while self.pending:
            self.pump(block=True)


_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


def default_workers() -> int:
    """Sandbox processes: one core is left to the caller, which extracts and runs the cheap tiers meanwhile."""
    return max(1, min(4, (os.cpu_count() or 1) - 1))


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
