"""Stage runner for the main job, resumable stage by stage.

Each finished stage is recorded in `<output_dir>/pipeline_state.json` with what it produced; a rerun skips
finished stages and re-opens the same MLflow parent run, so an interrupted 2-hour job costs only the stage
that was interrupted.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import mlflow

from harness.fs import ensure_writable_dir, exclusive_folder, write_text_atomic
from harness.pipeline.preflight import PipelineError, check_stage_inputs
from harness.stage_state import StageState, StateFileError
from harness.tracking import log_metrics_safe, log_params_safe, resolve_tracking_uri
from harness.tracking.eval_log import ROLE_BASELINE, ROLE_TRAINED
from harness.tracking.orphans import RESUMES_TAG, close_orphaned_children, link_resumed
from harness.tracking.provenance import log_prompt, log_provenance, provenance_tags
from harness.tracking.store import use_experiment
from harness.training.config import ExperimentConfig, check_model_reference

log = logging.getLogger(__name__)

STAGES = ("data", "eda", "baseline_eval", "train", "final_eval", "report")
STATE_FILE = "pipeline_state.json"


def load_pipeline_state(cfg: ExperimentConfig, *, fresh: bool = False) -> StageState:
    """The progress of `cfg`'s pipeline in its output folder (a fresh one when `fresh` or the config changed)."""
    out = Path(cfg.output_dir)
    if fresh:
        return StageState(out / STATE_FILE, cfg.config_hash())
    try:
        return StageState.load(out / STATE_FILE, cfg.config_hash(),
                               on_config_change=lambda old: _set_aside_checkpoints(out, old))
    except StateFileError as exc:
        raise PipelineError(str(exc)) from exc


def _set_aside_checkpoints(out: Path, old_hash: str) -> None:
    """Checkpoints of another config must not be resumed by this one: move them out of the way, keep them."""
    checkpoints = out / "checkpoints"
    if checkpoints.is_dir():
        target = out / f"checkpoints.stale-{old_hash}"
        log.warning("moving checkpoints of the previous config to %s", target)
        os.replace(checkpoints, target)


