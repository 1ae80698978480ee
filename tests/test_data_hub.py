"""Hub loading passes the right arguments, and an offline failure is a clear message (not a traceback)."""

from __future__ import annotations

import datasets
import pytest
from data_factory import open_mm_rl_dataset
from typer.testing import CliRunner

from harness.cli import app
from harness.data import HUB_DATASET, DataSourceError, load_dataset


def test_hub_id_calls_datasets_with_split_and_revision(monkeypatch):
    calls = []

    def fake_load_dataset(path, **kwargs):
        calls.append((path, kwargs))
        return open_mm_rl_dataset(4)

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    ds = load_dataset(HUB_DATASET, split="train", revision="abc123")
    assert calls == [(HUB_DATASET, {"split": "train", "revision": "abc123"})]
    assert ds["id"][0] == "conv-000" and ds["sub_domain"][0] == "Combinatorics"


def test_offline_hub_failure_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(DataSourceError) as err:
        load_dataset("TuringEnterprises/Open-MM-RL-does-not-exist-offline")
    message = str(err.value)
    assert "Hugging Face Hub" in message and "sample" in message


def test_cli_reports_offline_failure_without_traceback(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    result = CliRunner().invoke(app, ["data", "info", "TuringEnterprises/Open-MM-RL-not-cached"])
    assert result.exit_code == 2
    assert "error" in result.output and "Traceback" not in result.output
