"""Find evaluation runs in MLflow and read what a leaderboard row needs from each (no sample files yet).

Eval runs are recognised by the `mmrl.kind` tag that `harness.tracking.eval_log.log_eval_result` sets;
the pipeline's baseline/final evaluation stages record the same metrics and files and can be included. Only
finished runs count: a crashed evaluation would rank on a partial set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

EVAL_KINDS = ("eval",)
PIPELINE_EVAL_KINDS = ("baseline_eval", "final_eval")


@dataclass
class EvalRun:
    """One evaluation as MLflow recorded it."""

    run_id: str
    run_name: str
    experiment: str
    kind: str
    model: str
    start_time: int
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)

    def param(self, name: str) -> str | None:
        """A param by name, also under a stage prefix (`baseline.data_fingerprint`) as the pipeline logs them."""
        if name in self.params:
            return self.params[name]
        for key, value in self.params.items():
            if key.endswith("." + name):
                return value
        return None

    @property
    def fingerprint(self) -> str:
        return self.tags.get("mmrl.data_fingerprint") or self.param("data_fingerprint") or "unknown"

    @property
    def split(self) -> str:
        return self.param("data_split") or "?"

    @property
    def tiers(self) -> str:
        return self.param("tiers") or "?"

    @property
    def limit(self) -> str:
        return self.param("limit") or ""

    @property
    def comparable_key(self) -> tuple[str, str, str, str]:
        """Runs with equal keys scored the same examples the same way."""
        return (self.fingerprint, self.split, self.tiers, self.limit)


def _model_of(tags: dict[str, str], params: dict[str, str]) -> str:
    if tags.get("mmrl.model"):
        return tags["mmrl.model"]
    if params.get("model"):
        return params["model"]
    for key, value in params.items():
        if key.endswith(".model") and value:
            return value
    return "unknown"


def _paged_search(client, experiment_ids: list[str], filter_string: str) -> Iterable[Any]:
    token = None
    while True:
        page = client.search_runs(experiment_ids, filter_string=filter_string, max_results=1000, page_token=token)
        yield from page
        token = page.token
        if not token:
            return


def find_eval_runs(
    *,
    tracking_uri: str | None = None,
    experiments: Sequence[str] | None = None,
    kinds: Sequence[str] = EVAL_KINDS,
    fingerprint: str | None = None,
) -> list[EvalRun]:
    """Finished runs tagged `mmrl.kind` ∈ `kinds`, in the named experiments (default: all), newest first."""
    from mlflow.entities import ViewType
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    if experiments:
        found = []
        for name in experiments:
            experiment = client.get_experiment_by_name(name)
            if experiment is None:
                raise ValueError(f"no MLflow experiment named {name!r} in {client.tracking_uri}")
            found.append(experiment)
    else:
        found = client.search_experiments(view_type=ViewType.ACTIVE_ONLY)
    names = {e.experiment_id: e.name for e in found}
    runs: list[EvalRun] = []
    for kind in kinds:
        query = f"tags.`mmrl.kind` = '{kind}' and attributes.status = 'FINISHED'"
        for run in _paged_search(client, list(names), query):
            tags, params = dict(run.data.tags), dict(run.data.params)
            record = EvalRun(
                run_id=run.info.run_id, run_name=run.info.run_name or run.info.run_id[:8],
                experiment=names.get(run.info.experiment_id, run.info.experiment_id), kind=kind,
                model=_model_of(tags, params), start_time=int(run.info.start_time or 0),
                tags=tags, params=params, metrics=dict(run.data.metrics),
            )
            if fingerprint and not record.fingerprint.startswith(fingerprint):
                continue
            runs.append(record)
    return sorted(runs, key=lambda r: r.start_time, reverse=True)


def latest_per_model(runs: Sequence[EvalRun]) -> list[EvalRun]:
    """Keep the newest run of each model per data/scoring setting (re-runs replace, they don't crowd the board)."""
    kept: dict[tuple, EvalRun] = {}
    for run in sorted(runs, key=lambda r: r.start_time, reverse=True):
        kept.setdefault((run.model, *run.comparable_key), run)
    return list(kept.values())
