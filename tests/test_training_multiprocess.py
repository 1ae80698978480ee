"""The multi-process path: `accelerate launch` with 2 CPU processes runs the same training entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_accelerate_launch_two_cpu_processes(tmp_path):
    db = f"sqlite:///{tmp_path}/mlruns.db"
    config = tmp_path / "c.yaml"
    config.write_text(
        f"""
name: ddp
output_dir: {tmp_path}/run
data: {{source: sample, train_subset: warmup, train_limit: 8}}
model: {{name_or_path: tiny, tiny_warmup_steps: 200}}
grpo: {{max_steps: 2, num_generations: 4, per_device_train_batch_size: 2, max_completion_length: 8, save_steps: 2}}
tracking: {{uri: "{db}", experiment: ddp}}
"""
    )
    accelerate = Path(sys.executable).parent / "accelerate"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [str(accelerate), "launch", "--config_file", str(REPO / "experiments/accelerate/cpu-2proc.yaml"),
         "-m", "harness.commands.train", "--config", str(config)],
        capture_output=True, text=True, timeout=900, cwd=tmp_path, env=env,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert "on 2 process(es)" in proc.stdout.replace("\n", " ")
    assert (tmp_path / "run" / "final" / "model.safetensors").exists()
    mlflow.set_tracking_uri(db)
    runs = mlflow.search_runs(experiment_names=["ddp"], output_format="list")
    assert len(runs) == 1, "only the main process may record a run"
    assert runs[0].data.tags["mmrl.num_processes"] == "2"
    assert "reward" in runs[0].data.metrics
