"""Which MLflow store to use, and whether it answers."""

from __future__ import annotations

import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_EXPERIMENT = "open-mm-rl"


class TrackingUnavailableError(RuntimeError):
    """The tracking server does not answer; raised at start so hours of training are not lost later."""


def default_tracking_uri(base_dir: str | os.PathLike | None = None) -> str:
    path = Path(base_dir or os.getcwd()).resolve() / "mlruns.db"
    return f"sqlite:///{path}"


def check_tracking_available(uri: str, timeout_s: float = 5.0) -> None:
    """Probe an http(s) tracking server's health endpoint; local stores only need their folder."""
    if uri.startswith(("http://", "https://")):
        url = uri.rstrip("/") + "/health"
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as resp:  # noqa: S310 - user-given URI
                if resp.status >= 400:
                    raise TrackingUnavailableError(f"MLflow server {uri} answered HTTP {resp.status} on /health")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise TrackingUnavailableError(
                f"MLflow tracking server {uri} is unreachable ({exc}). Start it, fix MLFLOW_TRACKING_URI / "
                "--tracking-uri, or pass --tracking-fallback local to record into a local SQLite store."
            ) from exc
    elif uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)


def resolve_tracking_uri(uri: str | None = None, *, fallback: str | None = None, check: bool = True) -> str:
    """Explicit URI > MLFLOW_TRACKING_URI > local SQLite; `fallback="local"` swaps an unreachable server for SQLite."""
    chosen = uri or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()
    if check:
        try:
            check_tracking_available(chosen)
        except TrackingUnavailableError:
            if fallback != "local":
                raise
            local = default_tracking_uri()
            log.warning("tracking server %s unreachable; falling back to %s", chosen, local)
            chosen = local
    return chosen
