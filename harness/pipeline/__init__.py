"""The main job: data → EDA → baseline eval → GRPO → re-eval → comparison report, one MLflow parent run."""

from harness.pipeline.preflight import PipelineError
from harness.pipeline.run import STAGES, load_pipeline_state, run_pipeline
from harness.pipeline.train_stage import run_training

__all__ = ["STAGES", "PipelineError", "load_pipeline_state", "run_pipeline", "run_training"]
