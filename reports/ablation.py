"""Tier-set ablation report: per domain, the trained accuracy and the reward noise of every tier set.

Input is the plain summary dict `harness.ablation.runner` writes (also saved as `ablation_summary.json`), so
the report can be rebuilt from files or MLflow artifacts without re-running anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from reports.render import embed_png, render_html, render_markdown, write_text  # noqa: E402

OVERALL = "all"
_NO_AUDIT = {k: None for k in ("n", "accuracy", "reference_accuracy", "false_negatives", "false_positives",
                               "fn_rate", "noise")}
ACCURACY_CHART = "ablation_accuracy.png"
NOISE_CHART = "ablation_reward_noise.png"


def _domains(summary: dict[str, Any]) -> list[str]:
    """`all` first, then the domains in the audit or in any variant's evaluation."""
    names = {d for d in summary["audit"]["domains"] if d != OVERALL}
    for variant in summary.get("variants") or []:
        names |= set(variant["final"]["domains"])
    return [OVERALL, *sorted(names)]


def _final_slice(variant_or_baseline: dict[str, Any] | None, domain: str) -> dict[str, Any] | None:
    if not variant_or_baseline:
        return None
    final = variant_or_baseline.get("final", variant_or_baseline)
    return final["overall"] if domain == OVERALL else final["domains"].get(domain)


