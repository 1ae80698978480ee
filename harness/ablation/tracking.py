"""Start a pipeline's MLflow run ourselves, so it carries our tags and parent from its first second.

`run_pipeline` opens its own parent run unless its state file already names one; creating that run here
(tags such as `mmrl.tier_set` or `mmrl.rerun_of`, nesting under an ablation, provenance) and seeding the
state file lets the stock pipeline re-open it, with no change to the pipeline itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import mlflow

from harness.training.config import ExperimentConfig


def seed_pipeline_run(cfg: ExperimentConfig, *, tracking_uri: str, run_name: str, tags: Mapping[str, str],
                      parent_run_id: str | None = None) -> str:
    """The run id `run_pipeline(cfg)` will record into (an existing one when the state file already has it)."""
    from harness.pipeline.run import PipelineState
    from harness.tracking.provenance import log_provenance

    state = PipelineState.load(Path(cfg.output_dir) / "pipeline_state.json", cfg.config_hash())
    if state.parent_run_id:
        return state.parent_run_id
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(cfg.tracking.experiment)
    all_tags = {"mmrl.kind": "pipeline", **dict(tags)}
    if parent_run_id:
        with mlflow.start_run(run_id=parent_run_id), \
                mlflow.start_run(run_name=run_name, nested=True, tags=all_tags) as run:
            log_provenance(cfg.to_yaml(), cfg.config_hash(), {"seed": cfg.seed, "name": cfg.name})
    else:
        with mlflow.start_run(run_name=run_name, tags=all_tags) as run:
            log_provenance(cfg.to_yaml(), cfg.config_hash(), {"seed": cfg.seed, "name": cfg.name})
    state.parent_run_id = run.info.run_id
    state.save()
    return run.info.run_id
