"""The shared report helpers: number formatting, escaping rules, embedded images, atomic writes."""

from __future__ import annotations

import base64
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import UndefinedError
from PIL import Image

from reports.render import (
    embed_file,
    embed_png,
    environment,
    fmt_number,
    fmt_percent,
    render_html,
    render_markdown,
    write_text,
)


def test_number_formatting():
    assert fmt_number(1234567) == "1,234,567"
    assert fmt_number(12.0) == "12"
    assert fmt_number(3.14159) == "3.1"
    assert fmt_number(3.14159, 3) == "3.142"
    assert fmt_number(None) == "—" and fmt_number(float("nan")) == "—"
    assert fmt_number(True) == "yes"
    assert fmt_number("Math") == "Math"
    assert fmt_percent(0.4) == "40.0%" and fmt_percent(4 / 7, 0) == "57%" and fmt_percent(None) == "—"


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_integers_round_trip_through_formatting(n):
    assert int(fmt_number(n).replace(",", "")) == n


def test_embed_png_is_a_decodable_data_uri(tmp_path):
    path = tmp_path / "x.png"
    Image.new("RGB", (7, 5), (1, 2, 3)).save(path)
    uri = embed_png(path)
    assert uri.startswith("data:image/png;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert img.size == (7, 5)
    assert embed_file(tmp_path / "x.png") == uri  # type guessed from the suffix


def test_html_templates_escape_and_markdown_templates_do_not():
    html = render_html("_base.html.j2", title="<script>alert(1)</script>")
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    md = environment().from_string("{{ x }}").render(x="a < b")
    assert md == "a < b"


def test_render_html_rejects_non_html_templates_and_unknown_variables():
    with pytest.raises(ValueError, match="not an HTML template"):
        render_html("eda.md.j2", summary={})
    with pytest.raises(UndefinedError):
        render_markdown("eda.md.j2")  # a missing context variable fails loudly, never renders blank


def test_write_text_is_atomic_and_creates_folders(tmp_path):
    target = tmp_path / "a" / "b" / "report.html"
    assert write_text(target, "hello") == target
    assert target.read_text() == "hello"
    write_text(target, "again")
    assert target.read_text() == "again"
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]  # no temp files left behind


def test_reports_are_readable_by_others_as_a_plain_write_would_be(tmp_path):
    """Atomic writes (temp file + rename) must not carry a temp file's private 0600 mode into the report."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        written = write_text(tmp_path / "report.md", "# r\n")
        plain = tmp_path / "plain.md"
        plain.write_text("# r\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(written.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode) == 0o644