class Pipeline:
    def __init__(self, cfg: ExperimentConfig, *, console_print: Callable[[str], None] = print,
                 fresh: bool = False) -> None:
        self.cfg = cfg
        self.out = Path(cfg.output_dir)
        self.say = console_print
        self.state = load_pipeline_state(cfg, fresh=fresh)
        self._model_path: str | None = None

    # -- stages -----------------------------------------------------------------------------------
    def stage_data(self) -> dict[str, Any]:
        from harness.pipeline.train_stage import export_data

        data_dir = self.out / "data"
        manifest = export_data(self.cfg, data_dir)
        mlflow.log_artifact(str(data_dir / "manifest.json"), artifact_path="data")
        splits = manifest.get("splits", {})
        log_metrics_safe({f"rows/{name}": entry.get("rows", entry.get("count", 0)) for name, entry in splits.items()
                          if isinstance(entry, dict)})
        log_params_safe({"data.source": self.cfg.data.source, "data.fingerprint": manifest.get("fingerprint")})
        if self.state.parent_run_id:  # the parent run carries the fingerprint too, for leaderboards and reruns
            mlflow.tracking.MlflowClient().set_tag(
                self.state.parent_run_id, "mmrl.data_fingerprint", str(manifest.get("fingerprint")))
        return {"data_dir": str(data_dir), "fingerprint": manifest.get("fingerprint")}

    def stage_eda(self) -> dict[str, Any]:
        from harness.eda import (  # same tokenizer + prompt as `mmrl eda`
            resolve_token_counter,
            run_eda,
        )
        from harness.tracking.eda_log import log_eda
        from reports.eda import write_eda_report

        counter, why = resolve_token_counter(self.model_path(), prompt=self.cfg.prompt_spec())
        eda_dir = self.out / "eda"
        result = run_eda(self.cfg.data.source, eda_dir, counter, tokenizer_note=why, image_policy=self._image_policy())
        report = write_eda_report(result)
        log_eda(result, [report.html, report.markdown])
        return {"eda_dir": str(eda_dir), "report": str(report.html), "findings": len(result.findings)}

    def _image_policy(self):
        from harness.data import ImagePolicy

        return ImagePolicy(root=self.cfg.data.image_root, allow_absolute=self.cfg.data.allow_absolute_image_paths)

    def model_path(self) -> str:
        if self._model_path is None:
            from harness.training.grpo import resolve_model

            self._model_path = resolve_model(self.cfg)
        return self._model_path

    def _evaluate(self, model: str, role: str) -> dict[str, Any]:
        from harness.evaluation import run_eval
        from harness.tracking.eval_log import log_evaluation
        from harness.training.evaluation import eval_request

        result = run_eval(eval_request(self.cfg, model, self.out / "eval" / role))
        leaked = set(self._train_ids()) & set(result.evaluated_ids)
        if leaked:
            raise RuntimeError(f"evaluation saw {len(leaked)} training ids, e.g. {sorted(leaked)[:3]}")
        log_evaluation(result, role=role, config=self._run_config())
        probe = self._probe(model)
        log_metrics_safe(probe.metrics("train_prompts/"))
        summary = result.to_dict()
        summary["train_prompts_probe"] = probe.metrics()
        path = write_text_atomic(self.out / "eval" / f"{role}_summary.json", json.dumps(summary, indent=1, default=str))
        return {"summary": str(path), "acc": result.overall.acc, "train_prompt_mean_reward": probe.mean_reward,
                "model": model}

    def _probe(self, model: str):
        """Mean GRPO reward on training prompts: what training optimises, next to the held-out accuracy."""
        from harness.training.grpo import build_reward_funcs, training_dataset
        from harness.training.probe import probe_mean_reward

        e = self.cfg.eval
        data_dir = Path(self.state.completed["data"]["data_dir"])
        weights = [self.cfg.rewards.accuracy_weight, self.cfg.rewards.format_weight]
        return probe_mean_reward(
            model, training_dataset(self.cfg, data_dir, self.model_path()), build_reward_funcs(self.cfg), weights,
            limit=e.probe_prompts, samples_per_prompt=e.probe_samples,
            temperature=float(self.cfg.grpo.get("temperature", 1.0)), seed=self.cfg.seed,
            max_new_tokens=int(self.cfg.grpo.get("max_completion_length", 64)),
            generation=self.cfg.generation,
        )

    def _run_config(self):
        from harness.tracking.eval_log import RunConfig

        return RunConfig(self.cfg.to_yaml(), self.cfg.config_hash(), {"name": self.cfg.name})

    def stage_baseline_eval(self) -> dict[str, Any]:
        return self._evaluate(self.model_path(), ROLE_BASELINE)

    def stage_train(self) -> dict[str, Any]:
        from harness.pipeline.train_stage import run_training

        result = run_training(self.cfg, Path(self.state.completed["data"]["data_dir"]), model=self.model_path(),
                              resume="auto")  # an interrupted stage continues; a first run starts quietly
        return {"model_dir": str(result.model_dir), "global_step": result.global_step,
                "log_history": result.log_history, "io": result.io}

    def stage_final_eval(self) -> dict[str, Any]:
        return self._evaluate(self.state.completed["train"]["model_dir"], ROLE_TRAINED)

    def stage_report(self) -> dict[str, Any]:
        from reports.comparison import render_comparison

        paths = render_comparison(
            baseline=json.loads(Path(self.state.completed["baseline_eval"]["summary"]).read_text()),
            trained=json.loads(Path(self.state.completed["final_eval"]["summary"]).read_text()),
            log_history=self.state.completed["train"].get("log_history", []),
            io=self.state.completed["train"].get("io") or {},
            out_dir=self.out / "report",
            title=f"{self.cfg.name}: baseline vs GRPO",
        )
        for path in paths.values():
            mlflow.log_artifact(str(path), artifact_path="report")
        return {k: str(v) for k, v in paths.items()}

    def _train_ids(self) -> list[str]:
        manifest_path = Path(self.state.completed["data"]["data_dir"]) / "manifest.json"
        manifest = json.loads(manifest_path.read_text())
        split = manifest.get("split", {})
        return split.get("train_ids") or manifest.get("train_ids") or []

    # -- driver -----------------------------------------------------------------------------------
    def preflight(self, stages: Sequence[str]) -> None:
        """Everything that can be known wrong before the first stage: stage inputs, the model, the folder."""
        check_stage_inputs([s for s in STAGES if s in stages], self.state.completed, str(self.out))
        needs_model = any(s in stages and s not in self.state.completed for s in ("eda", "baseline_eval", "train"))
        if needs_model:
            check_model_reference(self.cfg.model.name_or_path)
        ensure_writable_dir(self.out, what="pipeline output_dir")

    def run(
        self, stages: Sequence[str] = STAGES, tracking_uri: str | None = None, fallback: str | None = None
    ) -> StageState:
        uri = resolve_tracking_uri(
            tracking_uri or self.cfg.tracking.uri,
            fallback=fallback or self.cfg.tracking.fallback,
            experiment=self.cfg.tracking.experiment,
        )
        self.preflight(stages)
        with exclusive_folder(self.out, name="pipeline", wait=False, what="pipeline output_dir"):
            use_experiment(self.cfg.tracking.experiment, uri)
            self._prepare_model(stages)
            self._run_stages(stages)
        return self.state

    def _prepare_model(self, stages: Sequence[str]) -> None:
        """Build (or find) the model before the first stage, under its own heading: the tiny model's warm-up
        used to appear under whichever stage first asked for the model ("stage eda")."""
        if any(s in stages and s not in self.state.completed for s in ("eda", "baseline_eval", "train")):
            self.say(f"model {self.cfg.model.name_or_path}")
            self.model_path()

    def _run_stages(self, stages: Sequence[str]) -> None:
        parent_kwargs: dict[str, Any] = {"run_id": self.state.parent_run_id} if self.state.parent_run_id else {
            "run_name": f"pipeline-{self.cfg.name}", "tags": {"mmrl.kind": "pipeline"}}
        with mlflow.start_run(**parent_kwargs) as parent:
            orphans: dict[str, list[str]] = {}
            if self.state.parent_run_id:
                orphans = close_orphaned_children(parent.info.run_id)
            else:
                self.state.parent_run_id = parent.info.run_id
                log_provenance(
                    self.cfg.to_yaml(), self.cfg.config_hash(), {"seed": self.cfg.seed, "name": self.cfg.name}
                )
                log_prompt(self.cfg.prompt_spec().to_dict())
                self.state.save()
            for stage in STAGES:
                if stage not in stages:
                    continue
                if stage in self.state.completed:
                    self.say(f"skip {stage} (done)")
                    continue
                self.say(f"stage {stage}" + (" (resuming an interrupted attempt)" if stage in orphans else ""))
                tags = {"mmrl.kind": stage, "mmrl.stage": stage}
                if stage in orphans:
                    tags[RESUMES_TAG] = ",".join(orphans[stage])
                tags.update(provenance_tags(self.cfg.config_hash(), {"seed": self.cfg.seed, "name": self.cfg.name}))
                with mlflow.start_run(run_name=stage, nested=True, tags=tags) as run:
                    link_resumed(run.info.run_id, orphans.get(stage, []))
                    outputs = getattr(self, f"stage_{stage}")()
                self.state.finish(stage, outputs)


def run_pipeline(cfg: ExperimentConfig, *, stages: Sequence[str] = STAGES, tracking_uri: str | None = None,
                 fallback: str | None = None, say: Callable[[str], None] = print, fresh: bool = False) -> StageState:
    """Run `stages` (skipping finished ones unless `fresh`); checks the store, the stage inputs, the model and
    the output folder first, and holds the output folder's lock while it runs."""
    return Pipeline(cfg, console_print=say, fresh=fresh).run(stages, tracking_uri=tracking_uri, fallback=fallback)
