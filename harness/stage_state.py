"""Progress of a resumable job on disk: which steps finished, what each produced, the MLflow run it records into.

The pipeline (stages) and the ablation sweep (baseline, variants) both resume through this one class: a
rerun with the same config skips what `completed` lists and re-opens `parent_run_id`; a changed config
starts over (the caller decides what to set aside). `started` marks steps begun but not finished, so a
resumed job knows which leftovers on disk are its own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.fs import write_text_atomic

log = logging.getLogger(__name__)


class StateFileError(ValueError):
    """The state file exists but cannot be read; the message names it and how to start over."""


@dataclass
class StageState:
    path: Path
    config_hash: str
    parent_run_id: str | None = None
    completed: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path, config_hash: str, *,
             on_config_change: Callable[[str], None] | None = None) -> StageState:
        """The saved progress of this config, or a fresh state (no file, or a file of another config:
        `on_config_change(old_hash)` is called first, e.g. to set its checkpoints aside)."""
        path = Path(path)
        if not path.exists():
            return cls(path=path, config_hash=config_hash)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise StateFileError(f"{path} is not valid JSON ({exc}); delete it or pass --fresh") from exc
        if not isinstance(data, dict):
            raise StateFileError(f"{path} does not hold a JSON object; delete it or pass --fresh")
        old_hash = str(data.get("config_hash"))
        if old_hash != config_hash:
            log.warning("config changed since the last run (%s -> %s): starting over", old_hash, config_hash)
            if on_config_change is not None:
                on_config_change(old_hash)
            return cls(path=path, config_hash=config_hash)
        return cls(path=path, config_hash=config_hash, parent_run_id=data.get("parent_run_id"),
                   completed=dict(data.get("completed") or {}), started=dict(data.get("started") or {}))

    def save(self) -> None:
        write_text_atomic(self.path, json.dumps(
            {"config_hash": self.config_hash, "parent_run_id": self.parent_run_id, "completed": self.completed,
             "started": self.started}, indent=1, default=str))

    def finish(self, step: str, outputs: dict[str, Any]) -> None:
        """Record `step` as done with what it produced, and save."""
        self.started.pop(step, None)
        self.completed[step] = outputs
        self.save()
