"""Read lm-eval's per-sample logs (`samples_<task>_<date>.jsonl`) from a folder, a file, or an MLflow run.

The leaderboard's confidence intervals and the reward audit both start from these files rather than from the
logged summary metrics: only the per-example records say *which* examples were right, which a bootstrap and a
re-scoring need. One eval output folder can hold several runs' files (lm-eval stamps each run with a date), so
a folder is narrowed to the run its `mmrl_eval_summary.json` names, else to the newest date stamp.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SAMPLES_GLOB = "samples_*.jsonl"
SUMMARY_FILE = "mmrl_eval_summary.json"  # written by harness.tracking.eval_log.write_summary
EVAL_ARTIFACT_DIR = "eval"
_DATE_STAMP = re.compile(r"_(\d{4}-\d{2}-\d{2}T[0-9.\-]+)\.jsonl$")


class SampleLogError(ValueError):
    """A per-sample log is missing, unreadable, or lacks a field the caller needs (the message names it)."""


@dataclass(frozen=True)
class SampleRecord:
    """One evaluated example as lm-eval logged it: what was asked, what the model answered, how it scored."""

    doc_id: str
    domain: str
    gold: str
    prediction: str
    task: str
    metrics: dict[str, float] = field(default_factory=dict)
    tiers: str = ""  # the tier restriction the eval ran with ("" = the domain policy)
    sub_domain: str = ""
    policy: str = ""  # the reward policy the eval ran with, as JSON ("" = the reward's default)

    @property
    def acc(self) -> float | None:
        return self.metrics.get("acc")


def _task_of(path: Path) -> str:
    name = path.name.removeprefix("samples_")
    match = _DATE_STAMP.search(name)
    return name[: match.start()] if match else name.removesuffix(".jsonl")


def _date_of(path: Path) -> str:
    match = _DATE_STAMP.search(path.name)
    return match.group(1) if match else ""


def _prediction(row: dict[str, Any], where: str) -> str:
    """The text `process_results` scored: the filtered response, else the raw one."""
    for key in ("filtered_resps", "resps"):
        value = row.get(key)
        while isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str):
            return value
    raise SampleLogError(f"{where}: no text response in 'filtered_resps' or 'resps'")


def parse_sample_line(row: dict[str, Any], *, task: str, where: str) -> SampleRecord:
    doc = row.get("doc")
    if not isinstance(doc, dict):
        raise SampleLogError(f"{where}: missing 'doc' mapping")
    gold = doc.get("answer", row.get("target"))
    if gold is None:
        raise SampleLogError(f"{where}: doc has no 'answer' and the row no 'target'")
    doc_id = doc.get("id", row.get("doc_id"))
    if doc_id is None:
        raise SampleLogError(f"{where}: doc has no 'id' and the row no 'doc_id'")
    metric_names = row.get("metrics") or [k for k in ("acc", "answer_found") if k in row]
    metrics = {}
    for name in metric_names:
        value = row.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            metrics[name] = float(value)
    return SampleRecord(
        doc_id=str(doc_id),
        domain=str(doc.get("domain") or "Unknown").strip() or "Unknown",
        gold=str(gold),
        prediction=_prediction(row, where),
        task=task,
        metrics=metrics,
        tiers=str(doc.get("mmrl_tiers") or ""),
        sub_domain=str(doc.get("sub_domain") or "").strip(),
        policy=str(doc.get("mmrl_policy") or ""),
    )


def read_sample_file(path: str | Path) -> list[SampleRecord]:
    path = Path(path)
    task = _task_of(path)
    records = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SampleLogError(f"{where}: not JSON ({exc.msg})") from exc
            records.append(parse_sample_line(row, task=task, where=where))
    return records


def _from_summary(directory: Path) -> list[Path] | None:
    summary = directory / SUMMARY_FILE
    if not summary.exists():
        return None
    try:
        listed = json.loads(summary.read_text(encoding="utf-8")).get("samples_paths") or []
    except (json.JSONDecodeError, AttributeError):
        return None
    names = {Path(p).name for p in listed}
    found = [p for p in directory.rglob(SAMPLES_GLOB) if p.name in names]
    return sorted(found) if found and len(found) == len(names) else None


def find_sample_files(location: str | Path) -> list[Path]:
    """The sample files of one eval run at `location` (a JSONL file or a folder searched recursively)."""
    location = Path(location)
    if location.is_file():
        return [location]
    if not location.is_dir():
        raise SampleLogError(f"{location}: no such file or folder")
    listed = _from_summary(location)
    if listed:
        return listed
    files = sorted(location.rglob(SAMPLES_GLOB))
    if not files:
        raise SampleLogError(f"{location}: no lm-eval per-sample files ({SAMPLES_GLOB}); "
                             "run the eval with samples logged")
    stamps = sorted({_date_of(p) for p in files})
    if len(stamps) > 1:
        log.warning("%s holds samples of %d eval runs; using the newest (%s)", location, len(stamps), stamps[-1])
        files = [p for p in files if _date_of(p) == stamps[-1]]
    return files


def read_samples(paths: Iterable[str | Path]) -> list[SampleRecord]:
    """Records of several files; a doc logged twice (same task and id) is an error, not a double count."""
    records: list[SampleRecord] = []
    seen: set[tuple[str, str]] = set()
    for path in paths:
        for record in read_sample_file(path):
            key = (record.task, record.doc_id)
            if key in seen:
                raise SampleLogError(f"{path}: doc id {record.doc_id!r} of task {record.task!r} appears twice")
            seen.add(key)
            records.append(record)
    return records


def download_run_samples(run_id: str, *, tracking_uri: str | None = None, dst: str | Path | None = None,
                         artifact_dir: str = EVAL_ARTIFACT_DIR) -> list[Path]:
    """Fetch only the per-sample JSONL files an eval run logged under `artifact_dir` (default `eval/`)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    names = [a.path for a in client.list_artifacts(run_id, artifact_dir)
             if not a.is_dir and Path(a.path).name.startswith("samples_") and a.path.endswith(".jsonl")]
    if not names:
        raise SampleLogError(f"MLflow run {run_id} has no per-sample files under '{artifact_dir}/' "
                             "(was it an `mmrl eval` run?)")
    target = Path(dst or tempfile.mkdtemp(prefix=f"mmrl-samples-{run_id[:8]}-"))
    return sorted(Path(client.download_artifacts(run_id, name, str(target))) for name in names)


def load_samples(source: str | Path, *, tracking_uri: str | None = None) -> tuple[list[SampleRecord], str]:
    """Records from a local file/folder, else from the MLflow run with that id; also says where they came from."""
    path = Path(source)
    if path.exists():
        files = find_sample_files(path)
        return read_samples(files), str(path)
    text = str(source)
    if not re.fullmatch(r"[0-9a-f]{32}", text):
        raise SampleLogError(f"{text!r} is neither an existing file/folder nor an MLflow run id")
    files = download_run_samples(text, tracking_uri=tracking_uri)
    return read_samples(files), f"mlflow run {text}"

