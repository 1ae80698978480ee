"""`mmrl verify PRED GOLD`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from harness.cli import app

runner = CliRunner()


def test_correct_prediction_prints_tier_and_exits_zero():
    result = runner.invoke(app, ["verify", "So it is \\boxed{0.5}", "\\[\\frac{1}{2}\\]"])
    assert result.exit_code == 0, result.output
    assert "correct" in result.output and "fraction" in result.output and "0.5" in result.output


def test_wrong_prediction_exits_one_with_reason():
    result = runner.invoke(app, ["verify", "\\boxed{12}", "1/2"])
    assert result.exit_code == 1
    assert "incorrect" in result.output and "mismatch" in result.output


def test_json_output_and_options():
    result = runner.invoke(
        app, ["verify", "0.5", "1/2", "--no-extract", "--tiers", "exact,numeric", "--json"]
    )
    assert result.exit_code == 1
    verdict = json.loads(result.output)
    assert verdict == {
        "correct": False,
        "tier": None,
        "extracted": "0.5",
        "reason": "mismatch",
        "detail": verdict["detail"],
    }
    result = runner.invoke(
        app, ["verify", "\\boxed{60}", "60^\\circ", "--domain", "Math", "--sub-domain", "Geometry", "--json"]
    )
    assert json.loads(result.output)["tier"] == "exact"
    policy = '{"by_domain": {"math/geometry": ["numeric", "exact"]}}'
    result = runner.invoke(
        app, ["verify", "\\boxed{60}", "60^\\circ", "--domain", "Math", "--sub-domain", "Geometry",
              "--policy", policy, "--json"]
    )
    assert json.loads(result.output)["tier"] == "numeric"


def test_unknown_tier_is_a_usage_error():
    result = runner.invoke(app, ["verify", "1", "1", "--tiers", "exact,nope"])
    assert result.exit_code == 2
    assert "nope" in result.output


def test_help_describes_the_command():
    result = runner.invoke(app, ["verify", "--help"])
    assert result.exit_code == 0
    assert "check" in result.output and "audit" in result.output and "--domain" in result.output
    result = runner.invoke(app, ["verify", "check", "--help"])
    assert result.exit_code == 0
    for option in ("--domain", "--sub-domain", "--tiers", "--policy", "--no-extract", "--json"):
        assert option in result.output, option
