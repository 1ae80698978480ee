"""GRPO training: experiment config, TRL GRPOTrainer wiring, reward probes."""

from harness.training.config import ExperimentConfig, load_config

__all__ = ["ExperimentConfig", "load_config"]
