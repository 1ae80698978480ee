"""Summary of a GPU check run (`scripts/gpu_check.sh`): the bench records, the pipeline's figures, the ratios the
issue's targets are about, as `summary.json`, `summary.md` and `logs.txt` (the tail of every phase's log).

Run as `python -m harness.bench.summary WORK_DIR OUT_DIR`. WORK_DIR holds, per phase, `<phase>.json` (the
command's stdout: one bench record), `<phase>.log` (its stderr), `<phase>.rc` (exit status, or `skipped`) and
`<phase>.cmd` (the command line); a pipeline phase also leaves `<phase>.dir` naming its output folder.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

STEP_TARGET_S = 5.0  # issue 12: <= 5 s per GRPO step at the 256m config on an H200
GEN_SPEEDUP_TARGET = 5.0  # generation >= 5x faster than the dynamic cache at the same sampling settings


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8").strip()
        return json.loads(text.splitlines()[-1]) if text else None
    except (OSError, ValueError, IndexError):
        return None


def _phase(work: Path, name: str) -> dict[str, Any]:
    rc_file, cmd_file = work / f"{name}.rc", work / f"{name}.cmd"
    return {
        "phase": name,
        "rc": rc_file.read_text().strip() if rc_file.exists() else "not run",
        "command": cmd_file.read_text().strip() if cmd_file.exists() else None,
        "record": _read_json(work / f"{name}.json"),
    }


def pipeline_figures(out_dir: Path) -> dict[str, Any]:
    """Seconds per GRPO step (TRL's step_time), eval and probe figures from a finished pipeline folder."""
    state = _read_json_file(out_dir / "pipeline_state.json") or {}
    done = state.get("completed", {})
    history = done.get("train", {}).get("log_history", [])
    times = [h["step_time"] for h in history if "step_time" in h]
    figures: dict[str, Any] = {"stages_done": sorted(done), "trl_step_times": times}
    for name in ("baseline", "trained"):
        summary = _read_json_file(out_dir / "eval" / f"{name}_summary.json") or {}
        figures[f"{name}_eval_seconds"] = summary.get("seconds")
        figures[f"{name}_eval_generation_seconds"] = summary.get("generation_seconds")
        figures[f"{name}_train_prompt_mean_reward"] = (summary.get("train_prompts_probe") or {}).get("mean_reward")
    return figures


def _read_json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def derived(phases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Ratios between the fast and the dynamic-cache runs of the same shape, and the targets met or not."""
    fast = (phases.get("bench-256m-fast") or {}).get("record") or {}
    slow = (phases.get("bench-256m-dynamic") or {}).get("record") or {}
    out: dict[str, Any] = {}
    if fast.get("seconds_per_step"):
        out["step_target_s"] = STEP_TARGET_S
        out["step_target_met"] = fast["seconds_per_step"] <= STEP_TARGET_S
    if fast.get("seconds_per_step") and slow.get("seconds_per_step"):
        out["step_speedup"] = slow["seconds_per_step"] / fast["seconds_per_step"]
    if fast.get("generated_tokens_per_s") and slow.get("generated_tokens_per_s"):
        out["generation_speedup"] = fast["generated_tokens_per_s"] / slow["generated_tokens_per_s"]
        out["generation_speedup_target_met"] = out["generation_speedup"] >= GEN_SPEEDUP_TARGET
    return out


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "not measured"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def markdown(summary: dict[str, Any]) -> str:
    lines = [f"# GPU check ({summary.get('device') or 'unknown device'})", "",
             "| phase | rc | s/step | generation share | generated tok/s | GPU util | peak memory | command |",
             "|---|---|---|---|---|---|---|---|"]
    for phase in summary["phases"].values():
        r = phase.get("record") or {}
        tokens = r.get("generated_tokens_per_s")
        lines.append("| {} | {} | {} | {} | {} | {} | {} | `{}` |".format(
            phase["phase"], phase["rc"], _cell(r.get("seconds_per_step"), "{:.2f}"),
            _cell(r.get("generation_share"), "{:.0%}"), _cell(tokens, "{:,.0f}"),
            _cell(r.get("gpu_utilization"), "{:.0f}%"),
            _cell(r.get("peak_memory_bytes") and r["peak_memory_bytes"] / 2**30, "{:.2f} GiB"),
            phase.get("command") or ""))
    lines += ["", "## Derived", ""] + [f"- {k}: {v}" for k, v in summary["derived"].items()]
    if summary.get("pipeline"):
        lines += ["", "## Pipeline (256m config, local model, sample data)", ""]
        lines += [f"- {k}: {v}" for k, v in summary["pipeline"].items()]
    return "\n".join(lines) + "\n"


def summarize(work: Path, out: Path) -> dict[str, Any]:
    names = sorted(p.stem for p in work.glob("*.cmd"))
    phases = {name: _phase(work, name) for name in names}
    device = next((p["record"].get("device") for p in phases.values() if p.get("record")), None)
    summary: dict[str, Any] = {"device": device, "phases": phases, "derived": derived(phases)}
    pipeline_dir = work / "pipeline-256m.dir"
    if pipeline_dir.exists():
        summary["pipeline"] = pipeline_figures(Path(pipeline_dir.read_text().strip()))
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")
    (out / "summary.md").write_text(markdown(summary), encoding="utf-8")
    logs = []
    for name in names:
        log = work / f"{name}.log"
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-60:] if log.exists() else []
        logs.append(f"===== {name} (rc {phases[name]['rc']}) =====\n" + "\n".join(tail))
    (out / "logs.txt").write_text("\n\n".join(logs) + "\n", encoding="utf-8")
    return summary


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m harness.bench.summary WORK_DIR OUT_DIR")
    result = summarize(Path(sys.argv[1]), Path(sys.argv[2]))
    print(markdown(result))
