"""Math-Verify's own test triples, run through ``rewards.verify``: a suite nobody in this project wrote.

Math-Verify ships its tests in its PyPI source distribution. This module fetches that sdist with pip (the
only network it needs is the package index), reads every ``(gold, pred, expected)`` triple out of the test
files with ``ast`` (nothing of theirs is imported or executed), runs each through ``rewards.verify(pred,
gold)`` and compares. Where the peer's test passes an option (``precision``, ``strict``,
``allow_set_relation_comp``, extraction ``match_types``) it is recorded with the triple.

Every deliberate disagreement is listed, with its reason, in ``deliberate.json`` beside this file (and in
``rewards/README.md``); the report counts those separately. ``python tests/peer/math_verify_suite.py``
(``make peer``) prints the report; ``test_math_verify_suite.py`` fails below 98% raw agreement or on any
disagreement not in the list.
"""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

PEER = "math-verify"
VERSION = "0.9.0"
THRESHOLD = 0.98
HERE = Path(__file__).resolve().parent
DELIBERATE = HERE / "deliberate.json"


@dataclass(frozen=True)
class Triple:
    file: str
    test: str
    gold: str
    pred: str
    expected: bool
    options: tuple[tuple[str, object], ...] = ()

    @property
    def key(self) -> tuple[str, str, bool]:
        return (self.gold, self.pred, self.expected)


def fetch(dest: Path, version: str = VERSION) -> Path:
    """The sdist's ``tests/`` folder (downloaded once into ``dest``)."""
    tests = dest / f"math_verify-{version}" / "tests"
    if tests.is_dir():
        return tests
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / f"math_verify-{version}.tar.gz"
    if not archive.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps",
             "--dest", str(dest), f"{PEER}=={version}"],
            check=True, timeout=300,
        )
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if "/tests/" in m.name and m.isfile() and m.name.endswith(".py")]
        tar.extractall(dest, members=members, filter="data")
    return tests


def _literal(node: ast.AST):
    """``ast.literal_eval`` plus the f-strings the peer's tests use (``f"{math.sqrt(17):.15f}"``)."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_literal(node.operand)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(value.value)
            else:
                spec = _literal(value.format_spec) if value.format_spec else ""
                parts.append(format(_literal(value.value), spec))
        return "".join(parts)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and getattr(node.func.value, "id", "") == "math"
        and hasattr(math, node.func.attr)
    ):
        return getattr(math, node.func.attr)(*[_literal(a) for a in node.args])
    raise ValueError(f"not a literal: {ast.dump(node)[:80]}")


def triples(tests_dir: Path) -> list[Triple]:
    """Every parametrised (gold, pred, expected) case, deduplicated, with the options its test passes."""
    found: dict[tuple, Triple] = {}
    for path in sorted(tests_dir.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
            fixed = _call_options(func)
            for dec in func.decorator_list:
                if not (isinstance(dec, ast.Call) and getattr(dec.func, "attr", "") == "parametrize"):
                    continue
                names = [n.strip() for n in _literal(dec.args[0]).split(",")]
                if "gold" not in names or "pred" not in names:
                    continue
                for row in _literal(dec.args[1]):
                    values = dict(zip(names, row))
                    expected = values.pop("expected", values.pop("result", None))
                    gold, pred = values.pop("gold"), values.pop("pred")
                    options = tuple(sorted({**fixed, **values}.items()))
                    triple = Triple(path.name, func.name, gold, pred, bool(expected), options)
                    found.setdefault((triple.key, options), triple)
    return list(found.values())


def _call_options(func: ast.FunctionDef) -> dict[str, object]:
    """Keyword options of the test's ``compare_strings(...)`` call that are literals (match_types, precision)."""
    for node in ast.walk(func):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "compare_strings":
            out = {}
            for kw in node.keywords:
                try:
                    out[kw.arg] = _literal(kw.value)
                except ValueError:
                    continue
            return {k: tuple(v) if isinstance(v, list) else v for k, v in out.items()}
    return {}


@dataclass
class Report:
    total: int = 0
    agree: int = 0
    deliberate: list[tuple[Triple, str, object]] = field(default_factory=list)
    undocumented: list[tuple[Triple, object]] = field(default_factory=list)
    stale: list[dict] = field(default_factory=list)

    @property
    def agreement(self) -> float:
        return self.agree / self.total if self.total else 0.0

    @property
    def agreement_without_deliberate(self) -> float:
        counted = self.total - len(self.deliberate)
        return self.agree / counted if counted else 0.0


def deliberate_list() -> list[dict]:
    return json.loads(DELIBERATE.read_text(encoding="utf-8"))


def run(cases: list[Triple]) -> Report:
    import rewards

    documented = {(d["gold"], d["pred"], d["expected"]): d for d in deliberate_list()}
    report = Report()
    seen_deliberate = set()
    for triple in cases:
        verdict = rewards.verify(triple.pred, triple.gold)
        report.total += 1
        if verdict.correct == triple.expected:
            report.agree += 1
            continue
        note = documented.get(triple.key)
        if note is not None:
            report.deliberate.append((triple, note["reason"], verdict))
            seen_deliberate.add(triple.key)
        else:
            report.undocumented.append((triple, verdict))
    report.stale = [d for k, d in documented.items() if k not in seen_deliberate]
    return report


def render(report: Report) -> str:
    lines = [
        f"Math-Verify {VERSION} test triples: {report.total}",
        f"agreement: {report.agree}/{report.total} = {report.agreement:.1%} (threshold {THRESHOLD:.0%})",
        f"deliberate disagreements: {len(report.deliberate)}; agreement without them: "
        f"{report.agreement_without_deliberate:.1%}",
        f"undocumented disagreements: {len(report.undocumented)}",
    ]
    for triple, reason, verdict in report.deliberate:
        lines.append(f"  deliberate [{triple.test}] gold={triple.gold[:50]!r} pred={triple.pred[-50:]!r} "
                     f"expected={int(triple.expected)} ours={int(verdict.correct)}: {reason}")
    for triple, verdict in report.undocumented:
        lines.append(f"  UNDOCUMENTED [{triple.file}::{triple.test}] gold={triple.gold[:60]!r} "
                     f"pred={triple.pred[-60:]!r} expected={int(triple.expected)} got {verdict}")
    for entry in report.stale:
        lines.append(f"  stale entry in deliberate.json (now agrees or no longer in the suite): {entry['gold'][:50]!r}")
    return "\n".join(lines)


def main() -> int:
    sys.path.insert(0, str(HERE.parent.parent))
    from harness.paths import cache_dir

    report = run(triples(fetch(cache_dir() / "peer")))
    print(render(report))
    ok = report.agreement >= THRESHOLD and not report.undocumented
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
