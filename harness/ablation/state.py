"""Progress of an ablation on disk, so an interrupted sweep resumes at the variant it stopped in."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.fs import write_text_atomic

log = logging.getLogger(__name__)


@dataclass
class AblationState:
    path: Path
    config_hash: str
    parent_run_id: str | None = None
    baseline: dict[str, Any] | None = None
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, config_hash: str) -> AblationState:
        if not path.exists():
            return cls(path=path, config_hash=config_hash)
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("config_hash") != config_hash:
            log.warning("ablation config changed since the last run (%s -> %s): starting over",
                        data.get("config_hash"), config_hash)
            return cls(path=path, config_hash=config_hash)
        return cls(path=path, config_hash=config_hash, parent_run_id=data.get("parent_run_id"),
                   baseline=data.get("baseline"), variants=data.get("variants") or {})

    def save(self) -> None:
        write_text_atomic(self.path, json.dumps({"config_hash": self.config_hash, "parent_run_id": self.parent_run_id,
                                                 "baseline": self.baseline, "variants": self.variants},
                                                indent=1, default=str))
