"""One vocabulary of flags across commands, the old spellings still accepted, and help readable at 80 columns."""

from __future__ import annotations

import json

import click
import pytest
import typer
from typer.testing import CliRunner

from harness.cli import app

runner = CliRunner()

READS_DATA = [["data", "info"], ["data", "materialize"], ["eda"], ["export"], ["eval"], ["verify", "audit"],
              ["bench", "train"], ["bench", "eval"], ["model", "build-tiny"]]
WRITES = [["data", "materialize"], ["eda"], ["export"], ["eval"], ["bench", "train"], ["bench", "eval"], ["rerun"],
          ["model", "build-tiny"], ["verify", "audit"], ["leaderboard"]]
SPLITS = [["export"], ["eval"], ["model", "build-tiny"]]
RECORDS = [["eda"], ["eval"], ["train"], ["pipeline"], ["demo"], ["ablate"], ["rerun"], ["verify", "audit"],
           ["bench", "train"], ["bench", "eval"]]
LIMITS = [["eda"], ["eval"], ["verify", "audit"], ["bench", "eval"], ["pipeline"], ["demo"]]


def option_names(path: list[str]) -> set[str]:
    command: click.Command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def leaf_commands(group: click.Command | None = None, prefix: tuple[str, ...] = ()) -> list[list[str]]:
    group = group or typer.main.get_command(app)
    out = []
    for name, command in getattr(group, "commands", {}).items():
        if isinstance(command, click.Group):
            out.append([*prefix, name])
            out.extend(leaf_commands(command, (*prefix, name)))
        else:
            out.append([*prefix, name])
    return out


@pytest.mark.parametrize(("paths", "flags"), [
    (READS_DATA, {"--data"}), (WRITES, {"--out"}), (SPLITS, {"--split-seed"}),
    (RECORDS, {"--tracking-uri", "--tracking-fallback"}), (LIMITS, {"--limit"}),
])
def test_the_same_flag_names_the_same_thing_everywhere(paths, flags):
    missing = {" ".join(path): sorted(flags - option_names(path)) for path in paths if flags - option_names(path)}
    assert not missing


def test_old_spellings_are_kept_as_aliases():
    assert {"--output-dir", "-o", "--out"} <= option_names(["eval"])
    assert {"--output-dir", "--out"} <= option_names(["rerun"]) & option_names(["bench", "train"])
    assert "--seed" in option_names(["export"]) and "--source" in option_names(["model", "build-tiny"])
    assert {"--mlflow", "--no-mlflow"} <= option_names(["eda"])


@pytest.mark.parametrize("path", leaf_commands())
def test_help_is_readable_at_80_columns(path):
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0, result.output
    assert "│" not in result.output  # not rich's panels, which cut option help to one word per line at 80 columns
    too_long = [line for line in result.output.splitlines() if len(line) > 80]
    assert not too_long


def test_the_source_argument_is_an_alias_of_data():
    by_option = runner.invoke(app, ["data", "info", "--data", "sample"])
    by_argument = runner.invoke(app, ["data", "info", "sample"])
    assert by_option.exit_code == by_argument.exit_code == 0
    assert by_option.output == by_argument.output
    both = runner.invoke(app, ["data", "info", "sample", "--data", "elsewhere.parquet"])
    assert both.exit_code == 2 and "two data sources" in both.output


def test_export_seed_still_works_as_a_deprecated_alias_of_split_seed(tmp_path):
    old = runner.invoke(app, ["export", "--data", "sample", "--out", str(tmp_path / "old"), "--split", "eval",
                              "--seed", "3"])
    assert old.exit_code == 0, old.output
    assert "deprecated" in old.output and "--split-seed" in old.output
    new = runner.invoke(app, ["export", "--data", "sample", "--out", str(tmp_path / "new"), "--split", "eval",
                              "--split-seed", "3"])
    assert new.exit_code == 0, new.output
    manifests = [json.loads((tmp_path / name / "manifest.json").read_text()) for name in ("old", "new")]
    assert manifests[0]["split"]["seed"] == manifests[1]["split"]["seed"] == 3
    assert manifests[0]["split"]["eval_ids"] == manifests[1]["split"]["eval_ids"]
    clash = runner.invoke(app, ["export", "--out", str(tmp_path / "x"), "--seed", "3", "--split-seed", "4"])
    assert clash.exit_code == 2 and "disagree" in clash.output
