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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow

from harness.fs import ensure_writable_dir, exclusive_folder, write_text_atomic
from harness.pipeline.preflight import PipelineError, check_stage_inputs
from harness.tracking import log_metrics_safe, log_params_safe, resolve_tracking_uri
from harness.tracking.orphans import RESUMES_TAG, close_orphaned_children, link_resumed
from harness.tracking.provenance import log_provenance
from harness.training.config import ExperimentConfig, check_model_reference

log = logging.getLogger(__name__)

STAGES = ("data", "eda", "baseline_eval", "train", "final_eval", "report")
STATE_FILE = "pipeline_state.json"


@dataclass
class PipelineState:
    path: Path
    config_hash: str
    parent_run_id: str | None = None
    completed: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, config_hash: str) -> PipelineState:
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise PipelineError(f"{path} is not valid JSON ({exc}); delete it or pass --fresh") from exc
            if data.get("config_hash") != config_hash:
                log.warning("config changed since the last run (%s -> %s): starting over", data.get("config_hash"), config_hash)
                _set_aside_checkpoints(path.parent, str(data.get("config_hash")))
                return cls(path=path, config_hash=config_hash)
            return cls(path=path, config_hash=config_hash, parent_run_id=data.get("parent_run_id"),
                       completed=data.get("completed", {}))
        return cls(path=path, config_hash=config_hash)

    def save(self) -> None:
        write_text_atomic(self.path, json.dumps({"config_hash": self.config_hash, "parent_run_id": self.parent_run_id,
                                                 "completed": self.completed}, indent=1, default=str))


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
        state_path = self.out / STATE_FILE
        self.state = PipelineState(state_path, cfg.config_hash()) if fresh else PipelineState.load(
            state_path, cfg.config_hash())
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
        from harness.commands.eda import (
            resolve_token_counter,  # same tokenizer + prompt as `mmrl eda`
        )
        from harness.eda import run_eda
        from reports.eda import log_eda_to_mlflow, write_eda_report

        counter, why = resolve_token_counter(self.model_path())
        eda_dir = self.out / "eda"
        result = run_eda(self.cfg.data.source, eda_dir, counter, tokenizer_note=why, image_policy=self._image_policy())
        report = write_eda_report(result)
        log_eda_to_mlflow(result, report)
        return {"eda_dir": str(eda_dir), "report": str(report.html), "findings": len(result.findings)}

    def _image_policy(self):
        from harness.data import ImagePolicy

        return ImagePolicy(root=self.cfg.data.image_root, allow_absolute=self.cfg.data.allow_absolute_image_paths)

    def model_path(self) -> str:
        if self._model_path is None:
            from harness.training.grpo import resolve_model

            self._model_path = resolve_model(self.cfg)
        return self._model_path

    def _evaluate(self, model: str, name: str) -> dict[str, Any]:
        from harness.evaluation import run_eval
        from harness.tracking.eval_log import eval_params, log_eval_artifacts, log_eval_metrics
        from harness.training.grpo import build_reward_funcs, training_dataset
        from harness.training.probe import probe_mean_reward

        e = self.cfg.eval
        result = run_eval(
            model, self.cfg.data.source, tiers=self.cfg.rewards.tiers, policy=self.cfg.rewards.policy,
            limit=e.limit, batch_size=e.batch_size,
            backend=e.backend, output_dir=self.out / "eval" / name, gen_kwargs=e.gen_kwargs,
            eval_fraction=self.cfg.data.eval_fraction, seed=self.cfg.data.split_seed, revision=self.cfg.data.revision,
            max_images=e.max_images, task="open_mm_rl_all", image_root=self.cfg.data.image_root,
            allow_absolute_image_paths=self.cfg.data.allow_absolute_image_paths,
            model_args={"fast_generation": self.cfg.generation},
        )
        train_ids = set(self._train_ids())
        leaked = train_ids & set(result.evaluated_ids)
        if leaked:
            raise RuntimeError(f"evaluation saw {len(leaked)} training ids, e.g. {sorted(leaked)[:3]}")
        log_params_safe({f"{name}.{k}": v for k, v in eval_params(result).items()})
        log_eval_metrics(result)
        log_eval_artifacts(result)
        data_dir = Path(self.state.completed["data"]["data_dir"])
        weights = [self.cfg.rewards.accuracy_weight, self.cfg.rewards.format_weight]
        probe = probe_mean_reward(
            model, training_dataset(self.cfg, data_dir, self.model_path()), build_reward_funcs(self.cfg), weights,
            limit=e.probe_prompts, samples_per_prompt=e.probe_samples,
            temperature=float(self.cfg.grpo.get("temperature", 1.0)), seed=self.cfg.seed,
            max_new_tokens=int(self.cfg.grpo.get("max_completion_length", 64)),
            generation=self.cfg.generation,
        )
        log_metrics_safe(probe.metrics("train_prompts/"))
        summary = result.to_dict()
        summary["train_prompts_probe"] = probe.metrics()
        path = write_text_atomic(self.out / "eval" / f"{name}_summary.json", json.dumps(summary, indent=1, default=str))
        return {"summary": str(path), "acc": result.overall.acc if hasattr(result.overall, "acc") else None,
                "train_prompt_mean_reward": probe.mean_reward, "model": model}

    def stage_baseline_eval(self) -> dict[str, Any]:
        return self._evaluate(self.model_path(), "baseline")

    def stage_train(self) -> dict[str, Any]:
        from harness.pipeline.train_stage import run_training

        result = run_training(self.cfg, Path(self.state.completed["data"]["data_dir"]), model=self.model_path(),
                              resume=True)
        return {"model_dir": str(result.model_dir), "global_step": result.global_step,
                "log_history": result.log_history}

    def stage_final_eval(self) -> dict[str, Any]:
        return self._evaluate(self.state.completed["train"]["model_dir"], "trained")

    def stage_report(self) -> dict[str, Any]:
        from reports.comparison import render_comparison

        paths = render_comparison(
            baseline=json.loads(Path(self.state.completed["baseline_eval"]["summary"]).read_text()),
            trained=json.loads(Path(self.state.completed["final_eval"]["summary"]).read_text()),
            log_history=self.state.completed["train"].get("log_history", []),
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

    def run(self, stages: Sequence[str] = STAGES, tracking_uri: str | None = None, fallback: str | None = None) -> PipelineState:
        uri = resolve_tracking_uri(tracking_uri or self.cfg.tracking.uri, fallback=fallback or self.cfg.tracking.fallback,
                                   experiment=self.cfg.tracking.experiment)
        self.preflight(stages)
        with exclusive_folder(self.out, name="pipeline", wait=False, what="pipeline output_dir"):
            mlflow.set_tracking_uri(uri)
            mlflow.set_experiment(self.cfg.tracking.experiment)
            self._run_stages(stages)
        return self.state

    def _run_stages(self, stages: Sequence[str]) -> None:
        parent_kwargs: dict[str, Any] = {"run_id": self.state.parent_run_id} if self.state.parent_run_id else {
            "run_name": f"pipeline-{self.cfg.name}", "tags": {"mmrl.kind": "pipeline"}}
        with mlflow.start_run(**parent_kwargs) as parent:
            orphans: dict[str, list[str]] = {}
            if self.state.parent_run_id:
                orphans = close_orphaned_children(parent.info.run_id)
            else:
                self.state.parent_run_id = parent.info.run_id
                log_provenance(self.cfg.to_yaml(), self.cfg.config_hash(), {"seed": self.cfg.seed, "name": self.cfg.name})
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
                with mlflow.start_run(run_name=stage, nested=True, tags=tags) as run:
                    link_resumed(run.info.run_id, orphans.get(stage, []))
                    outputs = getattr(self, f"stage_{stage}")()
                self.state.completed[stage] = outputs
                self.state.save()


def run_pipeline(cfg: ExperimentConfig, *, stages: Sequence[str] = STAGES, tracking_uri: str | None = None,
                 fallback: str | None = None, say: Callable[[str], None] = print, fresh: bool = False) -> PipelineState:
    """Run `stages` (skipping finished ones unless `fresh`); checks the store, the stage inputs, the model and
    the output folder first, and holds the output folder's lock while it runs."""
    return Pipeline(cfg, console_print=say, fresh=fresh).run(stages, tracking_uri=tracking_uri, fallback=fallback)
