"""The `open_mm_rl` lm-eval task group: one task per domain of Open-MM-RL plus `open_mm_rl_all` (see README.md)."""
