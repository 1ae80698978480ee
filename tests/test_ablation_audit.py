"""Reward audit on fixed outputs: exact per-tier-set accuracies and false negatives/positives on a constructed
case, reading lm-eval's sample logs, the audit-only command end to end, and the ablation report."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
from html_images import image_sources
from typer.testing import CliRunner

from harness.ablation.audit import POLICY, TierSet, run_audit
from harness.cli import app
from harness.leaderboard.samples import (
    SampleLogError,
    SampleRecord,
    find_sample_files,
    load_samples,
)
from reports.ablation import domain_tables, write_ablation_report

SETS = [
    TierSet("exact", ("exact",)),
    TierSet("exact-numeric", ("exact", "numeric")),
    TierSet("exact-numeric-fraction", ("exact", "numeric", "fraction")),
    TierSet("exact-numeric-fraction-latex", ("exact", "numeric", "fraction", "latex")),
    TierSet("all-five-global", ("exact", "numeric", "fraction", "latex", "symbolic")),
    POLICY,
]
NAMES = [s.name for s in SETS]

# id -> (domain, gold, model output, correct under [exact, +numeric, +fraction, +latex, all five, policy])
CASES = {
    "m-exact": ("Math", "\\[12\\]", "so \\boxed{12}", (1, 1, 1, 1, 1, 1)),
    "m-numeric": ("Math", "\\[12\\]", "\\boxed{12.0}", (0, 1, 1, 1, 1, 1)),
    "m-fraction": ("Math", "\\[\\frac{1}{2}\\]", "It is \\boxed{0.5}", (0, 0, 1, 1, 1, 1)),
    "p-latex": ("Physics", "\\[2\\sqrt{2}\\]", "\\boxed{\\sqrt{8}}", (0, 0, 0, 1, 1, 1)),
    "p-wrong": ("Physics", "\\[7\\]", "\\boxed{8}", (0, 0, 0, 0, 0, 0)),
    # a text gold: the policy compares names as strings only; a global cascade lets the LaTeX tier read
    # "CO2" and "O2C" as the same product of symbols (a false positive of every set that has `latex`)
    "c-text": ("Chemistry", "CO2", "\\boxed{O2C}", (0, 0, 0, 1, 1, 0)),
    "b-case": ("Biology", "Anterior", "\\boxed{anterior}", (1, 1, 1, 1, 1, 1)),
    "b-wrong": ("Biology", "Anterior", "\\boxed{Posterior}", (0, 0, 0, 0, 0, 0)),
    "b-none": ("Biology", "\\[5\\]", "I cannot read the figure.", (0, 0, 0, 0, 0, 0)),
}


def records(cases=CASES) -> list[SampleRecord]:
    return [SampleRecord(doc_id=i, domain=d, gold=g, prediction=p, task="open_mm_rl_all",
                         metrics={"acc": float(c[-1])}) for i, (d, g, p, c) in cases.items()]


def expected(domain: str | None, set_index: int, what: str) -> float | int:
    rows = [c for c in CASES.values() if domain in (None, c[0])]
    got = [r[3][set_index] for r in rows]
    ref = [r[3][-1] for r in rows]
    if what == "acc":
        return sum(got) / len(rows)
    if what == "fn":
        return sum(r and not g for g, r in zip(got, ref))
    return sum(g and not r for g, r in zip(got, ref))


@pytest.fixture(scope="module")
def audit():
    return run_audit(records(), SETS, workers=1)


def test_per_set_accuracies_are_exactly_the_hand_computed_ones(audit):
    # exact 2/9, +numeric 3/9, +fraction 4/9, +latex 6/9 (one of them a false positive), all five 6/9, policy 5/9
    assert audit.accuracies() == pytest.approx(dict(zip(NAMES, [2 / 9, 3 / 9, 4 / 9, 6 / 9, 6 / 9, 5 / 9])))
    for domain in ("Math", "Physics", "Chemistry", "Biology"):
        assert audit.accuracies(domain) == pytest.approx(
            {name: expected(domain, i, "acc") for i, name in enumerate(NAMES)}), domain


def test_false_negatives_and_positives_against_the_full_policy(audit):
    overall = [(audit.cell(n).false_negatives, audit.cell(n).false_positives) for n in NAMES]
    assert overall == [(3, 0), (2, 0), (1, 0), (0, 1), (0, 1), (0, 0)]
    math = audit.cell("exact", "Math")
    assert (math.n, math.correct, math.reference_correct, math.false_negatives) == (3, 1, 3, 2)
    assert math.fn_rate == pytest.approx(2 / 3)
    chem = audit.cell("all-five-global", "Chemistry")
    assert (chem.false_positives, chem.noise) == (1, 1.0)
    for i, name in enumerate(NAMES):
        for domain in ("Math", "Physics", "Chemistry", "Biology"):
            cell = audit.cell(name, domain)
            assert cell.false_negatives == expected(domain, i, "fn")
            assert cell.false_positives == expected(domain, i, "fp")
    listed = audit.disagreements["exact"]
    assert {d["id"] for d in listed} == {"m-numeric", "m-fraction", "p-latex"}
    assert all(d["kind"] == "false negative" for d in listed)
    assert audit.disagreements["all-five-global"][0]["id"] == "c-text"


def test_logged_verdicts_are_checked_against_todays_reference(audit):
    assert audit.logged_mismatches == []  # the constructed `acc` values are the policy's verdicts
    flipped = records()
    flipped[0] = SampleRecord("m-exact", "Math", "\\[12\\]", "so \\boxed{12}", "t", {"acc": 0.0})
    assert run_audit(flipped, [POLICY], workers=1).logged_mismatches == ["m-exact"]


def test_metrics_for_mlflow_have_legal_flat_names(audit):
    metrics = audit.metrics()
    assert metrics["audit/exact/all/false_negatives"] == 3.0
    assert metrics["audit/domain-policy/Math/acc"] == 1.0
    assert "audit/exact/Chemistry/fn_rate" not in metrics  # no correct answer there: a rate would be 0/0


def test_smiles_answers_are_a_policy_only_win():
    pytest.importorskip("rdkit")
    case = {"c-smiles": ("Chemistry", "\\(CCO\\)", "\\boxed{OCC}", (0, 0, 0, 0, 0, 1))}
    result = run_audit(records(case), [SETS[4], POLICY], workers=1)
    assert result.cell("all-five-global").false_negatives == 1
    assert result.cell("domain-policy").accuracy == 1.0


def test_audit_rejects_empty_input_and_duplicate_names():
    with pytest.raises(ValueError, match="at least one"):
        run_audit([], SETS)
    with pytest.raises(ValueError, match="unique"):
        run_audit(records(), [POLICY, POLICY])


# -- lm-eval sample logs ----------------------------------------------------------------------------------------
def lm_eval_line(doc_id: str, domain: str, gold: str, output: str, acc: float, index: int = 0) -> dict:
    return {"doc_id": index, "doc": {"id": doc_id, "domain": domain, "answer": gold, "mmrl_tiers": ""},
            "target": gold, "resps": [[output]], "filtered_resps": [output], "filter": "none",
            "metrics": ["acc", "answer_found"], "acc": acc, "answer_found": 1.0}


def write_samples(directory: Path, cases=CASES, stamp: str = "2026-01-02T03-04-05.000001",
                  task: str = "open_mm_rl_all") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"samples_{task}_{stamp}.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i, (doc_id, (domain, gold, output, correct)) in enumerate(cases.items()):
            fh.write(json.dumps(lm_eval_line(doc_id, domain, gold, output, float(correct[-1]), i)) + "\n")
    return path


def test_sample_logs_read_back_and_the_newest_run_wins(tmp_path):
    old = write_samples(tmp_path / "model", {"x": ("Math", "1", "\\boxed{1}", (1,) * 6)}, stamp="2026-01-01T00-00-00.1")
    new = write_samples(tmp_path / "model")
    assert find_sample_files(tmp_path) == [new]
    found, source = load_samples(tmp_path)
    assert [r.doc_id for r in found] == list(CASES) and source == str(tmp_path)
    assert found[2].prediction == "It is \\boxed{0.5}" and found[2].gold == "\\[\\frac{1}{2}\\]"
    assert load_samples(old)[0][0].doc_id == "x"


def test_bad_sample_lines_name_the_file_and_line(tmp_path):
    path = tmp_path / "samples_t_2026-01-01T00-00-00.1.jsonl"
    path.write_text(
        json.dumps(lm_eval_line("a", "Math", "1", "x", 1.0)) + "\n" + json.dumps({"doc": {"id": "b"}}) + "\n"
    )
    with pytest.raises(SampleLogError, match=r"samples_t_.*:2: doc has no 'answer'"):
        load_samples(path)
    with pytest.raises(SampleLogError, match="neither an existing file"):
        load_samples(tmp_path / "missing")


# -- the command and the report -----------------------------------------------------------------------------------
ABLATION_YAML = """
name: audit-test
base: {{name: base, model: {{name_or_path: tiny}}, tracking: {{experiment: audit-test}}}}
output_dir: {out}
variants:
  - {{name: exact, tiers: [exact]}}
  - {{name: exact-numeric, tiers: [exact, numeric]}}
  - {{name: exact-numeric-fraction, tiers: [exact, numeric, fraction]}}
  - {{name: exact-numeric-fraction-latex, tiers: [exact, numeric, fraction, latex]}}
  - {{name: all-five-global, policy: global}}
  - {{name: domain-policy, tiers: null}}
