"""Checks the pipeline makes before its first stage, so a mistake costs seconds, not a finished stage.

`--stages baseline_eval` on a fresh output folder used to run the whole evaluation and then fail with
`KeyError: 'data'`; a model path that does not exist was found only after the data and EDA stages ran.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# What each stage reads from earlier stages (their entries in pipeline_state.json).
STAGE_INPUTS: dict[str, tuple[str, ...]] = {
    "data": (),
    "eda": (),
    "baseline_eval": ("data",),
    "train": ("data",),
    "final_eval": ("data", "train"),
    "report": ("baseline_eval", "train", "final_eval"),
}


class PipelineError(RuntimeError):
    """The pipeline cannot start as asked (a stage's inputs are missing); the message names the fix."""


def _output_files(stage: str, outputs: Mapping[str, Any]) -> list[Path]:
    """Files a finished stage left that later stages open (deleted by hand -> the stage must rerun)."""
    if stage == "data":
        return [Path(outputs.get("data_dir", "")) / "manifest.json"]
    if stage == "train":
        return [Path(outputs.get("model_dir", ""))]
    if stage in ("baseline_eval", "final_eval"):
        return [Path(outputs.get("summary", ""))]
    return []


def check_stage_inputs(stages: Sequence[str], completed: Mapping[str, Mapping[str, Any]], output_dir: str) -> None:
    """Refuse a stage whose inputs neither exist in `output_dir` nor come from a stage run before it now."""
    will_run: list[str] = []
    for stage in stages:
        if stage in completed:
            continue
        for needed in STAGE_INPUTS[stage]:
            if needed in will_run:
                continue
            if needed not in completed:
                raise PipelineError(
                    f"stage {stage!r} needs the output of stage {needed!r}, which has not run in {output_dir}: "
                    f"add it (--stages {','.join(dict.fromkeys([needed, *stages]))}) or run without --stages"
                )
            missing = [p for p in _output_files(needed, completed[needed]) if not p.exists()]
            if missing:
                raise PipelineError(
                    f"stage {stage!r} needs the output of stage {needed!r}, but {missing[0]} is gone: rerun "
                    f"that stage (--fresh, or delete its entry from {Path(output_dir) / 'pipeline_state.json'})"
                )
        will_run.append(stage)
