"""The Python snippet of `tasks/open_mm_rl/README.md` runs as written (here on the CPU: lm-eval's own default
device is "cuda", which is what the snippet must not rely on)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "tasks" / "open_mm_rl" / "README.md"


def python_snippet() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("From Python"):]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"no python block after 'From Python' in {README}"
    return match.group(1)


def test_the_readme_snippet_runs_as_written(tmp_path, monkeypatch):
    snippet = python_snippet()
    assert 'device="cuda" if torch.cuda.is_available() else "cpu"' in snippet
    monkeypatch.chdir(tmp_path)  # a user's directory, not the checkout
    printed = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet, str(README), "exec"), namespace)  # noqa: S102 - our own README's code
    results = namespace["res"]["results"]
    domains = {f"open_mm_rl_{d}" for d in ("math", "physics", "chemistry", "biology")}
    assert domains <= set(results)
    assert all(0.0 <= results[task]["acc,none"] <= 1.0 for task in domains)
    assert "open_mm_rl_math" in printed.getvalue()
