"""What `mmrl` prints besides its own results: third-party logs and warnings, each at most once.

A demo run printed 145 lines, most of them lm-eval's INFO chatter and the same three lm-eval warnings once
per evaluation. Without `--verbose`:
- the harness's own loggers keep INFO; third-party loggers show WARNING and above only;
- each distinct third-party warning is shown once per process;
- the warnings listed in `HARMLESS` are not shown at all (each with the reason it is harmless here).
`mmrl -v` shows everything, unfiltered.
"""

from __future__ import annotations

import logging
import os
import warnings

OWN_LOGGERS = ("harness", "rewards", "tasks", "reports")

#: (logger prefix, text in the message, why it is harmless for this project)
HARMLESS: tuple[tuple[str, str, str], ...] = (
    ("lm_eval.models.huggingface", "HF model type is neither marked as CausalLM or Seq2SeqLM",
     "SmolVLM/Idefics3 is an image-text-to-text model; hf-multimodal loads it with AutoModelForImageTextToText "
     "and generates causally, which is what lm-eval falls back to"),
    ("lm_eval.evaluator", "specified through cli, these settings will update set parameters in yaml tasks",
     "the harness passes the experiment's gen_kwargs on purpose (greedy, max_gen_toks); they are recorded"),
    ("lm_eval.api.task", "Custom kwargs can be passed to `--metadata`",
     "a hint about lm-eval's CLI; the harness passes the task metadata through TaskManager"),
)

#: Python warnings that say nothing a user can act on (module regex, message regex, why)
HARMLESS_WARNINGS: tuple[tuple[str, str, str], ...] = (
    (r"transformers\.modeling_utils", r"`is_gradient_checkpointing` is deprecated",
     "TRL 1.16 reads the old property name inside GRPOTrainer; nothing in our code or config uses it"),
)


class ThirdPartyFilter(logging.Filter):
    """Keeps the harness's records; third-party ones only from WARNING up, each message once, known-harmless never."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[tuple[str, int, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".", 1)[0] in OWN_LOGGERS:
            return True
        if record.levelno < logging.WARNING:
            return False
        message = record.getMessage()
        if any(record.name.startswith(prefix) and text in message for prefix, text, _ in HARMLESS):
            return False
        key = (record.name, record.levelno, message)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


def configure_output(verbose: bool) -> None:
    """Set up logging for one `mmrl` invocation (see the module docstring)."""
    root = logging.getLogger()
    for handler in list(root.handlers):  # left by an earlier in-process invocation whose stderr is gone
        if isinstance(handler, logging.StreamHandler) and getattr(handler.stream, "closed", False):
            root.removeHandler(handler)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, ThirdPartyFilter)]:
            handler.removeFilter(old)
        if not verbose:
            handler.addFilter(ThirdPartyFilter())
    if verbose:
        return
    # MLflow logs through its own handler (not the root's): "Creating initial MLflow database tables..." at INFO.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    for module, message, _why in HARMLESS_WARNINGS:
        warnings.filterwarnings("ignore", message=message, module=module)
