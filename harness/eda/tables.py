"""The EDA tables as pandas frames and their CSV dump (`tables/*.csv`), for spreadsheets and diffs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

# Per-example CSV leaves out the question text: it is in the dataset already and would dwarf the numbers.
_EXAMPLE_CSV_DROP = ["question"]


def _stats_frame(stats: dict[str, dict[str, Any]], index_name: str) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(stats, orient="index")
    frame.index.name = index_name
    return frame.reset_index()


def build_tables(summary: dict[str, Any], examples: pd.DataFrame, images: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every table of the report, named as its CSV file will be."""
    answer = summary["answer_types"]
    by_domain = pd.DataFrame.from_dict(answer["by_domain"], orient="index", columns=answer["types"])
    by_domain.index.name = "domain"
    lengths_by_domain = pd.DataFrame([
        {"domain": domain, "measure": measure, **stats}
        for domain, measures in summary["lengths_by_domain"].items()
        for measure, stats in measures.items()
    ])
    per_example = summary["images"]["per_example"]["counts"]
    return {
        "domains": pd.DataFrame(summary["domains"]),
        "sub_domains": pd.DataFrame(summary["sub_domains"]),
        "formats": pd.DataFrame(summary["formats"]),
        "lengths": _stats_frame(summary["lengths"], "measure"),
        "lengths_by_domain": lengths_by_domain,
        "image_file_formats": pd.DataFrame(
            list(summary["images"]["file_formats"].items()), columns=["file_format", "count"]
        ),
        "image_modes": pd.DataFrame(list(summary["images"]["modes"].items()), columns=["mode", "count"]),
        "image_dimensions": _stats_frame(
            {k: summary["images"][k] for k in ("width", "height", "n_bytes", "image_tokens")}, "measure"
        ),
        "images_per_example": pd.DataFrame(
            [(int(k), v) for k, v in per_example.items()], columns=["images", "examples"]
        ),
        "answer_types_by_domain": by_domain.reset_index(),
        "findings": pd.DataFrame(
            [{**f, "ids": " ".join(f.get("ids", []))} for f in summary["findings"]],
            columns=["level", "code", "message", "ids"],
        ),
        "missing_answers": examples.loc[examples["answer_missing"], ["id", "domain", "sub_domain"]],
        "corrupt_images": images.loc[images["corrupt"], ["example_id", "image_index", "n_bytes", "error"]],
        "examples": examples.drop(columns=_EXAMPLE_CSV_DROP),
        "images": images,
    }


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        paths[name] = path
    return paths
