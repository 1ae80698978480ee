"""The `src` of every <img> in an HTML report, for tests that check charts are embedded."""

from __future__ import annotations

from html.parser import HTMLParser


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.srcs.append(dict(attrs)["src"])


def image_sources(html: str) -> list[str]:
    parser = _Images()
    parser.feed(html)
    return parser.srcs
