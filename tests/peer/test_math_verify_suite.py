"""Math-Verify's own test triples through ``rewards.verify`` (see ``math_verify_suite.py``).

Slow (it downloads the peer's source distribution from the package index once); CI runs it. Fails below
98% raw agreement, on any disagreement that ``deliberate.json`` does not document, and on a documented
disagreement that no longer happens (so the list in rewards/README.md stays true).
"""

from __future__ import annotations

import os
import subprocess

import math_verify_suite as suite
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report() -> suite.Report:
    from harness.paths import cache_dir

    try:
        tests_dir = suite.fetch(cache_dir() / "peer")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        if os.environ.get("MMRL_REQUIRE_PEER") == "1":
            raise
        pytest.skip(f"cannot download {suite.PEER}=={suite.VERSION} from the package index: {exc}")
    return suite.run(suite.triples(tests_dir))


def test_the_peer_suite_is_read_whole(report):
    assert report.total >= 250  # every parametrised triple of the peer's tests/


def test_agreement_is_at_least_98_percent(report):
    print("\n" + suite.render(report))
    assert report.agreement >= suite.THRESHOLD, suite.render(report)


def test_every_disagreement_is_deliberate_and_documented(report):
    assert not report.undocumented, suite.render(report)
    assert not report.stale, suite.render(report)


def test_deliberate_disagreements_are_in_the_rewards_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "rewards" / "README.md").read_text(encoding="utf-8")
    for entry in suite.deliberate_list():
        assert entry["reason"][:60] in readme, entry["reason"][:60]
