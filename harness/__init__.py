"""Open-MM-RL Harness: data, evaluation and GRPO training for multimodal RL with verifiable rewards."""

__version__ = "0.1.0"
