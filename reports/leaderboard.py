"""Leaderboard files: CSV (every column, for spreadsheets), Markdown (PRs, READMEs) and HTML (with a chart).

Input is a `harness.leaderboard.Leaderboard`; nothing is recomputed here, so all three files show the same
numbers the terminal table shows.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from harness.leaderboard.board import Leaderboard, short_model  # noqa: E402
from reports.render import embed_png, render_html, render_markdown, write_text  # noqa: E402

CSV_FILE = "leaderboard.csv"
MARKDOWN_FILE = "leaderboard.md"
HTML_FILE = "leaderboard.html"
CHART_FILE = "leaderboard.png"


def leaderboard_csv(board: Leaderboard) -> str:
    rows = board.rows()
    buffer = io.StringIO()
    columns = list(rows[0]) if rows else ["rank", "model", "run_id", "n", "acc", "acc_ci_low", "acc_ci_high"]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buffer.getvalue()


def accuracy_chart(board: Leaderboard, path: Path) -> Path | None:
    """Forest plot: each entry's accuracy and 95% interval, best at the top, so overlaps are visible at a glance."""
    entries = [e for e in board.entries if e.overall.ci_low is not None and e.overall.ci_high is not None]
    if not entries:
        return None
    fig = Figure(figsize=(7.5, 0.45 * len(entries) + 1.2))
    ax = fig.subplots()
    ys = list(range(len(entries)))[::-1]
    accs = [e.overall.acc for e in entries]
    lows = [e.overall.acc - e.overall.ci_low for e in entries]
    highs = [e.overall.ci_high - e.overall.acc for e in entries]
    ax.errorbar(accs, ys, xerr=[lows, highs], fmt="o", color="#2f6fb0", ecolor="#7fa7d3", capsize=4)
    ax.set_yticks(ys, [f"#{e.rank} {short_model(e.run.model)} ({e.run.run_id[:6]})" for e in entries])
    ax.set_xlim(0, 1)
    ax.set_xlabel("accuracy (95% bootstrap interval)")
    ax.grid(axis="x", alpha=0.3)
    fig.savefig(path, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return path


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _context(board: Leaderboard) -> dict[str, Any]:
    return {"board": board, "rows": board.rows(), "title": board.title, "md": _md_cell}


def write_leaderboard(board: Leaderboard, out_dir: str | Path) -> dict[str, Path]:
    """Write CSV, Markdown, HTML and the chart into `out_dir`; returns their paths by kind."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": write_text(out / CSV_FILE, leaderboard_csv(board))}
    chart = accuracy_chart(board, out / CHART_FILE)
    context = _context(board)
    paths["markdown"] = write_text(out / MARKDOWN_FILE, render_markdown(
        "leaderboard.md.j2", chart=CHART_FILE if chart else None, **context))
    paths["html"] = write_text(out / HTML_FILE, render_html(
        "leaderboard.html.j2", chart=embed_png(chart) if chart else None, **context))
    if chart:
        paths["chart"] = chart
    return paths
