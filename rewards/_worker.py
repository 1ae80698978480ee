"""Entry point of a sandbox worker process (started by :mod:`rewards.sandbox`).

Protocol over two inherited pipes: the parent sends pickled jobs
``{"pred", "gold", "tiers": [tier objects]}``; the worker answers JSON lists of
``[kind, reason, detail]`` (one per tier run, stopping at the first decisive
one). Results are JSON so the parent never unpickles anything from here.

The worker lowers its own memory ceiling, ignores Ctrl-C (the parent owns the
lifecycle) and exits when the parent goes away.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import sys
import threading
import time


def _limit_memory() -> None:
    mb = int(os.environ.get("REWARDS_WORKER_MEMORY_MB", "4096"))
    if mb <= 0:
        return
    try:
        import resource

        limit = mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def _exit_with_parent(parent_pid: int) -> None:
    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _encode(result) -> list[str]:
    from .tiers.base import Equal, NotEqual

    if isinstance(result, Equal):
        return ["equal", "", result.detail[:300]]
    if isinstance(result, NotEqual):
        return ["not_equal", "", result.detail[:300]]
    return ["undecided", getattr(result, "reason", "error"), getattr(result, "detail", "")[:300]]


def _warm_up() -> None:
    """Pay the one-off costs (imports, ANTLR tables) before reporting ready."""
    from .tiers._sympy_parsing import parse

    for text in ("\\frac{1}{2}+\\sqrt{2}x", "(x+1)^{2}", "\\left(1,2\\right)"):
        with contextlib.suppress(Exception):  # warm-up is best effort
            parse("latex", text)


def _clear_caches() -> None:
    from .safe_parser import parse_latex_subset, parse_plain
    from .tiers._sympy_parsing import _cached

    for cached in (_cached, parse_plain, parse_latex_subset):
        cached.cache_clear()


def serve(read_fd: int, write_fd: int, parent_pid: int) -> None:
    from multiprocessing.connection import Connection

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(parent_pid)
    _limit_memory()
    inbox = Connection(read_fd, writable=False)
    outbox = Connection(write_fd, readable=False)
    _warm_up()
    outbox.send_bytes(b'"ready"')
    from .tiers.base import ERROR, Undecided

    while True:
        try:
            payload = inbox.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            job = pickle.loads(payload)
            if job.get("clear_caches"):
                _clear_caches()
            results = []
            for tier in job.get("tiers", ()):
                try:
                    result = tier.match(job["pred"], job["gold"])
                except BaseException as exc:
                    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                        raise
                    result = Undecided(ERROR, f"{type(exc).__name__}: {exc}"[:300])
                encoded = _encode(result)
                results.append(encoded)
                if encoded[0] != "undecided":
                    break
            reply = json.dumps(results)
        except Exception as exc:  # noqa: BLE001 - a broken job must not kill the worker
            reply = json.dumps([["undecided", ERROR, f"worker: {type(exc).__name__}: {exc}"[:300]]])
        try:
            outbox.send_bytes(reply.encode())
        except (BrokenPipeError, OSError):
            return


if __name__ == "__main__":
    # stdout is reserved for nothing: stray prints from libraries go to stderr
    sys.stdout = sys.stderr
    serve(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
