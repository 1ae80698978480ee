"""EDA numbers against hand-computed values on a small constructed dataset, plus charts, tables, report, CLI."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import datasets
import pandas as pd
import pytest
from PIL import Image

from harness.data import load_dataset
from harness.eda import CHART_SIZE_PX, CHART_TITLES, build_frames, describe, run_eda, summarize
from harness.tracking.eda_log import eda_metrics
from reports.eda import render_eda_html, write_eda_report

# --- the constructed dataset ---------------------------------------------------------------------------------


def _encoded(size: tuple[int, int], mode: str = "RGB", fmt: str = "PNG", color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    fill = color if mode != "L" else 128
    if mode == "RGBA":
        fill = (*color, 255)
    Image.new(mode, size, fill).save(buf, format=fmt)
    return buf.getvalue()


RED = _encoded((40, 30))
CORRUPT = b"definitely not an image"
FAKE_TYPES = {"\\[12\\]": "latex", "3/4": "fraction", "45": "integer", "3.5": "decimal", "ethanol": "text"}

ROWS = [
    # id, domain, subDomain, question, answer, images
    ("m1", "Math", "Algebra", "Solve for x.", "\\[12\\]", [RED]),
    ("m2", "Math", "Algebra", "Find the area of the triangle.", "3/4",
     [_encoded((64, 48), fmt="JPEG", color=(20, 20, 200))]),
    ("m3", "Math", "Geometry", "Solve  for x. ", None, [RED]),  # duplicate question (whitespace) and image
    ("m4", "Math", "Geometry", "What is the angle?", "45", [_encoded((20, 20), mode="L"), CORRUPT]),
    ("p1", "Physics", "Mechanics", "Compute the speed.", "3.5", [_encoded((100, 50), color=(10, 150, 10))]),
    ("c1", "Chemistry", "Organic", "Name the compound.", "ethanol",
     [_encoded((30, 30), color=(1, 2, 3)), _encoded((50, 20), fmt="JPEG", color=(90, 90, 0))]),
    ("b1", "Biology", " <b>Cells</b> ", "Which organelle?", "   ", [_encoded((10, 10), mode="RGBA")]),
]


def _raw_dataset() -> datasets.Dataset:
    features = datasets.Features({
        "conversation_id": datasets.Value("string"), "domain": datasets.Value("string"),
        "subDomain": datasets.Value("string"), "question": datasets.Value("string"),
        "answer": datasets.Value("string"), "format": datasets.Value("string"),
        "images": datasets.List(datasets.Image()),
    })
    records = [
        {"conversation_id": i, "domain": d, "subDomain": s, "question": q, "answer": a,
         "format": "single_image" if len(imgs) == 1 else "multi_image",
         "images": [{"bytes": b, "path": None} for b in imgs]}
        for i, d, s, q, a, imgs in ROWS
    ]
    return datasets.Dataset.from_list(records, features=features)


@pytest.fixture(scope="module")
def parquet_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("eda_data") / "train.parquet"
    _raw_dataset().to_parquet(str(path))
    return path


@pytest.fixture(scope="module")
def dataset(parquet_path):
    return load_dataset(str(parquet_path))


@pytest.fixture(scope="module")
def result(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("eda_out")
    return run_eda(dataset, out, None, max_domain_share=0.4, min_subdomain_examples=2,
                   answer_classifier=FAKE_TYPES.__getitem__, source_name="constructed")


# --- frames and summary -----------------------------------------------------------------------------------------


def test_frames_have_one_row_per_example_and_per_image(result):
    ex, im = result.examples, result.images
    assert list(ex["id"]) == ["m1", "m2", "m3", "m4", "p1", "c1", "b1"]
    assert len(im) == 9
    assert list(ex["n_images"]) == [1, 1, 1, 2, 1, 2, 1]
    corrupt = im[im["corrupt"]]
    assert list(corrupt["example_id"]) == ["m4"] and list(corrupt["image_index"]) == [1]
    assert "undecodable" in corrupt["error"].iloc[0]
    assert ex.loc[ex["id"] == "b1", "sub_domain"].item() == "<b>Cells</b>"  # stripped, kept verbatim


def test_summary_counts_match_hand_computed_values(result):
    s = json.loads(result.summary_path.read_text())
    assert s["dataset"] == {"source": "constructed", "n_examples": 7, "n_images": 9, "n_domains": 4,
                            "n_sub_domains": 5}
    assert [(d["domain"], d["count"]) for d in s["domains"]] == [
        ("Math", 4), ("Biology", 1), ("Chemistry", 1), ("Physics", 1)]
    assert s["domains"][0]["share"] == pytest.approx(4 / 7, abs=1e-6)
    subs = {(r["domain"], r["sub_domain"]): r["count"] for r in s["sub_domains"]}
    assert subs == {("Math", "Algebra"): 2, ("Math", "Geometry"): 2, ("Physics", "Mechanics"): 1,
                    ("Chemistry", "Organic"): 1, ("Biology", "<b>Cells</b>"): 1}
    assert {r["format"]: r["count"] for r in s["formats"]} == {"single_image": 5, "multi_image": 2}


def test_summary_lengths_are_nearest_rank_percentiles(result):
    lengths = json.loads(result.summary_path.read_text())["lengths"]
    # question chars 12, 30, 14, 18, 18, 18, 16 -> sorted 12 14 16 18 18 18 30
    q = lengths["question_chars"]
    assert (q["count"], q["min"], q["p50"], q["p90"], q["p99"], q["max"], q["mean"]) == (7, 12, 18, 30, 30, 30, 18)
    # answer chars 6, 3, 0, 2, 3, 7, 3 (missing answers count as 0 / 3 characters as given)
    a = lengths["answer_chars"]
    assert (a["p50"], a["max"], a["min"]) == (3, 7, 0)
    assert a["mean"] == pytest.approx(24 / 7, abs=1e-4)
    assert lengths["prompt_tokens"]["count"] == 0 and lengths["prompt_tokens"]["p50"] is None


def test_summary_images(result):
    img = json.loads(result.summary_path.read_text())["images"]
    assert (img["count"], img["decodable"], img["corrupt"]["count"]) == (9, 8, 1)
    assert img["corrupt"]["items"][0]["id"] == "m4" and img["corrupt"]["items"][0]["image_index"] == 1
    assert img["file_formats"] == {"PNG": 6, "JPEG": 2}
    assert img["modes"] == {"RGB": 6, "L": 1, "RGBA": 1}
    # widths 40 64 40 20 100 30 50 10; heights 30 48 30 20 50 30 20 10
    assert (img["width"]["min"], img["width"]["p50"], img["width"]["p90"], img["width"]["max"]) == (10, 40, 100, 100)
    assert img["width"]["mean"] == pytest.approx(44.25)
    assert (img["height"]["p50"], img["height"]["max"], img["height"]["mean"]) == (30, 50, 29.75)
    assert img["per_example"]["counts"] == {"1": 5, "2": 2}
    assert img["per_example"]["max"] == 2


def test_answer_types_duplicates_and_missing_answers(result):
    s = json.loads(result.summary_path.read_text())
    at = s["answer_types"]
    assert at["types"] == ["integer", "decimal", "fraction", "latex", "text", "missing"]
    assert at["overall"] == {"integer": 1, "decimal": 1, "fraction": 1, "latex": 1, "text": 1, "missing": 2}
    assert at["by_domain"]["Math"] == {"integer": 1, "decimal": 0, "fraction": 1, "latex": 1, "text": 0, "missing": 1}
    assert at["by_domain"]["Biology"]["missing"] == 1
    assert s["missing_answers"] == {"count": 2, "ids": ["m3", "b1"]}
    dq = s["duplicates"]["questions"]
    assert (dq["groups"], dq["duplicate_rows"], dq["id_groups"]) == (1, 1, [["m1", "m3"]])
    di = s["duplicates"]["images"]
    assert (di["groups"], di["duplicate_images"], di["examples_sharing_an_image"]) == (1, 1, 2)
    assert di["items"][0]["example_ids"] == ["m1", "m3"]


def test_findings_flag_imbalance_small_subdomains_and_quality_problems(result):
    findings = {f["code"]: f for f in result.findings}
    assert set(findings) == {"domain_imbalance", "small_sub_domains", "missing_answers", "corrupt_images",
                             "duplicate_questions", "duplicate_images", "no_token_stats"}
    assert "Math" in findings["domain_imbalance"]["message"] and findings["domain_imbalance"]["level"] == "warning"
    assert findings["small_sub_domains"]["message"].startswith("3 sub-domain(s)")
    assert findings["missing_answers"]["level"] == "error" and findings["missing_answers"]["ids"] == ["m3", "b1"]
    assert findings["corrupt_images"]["ids"] == ["m4"]
    assert result.summary["flags"]["imbalanced_domains"] == ["Math"]


def test_thresholds_are_configurable(result):
    s = summarize(result.examples, result.images, max_domain_share=0.6, min_subdomain_examples=1)
    codes = {f["code"] for f in s["findings"]}
    assert "domain_imbalance" not in codes and "small_sub_domains" not in codes
    s = summarize(result.examples, result.images, max_domain_share=0.1, min_subdomain_examples=3)
    assert set(s["flags"]["imbalanced_domains"]) == {"Math", "Physics", "Chemistry", "Biology"}
    assert len(s["flags"]["small_sub_domains"]) == 5


def test_default_classifier_is_the_reward_policys(dataset, monkeypatch):
    import rewards

    seen = []

    def spy(gold: str) -> str:
        seen.append(gold)
        return "symbolic"

    monkeypatch.setattr(rewards, "classify_answer", spy, raising=False)
    ex, _ = build_frames(dataset)
    assert sorted(seen) == sorted(["\\[12\\]", "3/4", "45", "3.5", "ethanol"])  # missing answers not classified
    assert list(ex["answer_type"]) == ["symbolic", "symbolic", "missing", "symbolic", "symbolic", "symbolic", "missing"]


def test_a_failing_classifier_marks_the_row_unclassified(dataset):
    def picky(gold: str) -> str:
        if gold == "ethanol":
            raise ValueError("no idea")
        return "integer"

    ex, im = build_frames(dataset, answer_classifier=picky)
    assert ex.loc[ex["id"] == "c1", "answer_type"].item() == "unclassified"
    finding = [f for f in summarize(ex, im)["findings"] if f["code"] == "unclassified_answers"]
    assert finding and finding[0]["ids"] == ["c1"]


def test_describe_handles_missing_and_empty_values():
    assert describe(pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))["p90"] == 9
    out = describe(pd.Series([None, 5, None], dtype="Int64"))
    assert (out["count"], out["missing"], out["p50"], out["max"]) == (1, 2, 5, 5)
    empty = describe(pd.Series([], dtype="Int64"))
    assert empty["count"] == 0 and empty["mean"] is None


# --- charts and tables ----------------------------------------------------------------------------------------


def test_charts_are_non_empty_pngs_of_the_documented_size(result):
    assert set(result.charts) == set(CHART_TITLES) - {"token_lengths"}  # no tokenizer -> no token chart
    for name, path in result.charts.items():
        with Image.open(path) as img:
            assert img.format == "PNG", name
            assert img.size == CHART_SIZE_PX, name
            colors = img.convert("RGB").getcolors(maxcolors=1 << 16)
            assert colors is None or len(colors) > 20, f"{name} looks blank"


def test_tables_are_dumped_as_csv(result):
    tables = result.out_dir / "tables"
    domains = pd.read_csv(tables / "domains.csv")
    assert list(domains["domain"]) == ["Math", "Biology", "Chemistry", "Physics"]
    assert list(domains["count"]) == [4, 1, 1, 1]
    missing = pd.read_csv(tables / "missing_answers.csv")
    assert list(missing["id"]) == ["m3", "b1"]
    images = pd.read_csv(tables / "images.csv")
    assert len(images) == 9 and images["corrupt"].sum() == 1
    by_domain = pd.read_csv(tables / "answer_types_by_domain.csv").set_index("domain")
    assert by_domain.loc["Math", "missing"] == 1
    assert "question" not in pd.read_csv(tables / "examples.csv").columns


# --- the HTML report ------------------------------------------------------------------------------------------


class _Collector(HTMLParser):
    VOID: ClassVar[set[str]] = {"meta", "img", "br", "hr", "link", "input", "source", "col", "area", "base", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.imgs: list[dict[str, str]] = []
        self.ids: set[str] = set()
        self.classes: list[str] = []
        self.tags: set[str] = set()
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if "id" in a:
            self.ids.add(a["id"])
        self.classes.extend((a.get("class") or "").split())
        if tag == "img":
            self.imgs.append(a)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> (open: {self.stack[-3:]})")
            return
        self.stack.pop()


def test_html_report_is_self_contained_and_references_every_chart(result):
    report = write_eda_report(result)
    html = report.html.read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(html)
    parser.close()
    assert not parser.errors and not parser.stack
    assert {"overview", "domains", "lengths", "images", "answer-types", "findings"} <= parser.ids
    assert {f"chart-{name}" for name in result.charts} <= parser.ids
    assert len(parser.imgs) == len(result.charts)
    for img in parser.imgs:
        assert img["src"].startswith("data:image/png;base64,")
        decoded = Image.open(io.BytesIO(base64.b64decode(img["src"].split(",", 1)[1])))
        assert decoded.size == CHART_SIZE_PX
        assert img["alt"] in CHART_TITLES.values()
    assert "b" not in parser.tags and "&lt;b&gt;Cells&lt;/b&gt;" in html  # data is escaped, not markup
    assert parser.classes.count("error") >= 2  # missing answers + corrupt images highlighted
    assert "Token statistics unavailable" in html
    md = report.markdown.read_text(encoding="utf-8")
    for path in result.charts.values():
        assert f"]({path.relative_to(result.out_dir).as_posix()})" in md


def test_report_can_be_rendered_from_summary_json_alone(result):
    from reports.eda import load_summary

    summary, charts = load_summary(result.out_dir)
    assert set(charts) == set(result.charts)
    assert "Exploratory data analysis — constructed" in render_eda_html(summary, charts)


def test_eda_metrics_flatten_the_summary(result):
    m = eda_metrics(result.summary)
    assert m["eda.examples"] == 7 and m["eda.images_corrupt"] == 1 and m["eda.missing_answers"] == 2
    assert m["eda.domain_share/Math"] == pytest.approx(4 / 7, abs=1e-6)
    assert m["eda.question_chars/p50"] == 18 and m["eda.findings/error"] == 2
    assert "eda.prompt_tokens/p50" not in m  # unavailable numbers are left out, not logged as 0


# --- layering and the command --------------------------------------------------------------------------------


def test_eda_library_stays_below_tracking_and_reports():
    code = (
        "import sys, harness.eda; "
        "bad = [m for m in sys.modules if m.startswith(('harness.tracking', 'reports', 'harness.models', "
        "'harness.training', 'tasks', 'mlflow'))]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _invoke(args):
    from typer.testing import CliRunner

    from harness.cli import app

    return CliRunner().invoke(app, args)


def test_cli_writes_summary_report_and_tables(parquet_path, tmp_path):
    out = tmp_path / "eda"
    res = _invoke(["eda", str(parquet_path), "--out", str(out), "--tokenizer", str(tmp_path / "no-such-model"),
                   "--min-subdomain-examples", "2"])
    assert res.exit_code == 0, res.output
    assert "continuing without token statistics" in res.output and "no-such-model" in res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["dataset"]["n_examples"] == 7
    assert summary["tokenizer"]["available"] is False and "no-such-model" in summary["tokenizer"]["reason"]
    assert (out / "report.html").stat().st_size > 10_000
    assert (out / "tables" / "sub_domains.csv").exists()
    assert "Math" in res.output and "missing or empty gold answer" in res.output


@pytest.fixture
def restore_mlflow_uri():
    import mlflow

    previous = mlflow.get_tracking_uri()
    yield
    mlflow.set_tracking_uri(previous)


def test_cli_logs_summary_and_report_to_mlflow(parquet_path, tmp_path, restore_mlflow_uri, monkeypatch):
    import mlflow

    monkeypatch.chdir(tmp_path)  # a SQLite store puts artifacts under ./mlruns of the working directory
    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    res = _invoke(["eda", str(parquet_path), "--out", str(tmp_path / "eda"), "--no-tokens", "--mlflow",
                   "--tracking-uri", uri, "--experiment", "eda-test", "--run-name", "eda-constructed"])
    assert res.exit_code == 0, res.output
    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["eda-test"], output_format="list")
    assert len(runs) == 1
    run = runs[0]
    assert run.data.metrics["eda.examples"] == 7
    assert run.data.metrics["eda.domain_share/Math"] == pytest.approx(4 / 7, abs=1e-6)
    assert run.data.params["eda.source"] == str(parquet_path)
    assert run.data.tags["mmrl.kind"] == "eda"
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, "eda")}
    assert {"eda/summary.json", "eda/report.html", "eda/charts", "eda/tables"} <= artifacts


def test_cli_fails_cleanly_on_a_bad_source(tmp_path):
    res = _invoke(["eda", str(tmp_path / "missing.parquet"), "--out", str(tmp_path / "o"), "--no-tokens"])
    assert res.exit_code == 2
    assert "error" in res.output.lower()
