"""Start a pipeline's MLflow run ourselves, so it carries our tags and parent from its first second.

`run_pipeline` opens its own parent run unless its state file already names one; creating that run here
(tags such as `mmrl.tier_set` or `mmrl.rerun_of`, nesting under an ablation, provenance) and seeding the
state file lets the stock pipeline re-open it, with no change to the pipeline itself.
"""

from __future__ import annotations

from collections.abc import Mapping

import mlflow

from harness.tracking.store import use_experiment
from harness.training.config import ExperimentConfig


def seed_pipeline_run(cfg: ExperimentConfig, *, tracking_uri: str, run_name: str, tags: Mapping[str, str],
                      parent_run_id: str | None = None) -> str:
    """The run id `run_pipeline(cfg)` will record into (an existing one when the state file already has it)."""
    from harness.pipeline import load_pipeline_state
    from harness.tracking.provenance import log_prompt, log_provenance

    state = load_pipeline_state(cfg)
    if state.parent_run_id:
        return state.parent_run_id
    use_experiment(cfg.tracking.experiment, tracking_uri)
    all_tags = {"mmrl.kind": "pipeline", **dict(tags)}
    if parent_run_id:
        with mlflow.start_run(run_id=parent_run_id), \
                mlflow.start_run(run_name=run_name, nested=True, tags=all_tags) as run:
            log_provenance(cfg.to_yaml(), cfg.config_hash(), {"seed": cfg.seed, "name": cfg.name})
            log_prompt(cfg.prompt_spec().to_dict())
    else:
        with mlflow.start_run(run_name=run_name, tags=all_tags) as run:
            log_provenance(cfg.to_yaml(), cfg.config_hash(), {"seed": cfg.seed, "name": cfg.name})
            log_prompt(cfg.prompt_spec().to_dict())
    state.parent_run_id = run.info.run_id
    state.save()
    return run.info.run_id
