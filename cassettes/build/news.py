"""Write the hand-authored news cassette: cassettes/news.yaml.

There is no internet where this was made, so the cassette is authored, not
recorded. Its exchanges are exactly those a crawl with the packaged default
config makes (`spiders.discovery.feed_sources` gives the feed URLs, so adding
a search term or feed means re-running this script), plus a listing page the
tests add through their own config:

- robots.txt of every host (one site has none: 404; one forbids /private/);
- the three RSSHub site feeds (tests/fixtures/news/feeds/rsshub-*.xml; one is
  Atom, one is not well-formed, one has an item without a link);
- every Google News search feed (search term × template): items are the
  fixture pages in the template's language whose text contains the term, each
  linked through a news.google.com/rss/articles/… URL that answers 302;
- the article pages of tests/fixtures/news/manifest.toml, encoded as the
  manifest says (UTF-8, GBK, Big5-HKSCS; headers that lie or omit the
  charset), one behind a redirect chain, one answering 503 once, one stored
  gzip-compressed with its Content-Encoding header;
- a 404.

    python cassettes/build/news.py [OUT]    # default: cassettes/news.yaml; deterministic
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import html
import re
import sys
import tomllib
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "news"
sys.path.insert(0, str(ROOT))

from lxml import html as lxml_html  # noqa: E402

from hkipo.core.cassette import Recorder  # noqa: E402
from hkipo.core.config import default_config_text, parse_config  # noqa: E402
from hkipo.core.urls import canonical_url  # noqa: E402
from hkipo.core.textnorm import fold  # noqa: E402
from spiders.discovery import feed_sources  # noqa: E402

# When the synthetic crawl was "recorded".
RECORDED_AT = dt.datetime(2026, 4, 15, 10, 30, tzinfo=dt.timezone.utc)
DATE = format_datetime(RECORDED_AT, usegmt=True)
GOOGLE_LANG = {"zh-HK": "zh-Hant", "zh-CN": "zh-Hans", "en-HK": "en"}
RSSHUB_FILES = {"wallstreetcn": "feeds/rsshub-wallstreetcn.xml", "36kr": "feeds/rsshub-36kr.xml",
                "gelonghui": "feeds/rsshub-gelonghui.xml"}


def manifest() -> dict:
    return tomllib.loads((FIXTURES / "manifest.toml").read_text(encoding="utf-8"))


def served_bytes(entry: dict) -> bytes:
    """The page as the site serves it; a Han character the encoding lacks is an authoring error."""
    text = (FIXTURES / entry["file"]).read_text(encoding="utf-8")
    body = text.encode(entry["encoding"], errors="xmlcharrefreplace")
    lost = [m for m in re.findall(rb"&#(\d+);", body) if 0x3400 <= int(m) <= 0x9FFF]
    if lost and b"&#" not in text.encode("utf-8"):
        chars = "".join(chr(int(m)) for m in lost)
        raise SystemExit(f"{entry['file']}: {entry['encoding']} cannot encode {chars!r}; reword the fixture")
    return body


def request_headers(config) -> dict[str, list[str]]:  # noqa: ANN001
    return {
        "User-Agent": [config.politeness.user_agent],
        "Accept": ["text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml;q=0.9,*/*;q=0.8"],
        "Accept-Language": ["zh-HK,zh-TW;q=0.9,zh-CN;q=0.8,en;q=0.7"],
        "Accept-Encoding": ["gzip, deflate"],
    }


def response_headers(content_type: str, **extra: str) -> dict[str, list[str]]:
    out = {"Content-Type": [content_type], "Date": [DATE], "Server": ["nginx"]}
    out.update({k.replace("_", "-"): [v] for k, v in extra.items()})
    return out


def google_link(url: str) -> str:
    token = base64.urlsafe_b64encode(hashlib.sha256(url.encode()).digest()[:24]).decode().rstrip("=")
    return f"https://news.google.com/rss/articles/CBMi{token}?oc=5"


def page_facts(entry: dict) -> tuple[str, str, str]:
    """(headline, outlet name, folded page text) of a fixture page, for feed items and matching."""
    text = (FIXTURES / entry["file"]).read_text(encoding="utf-8")
    tree = lxml_html.document_fromstring(text)
    h1 = " ".join(tree.xpath("string(//h1)").split())
    site = next((m.get("content") for m in tree.iter("meta") if m.get("property") == "og:site_name"), None)
    site = site or urlsplit(entry["url"]).hostname
    return h1, site, fold(" ".join(tree.xpath("string(//body)").split()))


def matches(term: str, folded_page: str) -> bool:
    t = fold(term)
    if re.fullmatch(r"[\x00-\x7f]+", t):
        return re.search(rf"(?<![a-z0-9]){re.escape(t)}(?![a-z0-9])", folded_page) is not None
    return t in folded_page


def google_feed(query: str, hl: str, url: str, items: list[tuple[str, str, str, dt.datetime, str]]) -> bytes:
    """A Google News search feed: items are (title, link, outlet, published, outlet url)."""
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
             '<rss xmlns:media="http://search.yahoo.com/mrss/" version="2.0"><channel>',
             '<generator>NFE/5.0</generator>',
             f'<title>"{html.escape(query)}" - Google News</title>',
             f'<link>{html.escape(url.replace("/rss/search", "/search"))}</link>',
             f'<language>{hl}</language><webMaster>news-webmaster@google.com</webMaster>',
             f'<copyright>2026 Google LLC</copyright><lastBuildDate>{DATE}</lastBuildDate>',
             '<description>Google News</description>']
    for title, link, outlet, published, outlet_url in items:
        gid = link.split("/articles/")[1].split("?")[0]
        desc = f'<a href="{link}" target="_blank">{html.escape(title)}</a>&nbsp;&nbsp;<font color="#6f6f6f">{html.escape(outlet)}</font>'
        parts.append(
            f'<item><title>{html.escape(title)} - {html.escape(outlet)}</title><link>{html.escape(link)}</link>'
            f'<guid isPermaLink="false">{gid}</guid><pubDate>{format_datetime(published.astimezone(dt.timezone.utc), usegmt=True)}</pubDate>'
            f'<description>{html.escape(desc)}</description>'
            f'<source url="{html.escape(outlet_url)}">{html.escape(outlet)}</source></item>')
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


def build(out: Path) -> int:
    m = manifest()
    config = parse_config(default_config_text(), "<packaged default>")
    req = request_headers(config)
    rec = Recorder(out)
    gzipped: list[int] = []

    def add(url: str, status: int, reason: str, headers: dict[str, list[str]], body: bytes) -> int:
        rec.add("GET", url, req, None, status, reason, headers, body)
        return len(rec.interactions) - 1

    # robots.txt
    for origin, path in sorted(m["robots"].items()):
        if path == "404":
            add(f"{origin}/robots.txt", 404, "Not Found", response_headers("text/html; charset=utf-8"),
                b"<html><body><h1>404 Not Found</h1></body></html>")
        else:
            add(f"{origin}/robots.txt", 200, "OK", response_headers("text/plain"),
                (FIXTURES / path).read_bytes())

    # Feeds, in the order the spider asks for them.
    pages = m["page"]
    facts = {p["url"]: page_facts(p) for p in pages}
    linked: dict[str, str] = {}  # google link -> first hop
    for source in feed_sources(config.news, config.watchlist):
        if not source.name.startswith("search:"):
            feed_file = RSSHUB_FILES[source.name]
            add(source.url, 200, "OK", response_headers("application/rss+xml; charset=utf-8"),
                (FIXTURES / feed_file).read_bytes())
            continue
        term = source.name.split(":", 2)[2]
        hl = parse_qs(urlsplit(source.url).query)["hl"][0]
        script = GOOGLE_LANG[hl]
        items = []
        for p in pages:
            if not p.get("google") or p["expect"]["script"] != script:
                continue
            h1, outlet, folded_page = facts[p["url"]]
            if not matches(term, folded_page):
                continue
            link = google_link(p["url"])
            linked[link] = p.get("google_via", [p["url"]])[0]
            origin = f"https://{urlsplit(p['url']).hostname}"
            items.append((h1, link, outlet, dt.datetime.fromisoformat(p["expect"]["published_at"]), origin))
        for e in m.get("error", []):
            if script == "en" and term in e["google_query"]:
                link = google_link(e["url"])
                linked[link] = e["url"]
                title, outlet = e["google_title"].rsplit(" - ", 1)
                items.append((title, link, outlet, dt.datetime.fromisoformat(e["published_at"]),
                              f"https://{urlsplit(e['url']).hostname}"))
        items.sort(key=lambda i: i[3], reverse=True)
        add(source.url, 200, "OK", response_headers("application/xml; charset=utf-8"),
            google_feed(term, hl, source.url, items))

    # Google's article links redirect to the outlets (requested without the tracking parameter).
    for link, target in sorted(linked.items()):
        add(canonical_url(link), 302, "Found",
            response_headers("text/html; charset=UTF-8", Location=target),
            f'<HTML><HEAD><TITLE>Moved</TITLE></HEAD><BODY><A HREF="{html.escape(target)}">here</A></BODY></HTML>'.encode())

    # Article pages.
    for p in pages:
        body = served_bytes(p)
        via = p.get("google_via", [])
        for hop, nxt in zip(via, via[1:]):
            add(hop, 301, "Moved Permanently", response_headers("text/html", Location=nxt), b"")
        if p.get("status_first"):
            add(p["url"], p["status_first"], "Service Temporarily Unavailable",
                response_headers("text/html", Retry_After="1"), b"<html><body>busy, try again</body></html>")
        for url in ([via[-1]] if via else []) + [p["url"]]:
            i = add(url, 200, "OK", response_headers(p["content_type"]), body)
            if p.get("gzip"):
                gzipped.append(i)
    for entry in m.get("listing", []):
        add(entry["url"], 200, "OK", response_headers(entry["content_type"]), served_bytes(entry))
    for e in m.get("error", []):
        add(e["url"], e["status"], "Not Found", response_headers("text/html; charset=utf-8"),
            (FIXTURES / e["file"]).read_bytes())

    # Some servers' answers are stored as they came over the wire: replay must decompress them.
    for i in gzipped:
        resp = rec.interactions[i].response
        resp["headers"]["Content-Encoding"] = ["gzip"]
        resp["body"]["string"] = gzip.compress(resp["body"]["string"], mtime=0)
    return rec.save()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "cassettes" / "news.yaml"
    n = build(out)
    print(f"wrote {out}: {n} interactions")


if __name__ == "__main__":
    main()
