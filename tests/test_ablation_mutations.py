"""The ablation's model-free audit: tier sets scored on mutations of the data's golds, no model involved."""

from __future__ import annotations

import pytest

from harness.ablation.audit import POLICY, TierSet
from harness.ablation.config import ablation_from_dict
from harness.ablation.mutation_audit import mutation_rows, run_mutation_audit
from harness.data import load_dataset
from harness.training.config import ConfigError
from reports.ablation import mutation_table

TIER_SETS = [TierSet("exact", ("exact",)), TierSet("exact-numeric-fraction", ("exact", "numeric", "fraction")),
             POLICY]


@pytest.fixture(scope="module")
def audit():
    rows = mutation_rows(load_dataset("sample"), limit=120, seed=0)
    return run_mutation_audit(rows, TIER_SETS, seed=0)


def test_tier_sets_differ_in_recall_and_none_pays_a_hack(audit):
    recall = {t.name: audit.recall(t.name) for t in TIER_SETS}
    assert recall["exact"] < recall["exact-numeric-fraction"] <= recall["domain-policy"]
    assert recall["domain-policy"] - recall["exact"] >= 0.05, recall
    overall = [r for r in audit.table() if r["domain"] == "all"]
    assert all(r["hacks"] > 0 and r["false_positive_rate"] == 0.0 for r in overall)
    assert {r["domain"] for r in audit.table()} >= {"all", "Math", "Physics"}


def test_the_figures_are_metrics_and_a_report_table(audit):
    metrics = audit.metrics()
    assert metrics["audit_mutations/exact/recall"] == audit.recall("exact")
    assert "audit_mutations/domain-policy/Math/recall" in metrics
    table = mutation_table({"mutation_audit": audit.to_dict()})
    assert [r["name"] for r in table["rows"]] == ["exact", "exact-numeric-fraction", "domain-policy"]
    assert table["golds"] == 120 and "all" not in table["domains"]


def test_the_row_sample_is_seeded():
    data = load_dataset("sample")
    assert mutation_rows(data, limit=10, seed=3) == mutation_rows(data, limit=10, seed=3)
    assert mutation_rows(data, limit=10, seed=3) != mutation_rows(data, limit=10, seed=4)
    assert len(mutation_rows(data, limit=None, seed=0)) == len(data)


@pytest.mark.parametrize("audit_section, message", [({"mutations": "yes"}, "audit.mutations"),
                                                     ({"mutation_rows": 0}, "audit.mutation_rows"),
                                                     ({"mutation_row": 5}, "unknown field")])
def test_bad_audit_settings_are_named(tmp_path, audit_section, message):
    with pytest.raises(ConfigError, match=message):
        ablation_from_dict({"name": "a", "output_dir": str(tmp_path), "base": {}, "audit": audit_section,
                            "variants": [{"name": "exact", "tiers": ["exact"]}]})
