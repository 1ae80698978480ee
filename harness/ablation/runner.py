"""Run a tier-set ablation: shared baseline eval, reward audit, then train + evaluate once per tier set.

MLflow layout (one experiment, the base config's):

    ablation-<name>                (mmrl.kind=ablation; provenance; the report as artifacts)
    ├── baseline                   (mmrl.kind=eval, mmrl.role=baseline; the untrained model, reference scoring)
    ├── reward-audit               (mmrl.kind=audit; fixed outputs re-scored under every tier set)
    └── <variant>                  (mmrl.kind=pipeline, mmrl.tier_set=<variant>; run_pipeline's data + train)
        ├── data, train            (run_pipeline's stage runs)
        └── final_eval             (mmrl.kind=eval, mmrl.stage=final_eval, mmrl.role=ablation:<variant>;
                                    reference scoring)

Every variant's model is evaluated with the *reference* scoring (the per-domain policy unless the file names
another), not with its own training reward: otherwise a weak reward would also grade its own exam. Variants
share seed, data and starting model; the data fingerprint of each variant's export is checked to be equal.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow

from harness.ablation.audit import AuditResult, TierSet, run_audit
from harness.ablation.config import AblationConfig, Variant
from harness.ablation.mutation_audit import MutationAudit, mutation_rows, run_mutation_audit
from harness.leaderboard.samples import SampleRecord, load_samples, read_samples
from harness.stage_state import StageState
from harness.tracking.eval_log import ROLE_BASELINE, ablation_role
from harness.tracking.store import use_experiment
from harness.training.config import ExperimentConfig, reward_policy

log = logging.getLogger(__name__)

VARIANT_STAGES = ("data", "train")
STATE_FILE = "ablation_state.json"
BASELINE_STEP = "baseline"
KIND_ABLATION = "ablation"
KIND_AUDIT = "audit"


@dataclass
class AblationOutcome:
    parent_run_id: str
    audit: AuditResult
    summary: dict[str, Any]
    report: dict[str, Path]


# -- small pieces ---------------------------------------------------------------------------------------------
def _slice(domain_result) -> dict[str, Any]:
    low, high = domain_result.acc_ci95
    return {"n": domain_result.n, "acc": domain_result.acc, "ci_low": low, "ci_high": high,
            "answer_found": domain_result.answer_found}


def eval_summary(result) -> dict[str, Any]:
    """The numbers the report needs from an `EvalResult` (JSON-ready)."""
    return {"model": result.model, "overall": _slice(result.overall),
            "domains": {name: _slice(d) for name, d in result.domains.items()},
            "fingerprint": result.data.get("fingerprint"), "split": result.data.get("split"),
            "samples_paths": [str(p) for p in result.samples_paths], "seconds": result.seconds}


def train_summary(log_history: Sequence[dict[str, Any]], tail: int = 5) -> dict[str, Any]:
    """Mean training reward (as the variant's own reward scored it) over the first and last `tail` steps."""
    steps = [h for h in log_history if "reward" in h]

    def mean(rows: Sequence[dict[str, Any]], key: str) -> float | None:
        values = [float(r[key]) for r in rows if isinstance(r.get(key), (int, float))]
        return sum(values) / len(values) if values else None

    return {"steps": len(steps), "reward_first": mean(steps[:tail], "reward"),
            "reward_last": mean(steps[-tail:], "reward"),
            "accuracy_reward_last": mean(steps[-tail:], "rewards/accuracy/mean"),
            "zero_std_last": mean(steps[-tail:], "frac_reward_zero_std")}


def evaluate(model: str, cfg: ExperimentConfig, out_dir: Path, *, tiers: Sequence[str] | None, split: str):
    """`cfg`'s evaluation (`harness.training.evaluation.eval_request`) scored with exactly `tiers`.

    `tiers=None` means the per-domain policy, *not* "the variant's own tiers": a variant trained on `exact` is
    still graded by the reference."""
    from harness.evaluation import run_eval
    from harness.training.evaluation import eval_request

    return run_eval(eval_request(cfg, model, out_dir, split=split).with_(tiers=tiers))


def record_eval_child(result, cfg: ExperimentConfig, *, role: str, run_name: str, tags: dict[str, str]) -> str:
    """A nested eval run under the active run, recorded as every evaluation is (`record_evaluation`)."""
    from harness.tracking.eval_log import RunConfig, record_evaluation

    return record_evaluation(result, role=role, run_name=run_name, tags=tags, nested=True,
                             config=RunConfig(cfg.to_yaml(), cfg.config_hash(), {"name": cfg.name}))


def _variant_step(name: str) -> str:
    return f"variant:{name}"


# -- the driver -----------------------------------------------------------------------------------------------
class Ablation:
    def __init__(self, acfg: AblationConfig, *, tracking_uri: str, say: Callable[[str], None] = print) -> None:
        self.acfg = acfg
        self.base = acfg.base_config()
        self.uri = tracking_uri
        self.say = say
        self.out = Path(acfg.output_dir)
        self.warnings: list[str] = []
        self.mutations: MutationAudit | None = None

    # MLflow: the parent is re-opened for each step, so a variant's own run_pipeline (which must start its run
    # while no run is active) fits between steps.
    def _open_parent(self, parent_id: str):
        use_experiment(self.base.tracking.experiment, self.uri)
        return mlflow.start_run(run_id=parent_id)

    def create_parent(self, mode: str) -> str:
        from harness.tracking import log_params_safe
        from harness.tracking.provenance import log_provenance

        use_experiment(self.base.tracking.experiment, self.uri)
        tags = {"mmrl.kind": KIND_ABLATION, "mmrl.ablation_mode": mode, "mmrl.ablation": self.acfg.name,
                "mmrl.tier_sets": ",".join(v.name for v in self.acfg.variants)}
        with mlflow.start_run(
            run_name=f"{'audit' if mode == 'audit' else 'ablation'}-{self.acfg.name}", tags=tags
        ) as run:
            log_provenance(self.acfg.to_yaml(), self.acfg.config_hash(),
                           {"seed": self.base.seed, "name": self.acfg.name, "reference": self.acfg.reference_set.name})
            log_params_safe({f"variant.{v.name}": v.tier_set.description for v in self.acfg.variants}
                            | {"base_model": self.base.model.name_or_path, "seed": self.base.seed,
                               "grpo.max_steps": self.base.grpo.get("max_steps"), "data_source": self.base.data.source,
                               "final_eval_split": self.acfg.eval_split})
            return run.info.run_id

    def baseline(self, parent_id: str) -> tuple[dict[str, Any], list[SampleRecord]]:
        """The untrained model, once for all variants; its samples are the audit's default input."""
        from harness.training.grpo import resolve_model

        model = resolve_model(self.base)
        self.say(f"baseline eval of {model}")
        result = evaluate(model, self.base, self.out / "baseline" / "eval", tiers=self.acfg.reference_set.tiers,
                          split=self.acfg.eval_split)
        with self._open_parent(parent_id):
            run_id = record_eval_child(result, self.base, role=ROLE_BASELINE, run_name="baseline",
                                       tags={"mmrl.tier_set": "baseline", "mmrl.ablation": self.acfg.name})
        summary = eval_summary(result) | {"run_id": run_id}
        return summary, read_samples(result.samples_paths)

    def audit(self, parent_id: str, records: Sequence[SampleRecord], source: str) -> AuditResult:
        from harness.tracking import log_metrics_safe, log_params_safe
        from harness.tracking.provenance import log_provenance

        tier_sets = [v.tier_set for v in self.acfg.variants]
        self.say(f"reward audit: {len(records)} samples x {len(tier_sets)} tier sets")
        result = run_audit(records, tier_sets, reference=self.acfg.reference_set, source=source,
                           policy=reward_policy(self.base))
        if result.logged_mismatches:
            self.warnings.append(f"{len(result.logged_mismatches)} sample(s) score differently today than in the eval "
                                 f"that logged them (rewards changed?), e.g. {result.logged_mismatches[:3]}")
        tags = {"mmrl.kind": KIND_AUDIT, "mmrl.ablation": self.acfg.name,
                "mmrl.tier_sets": ",".join(t.name for t in tier_sets)}
        mutations = self.mutation_audit(tier_sets)
        with self._open_parent(parent_id), mlflow.start_run(run_name="reward-audit", nested=True, tags=tags):
            log_provenance(
                self.acfg.to_yaml(), self.acfg.config_hash(), {"seed": self.base.seed, "name": self.acfg.name}
            )
            log_params_safe({"samples": source, "n": len(records), "reference": result.reference.description})
            log_metrics_safe(result.metrics())
            mlflow.log_dict(result.to_dict(), "audit/audit.json")
            if mutations is not None:
                log_params_safe({"mutation_rows": mutations.rows, "mutation_cases": mutations.cases})
                log_metrics_safe(mutations.metrics())
                mlflow.log_dict(mutations.to_dict(), "audit/mutation_audit.json")
        self.mutations = mutations
        return result

    def mutation_audit(self, tier_sets: Sequence[TierSet]) -> MutationAudit | None:
        """Model-free: every tier set on equivalent forms and hacks of the data's golds (`audit.mutations`)."""
        if not self.acfg.audit.get("mutations", True):
            return None
        from harness.data import load_dataset

        data = self.base.data
        rows = mutation_rows(load_dataset(data.source, revision=data.revision),
                             limit=self.acfg.audit.get("mutation_rows"), seed=self.base.seed)
        self.say(f"model-free audit: {len(rows)} golds x {len(tier_sets)} tier sets")
        return run_mutation_audit(rows, tier_sets, policy=reward_policy(self.base), seed=self.base.seed)

    def variant(self, parent_id: str, variant: Variant, state: StageState) -> dict[str, Any]:
        """Train with the variant's reward (run_pipeline: data + train), then evaluate with the reference."""
        from harness.ablation.tracking import seed_pipeline_run
        from harness.pipeline import run_pipeline

        cfg = self.acfg.variant_config(variant)
        entry = state.started.setdefault(_variant_step(variant.name), {})
        if not entry.get("run_id"):
            # First time in this ablation run: whatever the folder holds is from another run (the train stage
            # would resume from its checkpoints, and its pipeline state would record into that run's MLflow tree).
            for stale in (Path(cfg.output_dir) / "pipeline_state.json", Path(cfg.output_dir) / "checkpoints"):
                if stale.exists():
                    self.say(f"variant {variant.name}: removing {stale} left by an earlier run")
                    if stale.is_dir():
                        shutil.rmtree(stale)
                    else:
                        stale.unlink()
        tags = {"mmrl.tier_set": variant.name, "mmrl.tiers": variant.tier_set.description,
                "mmrl.ablation": self.acfg.name, "mmrl.stages": ",".join(VARIANT_STAGES)}
        entry["run_id"] = seed_pipeline_run(cfg, tracking_uri=self.uri, run_name=variant.name, tags=tags,
                                            parent_run_id=parent_id)
        state.save()
        self.say(f"variant {variant.name}: training with tiers {variant.tier_set.description}")
        done = run_pipeline(cfg, stages=VARIANT_STAGES, tracking_uri=self.uri, say=self.say)
        self._tag(entry["run_id"], "mmrl.data_fingerprint", done.completed["data"].get("fingerprint"))
        model_dir = done.completed["train"]["model_dir"]
        result = evaluate(model_dir, cfg, Path(cfg.output_dir) / "eval" / "final",
                          tiers=self.acfg.reference_set.tiers, split=self.acfg.eval_split)
        train_ids = set(self._train_ids(done))
        leaked = train_ids & set(result.evaluated_ids)
        if leaked:
            raise RuntimeError(f"variant {variant.name}: evaluation saw {len(leaked)} training ids, "
                               f"e.g. {sorted(leaked)[:3]}")
        with self._open_parent(entry["run_id"]):
            eval_run = record_eval_child(result, cfg, role=ablation_role(variant.name), run_name="final_eval",
                                         tags={"mmrl.tier_set": variant.name, "mmrl.ablation": self.acfg.name,
                                               "mmrl.stage": "final_eval"})
        own = run_audit(read_samples(result.samples_paths), [variant.tier_set], reference=self.acfg.reference_set,
                        policy=reward_policy(cfg))
        return {"name": variant.name, "tiers": variant.tier_set.description, "policy": variant.policy,
                "run_id": entry["run_id"], "eval_run_id": eval_run, "model_dir": model_dir,
                "data_fingerprint": done.completed["data"].get("fingerprint"),
                "final": eval_summary(result), "train": train_summary(done.completed["train"].get("log_history") or []),
                "own_noise": {row["domain"]: row for row in own.rows()}}

    def _tag(self, run_id: str, key: str, value: object) -> None:
        if value is not None:
            from mlflow.tracking import MlflowClient

            MlflowClient(self.uri).set_tag(run_id, key, str(value))

    @staticmethod
    def _train_ids(done) -> list[str]:
        import json

        manifest = json.loads((Path(done.completed["data"]["data_dir"]) / "manifest.json").read_text())
        return (manifest.get("split") or {}).get("train_ids") or manifest.get("train_ids") or []

    # -- whole sweep ----------------------------------------------------------------------------------------------
    def run(self, *, audit_only: bool = False, samples: str | None = None) -> AblationOutcome:
        samples = samples or self.acfg.audit.get("samples")
        # an audit alone is cheap and never resumed; a sweep resumes from its state file
        state = StageState(path=self.out / STATE_FILE, config_hash=self.acfg.config_hash()) if audit_only else \
            StageState.load(self.out / STATE_FILE, self.acfg.config_hash())
        parent_id = state.parent_run_id or self.create_parent("audit" if audit_only else "full")
        if state.parent_run_id != parent_id:
            state.parent_run_id = parent_id
            if not audit_only:
                state.save()
        try:
            outcome = self._run(parent_id, state, audit_only=audit_only, samples=samples)
        except BaseException:
            from mlflow.tracking import MlflowClient

            MlflowClient(self.uri).set_terminated(parent_id, "FAILED")
            raise
        return outcome

    def _run(self, parent_id: str, state: StageState, *, audit_only: bool, samples: str | None) -> AblationOutcome:
        baseline = None
        if not (audit_only and samples):
            done = state.completed.get(BASELINE_STEP)
            if done and all(Path(p).exists() for p in done.get("samples_paths", [])):
                baseline = done
                baseline_records = read_samples(baseline["samples_paths"])
                self.say("skip baseline eval (done)")
            else:
                baseline, baseline_records = self.baseline(parent_id)
                self._tag(parent_id, "mmrl.data_fingerprint", baseline.get("fingerprint"))
                state.completed[BASELINE_STEP] = baseline
                if not audit_only:
                    state.save()
        if samples:
            records, source = load_samples(samples, tracking_uri=self.uri)
        else:
            records, source = baseline_records, f"baseline eval ({baseline['run_id']})"
        audit = self.audit(parent_id, records, source)
        variants: list[dict[str, Any]] = []
        if not audit_only:
            for variant in self.acfg.variants:
                step = _variant_step(variant.name)
                if step in state.completed:
                    self.say(f"skip variant {variant.name} (done)")
                    variants.append(state.completed[step])
                    continue
                summary = self.variant(parent_id, variant, state)
                state.finish(step, summary)
                variants.append(summary)
            fingerprints = {v["name"]: v.get("data_fingerprint") for v in variants}
            if len(set(fingerprints.values())) > 1:
                self.warnings.append(f"variants trained on different data: {fingerprints}")
        summary = self.summary(audit, baseline, variants, audit_only=audit_only)
        report = self.report(parent_id, summary, audit_only=audit_only)
        return AblationOutcome(parent_run_id=parent_id, audit=audit, summary=summary, report=report)

    def summary(self, audit: AuditResult, baseline: dict[str, Any] | None, variants: list[dict[str, Any]],
                *, audit_only: bool) -> dict[str, Any]:
        base = self.base
        return {
            "name": self.acfg.name, "generated_at": time.strftime("%Y-%m-%d %H:%M:%S"), "audit_only": audit_only,
            "reference": {"name": audit.reference.name, "tiers": audit.reference.description},
            "base": {"model": base.model.name_or_path, "seed": base.seed, "grpo_steps": base.grpo.get("max_steps"),
                     "data_source": base.data.source, "eval_split": self.acfg.eval_split,
                     "eval_limit": base.eval.limit},
            "tier_sets": [{"name": v.name, "tiers": v.tier_set.description, "policy": v.policy}
                          for v in self.acfg.variants],
            "baseline": baseline, "variants": variants, "audit": audit.to_dict(), "warnings": self.warnings,
            "mutation_audit": self.mutations.to_dict() if self.mutations is not None else None,
        }

    def report(self, parent_id: str, summary: dict[str, Any], *, audit_only: bool) -> dict[str, Path]:
        from harness.tracking import log_metrics_safe
        from reports.ablation import write_ablation_report

        paths = write_ablation_report(summary, self.out / ("audit" if audit_only else "report"))
        with self._open_parent(parent_id):
            for path in paths.values():
                mlflow.log_artifact(str(path), artifact_path="report")
            metrics = {}
            for row in summary["audit"]["rows"]:
                if row["domain"] == "all":
                    metrics[f"audit/{row['tier_set']}/false_negatives"] = row["false_negatives"]
                    metrics[f"audit/{row['tier_set']}/acc"] = row["accuracy"]
            for row in (summary.get("mutation_audit") or {}).get("table", []):
                if row["domain"] == "all" and row["recall"] is not None:
                    metrics[f"audit_mutations/{row['tier_set']}/recall"] = row["recall"]
            for variant in summary["variants"]:
                metrics[f"final/{variant['name']}/acc"] = variant["final"]["overall"]["acc"]
            log_metrics_safe(metrics)
        return paths


def run_ablation(acfg: AblationConfig, *, tracking_uri: str | None = None, audit_only: bool = False,
                 samples: str | None = None, fresh: bool = False, say: Callable[[str], None] = print,
                 fallback: str | None = None) -> AblationOutcome:
    """Run the sweep (or only the reward audit) and write its report; resumable unless `fresh`.

    The store (write probe), the base model reference and the output folder are checked before any work.
    """
    from harness.fs import ensure_writable_dir
    from harness.tracking import resolve_tracking_uri
    from harness.training.config import check_model_reference

    if samples and Path(samples).exists():
        samples = str(Path(samples).resolve())  # the logged config must point at the same files from any folder
    if samples and samples != acfg.audit.get("samples"):
        # recorded in the logged config, so `mmrl rerun` audits the same outputs
        acfg = dataclasses.replace(acfg, audit={**acfg.audit, "samples": samples})
    base = acfg.base_config()
    uri = resolve_tracking_uri(tracking_uri or base.tracking.uri, fallback=fallback or base.tracking.fallback,
                               experiment=base.tracking.experiment)
    if not audit_only:
        check_model_reference(base.model.name_or_path, where="base.model.name_or_path")
    ensure_writable_dir(acfg.output_dir, what="ablation output_dir")
    if fresh:  # variants unknown to the ablation state are trained from scratch
        (Path(acfg.output_dir) / STATE_FILE).unlink(missing_ok=True)
    return Ablation(acfg, tracking_uri=uri, say=say).run(audit_only=audit_only, samples=samples)

