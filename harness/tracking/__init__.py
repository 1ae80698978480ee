"""MLflow tracking: store resolution, fail-fast reachability, safe metric logging.

Local SQLite is the default store (`sqlite:///mlruns.db` in the working directory) because the plain file
store is in maintenance mode and mlflow-skinny cannot open SQLite; a server URI comes from
`MLFLOW_TRACKING_URI` or an explicit argument and is checked *before* any work starts.
"""

from harness.tracking.runs import log_metrics_safe, log_params_safe, metric_key, mlflow_run
from harness.tracking.store import (
    DEFAULT_EXPERIMENT,
    LOCAL_FALLBACK,
    TrackingUnavailableError,
    check_tracking_available,
    default_tracking_uri,
    probe_store,
    resolve_tracking_uri,
)

__all__ = [
    "DEFAULT_EXPERIMENT",
    "LOCAL_FALLBACK",
    "TrackingUnavailableError",
    "check_tracking_available",
    "default_tracking_uri",
    "log_metrics_safe",
    "log_params_safe",
    "metric_key",
    "mlflow_run",
    "probe_store",
    "resolve_tracking_uri",
]
