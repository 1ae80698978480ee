"""The ablation file: base resolution, per-variant configs that differ only in reward tiers, validation, and a
logged copy that reproduces the same ablation (what `mmrl rerun` relies on)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.ablation.config import ablation_from_dict, load_ablation_config
from harness.training.config import ConfigError, load_config

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "experiments" / "ablation-tiers.yaml"


def test_shipped_ablation_covers_the_issue_tier_sets():
    acfg = load_ablation_config(SHIPPED)
    tiers = {v.name: v.rewards_tiers for v in acfg.variants}
    assert list(tiers.values()) == [["exact"], ["exact", "numeric"], ["exact", "numeric", "fraction"],
                                    ["exact", "numeric", "fraction", "latex"],
                                    ["exact", "numeric", "fraction", "latex", "symbolic"], None]
    assert [v.policy for v in acfg.variants] == ["global"] * 5 + ["domain"]
    assert acfg.reference_set.tiers is None  # the per-domain policy is the audit's truth


def test_variants_share_everything_but_rewards_and_output(tmp_path):
    acfg = load_ablation_config(SHIPPED, {"output_dir": str(tmp_path / "abl")})
    demo = load_config(REPO / "experiments" / "demo.yaml")
    configs = [acfg.variant_config(v) for v in acfg.variants]
    for cfg, variant in zip(configs, acfg.variants):
        assert cfg.rewards.tiers == variant.rewards_tiers
        assert cfg.output_dir == str(tmp_path / "abl" / variant.name)
        assert cfg.seed == demo.seed and cfg.data == demo.data and cfg.model == demo.model
        assert cfg.grpo == demo.grpo and cfg.tracking.experiment == "open-mm-rl-ablation"
    stripped = [{k: v for k, v in c.to_dict().items() if k not in ("rewards", "output_dir", "name")} for c in configs]
    assert all(s == stripped[0] for s in stripped)


def test_logged_yaml_is_self_contained_and_hashes_the_same(tmp_path):
    acfg = load_ablation_config(SHIPPED, {"base.grpo.max_steps": 3})
    assert acfg.base_config().grpo["max_steps"] == 3
    again = ablation_from_dict(yaml.safe_load(acfg.to_yaml()), base_dir=tmp_path)  # no demo.yaml next to it
    assert again.config_hash() == acfg.config_hash()
    assert again.variant_config(again.variants[2]).to_dict() == acfg.variant_config(acfg.variants[2]).to_dict()


@pytest.mark.parametrize("variant,message", [
    ({"name": "x", "tiers": ["exact", "nope"]}, "unknown tier"),
    ({"name": "x", "tiers": ["exact"], "policy": "domain"}, "policy: domain' takes 'tiers: null'"),
    ({"name": "x", "policy": "sometimes"}, "policy must be one of"),
    ({"name": "bad name!", "tiers": ["exact"]}, "must be letters"),
    ({"name": "x", "tiers": []}, "non-empty list"),
    ({"name": "x", "tier": ["exact"]}, "unknown field"),
])
def test_bad_variants_fail_with_the_variant_named(variant, message):
    with pytest.raises(ConfigError, match=message):
        ablation_from_dict({"base": {}, "variants": [variant]})


def test_file_level_errors():
    with pytest.raises(ConfigError, match="duplicate"):
        ablation_from_dict({"base": {}, "variants": [{"name": "a", "tiers": ["exact"]}, {"name": "a"}]})
    with pytest.raises(ConfigError, match="reference"):
        ablation_from_dict({"base": {}, "variants": [{"name": "a"}], "reference": "b"})
    with pytest.raises(ConfigError, match="not found"):
        ablation_from_dict({"base": "missing.yaml", "variants": [{"name": "a"}]})
    with pytest.raises(ConfigError, match="unknown top-level"):
        ablation_from_dict({"base": {}, "variants": [{"name": "a"}], "varients": []})
    with pytest.raises(ConfigError, match="reserved"):
        ablation_from_dict({"base": {}, "variants": [{"name": "baseline"}]})
    with pytest.raises(ConfigError, match="grpo"):  # the base is validated before anything runs
        ablation_from_dict({"base": {"grpo": {"max_stepz": 1}}, "variants": [{"name": "a"}]})


def test_global_policy_without_tiers_means_every_tier_for_every_domain():
    from rewards import DEFAULT_TIERS

    acfg = ablation_from_dict({"base": {}, "variants": [{"name": "g", "policy": "global"}, {"name": "d"}]})
    assert acfg.variants[0].tiers == DEFAULT_TIERS and acfg.variants[1].tiers is None
    assert acfg.variants[1].policy == "domain"


@pytest.mark.parametrize("reference", [None, ("exact", "numeric")])
def test_a_variant_is_graded_by_the_reference_not_its_own_tiers(monkeypatch, tmp_path, reference):
    """The variant's config trains on `exact`; its evaluation request must carry the reference scoring."""
    import harness.evaluation
    from harness.ablation import runner

    seen = []
    monkeypatch.setattr(harness.evaluation, "run_eval", lambda request: seen.append(request))
    cfg = load_config(Path(__file__).resolve().parent.parent / "experiments" / "demo.yaml",
                      {"rewards.tiers": ["exact"]})
    runner.evaluate("some/model", cfg, tmp_path, tiers=reference, split="eval")
    assert seen[0].tiers == reference
