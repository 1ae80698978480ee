"""Reward tier ablations: train and score the same experiment under several tier sets, and audit reward noise.

`audit.run_audit` needs no training (fixed outputs re-scored under every tier set); `runner.run_ablation`
runs the whole sweep through the pipeline and renders `reports.ablation`.
"""

from harness.ablation.audit import POLICY, AuditCell, AuditResult, TierSet, run_audit
from harness.ablation.config import (
    AblationConfig,
    Variant,
    ablation_from_dict,
    load_ablation_config,
)

__all__ = [
    "POLICY",
    "AblationConfig",
    "AuditCell",
    "AuditResult",
    "TierSet",
    "Variant",
    "ablation_from_dict",
    "load_ablation_config",
    "run_ablation",
    "run_audit",
]


def __getattr__(name: str):
    # The runner pulls in MLflow and the pipeline; keep `import harness.ablation` light for the audit alone.
    if name == "run_ablation":
        from harness.ablation.runner import run_ablation

        return run_ablation
    raise AttributeError(name)
