"""Which MLflow store to use, and proof that it takes a write, before any expensive work.

Checked too late, a store costs the work done before it: a read-only store let `mmrl eval` evaluate for
minutes and then die in a 500-line traceback, unrecorded; the pipeline spent 1.5 min in MLflow's HTTP
retries. `resolve_tracking_uri` therefore opens the store, writes and deletes a probe (an experiment tag)
and checks the artifact folder, in seconds, with MLflow's retries off; a failure is one line naming the
store and the fix. A new SQLite store is created under a file lock, because two processes creating one at
the same time race in MLflow's schema migrations (`duplicate column name: step`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from harness.fs import OutputError, describe_errno, ensure_writable_dir

log = logging.getLogger(__name__)

DEFAULT_EXPERIMENT = "open-mm-rl"
LOCAL_FALLBACK = "local"
PROBE_TAG = "mmrl.store_probe"
# MLflow 3's UI opens an experiment on the tab its kind names; without the tag it infers one and may open the
# GenAI "Overview" (traces: none) instead of the runs. Ours are training/evaluation runs, i.e. model development.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "custom_model_development"
_PROBED: set[tuple[str, str, bool]] = set()  # stores proven usable in this process


class TrackingUnavailableError(RuntimeError):
    """The store does not answer or does not take writes; raised at start so hours of work are not lost later."""


def default_tracking_uri(base_dir: str | os.PathLike | None = None) -> str:
    path = Path(base_dir or os.getcwd()).resolve() / "mlruns.db"
    return f"sqlite:///{path}"


def sqlite_path(uri: str) -> Path | None:
    """The database file of a `sqlite:///` URI (relative or absolute), None for other stores."""
    if not uri.startswith("sqlite:///"):
        return None
    return Path(urllib.parse.unquote(uri[len("sqlite:///"):].split("?", 1)[0]))


def artifact_root(uri: str) -> Path | None:
    """Where a local SQLite store keeps its run files: `mlruns/` beside the database (MLflow's own default is
    `./mlruns` in whatever folder the process started in, which scattered artifacts into checkouts)."""
    path = sqlite_path(uri)
    return None if path is None else path.resolve().parent / "mlruns"


def create_experiment(client, name: str) -> str:
    """Create experiment `name` (its artifacts under `artifact_root` for a SQLite store); returns its id."""
    root = artifact_root(client.tracking_uri)
    tags = {EXPERIMENT_KIND_TAG: EXPERIMENT_KIND}
    if root is None:
        return client.create_experiment(name, tags=tags)
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80] or "experiment"
    return client.create_experiment(name, artifact_location=(root / slug).as_uri(), tags=tags)


def mark_experiment_kind(client, experiment) -> None:
    """Tag an experiment made before the tag existed (or by someone else) so the UI opens on its runs; an
    experiment whose kind someone chose is left alone (only a missing or UI-inferred kind is replaced)."""
    kind = (experiment.tags or {}).get(EXPERIMENT_KIND_TAG)
    if kind is None or kind.endswith("_inferred"):
        client.set_experiment_tag(experiment.experiment_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND)


def use_experiment(name: str, tracking_uri: str | None = None) -> str:
    """Make `name` the active experiment of `tracking_uri` (default: the current one), creating it with its
    artifacts beside a SQLite store; returns its id. Use this instead of `mlflow.set_experiment`."""
    import mlflow
    from mlflow.tracking import MlflowClient

    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient()
    with store_lock(client.tracking_uri):
        found = client.get_experiment_by_name(name)
        experiment_id = found.experiment_id if found is not None else create_experiment(client, name)
        if found is not None:
            mark_experiment_kind(client, found)
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def _fix(uri: str, *, can_fall_back: bool) -> str:
    hint = "point --tracking-uri / MLFLOW_TRACKING_URI at a writable store"
    if can_fall_back and uri != default_tracking_uri():
        hint += f", or pass --tracking-fallback local to record into {default_tracking_uri()}"
    return hint


@contextlib.contextmanager
def store_lock(uri: str) -> Iterator[None]:
    """Serialise opening (and so creating or migrating) a SQLite store across processes.

    A no-op for other stores, and for a SQLite store in a folder this process cannot write (it can only be
    read there, and nobody here can create or migrate it).
    """
    path = sqlite_path(uri)
    if path is None or not os.access(path.parent if str(path.parent) else ".", os.W_OK):
        yield
        return
    from filelock import FileLock

    with FileLock(str(path) + ".lock"):
        yield


@contextlib.contextmanager
def _fast_failing_http(timeout_s: float) -> Iterator[None]:
    """MLflow retries HTTP calls for minutes by default; a probe must answer in seconds."""
    saved = {k: os.environ.get(k) for k in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")}
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(int(max(1, timeout_s)))
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _check_http(uri: str, timeout_s: float, fix: str) -> None:
    url = uri.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:  # noqa: S310 - user-given URI
            if resp.status >= 400:
                raise TrackingUnavailableError(f"MLflow server {uri} answered HTTP {resp.status} on /health; {fix}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TrackingUnavailableError(
            f"MLflow tracking server {uri} is unreachable ({exc}). Start it, or {fix}."
        ) from exc


def _check_sqlite_folder(uri: str, fix: str) -> None:
    path = sqlite_path(uri)
    assert path is not None
    try:
        ensure_writable_dir(path.parent, what="MLflow store folder")
    except OutputError as exc:
        raise TrackingUnavailableError(
            f"MLflow store {uri}: its folder {path.parent} is not writable ({describe_errno(exc)}); {fix}"
        ) from exc
    if path.exists() and not os.access(path, os.W_OK):
        raise TrackingUnavailableError(f"MLflow store {uri}: {path} is read-only; {fix}")


def _local_artifact_dir(location: str | None) -> Path | None:
    if not location:
        return None
    parsed = urllib.parse.urlparse(location)
    if parsed.scheme == "file":
        return Path(urllib.parse.unquote(parsed.path))
    if parsed.scheme == "" :
        return Path(location)
    return None  # remote artifact store (s3, mlflow-artifacts...): the server's business


def probe_store(uri: str, *, experiment: str = DEFAULT_EXPERIMENT, write: bool = True,
                timeout_s: float = 5.0, can_fall_back: bool = True) -> None:
    """Open the store (creating a SQLite one under a lock) and, for `write`, write and delete a probe.

    Raises `TrackingUnavailableError` with one line naming the store and the fix.
    """
    key = (uri, experiment, write)
    if key in _PROBED:
        return
    fix = _fix(uri, can_fall_back=can_fall_back and write)
    if uri.startswith(("http://", "https://")):
        _check_http(uri, timeout_s, fix)
    elif sqlite_path(uri) is not None and write:
        _check_sqlite_folder(uri, fix)
    from mlflow.tracking import MlflowClient

    try:
        with store_lock(uri), _fast_failing_http(timeout_s):
            client = MlflowClient(tracking_uri=uri)
            found = client.get_experiment_by_name(experiment)
            if write:
                experiment_id = found.experiment_id if found is not None else create_experiment(client, experiment)
                client.set_experiment_tag(experiment_id, PROBE_TAG, str(time.time()))
                client.delete_experiment_tag(experiment_id, PROBE_TAG)
                found = client.get_experiment(experiment_id)
            else:
                client.search_experiments(max_results=1)
    except TrackingUnavailableError:
        raise
    except Exception as exc:  # noqa: BLE001 - MLflow, SQLAlchemy, sqlite3 and requests errors all mean "unusable"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        verb = "refused a write" if write else "could not be read"
        raise TrackingUnavailableError(f"MLflow store {uri} {verb} ({first}); {fix}") from exc
    if write and found is not None:
        _check_artifact_dir(uri, found.artifact_location, fix)
    _PROBED.add(key)


def _check_artifact_dir(uri: str, location: str | None, fix: str) -> None:
    """A local artifact folder must take files; checked without creating it (MLflow creates it per run)."""
    folder = _local_artifact_dir(location)
    if folder is None:
        return
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if existing.is_dir() and os.access(existing, os.W_OK | os.X_OK):
        return
    raise TrackingUnavailableError(
        f"MLflow store {uri}: its artifact folder {folder} is not writable ({existing} refuses writes); {fix}"
    )


def check_tracking_available(uri: str, timeout_s: float = 5.0, *, experiment: str = DEFAULT_EXPERIMENT) -> None:
    """Fail fast unless `uri` answers and takes a write (see `probe_store`)."""
    probe_store(uri, experiment=experiment, timeout_s=timeout_s)


def resolve_tracking_uri(
    uri: str | None = None,
    *,
    fallback: str | None = None,
    check: bool = True,
    experiment: str | None = None,
    write: bool = True,
) -> str:
    """Explicit URI > MLFLOW_TRACKING_URI > local SQLite, proven usable before it is returned.

    `fallback="local"` swaps a store that is unreachable or refuses writes for the local SQLite store (which
    is probed in turn). `write=False` (commands that only read, such as `mmrl leaderboard`) only opens it.
    """
    if fallback not in (None, "", LOCAL_FALLBACK):
        raise TrackingUnavailableError(f"--tracking-fallback must be {LOCAL_FALLBACK!r}, got {fallback!r}")
    chosen = uri or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()
    if not check:
        return chosen
    name = experiment or DEFAULT_EXPERIMENT
    try:
        probe_store(chosen, experiment=name, write=write)
    except TrackingUnavailableError as exc:
        local = default_tracking_uri()
        if fallback != LOCAL_FALLBACK or not write or chosen == local:
            raise
        log.warning("tracking store %s unusable (%s); falling back to %s", chosen, exc, local)
        probe_store(local, experiment=name, write=True, can_fall_back=False)
        chosen = local
    return chosen