"""


def test_audit_only_command_logs_the_audit_and_its_report(tmp_path):
    write_samples(tmp_path / "eval" / "model")
    config = tmp_path / "ablation.yaml"
    config.write_text(ABLATION_YAML.format(out=tmp_path / "out"))
    db = f"sqlite:///{tmp_path}/mlruns.db"
    result = CliRunner().invoke(app, ["ablate", "-c", str(config), "--audit-only", "--samples", str(tmp_path / "eval"),
                                      "--tracking-uri", db], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "audit" / "ablation_summary.json").read_text())
    overall = {r["tier_set"]: r for r in summary["audit"]["rows"] if r["domain"] == "all"}
    assert [overall[n]["false_negatives"] for n in NAMES] == [3, 2, 1, 0, 0, 0]
    assert summary["audit"]["source"] == str(tmp_path / "eval")
    markdown = (tmp_path / "out" / "audit" / "ablation.md").read_text()
    assert "| exact | 22.2% | 55.6% | 3 | 0 | 60.0% | 33.3% |" in markdown  # acc, reference acc, FN, FP, FN rate, noise
    assert "## Chemistry" in markdown and "ablation_reward_noise.png" in markdown
    srcs = image_sources((tmp_path / "out" / "audit" / "ablation.html").read_text())
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)

    mlflow.set_tracking_uri(db)
    runs = mlflow.search_runs(experiment_names=["audit-test"], output_format="list")
    parent = [r for r in runs if r.data.tags.get("mmrl.kind") == "ablation"]
    assert len(parent) == 1 and parent[0].data.tags["mmrl.ablation_mode"] == "audit"
    audit_run = [r for r in runs if r.data.tags.get("mmrl.kind") == "audit"][0]
    assert audit_run.data.tags["mlflow.parentRunId"] == parent[0].info.run_id
    assert audit_run.data.metrics["audit/exact/Math/false_negatives"] == 2.0
    assert audit_run.data.tags["mmrl.config_hash"] and audit_run.data.tags["mmrl.git_commit"]
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(parent[0].info.run_id, "report")}
    assert {"report/ablation.html", "report/ablation.md", "report/ablation_summary.json"} <= artifacts
    # the logged config names the samples, so `mmrl rerun` audits the same outputs
    config_text = mlflow.artifacts.download_artifacts(run_id=parent[0].info.run_id, artifact_path="config/config.yaml",
                                                      dst_path=str(tmp_path / "dl"))
    assert str(tmp_path / "eval") in Path(config_text).read_text()


def test_report_tables_carry_trained_accuracy_beside_the_audit():
    audit = run_audit(records(), [SETS[0], POLICY], workers=1)
    final = {"overall": {"n": 4, "acc": 0.5, "ci_low": 0.1, "ci_high": 0.9, "answer_found": 1.0},
             "domains": {"Math": {"n": 4, "acc": 0.5, "ci_low": 0.1, "ci_high": 0.9, "answer_found": 1.0}}}
    base = {"overall": dict(final["overall"], acc=0.25), "domains": {"Math": dict(final["domains"]["Math"], acc=0.25)}}
    summary = {"name": "t", "generated_at": "now", "audit_only": False,
               "reference": {"name": "domain-policy", "tiers": "per-domain policy"},
               "base": {"model": "tiny", "seed": 0, "grpo_steps": 2, "data_source": "sample", "eval_split": "eval",
                        "eval_limit": None},
               "tier_sets": [{"name": "exact", "tiers": "exact", "policy": "global"},
                             {"name": "domain-policy", "tiers": "per-domain policy", "policy": "domain"}],
               "baseline": base, "audit": audit.to_dict(), "warnings": ["a warning"],
               "variants": [{"name": "exact", "final": final, "train": {"reward_last": 0.75},
                             "own_noise": {"all": {"false_negatives": 1, "false_positives": 0}}}]}
    tables = domain_tables(summary)
    assert [t["domain"] for t in tables] == ["all", "Biology", "Chemistry", "Math", "Physics"]
    math_exact = next(t for t in tables if t["domain"] == "Math")["rows"][0]
    assert math_exact["delta"] == pytest.approx(0.25) and math_exact["audit"]["false_negatives"] == 2


def test_report_writes_both_charts_when_variants_trained(tmp_path):
    audit = run_audit(records(), [SETS[0], POLICY], workers=1)
    final = {"overall": {"n": 9, "acc": 0.5, "ci_low": 0.2, "ci_high": 0.8, "answer_found": 1.0}, "domains": {}}
    summary = {"name": "t", "generated_at": "now", "audit_only": False,
               "reference": {"name": "domain-policy", "tiers": "per-domain policy"},
               "base": {"model": "tiny", "seed": 0, "grpo_steps": 2, "data_source": "sample", "eval_split": "eval",
                        "eval_limit": 12},
               "tier_sets": [{"name": "exact", "tiers": "exact", "policy": "global"}],
               "baseline": None, "audit": audit.to_dict(), "warnings": [],
               "variants": [{"name": "exact", "final": final, "train": {"reward_last": None}, "own_noise": {}}]}
    paths = write_ablation_report(summary, tmp_path)
    assert paths["chart_accuracy"].stat().st_size > 1000 and paths["chart_noise"].stat().st_size > 1000
    markdown = paths["markdown"].read_text()
    assert "| exact | 50.0% [20.0%, 80.0%] | — | — |" in markdown
    assert "first 12 examples" in markdown


def test_audit_reads_the_samples_of_an_mlflow_eval_run(tmp_path):
    from test_leaderboard import log_constructed_eval, outcomes

    from harness.ablation.config import ablation_from_dict
    from harness.ablation.runner import run_ablation

    db = f"sqlite:///{tmp_path}/m.db"
    run_id = log_constructed_eval(tmp_path / "eval", db, "org/model", outcomes({0, 1, 12}))
    acfg = ablation_from_dict(
        {
            "name": "a",
            "output_dir": str(tmp_path / "a"),
            "base": {"tracking": {"experiment": "x"}},
            "variants": [{"name": "exact", "tiers": ["exact"]}, {"name": "domain-policy"}],
        }
    )
    outcome = run_ablation(acfg, tracking_uri=db, audit_only=True, samples=run_id, say=lambda _: None)
    assert outcome.audit.source == f"mlflow run {run_id}"
    assert outcome.audit.cell("exact").n == 20 and outcome.audit.cell("exact", "Math").correct == 2
    assert outcome.audit.logged_mismatches == []
