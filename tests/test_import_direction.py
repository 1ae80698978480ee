"""The house rule on imports, kept by a machine: data flows one way, so no module reaches back up the chain.

    rewards ← harness.data ← tasks ← harness.evaluation ← harness.training ← harness.tracking ← reports
            ← harness.pipeline ← harness.ablation ← harness.rerun ← harness.commands ← harness.cli

Every import counts, at module level or inside a function (a lazy import is still a dependency). A unit is a
top-level package (`rewards`, `tasks`, `reports`) or a first-level part of `harness` (`harness.data`, ...).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("harness", "rewards", "tasks", "reports", "experiments")

#: a unit may import units of a strictly lower rank (and itself)
RANK = {
    "rewards": 0,
    "harness.paths": 1,
    "harness.defaults": 1,
    "harness.generation": 1,
    "harness.yaml_text": 1,
    "harness.fs": 2,
    "harness.data": 3,
    "harness.stage_state": 3,
    "harness.models": 4,
    "harness.grpo_data": 4,
    "harness.reward_audit": 4,
    "tasks": 5,
    "harness.eda": 6,
    "harness.evaluation": 6,
    "harness.training": 7,
    "harness.tracking": 8,
    "harness.leaderboard": 9,
    "reports": 10,
    "harness.pipeline": 11,
    "harness.ablation": 12,
    "harness.bench": 12,
    "harness.rerun": 13,
    "harness.commands": 14,
    "harness.cli": 15,
    "harness.__main__": 16,
    "harness": 16,
    "experiments": 16,
}


def unit_of(module: str) -> str:
    parts = module.split(".")
    return f"harness.{parts[1]}" if parts[0] == "harness" and len(parts) > 1 else parts[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import of a project module in `path`, relative ones resolved."""
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            if node.module:
                found.append((node.lineno, ".".join([*base, node.module])))
            else:  # `from . import grader`: each name is a module
                found += [(node.lineno, ".".join([*base, alias.name])) for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] in PROJECT]


def project_files() -> list[Path]:
    return sorted(p for package in PROJECT for p in (ROOT / package).rglob("*.py"))


def all_imports() -> list[tuple[Path, int, str, str]]:
    """(file, line, importing unit, imported module) over the whole package tree."""
    return [(path, line, unit_of(module_name(path)), target)
            for path in project_files() for line, target in imports_of(path)]


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_every_unit_has_a_rank():
    units = {unit_of(module_name(p)) for p in project_files()}
    assert units - set(RANK) == set(), "give the new package a place in RANK (the direction of its imports)"


def test_no_module_imports_up_the_chain():
    wrong = [f"{where(path, line)}: {source} imports {target}"
             for path, line, source, target in all_imports()
             if unit_of(target) != source and RANK[unit_of(target)] >= RANK[source]]
    assert wrong == []


def test_rewards_import_nothing_of_the_project():
    wrong = [f"{where(p, line)}: {t}" for p, line, s, t in all_imports() if s == "rewards" and unit_of(t) != "rewards"]
    assert wrong == []


def test_the_task_uses_rewards_and_the_public_data_api_only():
    allowed = ("harness.data",)
    wrong = [f"{where(p, line)}: {t}" for p, line, s, t in all_imports()
             if s == "tasks" and unit_of(t) not in ("tasks", "rewards") and t not in allowed]
    assert wrong == []


def test_nothing_in_harness_imports_the_task_folder():
    wrong = [
        f"{where(p, line)}: {t}" for p, line, s, t in all_imports() if s.startswith("harness") and t.startswith("tasks")
    ]
    assert wrong == []


def test_reports_render_and_never_log():
    wrong = []
    for path in (ROOT / "reports").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            wrong += [f"{where(path, node.lineno)}: {n}" for n in names if n.split(".")[0] == "mlflow"]
    assert wrong == []


def test_library_code_never_imports_the_commands():
    wrong = [f"{where(p, line)}: {t}" for p, line, s, t in all_imports()
             if t.startswith("harness.commands") and s not in ("harness.commands", "harness.cli", "harness.__main__")]
    assert wrong == []


@pytest.mark.parametrize("text, expected", [
    ("from harness.commands import eval\n", "harness.commands"),
    ("def f():\n    import tasks.open_mm_rl.utils\n", "tasks.open_mm_rl.utils"),
    ("from . import grader\n", "rewards.grader"),
])
def test_the_checker_sees_module_level_lazy_and_relative_imports(tmp_path, monkeypatch, text, expected):
    """The check itself must be able to fail: it finds each kind of import it is meant to police."""
    fake_root = tmp_path
    (fake_root / "rewards").mkdir()
    path = fake_root / "rewards" / "probe.py"
    path.write_text(text)
    monkeypatch.setattr(__import__(__name__), "ROOT", fake_root)
    assert [name for _, name in imports_of(path)] == [expected]