def domain_tables(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One table per domain: a row per tier set with trained accuracy (if trained) and audit numbers."""
    audit_rows = {(r["tier_set"], r["domain"]): r for r in summary["audit"]["rows"]}
    variants = {v["name"]: v for v in summary.get("variants") or []}
    tables = []
    for domain in _domains(summary):
        baseline = _final_slice(summary.get("baseline"), domain)
        rows = []
        for tier_set in summary["tier_sets"]:
            name = tier_set["name"]
            audit = audit_rows.get((name, domain), _NO_AUDIT)
            trained = _final_slice(variants.get(name), domain)
            own = (variants.get(name) or {}).get("own_noise", {}).get(domain, {})
            rows.append({
                "name": name, "tiers": tier_set["tiers"],
                "trained": trained,
                "delta": (trained["acc"] - baseline["acc"]) if trained and baseline else None,
                "train_reward": ((variants.get(name) or {}).get("train") or {}).get("reward_last"),
                "own_fn": own.get("false_negatives"), "own_fp": own.get("false_positives"),
                "audit": audit,
            })
        n_audit = next((r["audit"]["n"] for r in rows if r["audit"]["n"]), 0)
        tables.append({"domain": domain, "baseline": baseline, "n_audit": n_audit, "rows": rows})
    return tables


def _grid(n: int) -> tuple[int, int]:
    cols = min(n, 3)
    return (n + cols - 1) // cols, cols


def accuracy_chart(summary: dict[str, Any], tables: list[dict[str, Any]], path: Path) -> Path | None:
    """Per domain: each tier set's trained accuracy (95% interval), the untrained baseline dashed."""
    if not summary.get("variants"):
        return None
    rows_n, cols = _grid(len(tables))
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows_n))
    axes = fig.subplots(rows_n, cols, squeeze=False).ravel()
    for ax, table in zip(axes, tables):
        names = [r["name"] for r in table["rows"]]
        accs = [(r["trained"] or {}).get("acc") or 0.0 for r in table["rows"]]
        err = [[max(0.0, a - ((r["trained"] or {}).get("ci_low") or a)) for a, r in zip(accs, table["rows"])],
               [max(0.0, ((r["trained"] or {}).get("ci_high") or a) - a) for a, r in zip(accs, table["rows"])]]
        ax.bar(range(len(names)), accs, yerr=err, color="#2f6fb0", capsize=3)
        if table["baseline"]:
            ax.axhline(table["baseline"]["acc"], color="#9aa5b1", linestyle="--", label="baseline")
            ax.legend(fontsize=7, loc="upper right")
        ax.set_xticks(range(len(names)), names, rotation=35, ha="right", fontsize=7)
        ax.set_ylim(0, 1)
        n = (table["rows"][0]["trained"] or {}).get("n") if table["rows"] else None
        ax.set_title(f"{table['domain']} (n={n})", fontsize=9)
        ax.set_ylabel("accuracy after GRPO", fontsize=8)
    for ax in axes[len(tables):]:
        ax.set_visible(False)
    fig.suptitle("Held-out accuracy by training reward (scored by the reference)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})
    return path


def noise_chart(tables: list[dict[str, Any]], path: Path) -> Path:
    """Per domain: share of the fixed outputs whose reward a tier set flips (false negatives + false positives)."""
    rows_n, cols = _grid(len(tables))
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows_n))
    axes = fig.subplots(rows_n, cols, squeeze=False).ravel()
    for ax, table in zip(axes, tables):
        n = table["n_audit"] or 1
        names = [r["name"] for r in table["rows"]]
        fns = [r["audit"]["false_negatives"] or 0 for r in table["rows"]]
        fps = [r["audit"]["false_positives"] or 0 for r in table["rows"]]
        x = range(len(names))
        ax.bar(x, [f / n for f in fns], color="#b42318", label="false negatives")
        ax.bar(x, [f / n for f in fps], bottom=[f / n for f in fns], color="#e0a100", label="false positives")
        for i, (fn, fp) in enumerate(zip(fns, fps)):
            ax.text(i, (fn + fp) / n, f"{fn}/{fp}", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(list(x), names, rotation=35, ha="right", fontsize=7)
        top = max([(a + b) / n for a, b in zip(fns, fps)] + [0.05])
        ax.set_ylim(0, min(1.0, top * 1.3))
        ax.set_title(f"{table['domain']} (n={table['n_audit']})", fontsize=9)
        ax.set_ylabel("share of examples", fontsize=8)
    axes[0].legend(fontsize=7, loc="upper right")
    for ax in axes[len(tables):]:
        ax.set_visible(False)
    fig.suptitle("Reward noise vs the reference on fixed outputs (labels: FN/FP counts)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})
    return path


def mutation_table(summary: dict[str, Any]) -> dict[str, Any] | None:
    """The model-free audit pivoted for reading: a row per tier set, overall recall and false-positive rate,
    then recall per domain."""
    audit = summary.get("mutation_audit")
    if not audit:
        return None
    cells = {(r["tier_set"], r["domain"]): r for r in audit["table"]}
    names = list(dict.fromkeys(r["tier_set"] for r in audit["table"]))
    domains = sorted({r["domain"] for r in audit["table"]} - {OVERALL})
    rows = [{"name": n, "overall": cells.get((n, OVERALL)), "domains": [cells.get((n, d)) for d in domains]}
            for n in names]
    overall = cells.get((names[0], OVERALL)) if names else None
    return {"rows": rows, "domains": domains, "golds": audit["rows"],
            "equivalents": overall["equivalents"] if overall else 0, "hacks": overall["hacks"] if overall else 0}


def write_ablation_report(summary: dict[str, Any], out_dir: str | Path, *, title: str | None = None) -> dict[str, Path]:
    """HTML (charts embedded), Markdown (charts beside it), the charts and the summary JSON."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = domain_tables(summary)
    charts: dict[str, Path] = {"noise": noise_chart(tables, out / NOISE_CHART)}
    accuracy = accuracy_chart(summary, tables, out / ACCURACY_CHART)
    if accuracy:
        charts["accuracy"] = accuracy
    title = title or (f"{summary['name']}: reward audit" if summary.get("audit_only")
                      else f"{summary['name']}: reward tier ablation")
    disagreements = {k: v for k, v in summary["audit"].get("disagreements", {}).items() if v}
    context = {"title": title, "s": summary, "tables": tables, "disagreements": disagreements,
               "mutations": mutation_table(summary)}
    paths = {
        "summary": write_text(out / "ablation_summary.json", json.dumps(summary, indent=1, default=str)),
        "markdown": write_text(out / "ablation.md", render_markdown(
            "ablation.md.j2", charts={k: p.name for k, p in charts.items()}, **context)),
        "html": write_text(out / "ablation.html", render_html(
            "ablation.html.j2", charts={k: embed_png(p) for k, p in charts.items()}, **context)),
    }
    paths.update({f"chart_{k}": p for k, p in charts.items()})
    return paths
