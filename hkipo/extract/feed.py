"""Where a feed or a listing page points: article links with titles and dates.

RSS and Atom go through feedparser, which reads broken feeds too (an
unescaped `&`, a missing link): what it can read is used and what it cannot is
reported in `FeedPage.problems`, never silently dropped. A listing page is an
HTML page of links (a site's IPO section): the links kept are those in the
page's content, on the same site, that look like articles.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import feedparser
from lxml import html as lxml_html

from hkipo.core.urls import registered_domain
from hkipo.extract.charset import decode_html

Headers = Mapping[str, str | bytes | Sequence[str | bytes]]
# Containers whose links are navigation, not content.
CHROME = re.compile(r"(^|[\s_-])(nav|menu|masthead|header|footer|bottom|top|side|sidebar|widget|pager|"
                    r"pagination|breadcrumb|related|hot|ad|ads)([\s_-]|$)", re.I)
CHROME_TAGS = frozenset({"nav", "header", "footer", "aside"})


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str
    published_at: dt.datetime | None = None  # UTC, when the feed gives one
    source: str | None = None  # the outlet an aggregator names (<source>)


@dataclass(frozen=True)
class FeedPage:
    entries: list[FeedEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _content_type(headers: Headers | None) -> str | None:
    from hkipo.extract.article import header_value

    return header_value(headers, "Content-Type")


def _web_link(base: str, link: str) -> bool:
    """Whether a feed item's link resolves to a web URL; a malformed one (`http://[broken/`) does not."""
    try:
        return urlsplit(urljoin(base, link)).scheme.startswith("http")
    except ValueError:
        return False


def parse_feed(body: bytes, url: str, headers: Headers | None = None) -> FeedPage:
    """RSS 0.9x/1.0/2.0 or Atom, well-formed or not."""
    ctype = _content_type(headers)
    parsed = feedparser.parse(body, response_headers={"content-type": ctype} if ctype else None)
    problems = []
    if not parsed.entries and not parsed.feed:
        reason = parsed.get("bozo_exception")
        return FeedPage([], [f"not a readable RSS/Atom feed ({reason})" if reason else "empty feed"])
    if parsed.bozo:
        problems.append(f"feed is not well-formed ({parsed.bozo_exception}); read {len(parsed.entries)} items anyway")
    entries = []
    for e in parsed.entries:
        title = " ".join((e.get("title") or "").split())
        link = e.get("link") or next((lk.get("href") for lk in e.get("links", []) if lk.get("href")), None)
        if not link or not _web_link(url, link):
            problems.append(f"item without a usable link skipped: {title[:80] or '(untitled)'}")
            continue
        stamp = e.get("published_parsed") or e.get("updated_parsed")
        published = dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.timezone.utc) if stamp else None
        if stamp is None and (e.get("published") or e.get("updated")):
            problems.append(f"unreadable date {e.get('published') or e.get('updated')!r} on: {title[:80]}")
        source = e.get("source", {}).get("title") if isinstance(e.get("source"), dict) else None
        entries.append(FeedEntry(urljoin(url, link.strip()), title, published, source))
    return FeedPage(entries, problems)


def _in_chrome(el: lxml_html.HtmlElement) -> bool:
    for anc in el.iterancestors():
        if anc.tag in CHROME_TAGS:
            return True
        hint = f"{anc.get('class', '')} {anc.get('id', '')}".strip()
        if hint and CHROME.search(hint):
            return True
    return False


def _looks_like_article(path: str) -> bool:
    segments = [s for s in path.split("/") if s]
    return len(segments) >= 2 or bool(re.search(r"\d{3,}", path))


def parse_listing(body: bytes, url: str, headers: Headers | None = None) -> FeedPage:
    """Article links of an HTML listing page (same site, outside navigation and sidebars)."""
    page, _ = decode_html(body, _content_type(headers))
    if not page.strip():
        return FeedPage([], ["empty listing page"])
    tree = lxml_html.document_fromstring(page)
    site = registered_domain(urlsplit(url).hostname or "")
    here = urlsplit(url)._replace(fragment="").geturl()
    seen: set[str] = set()
    entries = []
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        absolute = urljoin(url, href)
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or registered_domain(parts.hostname or "") != site:
            continue
        if absolute == here or not _looks_like_article(parts.path) or _in_chrome(a):
            continue
        if absolute in seen:
            continue
        seen.add(absolute)
        entries.append(FeedEntry(absolute, " ".join(a.text_content().split())))
    problems = [] if entries else ["no article links found on the listing page"]
    return FeedPage(entries, problems)
