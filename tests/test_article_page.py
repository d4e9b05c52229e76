"""Article extraction on the fixture pages, without a crawler: text, title, time, script, mentions."""

from __future__ import annotations

import datetime as dt

import pytest
from w3lib.encoding import html_body_declared_encoding

from hkipo.core.config import load_config
from news_fixtures import headers, page, pages, served
from hkipo.extract.mentions import tag_article
from hkipo.extract.article import extract_article, original_url
from hkipo.extract.charset import decode_html

WATCHLIST = load_config(None).watchlist


@pytest.mark.parametrize("entry", pages(), ids=lambda e: e["file"].removeprefix("pages/"))
def test_each_fixture_page_extracts_as_expected(entry: dict) -> None:
    a = extract_article(served(entry), entry["url"], headers(entry))
    want = entry["expect"]
    assert a.script == want["script"]
    assert a.language == ("en" if want["script"] == "en" else "zh")
    assert a.published_at == dt.datetime.fromisoformat(want["published_at"])
    assert a.published_at.tzinfo is not None
    assert a.published_from == want["published_from"]
    assert a.tz_assumed is want["tz_assumed"]
    assert sorted(m.hkex_code for m in tag_article(a.title, a.text, WATCHLIST)) == want["about"]
    assert a.title and a.site and len(a.text) >= 150
    assert "\ufffd" not in a.text + a.title  # no decoding damage
    for boilerplate in ("版权所有", "版權所有", "All rights reserved", "免责声明", "相关阅读", "Most read"):
        assert boilerplate not in a.text


def test_main_text_keeps_the_story_and_drops_navigation_and_sidebars() -> None:
    a = extract_article(served(page("wallstreetcn/3762001")), "https://wallstreetcn.com/articles/3762001")
    assert a.text.startswith("人工智能大模型公司MiniMax（稀宇科技）周四晚间公布配售结果")
    assert "165港元 / 股" in a.text and "约27.23亿港元" in a.text and "约3358万股" in a.text
    assert "24小时热门" not in a.text and "美联储会议纪要" not in a.text and "沪ICP备" not in a.text
    assert a.title == "MiniMax定价165港元，公开发售超额认购1837倍"
    assert a.site == "华尔街见闻"


def test_a_ticker_only_in_a_sidebar_does_not_make_the_page_about_it() -> None:
    entry = page("lionrock/biren-debut")
    raw = served(entry).decode("utf-8")
    assert "00100.HK" in raw and "02513.HK" in raw  # the quote box names both
    a = extract_article(served(entry), entry["url"], headers(entry))
    assert "壁仞科技" in a.text
    assert "00100" not in a.text and "MINIMAX" not in a.text.upper() and "智譜" not in a.text
    assert tag_article(a.title, a.text, WATCHLIST) == []


def test_aggregator_page_is_about_the_watchlist_company_it_covers_only() -> None:
    a = extract_article(served(page("36kr/3610222")), "https://36kr.com/p/3610222")
    for distractor in ("壁仞科技", "埃斯顿", "002747.SZ", "宁德时代"):
        assert distractor in a.text
    tags = {m.hkex_code: m for m in tag_article(a.title, a.text, WATCHLIST)}
    assert set(tags) == {"00100"}
    assert tags["00100"].in_title and "alias:MiniMax" in tags["00100"].methods


def test_mentions_record_how_each_match_was_made() -> None:
    a = extract_article(served(page("huaxia/doc-minimax")), "https://finance.huaxiacj.example/x")
    [m] = tag_article(a.title, a.text, WATCHLIST)
    assert m.hkex_code == "00100" and m.in_title
    assert {"alias:稀宇科技", "code:00100.HK", "code:HK00100"} <= set(m.methods)


# --- encodings ---------------------------------------------------------------

def test_gbk_page_under_a_gb2312_header_keeps_characters_gb2312_lacks() -> None:
    entry = page("huaxia/doc-minimax")
    with pytest.raises(UnicodeDecodeError):
        served(entry).decode("gb2312")
    text, codec = decode_html(served(entry), entry["content_type"])
    assert codec == "gb18030"
    assert "记者 王赟" in text


def test_big5_page_whose_header_claims_utf8_is_read_as_big5() -> None:
    entry = page("hkecon/zhipu-allotment")
    assert "utf-8" in entry["content_type"]
    a = extract_article(served(entry), entry["url"], headers(entry))
    assert a.encoding == "big5hkscs"
    assert "香港公開發售錄得1159.46倍超額認購" in a.text


def test_big5_page_without_any_charset_declaration_is_detected() -> None:
    entry = page("victoriaharbour/88123")
    assert html_body_declared_encoding(served(entry)) is None and "charset" not in entry["content_type"]
    a = extract_article(served(entry), entry["url"], headers(entry))
    assert a.encoding == "big5hkscs"
    assert "合共認購27.23億港元" in a.text


def test_gbk_page_with_meta_charset_only() -> None:
    entry = page("36kr/3610222")
    text, codec = decode_html(served(entry), entry["content_type"])
    assert codec == "gb18030" and "埃斯顿（002747.SZ）" in text


def test_full_width_digits_survive_extraction() -> None:
    a = extract_article(served(page("huaxia/doc-minimax")), "https://finance.huaxiacj.example/x")
    assert "超额认购１８３７倍" in a.text


def test_malformed_html_still_yields_its_text() -> None:
    entry = page("36kr/3610250")
    a = extract_article(served(entry), entry["url"], headers(entry))
    assert a.title == "智谱公布配发结果：公开发售超额认购1159.46倍"
    assert "承配人共221名" in a.text and "净额约41.73亿港元" in a.text
    assert "热门快讯" not in a.text


def test_bytes_that_are_not_a_page_give_no_article_text_and_no_error() -> None:
    min_chars = load_config(None).news.min_text_chars
    for body in (b"", b"\x00\x01\x02\xff\xfe garbage", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"):
        a = extract_article(body, "https://example.com/x")
        assert len(a.text) < min_chars and a.published_at is None


# --- URLs ----------------------------------------------------------------------

def test_canonical_url_comes_from_rel_canonical_on_the_same_site_only() -> None:
    entry = page("hkecon/minimax-oversubscribed")
    fetched = "https://www.hkecon.example/article/20260108/minimax-oversubscribed?utm_source=google&utm_medium=news"
    assert extract_article(served(entry), fetched).url == entry["url"]
    html = (b'<html><head><link rel="canonical" href="https://elsewhere.example/story/1">'
            b"</head><body><p>text</p></body></html>")
    assert extract_article(html, "https://www.site.example/a/1?utm_source=x#top").url == "https://www.site.example/a/1"


def test_original_url_of_a_saved_page() -> None:
    saved = b"<!-- saved from url=(0041)https://www.hkecon.example/article/9 -->\n<html></html>"
    assert original_url(saved) == "https://www.hkecon.example/article/9"
    assert original_url(served(page("wallstreetcn/3762001"))) == "https://wallstreetcn.com/articles/3762001"
    assert original_url(b"<html><body>no hints</body></html>") is None
