"""The `mmrl` command line.

Each module in `harness.commands` contributes its own sub-commands through `register(app)`, so a new command
is one new file and the entry point never becomes a merge hotspot.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

import harness.commands
from harness.commands._common import guard_app
from harness.commands._output import configure_output

app = typer.Typer(
    name="mmrl",
    help="Open-MM-RL Harness: data, EDA, verifiable rewards, lm-eval evaluation, GRPO training, MLflow tracking.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


@app.callback()
def _root(verbose: bool = typer.Option(
    False, "--verbose", "-v", help="Log debug messages, every third-party log and warning, and TRL's raw log dicts.",
)) -> None:
    configure_output(verbose)


def _register_commands() -> None:
    for module_info in sorted(pkgutil.iter_modules(harness.commands.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"harness.commands.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


def _plain_help(typer_app: typer.Typer) -> None:
    """Click's plain help layout for every command and group: at 80 columns typer's rich panels gave the long
    option names and metavars three quarters of the width and cut the help text to one word per line
    (`(HuggingFaceTB/…`). Click's layout wraps the help text under a bounded option column instead."""
    typer_app.rich_markup_mode = None
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _plain_help(group.typer_instance)


_register_commands()
_plain_help(app)
guard_app(app)  # one-line errors, never a traceback, for bad input and OS faults (harness.commands._common)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
