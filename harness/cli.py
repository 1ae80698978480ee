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


_register_commands()
guard_app(app)  # one-line errors, never a traceback, for bad input and OS faults (harness.commands._common)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
