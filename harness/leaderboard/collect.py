"""Find evaluation runs in MLflow and read what a leaderboard row needs from each (no sample files yet).

Every evaluation, whoever ran it (`mmrl eval`, the pipeline's baseline and re-evaluation, an ablation variant),
is recorded by `harness.tracking.eval_log.log_evaluation`: tag `mmrl.kind=eval`, a `mmrl.role` tag and the same
param names, so one query finds them all and no name is guessed. Only finished runs count: a crashed
evaluation would rank on a partial set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.tracking.eval_log import KIND_EVAL, ROLE_STANDALONE, ROLE_TAG

#: role filters `find_eval_runs` accepts ("ablation" matches every "ablation:<variant>")
ROLE_FILTERS = ("standalone", "baseline", "trained", "ablation")


@dataclass
class EvalRun:
    """One evaluation as MLflow recorded it."""

    run_id: str
    run_name: str
    experiment: str
    role: str
    model: str
    start_time: int
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)

    def param(self, name: str) -> str | None:
        return self.params.get(name)

    @property
    def fingerprint(self) -> str:
        return self.tags.get("mmrl.data_fingerprint") or self.param("data_fingerprint") or "unknown"

    @property
    def split(self) -> str:
        return self.param("data_split") or "?"

    @property
    def tiers(self) -> str:
        """The tier restriction ("default": the policy's per-domain cascade)."""
        return self.param("tiers") or "default"

    @property
    def policy(self) -> str:
        return self.param("reward_policy") or "default"

    @property
    def prompt(self) -> str:
        return self.param("prompt_name") or "?"

    @property
    def limit(self) -> str:
        return self.param("limit") or ""

    @property
    def comparable_key(self) -> tuple[str, ...]:
        """Runs with equal keys asked the same question of the same examples and scored the answers the same way."""
        return (self.fingerprint, self.split, self.tiers, self.policy, self.param("prompt") or "", self.limit)


def role_matches(role: str, wanted: Sequence[str] | None) -> bool:
    if not wanted:
        return True
    return any(role == w or (w == "ablation" and role.startswith("ablation:")) for w in wanted)


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
    roles: Sequence[str] | None = None,
    fingerprint: str | None = None,
    split: str | None = None,
) -> list[EvalRun]:
    """Finished evaluation runs in the named experiments (default: all) whose role is in `roles` (default: any)
    and, given `split`, that evaluated that split; newest first."""
    from mlflow.entities import ViewType
    from mlflow.tracking import MlflowClient

    unknown = [r for r in roles or () if r not in ROLE_FILTERS]
    if unknown:
        raise ValueError(f"unknown role(s) {unknown}; roles: {', '.join(ROLE_FILTERS)}")
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
    query = f"tags.`mmrl.kind` = '{KIND_EVAL}' and attributes.status = 'FINISHED'"
    for run in _paged_search(client, list(names), query):
        tags, params = dict(run.data.tags), dict(run.data.params)
        role = tags.get(ROLE_TAG, ROLE_STANDALONE)
        if not role_matches(role, roles):
            continue
        record = EvalRun(
            run_id=run.info.run_id, run_name=run.info.run_name or run.info.run_id[:8],
            experiment=names.get(run.info.experiment_id, run.info.experiment_id), role=role,
            model=tags.get("mmrl.model_label") or tags.get("mmrl.model") or params.get("model") or "unknown",
            start_time=int(run.info.start_time or 0), tags=tags, params=params, metrics=dict(run.data.metrics),
        )
        if fingerprint and not record.fingerprint.startswith(fingerprint):
            continue
        if split and record.split != split:
            continue
        runs.append(record)
    return sorted(runs, key=lambda r: r.start_time, reverse=True)


def latest_per_model(runs: Sequence[EvalRun]) -> list[EvalRun]:
    """Keep the newest run of each model and role per data/scoring setting (re-runs replace, they don't crowd
    the board)."""
    kept: dict[tuple, EvalRun] = {}
    for run in sorted(runs, key=lambda r: r.start_time, reverse=True):
        kept.setdefault((run.model, run.role, *run.comparable_key), run)
    return list(kept.values())
