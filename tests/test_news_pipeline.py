"""The article pipeline against a real DuckDB file: batches, de-duplication, idempotence, claims."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from hkipo.core.config import load_config
from hkipo.core.context import JobContext
from news_fixtures import headers, page, served
from pipelines import articles as pipeline
from hkipo.core.items import Claim
from hkipo.core.urls import canonical_url
from hkipo.core.items import ArticleItem
from hkipo.extract.article import extract_article
from warehouse import db
from hkipo.core.runs import RunRecord

CONFIG = load_config(None)
NOW = dt.datetime(2026, 4, 15, 10, 30, tzinfo=dt.timezone.utc)


def item(name: str, *, via: str = "test", fetched_url: str | None = None, extra_urls: tuple[str, ...] = ()) -> ArticleItem:
    entry = page(name)
    a = extract_article(served(entry), fetched_url or entry["url"], headers(entry))
    urls = tuple(dict.fromkeys(canonical_url(u) for u in (*extra_urls, a.fetched_url, a.url)))
    return ArticleItem(article=a, via_feed=via, seen_urls=urls, fetched_at=NOW)


@pytest.fixture
def ctx(tmp_path: Path) -> JobContext:
    return JobContext(config=CONFIG, db_path=tmp_path / "wh.duckdb")


def load(ctx: JobContext, *items: ArticleItem) -> tuple[pipeline.BatchResult, RunRecord]:
    run = RunRecord(job="test")
    return pipeline.load_articles(ctx, run, list(items), CONFIG.watchlist), run


def rows(ctx: JobContext, sql: str, params: list | None = None) -> list[tuple]:
    with db.reader(ctx.db_path) as con:
        return con.execute(sql, params or []).fetchall()


def test_syndicated_copies_in_one_batch_become_one_story_with_every_url(ctx: JobContext) -> None:
    result, run = load(ctx, item("gelonghui/900200"), item("wallstreetcn/3762105"), item("wallstreetcn/3762001"))
    assert (result.new, result.copies) == (2, 1)
    stories = rows(ctx, "SELECT canonical_url, site, script FROM articles ORDER BY canonical_url")
    # The earliest published copy is the story (wallstreetcn 16:35 before gelonghui 17:02).
    assert stories == [("https://wallstreetcn.com/articles/3762001", "华尔街见闻", "zh-Hans"),
                       ("https://wallstreetcn.com/articles/3762105", "华尔街见闻", "zh-Hans")]
    urls = rows(ctx, "SELECT u.url FROM article_urls u JOIN articles a USING (article_id) "
                     "WHERE a.canonical_url = 'https://wallstreetcn.com/articles/3762105' ORDER BY u.url")
    assert [u for (u,) in urls] == ["https://wallstreetcn.com/articles/3762105", "https://www.gelonghui.com/p/900200"]
    assert run.rows_written == result.rows > 0


def test_a_copy_in_a_later_batch_only_adds_its_url(ctx: JobContext) -> None:
    load(ctx, item("gelonghui/900101"))
    before = rows(ctx, "SELECT * FROM articles")
    result, run = load(ctx, item("hkecon/minimax-oversubscribed"))  # the Traditional-script copy
    assert (result.new, result.refreshed, result.copies) == (0, 0, 1)
    assert run.rows_written == 1  # one article_urls row
    assert rows(ctx, "SELECT * FROM articles") == before
    assert rows(ctx, "SELECT count(*) FROM article_urls")[0][0] == 2


def test_reloading_the_same_pages_writes_nothing(ctx: JobContext) -> None:
    names = ("wallstreetcn/3762105", "gelonghui/900200", "hkecon/zhipu-allotment", "asiamarkets/hk-ipo-april-check")
    first, _ = load(ctx, *(item(n) for n in names))
    assert first.rows > 0
    second, run = load(ctx, *(item(n) for n in names))
    assert second.rows == 0 and run.rows_written == 0
    assert second.refreshed == 3 and second.copies == 1


def test_an_edited_article_updates_its_row_and_keeps_its_id(ctx: JobContext) -> None:
    original = item("wallstreetcn/3762105")
    load(ctx, original)
    [(aid, text)] = rows(ctx, "SELECT article_id, text FROM articles")
    edited = dataclasses.replace(original.article, text=original.article.text + "\n（更新）收盘后公司发布公告称，稳定价格期将于2月1日结束。")
    result, run = load(ctx, dataclasses.replace(original, article=edited))
    assert result.refreshed == 1 and run.rows_written == 1
    [(aid2, text2)] = rows(ctx, "SELECT article_id, text FROM articles")
    assert aid2 == aid and text2.endswith("稳定价格期将于2月1日结束。")


def test_mentions_record_methods_and_title(ctx: JobContext) -> None:
    load(ctx, item("asiamarkets/hk-ipo-april-check"), item("huaxia/doc-minimax"))
    got = rows(ctx, "SELECT a.site, m.hkex_code, m.methods, m.in_title, m.mentions FROM article_mentions m "
                    "JOIN articles a USING (article_id) ORDER BY a.site, m.hkex_code")
    assert [(s, c) for s, c, *_ in got] == [("Asia Markets Daily", "00100"), ("Asia Markets Daily", "02513"),
                                            ("华夏财经网", "00100")]
    huaxia = got[2]
    assert {"alias:稀宇科技", "code:00100.HK"} <= set(huaxia[2]) and huaxia[3] is True and huaxia[4] >= 3


def test_pages_about_no_watchlist_security_or_too_short_are_not_stored(ctx: JobContext) -> None:
    short = item("wallstreetcn/3762001")
    short = dataclasses.replace(short, article=dataclasses.replace(short.article, text="MiniMax 00100.HK"))
    result, run = load(ctx, item("lionrock/biren-debut"), item("wallstreetcn/3762050"), short)
    assert result.skipped == {"not about any watchlist security": 2, "too little text to be an article": 1}
    assert result.new == 0 and run.rows_written == 0


def test_claims_are_written_with_the_article_in_one_transaction(ctx: JobContext, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []

    def fake_extract(text: str, securities, *, published_at=None, others=(), dropped=None):  # noqa: ANN001, ANN202
        seen.append(([s.code for s in securities], published_at))
        pos = text.index("345")
        return [Claim("00100", "first_day_close", 345.0, "HKD", quote=text[pos - 10:pos + 10], position=pos)]

    monkeypatch.setattr(pipeline, "extract_claims", fake_extract)
    load(ctx, item("wallstreetcn/3762105"))
    # The whole watchlist: the claim extractor attributes each sentence to the security it names.
    assert seen == [(["00100", "02513"], dt.datetime(2026, 1, 9, 16, 35, tzinfo=dt.timezone(dt.timedelta(hours=8))))]
    [(kind, source_id, url, value, aid)] = rows(
        ctx, "SELECT c.source_kind, c.source_id, c.source_url, c.value, a.article_id FROM claims c, articles a")
    assert (kind, url, value) == ("article", "https://wallstreetcn.com/articles/3762105", 345.0)
    assert source_id == aid

    def broken_extract(text: str, securities, *, published_at=None, others=(), dropped=None):  # noqa: ANN001, ANN202
        return [None]  # something the claim writer cannot store: it fails after the article rows

    monkeypatch.setattr(pipeline, "extract_claims", broken_extract)
    with pytest.raises(AttributeError):
        load(ctx, item("gelonghui/900101"))
    # The failed batch left nothing behind: not the article, not its URLs.
    assert rows(ctx, "SELECT count(*) FROM articles") == [(1,)]
    assert rows(ctx, "SELECT count(*) FROM article_urls WHERE url LIKE '%gelonghui%'") == [(0,)]


def test_known_urls_are_every_url_that_led_to_a_story(ctx: JobContext) -> None:
    google = "https://news.google.com/rss/articles/CBMiABC?oc=5"
    load(ctx, item("hkecon/minimax-oversubscribed",
                   fetched_url="https://www.hkecon.example/article/20260108/minimax-oversubscribed?utm_source=google",
                   extra_urls=(google,)))
    assert pipeline.known_article_urls(ctx) == {
        "https://news.google.com/rss/articles/CBMiABC",
        "https://www.hkecon.example/article/20260108/minimax-oversubscribed",
    }


def test_re_extracted_claims_replace_that_articles_claims_only(ctx: JobContext, monkeypatch: pytest.MonkeyPatch) -> None:
    figures = {"345": ("first_day_close", 345.0), "235.4": ("first_day_open", 235.4)}

    def extract_these(wanted: list[str]):  # noqa: ANN202
        def fake(text: str, securities, *, published_at=None, others=(), dropped=None):  # noqa: ANN001, ANN202
            return [Claim("00100", figures[w][0], figures[w][1], "HKD", quote=w, position=text.find(w))
                    for w in wanted if w in text]
        return fake

    monkeypatch.setattr(pipeline, "extract_claims", extract_these(["345", "235.4"]))
    load(ctx, item("wallstreetcn/3762105"), item("hkecon/minimax-debut"))
    assert rows(ctx, "SELECT count(*) FROM claims") == [(4,)]
    # A better extractor finds only the close in the wallstreetcn story: its open claim goes, the other
    # article's claims stay.
    monkeypatch.setattr(pipeline, "extract_claims", extract_these(["345"]))
    _, run = load(ctx, item("wallstreetcn/3762105"))
    assert run.rows_written == 1
    got = rows(ctx, "SELECT a.site, c.metric FROM claims c JOIN articles a ON a.article_id = c.source_id "
                    "ORDER BY 1, 2")
    assert got == [("华尔街见闻", "first_day_close"), ("港經財經網", "first_day_close"), ("港經財經網", "first_day_open")]
