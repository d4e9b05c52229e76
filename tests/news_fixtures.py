"""The news fixture set (tests/fixtures/news/manifest.toml): pages as their sites serve them."""

from __future__ import annotations

import functools
import tomllib

from helpers import FIXTURES

NEWS = FIXTURES / "news"


@functools.cache
def manifest() -> dict:
    return tomllib.loads((NEWS / "manifest.toml").read_text(encoding="utf-8"))


def pages() -> list[dict]:
    return manifest()["page"]


def page(name: str) -> dict:
    """The manifest entry whose file name contains `name`."""
    found = [p for p in pages() if name in p["file"]]
    assert len(found) == 1, f"{name!r} matches {len(found)} fixture pages"
    return found[0]


def served(entry: dict) -> bytes:
    """The bytes the site serves (encoded as the manifest says, like cassettes/build/news.py)."""
    text = (NEWS / entry["file"]).read_text(encoding="utf-8")
    return text.encode(entry["encoding"], errors="xmlcharrefreplace")


def headers(entry: dict) -> dict[str, str]:
    return {"Content-Type": entry["content_type"]}
