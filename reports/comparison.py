"""Baseline vs trained report for the pipeline: accuracy overall and per domain, tier hit rates, reward curves.

Inputs are plain dicts (the eval summaries and TRL's log history) so the report can be rebuilt from files or
MLflow artifacts without re-running anything.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from reports.render import embed_png, render_html, render_markdown, write_text  # noqa: E402


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def _domain_rows(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rows = {"overall": summary.get("overall", {})}
    rows.update(summary.get("domains", {}))
    return rows


def comparison_rows(baseline: dict[str, Any], trained: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per domain (overall first): n, accuracy ± stderr before/after, and the change."""
    before, after = _domain_rows(baseline), _domain_rows(trained)
    rows = []
    for name in ["overall"] + sorted(k for k in before.keys() | after.keys() if k != "overall"):
        b, a = before.get(name, {}), after.get(name, {})
        acc_b, acc_a = b.get("acc"), a.get("acc")
        rows.append({
            "domain": name,
            "n": a.get("n", b.get("n", 0)),
            "baseline": acc_b, "baseline_se": b.get("acc_stderr"),
            "trained": acc_a, "trained_se": a.get("acc_stderr"),
            "delta": (acc_a - acc_b) if acc_a is not None and acc_b is not None else None,
            "answer_found_baseline": b.get("answer_found"), "answer_found_trained": a.get("answer_found"),
        })
    return rows


def tier_rows(baseline: dict[str, Any], trained: dict[str, Any]) -> list[dict[str, Any]]:
    b = baseline.get("overall", {}).get("tier_rates", {}) or {}
    a = trained.get("overall", {}).get("tier_rates", {}) or {}
    return [{"tier": t, "baseline": b.get(t), "trained": a.get(t)} for t in sorted(set(b) | set(a))]


def _accuracy_chart(rows: list[dict[str, Any]]) -> bytes:
    fig = Figure(figsize=(7, 3.6))
    ax = fig.subplots()
    names = [r["domain"] for r in rows]
    x = range(len(names))
    w = 0.38
    ax.bar([i - w / 2 for i in x], [r["baseline"] or 0 for r in rows], w, yerr=[r["baseline_se"] or 0 for r in rows],
           label="baseline", color="#9aa5b1", capsize=3)
    ax.bar([i + w / 2 for i in x], [r["trained"] or 0 for r in rows], w, yerr=[r["trained_se"] or 0 for r in rows],
           label="after GRPO", color="#2f6fb0", capsize=3)
    ax.set_xticks(list(x), [f"{n}\n(n={r['n']})" for n, r in zip(names, rows)])
    ax.set_ylabel("accuracy (± s.e.)")
    ax.set_ylim(0, 1)
    ax.set_title("Held-out accuracy by domain")
    ax.legend()
    return _png(fig)


def _reward_chart(log_history: list[dict[str, Any]]) -> bytes | None:
    points = [(h["step"], h) for h in log_history if "reward" in h and "step" in h]
    if not points:
        return None
    fig = Figure(figsize=(7, 3.4))
    ax = fig.subplots()
    steps = [s for s, _ in points]
    ax.plot(steps, [h["reward"] for _, h in points], marker="o", label="total reward")
    for key in sorted({k for _, h in points for k in h if k.startswith("rewards/") and k.endswith("/mean")}):
        ax.plot(steps, [h.get(key) for _, h in points], linestyle="--", label=key.split("/")[1])
    ax.set_xlabel("training step")
    ax.set_ylabel("mean reward per completion")
    ax.set_title("GRPO reward during training")
    ax.legend(fontsize=8)
    return _png(fig)


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) >= 2 else f"{value:.3f}"
    return str(value)


def io_rows(io: dict[str, Any]) -> list[dict[str, str]]:
    """Data loading during GRPO as (figure, value) rows; empty when training recorded none (an older state)."""
    if not io:
        return []
    rows = [("images read", _fmt(io.get("images"))), ("rows read", _fmt(io.get("rows"))),
            ("MB read", f"{(io.get('bytes_read') or 0) / 1e6:.2f}"),
            ("seconds reading + decoding", _fmt(io.get("load_seconds"))),
            ("images per second (while loading)", _fmt(io.get("images_per_s"))),
            ("share of step time spent loading", _fmt(io.get("data_wait_share")))]
    return [{"figure": name, "value": value} for name, value in rows]


def render_comparison(
    *, baseline: dict[str, Any], trained: dict[str, Any], log_history: list[dict[str, Any]],
    out_dir: str | Path, title: str = "Baseline vs GRPO", io: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write `comparison.html` (self-contained), `comparison.md` and the chart PNGs; return their paths.

    `io` is the training run's data-loading summary (`MlflowGRPOCallback.io_summary`): a reader can tell from
    the report alone whether GRPO waited on images.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = comparison_rows(baseline, trained)
    tiers = tier_rows(baseline, trained)
    charts = {"accuracy_by_domain": _accuracy_chart(rows)}
    reward = _reward_chart(log_history)
    if reward is not None:
        charts["reward_curve"] = reward
    paths: dict[str, Path] = {}
    for name, png in charts.items():
        paths[name] = out / f"{name}.png"
        paths[name].write_bytes(png)
    probe = {"baseline": baseline.get("train_prompts_probe", {}), "trained": trained.get("train_prompts_probe", {})}
    context = {
        "title": title, "rows": rows, "tiers": tiers, "fmt": _fmt, "probe": probe, "io": io_rows(io or {}),
        "charts": {name: embed_png(paths[name]) for name in charts},
        "baseline_model": baseline.get("model"), "trained_model": trained.get("model"),
        "n_steps": max([h.get("step", 0) for h in log_history] or [0]),
    }
    paths["html"] = write_text(out / "comparison.html", render_html("comparison.html.j2", **context))
    paths["markdown"] = write_text(out / "comparison.md", render_markdown("comparison.md.j2", **context))
    return paths
