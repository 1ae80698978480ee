"""A benchmark record as a rich table, and as an MLflow run (params, numeric metrics, the record as JSON)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

# Shown first and formatted; the rest of the record follows as it is.
_HEADLINE = {
    "seconds_per_step": "{:.3f} s",
    "first_step_seconds": "{:.3f} s",
    "generation_share": "{:.0%}",
    "generated_tokens_per_s": "{:,.0f} tok/s",
    "generated_tokens_per_step": "{:,.0f}",
    "seconds": "{:.2f} s",
    "samples_per_s": "{:.2f} /s",
    "generated_tokens_per_s_after_first_batch": "{:,.0f} tok/s",
    "first_batch_seconds": "{:.2f} s",
    "gpu_utilization": "{:.0f}%",
    "peak_memory_bytes": None,
}


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "not measured" if key == "gpu_utilization" else "-"
    if key == "peak_memory_bytes":
        return f"{value / 2**30:.2f} GiB"
    pattern = _HEADLINE.get(key)
    if pattern and isinstance(value, (int, float)):
        return pattern.format(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def print_record(record: dict[str, Any], console: Console) -> None:
    title = f"mmrl bench {record.get('kind')}: {record.get('shape') or record.get('model')} on {record.get('device')}"
    table = Table(title=title, show_header=True)
    table.add_column("figure")
    table.add_column("value", overflow="fold")
    for key in [k for k in _HEADLINE if k in record] + [k for k in record if k not in _HEADLINE]:
        table.add_row(key, _fmt(key, record[key]))
    console.print(table)


def log_record(record: dict[str, Any], *, tracking_uri: str, experiment: str) -> str:
    """One MLflow run (tag mmrl.kind=bench_<kind>) holding the record; returns its id."""
    import mlflow

    from harness.tracking import log_metrics_safe, log_params_safe
    from harness.tracking.provenance import log_provenance
    from harness.tracking.store import use_experiment

    use_experiment(experiment, tracking_uri)
    name = f"bench-{record.get('kind')}-{record.get('shape') or 'model'}"
    with mlflow.start_run(run_name=name, tags={"mmrl.kind": f"bench_{record.get('kind')}"}) as run:
        log_provenance(extra={"device": record.get("device")})
        params = {k: v for k, v in record.items()
                  if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool))}
        flat = {f"{k}.{sub}": v for k, d in params.items() if isinstance(d, dict) for sub, v in d.items()}
        log_params_safe({k: v for k, v in params.items() if not isinstance(v, (dict, list))} | flat)
        log_metrics_safe({k: v for k, v in record.items() if isinstance(v, (int, float)) and not isinstance(v, bool)})
        mlflow.log_dict(json.loads(json.dumps(record, default=str)), "bench.json")
        return run.info.run_id
