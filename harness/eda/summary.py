"""Numbers and findings of an EDA run, as one JSON-ready dict (`summary.json`).

Percentiles are nearest-rank (numpy `inverted_cdf`): p90 is an observed value with at least 90% of
examples at or below it, which is what "a context window of p90 tokens fits 90% of prompts" needs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from harness.eda.frames import MISSING_ANSWER, UNCLASSIFIED

SCHEMA_VERSION = 1
DEFAULT_MAX_DOMAIN_SHARE = 0.4
DEFAULT_MIN_SUBDOMAIN_EXAMPLES = 5
# The reward policy's answer types (rewards.classify_answer), in display order; others are appended.
ANSWER_TYPES = ("integer", "decimal", "fraction", "latex", "symbolic", "choice", "text")
PERCENTILES = (50, 90, 99)
LENGTH_COLUMNS = (
    "question_chars", "answer_chars", "question_tokens", "answer_tokens", "prompt_text_tokens", "image_tokens",
    "prompt_tokens", "prompt_answer_tokens",
)
_ID_LIST_LIMIT = 200  # ids listed per finding; counts are always complete


def _number(value: Any) -> int | float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (np.integer, int)):
        return int(value)
    value = float(value)
    return int(value) if value.is_integer() else round(value, 4)


def describe(values: pd.Series | Iterable[Any]) -> dict[str, Any]:
    """count, missing, mean, min, p50/p90/p99 (nearest rank) and max of the non-missing values."""
    series = pd.Series(values, dtype="Float64") if not isinstance(values, pd.Series) else values.astype("Float64")
    present = series.dropna().to_numpy(dtype=float)
    out: dict[str, Any] = {"count": int(present.size), "missing": int(series.isna().sum())}
    if present.size == 0:
        out.update({"mean": None, "min": None, **{f"p{p}": None for p in PERCENTILES}, "max": None})
        return out
    out["mean"] = round(float(present.mean()), 4)
    out["min"] = _number(present.min())
    for p in PERCENTILES:
        out[f"p{p}"] = _number(np.percentile(present, p, method="inverted_cdf"))
    out["max"] = _number(present.max())
    return out


def _counts(series: pd.Series, label: str) -> list[dict[str, Any]]:
    total = int(series.size)
    counts = series.value_counts(sort=False)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return [{label: str(k), "count": int(n), "share": round(n / total, 6) if total else 0.0} for k, n in ordered]


def _mapping(series: pd.Series) -> dict[str, int]:
    counts = series.dropna().value_counts(sort=False)
    return {str(k): int(n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))}


def _sub_domains(ex: pd.DataFrame) -> list[dict[str, Any]]:
    total = len(ex)
    grouped = ex.groupby(["domain", "sub_domain"], sort=False).size()
    rows = [
        {"domain": str(d), "sub_domain": str(s), "count": int(n), "share": round(n / total, 6) if total else 0.0}
        for (d, s), n in grouped.items()
    ]
    return sorted(rows, key=lambda r: (r["domain"], -r["count"], r["sub_domain"]))


def answer_type_order(observed: Iterable[str]) -> list[str]:
    """Known types in policy order, then anything else seen (e.g. missing, unclassified) alphabetically."""
    seen = set(observed)
    extra = sorted(seen - set(ANSWER_TYPES))
    return [t for t in ANSWER_TYPES if t in seen] + extra


def _answer_types(ex: pd.DataFrame) -> dict[str, Any]:
    order = answer_type_order(ex["answer_type"].unique())
    table = pd.crosstab(ex["domain"], ex["answer_type"]).reindex(columns=order, fill_value=0)
    return {
        "types": order,
        "overall": {t: int((ex["answer_type"] == t).sum()) for t in order},
        "by_domain": {str(d): {t: int(row[t]) for t in order} for d, row in table.iterrows()},
    }


def _normal_question(text: str) -> str:
    return " ".join(text.split())


def _duplicate_questions(ex: pd.DataFrame) -> dict[str, Any]:
    keyed = ex.assign(_key=ex["question"].map(_normal_question))
    keyed = keyed[keyed["_key"] != ""]
    groups = [list(g["id"]) for _, g in keyed.groupby("_key", sort=False) if len(g) > 1]
    return {
        "groups": len(groups),
        "duplicate_rows": sum(len(g) - 1 for g in groups),
        "id_groups": groups[:_ID_LIST_LIMIT],
    }


def _duplicate_images(im: pd.DataFrame) -> dict[str, Any]:
    hashed = im.dropna(subset=["sha256"])
    groups = []
    for sha, g in hashed.groupby("sha256", sort=False):
        if len(g) > 1:
            groups.append({"sha256": str(sha), "count": len(g), "example_ids": sorted(set(g["example_id"]))})
    groups.sort(key=lambda g: (-g["count"], g["sha256"]))
    return {
        "groups": len(groups),
        "duplicate_images": sum(g["count"] - 1 for g in groups),
        "examples_sharing_an_image": len({i for g in groups for i in g["example_ids"]}),
        "items": groups[:_ID_LIST_LIMIT],
    }


def _rejected_rows(rejected: list[dict[str, Any]]) -> dict[str, Any]:
    reasons: dict[str, int] = {}
    for item in rejected:
        reasons[item["reason"]] = reasons.get(item["reason"], 0) + 1
    keep = ("reason", "id", "row", "file", "line", "detail")
    return {
        "count": len(rejected),
        "reasons": dict(sorted(reasons.items())),
        "items": [{k: item[k] for k in keep if k in item} for item in rejected[:_ID_LIST_LIMIT]],
    }


def _rejection_findings(summary: dict[str, Any]) -> list[dict[str, Any]]:
    rejected = summary["rejected_rows"]
    out = []
    duplicates = [i for i in rejected["items"] if i["reason"] == "duplicate_id"]
    n_dup = rejected["reasons"].get("duplicate_id", 0)
    if n_dup:
        ids = sorted({str(i["id"]) for i in duplicates})
        out.append(_finding(
            "error", "duplicate_ids",
            f"{n_dup} row(s) repeat an earlier id ({', '.join(ids[:5])}{', ...' if len(ids) > 5 else ''}): the "
            "first row of each id is kept and analysed, the others are rejected (export: rejected.jsonl, "
            "reason duplicate_id).",
            ids,
        ))
    lines = [i for i in rejected["items"] if "line" in i]
    n_lines = rejected["count"] - n_dup
    if n_lines:
        where = "; ".join(i["detail"] for i in lines[:3])
        out.append(_finding(
            "error", "unreadable_lines",
            f"{n_lines} line(s) of the source could not be read and were skipped: {where}"
            f"{'; ...' if n_lines > 3 else ''}",
        ))
    return out


def _images(ex: pd.DataFrame, im: pd.DataFrame) -> dict[str, Any]:
    ok = im[~im["corrupt"]]
    corrupt = im[im["corrupt"]]
    per_example = ex["n_images"].astype(int)
    return {
        "count": len(im),
        "decodable": len(ok),
        "corrupt": {
            "count": len(corrupt),
            "items": [
                {"id": str(r.example_id), "image_index": int(r.image_index), "error": str(r.error)}
                for r in corrupt.head(_ID_LIST_LIMIT).itertuples()
            ],
        },
        "file_formats": _mapping(ok["file_format"]),
        "modes": _mapping(ok["mode"]),
        "width": describe(ok["width"]),
        "height": describe(ok["height"]),
        "n_bytes": describe(im["n_bytes"]),
        "per_example": {
            "counts": {str(k): int(v) for k, v in per_example.value_counts().sort_index().items()},
            **describe(per_example),
        },
        "image_tokens": describe(ok["image_tokens"]),
    }


def _context_window(ex: pd.DataFrame, tokenizer: dict[str, Any]) -> dict[str, Any]:
    if not tokenizer.get("available"):
        return {"available": False, "reason": tokenizer.get("reason")}
    prompt = describe(ex["prompt_tokens"])
    total = describe(ex["prompt_answer_tokens"])
    longest = total["max"]
    model_max = tokenizer.get("model_max_length")
    over = int((ex["prompt_answer_tokens"].dropna() > model_max).sum()) if model_max else 0
    return {
        "available": True,
        "counts_image_tokens": bool(tokenizer.get("counts_image_tokens")),
        "prompt_tokens": prompt,
        "prompt_answer_tokens": total,
        "rows_without_count": prompt["missing"],
        # Rounded up to a multiple of 64 so no prompt is truncated (truncating image tokens breaks VLMs).
        "suggested_max_length": int(math.ceil(longest / 64) * 64) if longest else None,
        "model_max_length": model_max,
        "rows_over_model_max_length": over,
    }


def _lengths_by_domain(ex: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {
        str(domain): {name: describe(g[name]) for name in ("question_chars", "answer_chars", "prompt_tokens")}
        for domain, g in ex.groupby("domain", sort=True)
    }


def _finding(level: str, code: str, message: str, ids: list[str] | None = None) -> dict[str, Any]:
    return {"level": level, "code": code, "message": message, "ids": list(ids or [])[:_ID_LIST_LIMIT]}


def _findings(summary: dict[str, Any], ex: pd.DataFrame, max_share: float, min_sub: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row in summary["domains"]:
        if row["share"] > max_share:
            out.append(_finding(
                "warning", "domain_imbalance",
                f"Domain {row['domain']} holds {row['share']:.1%} of the examples (> {max_share:.0%}): a model can "
                "score well by mastering it alone; report per-domain accuracy or rebalance.",
            ))
    small = [r for r in summary["sub_domains"] if r["count"] < min_sub]
    if small:
        listed = ", ".join(f"{r['domain']} / {r['sub_domain']} ({r['count']})" for r in small[:30])
        more = f" and {len(small) - 30} more" if len(small) > 30 else ""
        out.append(_finding(
            "warning", "small_sub_domains",
            f"{len(small)} sub-domain(s) have fewer than {min_sub} examples: {listed}{more}. Per-sub-domain "
            "scores on them are noise.",
        ))
    missing = summary["missing_answers"]
    if missing["count"]:
        out.append(_finding(
            "error", "missing_answers",
            f"{missing['count']} example(s) have a missing or empty gold answer: they can never be rewarded.",
            missing["ids"],
        ))
    if summary["empty_questions"]["count"]:
        out.append(_finding(
            "error", "empty_questions", f"{summary['empty_questions']['count']} example(s) have an empty question.",
            summary["empty_questions"]["ids"],
        ))
    corrupt = summary["images"]["corrupt"]
    if corrupt["count"]:
        ids = sorted({item["id"] for item in corrupt["items"]})
        out.append(_finding(
            "error", "corrupt_images",
            f"{corrupt['count']} image(s) in {len(ids)} example(s) cannot be used (undecodable, missing, or "
            "refused: outside the image root, not a regular file, over the byte cap; see images.corrupt): those "
            "rows will be rejected when images are materialised.",
            ids,
        ))
    dq = summary["duplicates"]["questions"]
    if dq["duplicate_rows"]:
        out.append(_finding(
            "warning", "duplicate_questions",
            f"{dq['duplicate_rows']} example(s) repeat an earlier question ({dq['groups']} group(s)): duplicates "
            "can straddle the train/eval split and inflate scores.",
            [i for group in dq["id_groups"] for i in group],
        ))
    di = summary["duplicates"]["images"]
    if di["duplicate_images"]:
        out.append(_finding(
            "warning", "duplicate_images",
            f"{di['duplicate_images']} image(s) repeat an earlier image byte for byte ({di['groups']} group(s), "
            f"{di['examples_sharing_an_image']} example(s) involved).",
            sorted({i for g in di["items"] for i in g["example_ids"]}),
        ))
    unclassified = ex.loc[ex["answer_type"] == UNCLASSIFIED, "id"].tolist()
    if unclassified:
        out.append(_finding(
            "warning", "unclassified_answers",
            f"{len(unclassified)} gold answer(s) could not be classified by rewards.classify_answer.",
            unclassified,
        ))
    ctx = summary["context_window"]
    if not ctx["available"]:
        out.append(_finding("info", "no_token_stats", f"Token statistics unavailable: {ctx['reason']}"))
    else:
        if not ctx["counts_image_tokens"]:
            out.append(_finding(
                "warning", "image_tokens_not_counted",
                "The tokenizer has no image processor: prompt token counts exclude image tokens and understate "
                "the context window.",
            ))
        if ctx["rows_over_model_max_length"]:
            out.append(_finding(
                "warning", "over_context",
                f"{ctx['rows_over_model_max_length']} example(s) need more than the tokenizer's "
                f"model_max_length ({ctx['model_max_length']}) tokens for prompt + gold answer.",
            ))
    return out


def summarize(
    examples: pd.DataFrame,
    images: pd.DataFrame,
    *,
    max_domain_share: float = DEFAULT_MAX_DOMAIN_SHARE,
    min_subdomain_examples: int = DEFAULT_MIN_SUBDOMAIN_EXAMPLES,
    source: str | None = None,
    source_rejections: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """All numbers of the EDA as a JSON-ready dict; see `findings` for what deserves attention.

    `source_rejections`: rows the loader dropped before the analysis (`duplicate_id`, unreadable JSONL lines),
    reported under `rejected_rows` and as findings: the analysed rows are the ones training would get.
    """
    ex, im = examples, images
    tokenizer = dict(ex.attrs.get("tokenizer") or {"available": False, "reason": "unknown"})
    missing_ids = ex.loc[ex["answer_missing"], "id"].tolist()
    empty_q = ex.loc[ex["question"].str.strip() == "", "id"].tolist()
    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "dataset": {
            "source": source,
            "n_examples": len(ex),
            "n_images": len(im),
            "n_domains": int(ex["domain"].nunique()),
            "n_sub_domains": int(ex.groupby(["domain", "sub_domain"]).ngroups),
        },
        "thresholds": {"max_domain_share": max_domain_share, "min_subdomain_examples": min_subdomain_examples},
        "tokenizer": tokenizer,
        "domains": _counts(ex["domain"], "domain"),
        "sub_domains": _sub_domains(ex),
        "formats": _counts(ex["format"], "format"),
        "lengths": {name: describe(ex[name]) for name in LENGTH_COLUMNS},
        "lengths_by_domain": _lengths_by_domain(ex),
        "images": _images(ex, im),
        "answer_types": _answer_types(ex),
        "duplicates": {"questions": _duplicate_questions(ex), "images": _duplicate_images(im)},
        "missing_answers": {"count": len(missing_ids), "ids": missing_ids[:_ID_LIST_LIMIT]},
        "empty_questions": {"count": len(empty_q), "ids": empty_q[:_ID_LIST_LIMIT]},
        "rejected_rows": _rejected_rows(source_rejections or []),
    }
    summary["context_window"] = _context_window(ex, tokenizer)
    summary["findings"] = _rejection_findings(summary) + _findings(
        summary, ex, max_domain_share, min_subdomain_examples
    )
    summary["flags"] = {
        "imbalanced_domains": [r["domain"] for r in summary["domains"] if r["share"] > max_domain_share],
        "small_sub_domains": [
            f"{r['domain']} / {r['sub_domain']}" for r in summary["sub_domains"] if r["count"] < min_subdomain_examples
        ],
    }
    return summary


__all__ = ["ANSWER_TYPES", "MISSING_ANSWER", "UNCLASSIFIED", "describe", "summarize"]
