"""Shared rendering helpers for every report: one Jinja2 environment, number filters, embedded images.

HTML reports embed their charts as base64 data URIs so a report is one file a person can mail or open from
an MLflow artifact view without the PNGs beside it.
"""

from __future__ import annotations

import base64
import math
import mimetypes
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from harness.fs import write_text_atomic

TEMPLATE_PACKAGE = ("reports", "templates")


def fmt_number(value: Any, digits: int = 1) -> str:
    """Integers with thousands separators, floats with `digits` decimals, missing values as an em dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def fmt_percent(value: Any, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{100 * float(value):.{digits}f}%"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Templates from `reports/templates`; `*.html.j2` autoescaped, `*.md.j2` not; unknown names fail loudly."""
    env = Environment(
        loader=PackageLoader(*TEMPLATE_PACKAGE),
        autoescape=select_autoescape(enabled_extensions=("html.j2", "html"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = fmt_number
    env.filters["pct"] = fmt_percent
    return env


def render_template(template_name: str, **context: Any) -> str:
    return environment().get_template(template_name).render(**context)


def render_html(template_name: str, **context: Any) -> str:
    """Render an HTML template (e.g. "eda.html.j2"); values are escaped, so data cannot inject markup."""
    if not template_name.endswith(("html.j2", ".html")):
        raise ValueError(f"{template_name!r} is not an HTML template (expected a name ending in .html.j2)")
    return render_template(template_name, **context)


def render_markdown(template_name: str, **context: Any) -> str:
    return render_template(template_name, **context)


def embed_file(path: str | os.PathLike, mime: str | None = None) -> str:
    """A data URI holding the file's bytes (type guessed from the suffix unless given)."""
    path = Path(path)
    mime = mime or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def embed_png(path: str | os.PathLike) -> str:
    """`data:image/png;base64,...` for an <img src> that keeps the report self-contained."""
    return embed_file(path, "image/png")


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write atomically (harness.fs: temp file + fsync + rename) so a crash never leaves half a report behind."""
    return write_text_atomic(path, text)
