"""Runs left `RUNNING` by a process that died (kill -9, OOM, power loss), closed by the run that resumes them.

MLflow marks a run finished only when the process that opened it ends it. A pipeline killed during GRPO
resumed correctly, but its stage run stayed `RUNNING` forever beside the new one, both holding the
overlapping steps. Before it starts stages, a resumed pipeline marks such children of its parent run
`KILLED` and links old and new runs both ways (tags `mmrl.resumed_by` / `mmrl.resumes`), so each run holds
each step once and the UI shows which attempt continued which. Callers must hold the output folder's lock:
only then is a `RUNNING` child certainly not some live process's.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from mlflow.tracking import MlflowClient

log = logging.getLogger(__name__)

ORPHAN_TAG = "mmrl.orphaned"
RESUMES_TAG = "mmrl.resumes"
RESUMED_BY_TAG = "mmrl.resumed_by"


def close_orphaned_children(parent_run_id: str, client: MlflowClient | None = None) -> dict[str, list[str]]:
    """Mark `RUNNING` child runs of `parent_run_id` as `KILLED`; returns their ids by `mmrl.stage`."""
    client = client or MlflowClient()
    parent = client.get_run(parent_run_id)
    children = client.search_runs(
        [parent.info.experiment_id],
        filter_string=f"tags.`mlflow.parentRunId` = '{parent_run_id}' and attributes.status = 'RUNNING'",
    )
    closed: dict[str, list[str]] = defaultdict(list)
    for run in children:
        run_id = run.info.run_id
        stage = run.data.tags.get("mmrl.stage", "")
        client.set_tag(run_id, ORPHAN_TAG, "the process running this stage died; closed by the resumed pipeline")
        client.set_terminated(run_id, status="KILLED")
        closed[stage].append(run_id)
        log.warning("closed orphaned run %s (stage %s) left RUNNING by a killed process", run_id, stage or "?")
    return dict(closed)


def link_resumed(new_run_id: str, old_run_ids: list[str], client: MlflowClient | None = None) -> None:
    """Tag old attempts with the run that continued them (the new run carries `mmrl.resumes` from its start)."""
    client = client or MlflowClient()
    for old in old_run_ids:
        client.set_tag(old, RESUMED_BY_TAG, new_run_id)
