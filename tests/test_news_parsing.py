"""Dates, URLs, feeds and discovery: the small pure functions of the news side."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from helpers import write
from hkipo.core.config import load_config, parse_config, default_config_text
from news_fixtures import NEWS, page, served
from hkipo.core.urls import canonical_url, registered_domain
from spiders.discovery import feed_sources, search_terms
from hkipo.extract.dates import parse_machine_date, parse_written_date
from hkipo.extract.feed import parse_feed, parse_listing

HK = ZoneInfo("Asia/Hong_Kong")
UTC = dt.timezone.utc


@pytest.mark.parametrize(("text", "expected", "assumed"), [
    ("2026 年 1 月 9 日", dt.datetime(2026, 1, 9, tzinfo=HK), True),
    ("發佈時間：2026年1月8日 16:10", dt.datetime(2026, 1, 8, 16, 10, tzinfo=HK), True),
    ("2026年1月7日 星期三 18:40", dt.datetime(2026, 1, 7, 18, 40, tzinfo=HK), True),
    ("２０２６年１月９日　１７：０２", dt.datetime(2026, 1, 9, 17, 2, tzinfo=HK), True),
    ("2026-01-09 08:15 HKT", dt.datetime(2026, 1, 9, 8, 15, tzinfo=HK), False),
    ("2026/1/9 9:45 GMT", dt.datetime(2026, 1, 9, 9, 45, tzinfo=UTC), False),
    ("By staff | 6 January 2026", dt.datetime(2026, 1, 6, tzinfo=HK), True),
    ("January 9, 2026, 8:15 pm", dt.datetime(2026, 1, 9, 20, 15, tzinfo=HK), True),
    ("Jan 9, 2026 12:05 am", dt.datetime(2026, 1, 9, 0, 5, tzinfo=HK), True),
    ("2026-01-09 10:00 +05:30", dt.datetime(2026, 1, 9, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
     False),
])
def test_written_dates(text: str, expected: dt.datetime, assumed: bool) -> None:
    value, tz_assumed = parse_written_date(text)
    assert value == expected and value.utcoffset() == expected.utcoffset()
    assert tz_assumed is assumed


def test_no_date_and_impossible_dates() -> None:
    assert parse_written_date("收市報345港元，大漲109.09%") is None
    assert parse_written_date("2026年2月30日") is None


@pytest.mark.parametrize(("value", "expected", "assumed"), [
    ("2026-01-09T16:35:00+08:00", dt.datetime(2026, 1, 9, 8, 35, tzinfo=UTC), False),
    ("2026-01-09T09:45:00Z", dt.datetime(2026, 1, 9, 9, 45, tzinfo=UTC), False),
    ("2026-01-07 23:40:00", dt.datetime(2026, 1, 7, 23, 40, tzinfo=HK), True),
    ("Fri, 09 Jan 2026 08:35:00 GMT", dt.datetime(2026, 1, 9, 8, 35, tzinfo=UTC), False),
])
def test_machine_dates(value: str, expected: dt.datetime, assumed: bool) -> None:
    parsed, tz_assumed = parse_machine_date(value)
    assert parsed == expected and tz_assumed is assumed


def test_canonical_url_drops_tracking_and_keeps_meaning() -> None:
    assert canonical_url("HTTPS://WallStreetCN.com:443/articles/3762001?utm_source=rsshub&spm=a.b&id=7#comments") \
        == "https://wallstreetcn.com/articles/3762001?id=7"
    assert canonical_url("https://news.google.com/rss/articles/CBMiXYZ?oc=5") \
        == "https://news.google.com/rss/articles/CBMiXYZ"
    assert canonical_url("http://a.example:8080/x?b=2&a=1&from=timeline&fbclid=1") == "http://a.example:8080/x?a=1&b=2"
    assert canonical_url("https://a.example") == "https://a.example/"
    # A feed's raw Unicode path and the percent-encoded one Scrapy fetches are one URL.
    assert canonical_url("https://news.example/新股-上市-01.html?Utm_Campaign=x") \
        == canonical_url("https://news.example/%E6%96%B0%E8%82%A1-%E4%B8%8A%E5%B8%82-01.html") \
        == "https://news.example/%E6%96%B0%E8%82%A1-%E4%B8%8A%E5%B8%82-01.html"
    assert registered_domain("finance.huaxiacj.example") == "huaxiacj.example"
    assert registered_domain("www.hket.com.hk") == "hket.com.hk"
    # The Public Suffix List knows suffixes a two-letter rule cannot: and an address is its own site.
    assert registered_domain("news.bbc.co.uk") == "bbc.co.uk"
    assert registered_domain("finance.sina.com.cn") == "sina.com.cn"
    assert registered_domain("127.0.0.1") == "127.0.0.1"


# --- feeds ---------------------------------------------------------------------

def test_rss_feed_with_an_item_without_a_link() -> None:
    feed = parse_feed((NEWS / "feeds/rsshub-wallstreetcn.xml").read_bytes(), "https://rsshub.app/wallstreetcn")
    assert [e.url for e in feed.entries] == [
        "https://wallstreetcn.com/articles/3762105?utm_source=rsshub&utm_medium=rss",
        "https://wallstreetcn.com/articles/3762050",
        "https://wallstreetcn.com/articles/3762001?spm=rsshub.feed.0.0",
    ]
    assert feed.entries[0].published_at == dt.datetime(2026, 1, 9, 8, 35, tzinfo=UTC)
    assert feed.problems == ["item without a usable link skipped: 【快讯】港股收盘：恒指微涨"]


def test_a_feed_that_is_not_well_formed_is_read_and_reported() -> None:
    feed = parse_feed((NEWS / "feeds/rsshub-36kr.xml").read_bytes(), "https://rsshub.app/36kr")
    assert len(feed.entries) == 3
    assert feed.entries[1].title == "智谱港股首日收涨13.2% & 开盘报120港元"
    assert len(feed.problems) == 1 and "not well-formed" in feed.problems[0]


def test_atom_feed() -> None:
    feed = parse_feed((NEWS / "feeds/rsshub-gelonghui.xml").read_bytes(), "https://rsshub.app/gelonghui/live")
    assert [e.url.rsplit("/", 1)[1] for e in feed.entries] == ["900200", "900155", "900101"]
    assert feed.entries[2].published_at == dt.datetime(2026, 1, 8, 12, 45, tzinfo=UTC)
    assert feed.problems == []


def test_an_html_page_is_not_a_feed() -> None:
    feed = parse_feed(served(page("wallstreetcn/3762001")), "https://rsshub.app/gone")
    assert feed.entries == [] and feed.problems


def test_listing_page_links_exclude_navigation_sidebar_and_pager() -> None:
    entry = {"file": "pages/hkecon/ipo-listing.html", "encoding": "big5hkscs"}
    listing = parse_listing(served(entry), "https://www.hkecon.example/ipo/", {"Content-Type": "text/html; charset=big5"})
    assert [canonical_url(e.url) for e in listing.entries] == [
        "https://www.hkecon.example/article/20260110/ipo-week-review",
        "https://www.hkecon.example/article/20260109/minimax-debut",
        "https://www.hkecon.example/article/20260108/minimax-oversubscribed",
        "https://www.hkecon.example/private/draft-minimax-preview",
    ]
    assert listing.entries[1].title == "MiniMax首掛高開約42.67% 收市大漲109.09%"


# --- discovery -----------------------------------------------------------------

def test_search_terms_are_one_spelling_per_name_without_redundant_ones() -> None:
    minimax, zhipu = load_config(None).watchlist
    assert search_terms(minimax) == ["MiniMax", "稀宇科技", "稀宇極致", "00100.HK", "0100.HK"]
    assert search_terms(zhipu) == ["智谱", "Zhipu", "Knowledge Atlas", "02513.HK", "2513.HK"]
    assert search_terms(zhipu, with_codes=False) == ["智谱", "Zhipu", "Knowledge Atlas"]


def test_adding_a_security_adds_its_searches(tmp_path) -> None:  # noqa: ANN001
    base = parse_config(default_config_text(), "default")
    extra = default_config_text() + '''
[[watchlist]]
code = "2599"
name_en = "Biren Technology"
name_zh_hans = "壁仞科技"
aliases = ["Biren"]
'''
    cfg = load_config(write(tmp_path / "hkipo.toml", extra))
    before = {s.url for s in feed_sources(base.news, base.watchlist)}
    added = [s for s in feed_sources(cfg.news, cfg.watchlist) if s.url not in before]
    assert {s.hkex_code for s in added} == {"02599"}
    assert len(added) == len(cfg.news.search_feeds) * 4  # 壁仞科技, Biren ("Biren Technology" adds nothing), 2 codes
    assert any("q=%E5%A3%81%E4%BB%9E%E7%A7%91%E6%8A%80" in s.url for s in added)
    assert any("q=02599.HK" in s.url for s in added) and any("q=2599.HK" in s.url for s in added)
