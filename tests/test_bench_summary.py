"""The GPU check's summary (harness.bench.summary): phases read from their files, ratios, skipped phases shown."""

from __future__ import annotations

import json

from harness.bench.summary import summarize


def _phase(work, name, rc, record=None, cmd="python -m harness bench train"):
    (work / f"{name}.cmd").write_text(cmd)
    (work / f"{name}.rc").write_text(str(rc))
    (work / f"{name}.json").write_text(json.dumps(record) + "\n" if record else "")
    (work / f"{name}.log").write_text("line\n" * 100)


def test_summary_derives_the_targets_and_keeps_skipped_phases(tmp_path):
    work, out = tmp_path / "work", tmp_path / "out"
    work.mkdir()
    base = {"device": "cuda:0 (NVIDIA H200)", "peak_memory_bytes": 2**31, "gpu_utilization": 80.0}
    _phase(work, "bench-256m-fast", 0, base | {"seconds_per_step": 4.0, "generation_share": 0.5,
                                                "generated_tokens_per_s": 3000.0})
    _phase(work, "bench-256m-dynamic", 0, base | {"seconds_per_step": 23.0, "generation_share": 0.87,
                                                   "generated_tokens_per_s": 400.0})
    _phase(work, "pipeline-256m", "skipped")
    summary = summarize(work, out)
    assert summary["device"] == "cuda:0 (NVIDIA H200)"
    assert summary["derived"]["step_target_met"] is True
    assert summary["derived"]["generation_speedup"] == 7.5 and summary["derived"]["generation_speedup_target_met"]
    assert (
        summary["phases"]["pipeline-256m"]["rc"] == "skipped" and summary["phases"]["pipeline-256m"]["record"] is None
    )
    md = (out / "summary.md").read_text()
    assert "| bench-256m-fast | 0 | 4.00 | 50% | 3,000 | 80% | 2.00 GiB |" in md
    assert "| pipeline-256m | skipped | not measured |" in md
    assert json.loads((out / "summary.json").read_text())["derived"]["step_speedup"] == 23.0 / 4.0
    assert (out / "logs.txt").read_text().splitlines().count("line") == 3 * 60  # the tail of each log
