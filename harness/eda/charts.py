"""EDA charts as PNG files of one fixed pixel size (so reports lay out predictably and tests can check them).

Figures are built with matplotlib's object API (`Figure` + Agg canvas), not pyplot: no global state, no GUI
backend, safe to call from a CLI, a test or a notebook alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from harness.eda.summary import ANSWER_TYPES, answer_type_order

DPI = 100
CHART_SIZE_PX = (960, 540)
MAX_SUB_DOMAIN_BARS = 25
# Titles double as captions in the report.
CHART_TITLES = {
    "domains": "Examples per domain",
    "sub_domains": "Examples per sub-domain",
    "text_lengths": "Question and answer length (characters)",
    "token_lengths": "Prompt length in tokens (text + image tokens)",
    "image_formats": "Image file formats and colour modes",
    "image_sizes": "Image width and height (pixels)",
    "images_per_example": "Images per example",
    "answer_types": "Answer type per domain",
}


def _figure() -> Figure:
    fig = Figure(figsize=(CHART_SIZE_PX[0] / DPI, CHART_SIZE_PX[1] / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=DPI, format="png")
    return path


def _domain_colors(domains: list[str]) -> dict[str, Any]:
    cmap = colormaps["tab10"]
    return {d: cmap(i % 10) for i, d in enumerate(sorted(domains))}


def _answer_type_color(kind: str) -> Any:
    """One colour per answer type in every report, so charts of two datasets compare at a glance."""
    fixed = {"missing": "#4d4d4d", "unclassified": "#b0b0b0"}
    if kind in fixed:
        return fixed[kind]
    known = list(ANSWER_TYPES)
    index = known.index(kind) if kind in known else len(known) + sum(map(ord, kind)) % 3
    return colormaps["tab10"](index % 10)


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=12, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def _bar_labels(ax: Any, bars: Any, counts: list[int], total: int) -> None:
    labels = [f"{n} ({n / total:.0%})" if total else str(n) for n in counts]
    ax.bar_label(bars, labels=labels, padding=2, fontsize=9)


def chart_domains(ex: pd.DataFrame, path: Path) -> Path:
    fig = _figure()
    ax = fig.add_subplot()
    counts = ex["domain"].value_counts()
    colors = _domain_colors(list(counts.index))
    bars = ax.bar(counts.index.astype(str), counts.to_numpy(), color=[colors[d] for d in counts.index])
    _bar_labels(ax, bars, counts.tolist(), len(ex))
    ax.set_title(CHART_TITLES["domains"])
    ax.set_xlabel("Domain")
    ax.set_ylabel("Examples")
    ax.margins(y=0.15)
    return _save(fig, path)


def chart_sub_domains(ex: pd.DataFrame, path: Path) -> Path:
    fig = _figure()
    ax = fig.add_subplot()
    grouped = ex.groupby(["domain", "sub_domain"]).size().sort_values(ascending=False)
    colors = _domain_colors(list(ex["domain"].unique()))
    shown = grouped.head(MAX_SUB_DOMAIN_BARS)[::-1]
    labels = [f"{s} ({d})" for d, s in shown.index]
    bars = ax.barh(labels, shown.to_numpy(), color=[colors[d] for d, _ in shown.index])
    ax.bar_label(bars, padding=2, fontsize=8)
    title = CHART_TITLES["sub_domains"]
    if len(grouped) > MAX_SUB_DOMAIN_BARS:
        title += f" (largest {MAX_SUB_DOMAIN_BARS} of {len(grouped)})"
    ax.set_title(title)
    ax.set_xlabel("Examples")
    ax.set_ylabel("Sub-domain (domain)")
    ax.tick_params(axis="y", labelsize=8 if len(shown) > 12 else 9)
    ax.margins(x=0.1)
    return _save(fig, path)


def _hist(ax: Any, values: pd.Series, *, title: str, xlabel: str, color: str, percentiles: bool = True) -> None:
    data = values.dropna().to_numpy(dtype=float)
    if data.size == 0:
        _empty(ax, "no data")
        ax.set_title(title)
        return
    ax.hist(data, bins=min(40, max(5, int(np.sqrt(data.size)) + 1)), color=color, edgecolor="white")
    if percentiles:
        for p, style in ((50, "-"), (90, "--"), (99, ":")):
            x = float(np.percentile(data, p, method="inverted_cdf"))
            ax.axvline(x, color="0.15", linestyle=style, linewidth=1.2, label=f"p{p} = {x:,.0f}")
        ax.legend(fontsize=8, loc="upper right")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Examples")


def chart_text_lengths(ex: pd.DataFrame, path: Path) -> Path:
    fig = _figure()
    left, right = fig.subplots(1, 2)
    _hist(left, ex["question_chars"], title="Question", xlabel="Characters", color="#4C72B0")
    _hist(right, ex["answer_chars"], title="Gold answer", xlabel="Characters", color="#DD8452")
    fig.suptitle(CHART_TITLES["text_lengths"])
    return _save(fig, path)


def chart_token_lengths(ex: pd.DataFrame, path: Path) -> Path:
    fig = _figure()
    left, right = fig.subplots(1, 2, width_ratios=[2, 1])
    _hist(left, ex["prompt_tokens"], title="Whole prompt (chat template + question + images)",
          xlabel="Tokens", color="#55A868")
    both = ex[["prompt_text_tokens", "image_tokens"]].dropna()
    if len(both):
        means = [float(both["prompt_text_tokens"].mean()), float(both["image_tokens"].mean())]
        bars = right.bar(["text", "image"], means, color=["#4C72B0", "#C44E52"])
        right.bar_label(bars, labels=[f"{m:,.0f}" for m in means], padding=2, fontsize=9)
        right.margins(y=0.15)
    else:
        _empty(right, "image tokens not counted")
    right.set_title("Mean tokens per prompt")
    right.set_xlabel("Part of the prompt")
    right.set_ylabel("Tokens")
    fig.suptitle(CHART_TITLES["token_lengths"])
    return _save(fig, path)


def chart_image_formats(im: pd.DataFrame, path: Path) -> Path:
    fig = _figure()
    left, right = fig.subplots(1, 2)
    ok = im[~im["corrupt"]]
    for ax, column, title, color in ((left, "file_format", "File format", "#8172B3"),
                                     (right, "mode", "Colour mode", "#937860")):
        counts = ok[column].value_counts()
        n_corrupt = int(im["corrupt"].sum())
        labels, values = list(counts.index.astype(str)), counts.tolist()
        if column == "file_format" and n_corrupt:
            labels.append("corrupt")
            values.append(n_corrupt)
        if not values:
            _empty(ax, "no images")
        else:
            colors = [color] * len(counts) + (["#C44E52"] if len(values) > len(counts) else [])
            bars = ax.bar(labels, values, color=colors)
            _bar_labels(ax, bars, values, int(sum(values)))
            ax.margins(y=0.15)
        ax.set_title(title)
        ax.set_xlabel(title)
        ax.set_ylabel("Images")
    fig.suptitle(CHART_TITLES["image_formats"])
    return _save(fig, path)


def chart_image_sizes(im: pd.DataFrame, path: Path) -> Path:
    fig = _figure()
    ax = fig.add_subplot()
    ok = im[~im["corrupt"]].dropna(subset=["width", "height"])
    if len(ok):
        colors = _domain_colors(list(im["domain"].unique()))
        for domain, g in ok.groupby("domain"):
            ax.scatter(g["width"].astype(float), g["height"].astype(float), s=14, alpha=0.6,
                       color=colors[domain], label=str(domain))
        ax.legend(fontsize=8, title="Domain", title_fontsize=8)
    else:
        _empty(ax, "no decodable images")
    ax.set_title(CHART_TITLES["image_sizes"])
    ax.set_xlabel("Width (px)")
    ax.set_ylabel("Height (px)")
    return _save(fig, path)


def chart_images_per_example(ex: pd.DataFrame, path: Path) -> Path:
    fig = _figure()
    ax = fig.add_subplot()
    counts = ex["n_images"].astype(int).value_counts().sort_index()
    if len(counts):
        positions = list(range(len(counts)))
        bars = ax.bar(positions, counts.to_numpy(), color="#64B5CD")
        ax.set_xticks(positions, [str(k) for k in counts.index])
        _bar_labels(ax, bars, counts.tolist(), len(ex))
        ax.margins(y=0.15)
    else:
        _empty(ax, "no examples")
    ax.set_title(CHART_TITLES["images_per_example"])
    ax.set_xlabel("Images in the example")
    ax.set_ylabel("Examples")
    return _save(fig, path)


def chart_answer_types(ex: pd.DataFrame, path: Path) -> Path:
    fig = _figure()
    ax = fig.add_subplot()
    order = answer_type_order(ex["answer_type"].unique())
    table = pd.crosstab(ex["domain"], ex["answer_type"]).reindex(columns=order, fill_value=0)
    bottom = np.zeros(len(table))
    for kind in order:
        values = table[kind].to_numpy()
        ax.bar(table.index.astype(str), values, bottom=bottom, label=kind, color=_answer_type_color(kind))
        bottom += values
    ax.set_title(CHART_TITLES["answer_types"])
    ax.set_xlabel("Domain")
    ax.set_ylabel("Examples")
    ax.legend(title="Answer type", fontsize=8, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, path)


def make_charts(examples: pd.DataFrame, images: pd.DataFrame, out_dir: str | Path) -> dict[str, Path]:
    """Write every chart as `<out_dir>/<name>.png`; returns {name: path} in report order.

    The token chart is skipped when no token counts exist (no tokenizer): an empty chart would read as
    "zero tokens".
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    charts = {
        "domains": chart_domains(examples, out / "domains.png"),
        "sub_domains": chart_sub_domains(examples, out / "sub_domains.png"),
        "text_lengths": chart_text_lengths(examples, out / "text_lengths.png"),
    }
    if examples["prompt_tokens"].notna().any():
        charts["token_lengths"] = chart_token_lengths(examples, out / "token_lengths.png")
    charts["image_formats"] = chart_image_formats(images, out / "image_formats.png")
    charts["image_sizes"] = chart_image_sizes(images, out / "image_sizes.png")
    charts["images_per_example"] = chart_images_per_example(examples, out / "images_per_example.png")
    charts["answer_types"] = chart_answer_types(examples, out / "answer_types.png")
    return charts
