"""What every `mmrl` command shares: the image-path options, and the rule that bad input and OS faults end
in one line and a non-zero exit, never a traceback.

`guard` wraps each registered command (see `harness.cli`), so a command cannot forget it: a disk that
fills, a read-only folder, a permission error, a bad data source, a config error or an unusable tracking
store prints `error: ...` naming the path, store or key, and exits with

    2  bad input (data source, config, stage order)    3  tracking store    4  OS fault / output folder

Anything else is a bug in the harness and keeps its traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any

import click
import typer
from rich.console import Console

EXIT_BAD_INPUT = 2
EXIT_TRACKING = 3
EXIT_OS_FAULT = 4

err_console = Console(stderr=True, soft_wrap=True)
# SQLite's words for a store it cannot write (as MLflow passes them on).
_STORE_FAULTS = ("readonly database", "database or disk is full", "unable to open database", "database is locked")

IMAGE_ROOT_OPTION = typer.Option(
    None, "--image-root",
    help="Folder relative image paths resolve in (default: the dataset's folder); paths escaping it are "
    "rejected per row (path_outside_root).",
)
ALLOW_ABSOLUTE_OPTION = typer.Option(
    False, "--allow-absolute-image-paths",
    help="Read image paths that are absolute and outside the image root (refused by default).",
)
MAX_IMAGE_BYTES_OPTION = typer.Option(
    None, "--max-image-bytes", min=1, envvar="MMRL_MAX_IMAGE_BYTES",
    help="Reject (per row) image files larger than this many bytes; default 64 MiB.",
)


SOURCE_HELP = (
    "'sample' (bundled offline sample, the default), a hub id (TuringEnterprises/Open-MM-RL) or a local "
    "parquet/jsonl/arrow file or folder."
)
#: `--data` on every command that reads a source; where a command took the source as a positional argument,
#: the argument stays as an alias (`mmrl eda sample` and `mmrl eda --data sample` are the same command).
_DATA_HELP = "Data source: " + SOURCE_HELP
_SOURCE_HELP = "Same as --data (kept for older command lines)."
DATA_OPTION = typer.Option(None, "--data", "-d", help=_DATA_HELP, show_default=False)
SOURCE_ARGUMENT = typer.Argument(None, help=_SOURCE_HELP, show_default=False, metavar="SOURCE")
#: the same two for commands written with `Annotated` (typer refuses a default inside it)
DataOpt = Annotated[str | None, typer.Option("--data", "-d", help=_DATA_HELP, show_default=False)]
SourceArg = Annotated[str | None, typer.Argument(help=_SOURCE_HELP, show_default=False, metavar="SOURCE")]


def resolve_source(data: str | None, positional: str | None, default: str = "sample") -> str:
    """The data source from `--data` or the positional alias; both given and different is an error."""
    if data is not None and positional is not None and data != positional:
        raise typer.BadParameter(f"two data sources given: --data {data!r} and the argument {positional!r}; "
                                 "give one", param_hint="--data")
    return data if data is not None else positional if positional is not None else default


def image_policy(image_root: Any, allow_absolute: bool, max_image_bytes: int | None):
    """The `harness.data.ImagePolicy` of the options above; applies the byte cap to this process."""
    from harness.data import ImagePolicy
    from harness.data.image_access import set_max_image_bytes

    set_max_image_bytes(max_image_bytes)
    return ImagePolicy(root=str(image_root) if image_root is not None else None, allow_absolute=allow_absolute)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print `error: message` (one line, on stderr) and return the Exit to raise."""
    err_console.print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    return typer.Exit(code)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _store_fault(exc: BaseException) -> BaseException | None:
    """A SQLite/MLflow store error behind `exc` (read-only database, disk full inside the store)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current).lower()
        if any(sign in text for sign in _STORE_FAULTS):
            return current
        current = current.__cause__ or current.__context__
    return None


def explain(exc: BaseException) -> tuple[str, int] | None:
    """(one-line message, exit code) for a user-facing failure; None for a bug (which keeps its traceback)."""
    from harness.data.errors import DataError
    from harness.fs import FolderBusyError, describe_os_fault, os_fault
    from harness.grpo_data.manifest import ExportError
    from harness.pipeline.preflight import PipelineError
    from harness.tracking.store import TrackingUnavailableError
    from harness.training.config import ConfigError

    if isinstance(exc, TrackingUnavailableError):
        return _first_line(exc), EXIT_TRACKING
    if isinstance(exc, ConfigError):
        return f"config: {_first_line(exc)}", EXIT_BAD_INPUT
    if isinstance(exc, (DataError, ExportError, PipelineError)):
        return _first_line(exc), EXIT_BAD_INPUT
    if isinstance(exc, FolderBusyError):
        return _first_line(exc), EXIT_OS_FAULT
    fault = os_fault(exc)
    if fault is not None:
        return describe_os_fault(fault), EXIT_OS_FAULT
    store = _store_fault(exc)
    if store is not None:
        return (f"the MLflow store refused a write ({_first_line(store)}); check that its folder is writable "
                "and not full"), EXIT_TRACKING
    return None


def guard(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run `command`, turning user-facing failures into one line on stderr and an exit code (see module doc)."""
    if getattr(command, "__mmrl_guarded__", False):
        return command

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - sorted by `explain`; bugs are re-raised untouched
            known = explain(exc)
            if known is None:
                raise
            message, code = known
            raise fail(message, code) from exc

    wrapper.__mmrl_guarded__ = True  # type: ignore[attr-defined]
    return wrapper


def guard_app(app: typer.Typer) -> None:
    """Wrap every command of `app` and of its sub-apps (`mmrl data ...`) in `guard`."""
    for info in app.registered_commands:
        if info.callback is not None:
            info.callback = guard(info.callback)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            guard_app(group.typer_instance)
