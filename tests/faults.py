"""Helpers of the fault suite: run the real `mmrl` in a subprocess under a real fault, and check it failed well.

Faults are real where the machine allows it, simulated where it does not:
- disk full: a small tmpfs mounted in a private mount namespace (`unshare -rm`); without user namespaces,
  a `sitecustomize` shim (tests/faultshim) that makes writes under one folder fail with ENOSPC;
- read-only: `chmod` (run under `unshare -U` when the suite runs as root, since root ignores permission
  bits), or a read-only bind mount;
- races: two processes started together; orphans: `kill -9`.

"Failed well" means: non-zero exit, exactly one `error:` line, and no traceback anywhere in the output.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHIM = Path(__file__).resolve().parent / "faultshim"


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a subprocess `mmrl`: offline, the suite's shared cache, the checkout importable."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", "COLUMNS": "200"}
    env.pop("MLFLOW_TRACKING_URI", None)
    env.update(extra)
    return env


def mmrl(*args: str) -> list[str]:
    return [sys.executable, "-m", "harness.cli", *args]


def run(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300,
        prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*(prefix or []), *cmd], cwd=cwd, env=env or cli_env(), capture_output=True, text=True,
                          timeout=timeout)


def assert_failed_cleanly(proc: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    """Exit `code`, no traceback, exactly one `error:` line containing every needle; returns that line."""
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text, text[-3000:]
    assert proc.returncode == code, (proc.returncode, text[-3000:])
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr[-3000:]
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


@functools.cache
def _works(*probe: str) -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        return subprocess.run(["unshare", *probe], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def can_mount() -> bool:
    """Private mount namespaces (tmpfs, read-only bind mounts) are available to this user."""
    return _works("-rm", "sh", "-c", "mount -t tmpfs -o size=64k none /mnt 2>/dev/null || "
                  "mount -t tmpfs -o size=64k none /tmp")


def unprivileged_prefix() -> list[str]:
    """A prefix under which permission bits apply: nothing for a normal user; `unshare -U` for root.

    Skips the test when neither works (root without user namespaces ignores chmod).
    """
    if os.geteuid() != 0:
        return []
    if _works("-U", "true"):
        return ["unshare", "-U"]
    pytest.skip("running as root without user namespaces: permission bits cannot be tested")


def tmpfs_prefix(mountpoint: Path, size: str) -> list[str]:
    """Run the command with a fresh `size` tmpfs on `mountpoint` (skip without mount namespaces)."""
    if not can_mount():
        pytest.skip("no private mount namespace here (unshare -rm); see the ENOSPC shim tests instead")
    mountpoint.mkdir(parents=True, exist_ok=True)
    return ["unshare", "-rm", "sh", "-c", f'mount -t tmpfs -o size={size} none "$0" && exec "$@"', str(mountpoint)]


def read_only_prefix(path: Path) -> list[str]:
    """Run the command with `path` bind-mounted read-only (a real EROFS)."""
    if not can_mount():
        pytest.skip("no private mount namespace here (unshare -rm)")
    return ["unshare", "-rm", "sh", "-c", 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"',
            str(path)]


def enospc_env(folder: Path, after_bytes: int) -> dict[str, str]:
    """Environment that makes writes under `folder` fail with ENOSPC once `after_bytes` were written."""
    return cli_env(PYTHONPATH=f"{SHIM}{os.pathsep}{REPO}", MMRL_TEST_ENOSPC_DIR=str(folder),
                   MMRL_TEST_ENOSPC_AFTER=str(after_bytes))



def invoke(*args: str):
    """`mmrl ARGS` in-process (fast: shares this process's imports), with `guard` active as in the real CLI."""
    from typer.testing import CliRunner

    from harness.cli import app

    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def assert_invoked_cleanly(result, code: int, *needles: str) -> str:
    """The in-process twin of `assert_failed_cleanly`: an exit (not an exception), one `error:` line."""
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == code, (result.exit_code, result.output[-3000:])
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output[-3000:]
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


_INVOKE_MANY = """
import json, sys
from typer.testing import CliRunner
from harness.cli import app
cases = json.loads(sys.argv[1])
results = {}
for name, args in cases.items():
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    results[name] = {"exit_code": result.exit_code, "output": result.output,
                     "exception": type(result.exception).__name__ if result.exception else None}
print("@@RESULTS@@" + json.dumps(results))
"""


def invoke_many(cases: dict[str, list[str]], *, cwd: Path, prefix: list[str] | None = None,
                env: dict[str, str] | None = None, timeout: float = 600) -> dict[str, dict]:
    """Run several `mmrl` commands in ONE fresh process (under `prefix`, e.g. `unshare -U`), each through the
    real CLI with its guard; one interpreter start instead of one per command keeps the fault suite quick."""
    import json

    proc = run([sys.executable, "-c", _INVOKE_MANY, json.dumps(cases)], cwd=cwd, env=env, prefix=prefix,
               timeout=timeout)
    marker = proc.stdout.rfind("@@RESULTS@@")
    assert marker >= 0, (proc.returncode, proc.stdout[-2000:], proc.stderr[-3000:])
    return json.loads(proc.stdout[marker + len("@@RESULTS@@"):])


def assert_result_failed_cleanly(result: dict, code: int, *needles: str) -> str:
    """`assert_invoked_cleanly` for a result of `invoke_many`."""
    assert result["exception"] == "SystemExit", result
    assert result["exit_code"] == code, result
    assert "Traceback" not in result["output"], result["output"][-3000:]
    errors = [line for line in result["output"].splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result["output"][-3000:]
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]
