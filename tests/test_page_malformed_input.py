"""Malformed links, dates and files in the plain page functions: each is ignored or left unknown, never raised.

The same inputs go through the real entry points in tests/corpus (html-canonical-broken-ipv6,
html-saved-from-broken-url, html-impossible-date, html-far-future-date, html-invalid-offset,
html-pdf-bytes, feed-broken-ipv6-link); these tests pin down which function does what.
"""

from __future__ import annotations

import datetime as dt

import pytest

from hkipo.extract.claims.extract import _hk_date
from hkipo.extract.article import extract_article, not_a_page, original_url, web_url
from hkipo.extract.dates import HK, parse_machine_date, parse_written_date
from hkipo.extract.feed import parse_feed

STORY = ("<p>MiniMax (0100.HK) opened its first day of dealings well above the offer price, and brokers "
         "reported heavy turnover through the morning session.</p>")


def page(head: str = "", *, before: str = "") -> bytes:
    return (f"{before}<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>MiniMax debut</title>"
            f"{head}</head><body><article><h1>MiniMax debut</h1>{STORY}</article></body></html>").encode()


@pytest.mark.parametrize("url", ["http://[broken/news/1.html", "https://x.example:99999/a", "ftp://x.example/a",
                                 "javascript:void(0)", ""])
def test_web_url_refuses_what_is_not_a_usable_http_url(url: str) -> None:
    assert web_url(url) is None


def test_web_url_accepts_http_and_https() -> None:
    assert web_url(" https://x.example/news/1.html ").hostname == "x.example"
    assert web_url("http://[::1]:8080/a").port == 8080


def test_a_malformed_canonical_is_ignored_like_any_unusable_one() -> None:
    body = page('<link rel="canonical" href="http://[broken/news/1.html">'
                '<meta property="og:url" content="https://www.corpus.example/news/1.html">')
    assert original_url(body) == "https://www.corpus.example/news/1.html"
    article = extract_article(body, "https://www.corpus.example/news/1.html?utm_source=x")
    assert article.url == "https://www.corpus.example/news/1.html"
    only_bad = page('<link rel="canonical" href="http://[broken/news/1.html">')
    assert original_url(only_bad) is None
    assert extract_article(only_bad, "https://www.corpus.example/a/2.html").url == "https://www.corpus.example/a/2.html"


def test_a_malformed_saved_from_mark_is_no_mark() -> None:
    bad_mark = "<!-- saved from url=(0028)http://[broken/news/1.html -->\n"
    assert original_url(page(before=bad_mark)) is None
    good_canonical = page('<link rel="canonical" href="https://www.corpus.example/news/7.html">', before=bad_mark)
    assert original_url(good_canonical) == "https://www.corpus.example/news/7.html"


def test_site_name_of_a_malformed_url_is_unknown_not_an_error() -> None:
    assert extract_article(page(), "http://[broken/news/1.html").site == "unknown"


@pytest.mark.parametrize("declared", ["2026-02-30T10:00:00+08:00", "2026-01-09T10:00:00+25:00",
                                      "9999-12-31T23:59:59Z", "2100-01-01T00:00:00Z"])
def test_an_unreadable_declared_date_leaves_the_time_unknown(declared: str) -> None:
    # The URL carries a date htmldate would use: it must not be taken instead of the declared one.
    article = extract_article(page(f'<meta property="article:published_time" content="{declared}">'),
                              "https://www.corpus.example/2026/02/01/minimax.html")
    assert (article.published_at, article.published_from) == (None, "")


def test_without_a_declared_date_htmldate_still_reads_the_url() -> None:
    article = extract_article(page(), "https://www.corpus.example/2026/01/09/minimax.html")
    assert (article.published_at, article.published_from) == (dt.datetime(2026, 1, 9, tzinfo=HK), "htmldate")


def test_a_readable_declared_date_after_an_unreadable_one_is_used() -> None:
    head = ('<meta property="article:published_time" content="2026-02-30T10:00:00+08:00">'
            '<meta name="pubdate" content="2026-01-09T10:00:00+08:00">')
    article = extract_article(page(head), "https://www.corpus.example/a/1.html")
    assert article.published_at == dt.datetime(2026, 1, 9, 10, tzinfo=HK)
    assert article.published_from == "meta"


def test_offsets_of_a_day_or_more_are_unreadable() -> None:
    assert parse_written_date("2026-01-09 10:00 +25:00") is None
    assert parse_written_date("2026-01-09 10:00 +24:00") is None
    assert parse_machine_date("2026-01-09T10:00:00+25:00") is None
    # a later readable date in the same text is still found
    value, assumed = parse_written_date("2026-01-09 10:00 +25:00, updated 2026-01-10 09:00 +08:00")
    assert (value, assumed) == (dt.datetime(2026, 1, 10, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))), False)
    assert parse_written_date("2026-01-09 10:00 +23:30")[0].utcoffset() == dt.timedelta(hours=23, minutes=30)


def test_dates_far_in_the_future_are_unreadable() -> None:
    assert parse_machine_date("9999-12-31T23:59:59Z") is None
    assert parse_machine_date("9999-12-31") is None
    assert parse_machine_date("Fri, 31 Dec 9999 23:59:59 -1200") is None
    assert parse_machine_date("2099-12-31T23:59:59Z") is not None


@pytest.mark.parametrize("extreme", [dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone.utc),
                                     dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=14)))])
def test_hk_date_of_an_extreme_time_is_none_not_an_overflow(extreme: dt.datetime) -> None:
    assert _hk_date(extreme) is None


def test_hk_date_unchanged_for_real_times() -> None:
    assert _hk_date(dt.datetime(2026, 1, 8, 20, tzinfo=dt.timezone.utc)) == dt.date(2026, 1, 9)
    assert _hk_date(dt.datetime(2026, 1, 9, 23, 30)) == dt.date(2026, 1, 9)


@pytest.mark.parametrize(("body", "kind"), [(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document"),
                                            (b"\xef\xbb\xbf %PDF-1.7", "PDF document"),
                                            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "PNG image"),
                                            (b"GIF89a\x01\x00", "GIF image")])
def test_not_a_page_names_files_that_are_no_web_page(body: bytes, kind: str) -> None:
    assert not_a_page(body) == kind


@pytest.mark.parametrize("body", [page(), b"", b"%PD", b"<p>%PDF-1.4 is a format</p>"])
def test_not_a_page_lets_pages_through(body: bytes) -> None:
    assert not_a_page(body) is None


def test_a_feed_item_with_a_malformed_link_is_skipped_with_a_problem() -> None:
    feed = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            b"<item><title>one</title><link>https://corpus.example/news/1.html</link></item>"
            b"<item><title>broken</title><link>http://[broken/news/9.html</link></item>"
            b"<item><title>two</title><link>/news/2.html</link></item></channel></rss>")
    got = parse_feed(feed, "https://corpus.example/feed.xml")
    assert [e.url for e in got.entries] == ["https://corpus.example/news/1.html", "https://corpus.example/news/2.html"]
    assert got.problems == ["item without a usable link skipped: broken"]
