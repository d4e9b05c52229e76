"""Template twins: near-identical wording is a copy only when the securities and figures agree.

The stories are our own, written in the shape of real wire briefs: one
template filled in for two companies ("two listings in two days"), one
template filled in on two days for one company, and a syndicated copy that
adds a paragraph the first copy does not have.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from hkipo.core.config import Security, load_config
from hkipo.core.context import JobContext
from hkipo.core.items import Article, ArticleItem
from hkipo.core.runs import RunRecord
from hkipo.extract.dedupe import DUPLICATE_SIMILARITY, fingerprint, same_story, similarity, story_facts
from pipelines import articles as pipeline
from warehouse import db

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.timezone.utc)
ALPHA = Security(code="09901", name_en="Alpha Robotics", name_zh_hans="阿尔法机器人", name_zh_hant="阿爾法機器人",
                 listing_date=dt.date(2026, 3, 3))
BETA = Security(code="09902", name_en="Beta Foods", name_zh_hans="贝塔食品", name_zh_hant="貝塔食品",
                listing_date=dt.date(2026, 3, 4))
WATCHLIST = [ALPHA, BETA]

BRIEF = (
    "{name}（{code}.HK）今日公布配发结果，香港公开发售获{pub}倍超额认购，国际发售获{intl}倍认购。\n"
    "公司最终发售价定为每股{price}港元，每手500股，一手中签率为{rate}%。\n"
    "据了解，{name}本次全球发售共涉及1.2亿股股份，所得款项净额将用于研发、扩充产能及补充营运资金。\n"
    "{name}计划于明日在香港联交所主板挂牌上市，联席保荐人为两家中资券商。\n"
    "市场人士表示，近期港股新股市场气氛回暖，散户认购热情明显升温，多只新股录得超额认购。\n"
)


def brief(sec: Security, *, pub: str, intl: str, price: str, rate: str, extra: str = "") -> str:
    return BRIEF.format(name=sec.name_zh_hans, code=sec.code[1:], pub=pub, intl=intl, price=price, rate=rate) + extra


def item(url: str, text: str, *, title: str, hours: int = 0) -> ArticleItem:
    a = Article(url=url, fetched_url=url, title=title, text=text, site="测试通讯社",
                published_at=NOW + dt.timedelta(hours=hours), published_from="meta", tz_assumed=False,
                language="zh", script="zh-Hans", encoding="utf_8")
    return ArticleItem(article=a, via_feed="test", seen_urls=(url,), fetched_at=NOW)


ALPHA_TEXT = brief(ALPHA, pub="3150", intl="12.5", price="18.80", rate="8")
BETA_TEXT = brief(BETA, pub="860", intl="4.2", price="7.35", rate="30")
ALPHA_LATER = brief(ALPHA, pub="3420", intl="13.1", price="18.80", rate="8")
EXTRA = "另据公告，阿尔法机器人本次全球发售集资约22.56亿港元。\n"


def test_template_twins_have_similar_wording_but_are_different_stories() -> None:
    a, b = (story_facts(t, x, WATCHLIST) for t, x in (("阿尔法机器人配发结果", ALPHA_TEXT), ("贝塔食品配发结果", BETA_TEXT)))
    # The trap: the template's shared sentences make the wording look like one story.
    assert similarity(fingerprint(ALPHA_TEXT), fingerprint(BETA_TEXT)) >= DUPLICATE_SIMILARITY
    assert a.codes == {"09901"} and b.codes == {"09902"}
    assert not same_story(a, b)


def test_the_same_company_on_two_days_with_other_figures_is_another_story() -> None:
    assert similarity(fingerprint(ALPHA_TEXT), fingerprint(ALPHA_LATER)) >= DUPLICATE_SIMILARITY
    assert not same_story(story_facts("", ALPHA_TEXT, WATCHLIST), story_facts("", ALPHA_LATER, WATCHLIST))


def test_a_copy_that_adds_a_paragraph_is_the_same_story() -> None:
    assert same_story(story_facts("", ALPHA_TEXT, WATCHLIST), story_facts("", ALPHA_TEXT + EXTRA, WATCHLIST))


@pytest.fixture
def ctx(tmp_path: Path) -> JobContext:
    config = load_config(None).model_copy(update={"watchlist": WATCHLIST})
    return JobContext(config=config, db_path=tmp_path / "wh.duckdb")


def load(ctx: JobContext, *items: ArticleItem) -> pipeline.BatchResult:
    return pipeline.load_articles(ctx, RunRecord(job="test"), list(items), WATCHLIST)


def rows(ctx: JobContext, sql: str) -> list[tuple]:
    with db.reader(ctx.db_path) as con:
        return con.execute(sql).fetchall()


def multiples(ctx: JobContext) -> list[tuple]:
    return rows(ctx, "SELECT hkex_code, value FROM claims WHERE metric = 'public_subscription_multiple' "
                     "ORDER BY hkex_code, value")


@pytest.mark.parametrize("together", [True, False], ids=["one batch", "two batches"])
def test_template_twins_keep_both_stories_and_all_their_claims(ctx: JobContext, together: bool) -> None:
    a = item("https://wire.example/a/1", ALPHA_TEXT, title="阿尔法机器人公开发售获3150倍认购")
    b = item("https://wire.example/a/2", BETA_TEXT, title="贝塔食品公开发售获860倍认购", hours=1)
    if together:
        result = load(ctx, a, b)
        assert (result.new, result.copies) == (2, 0)
    else:
        assert load(ctx, a).new == 1
        assert load(ctx, b).new == 1
    assert rows(ctx, "SELECT count(*) FROM articles") == [(2,)]
    assert multiples(ctx) == [("09901", 3150.0), ("09902", 860.0)]


def test_a_later_brief_with_new_figures_is_kept_beside_the_first(ctx: JobContext) -> None:
    load(ctx, item("https://wire.example/a/1", ALPHA_TEXT, title="阿尔法机器人认购"))
    load(ctx, item("https://wire.example/a/9", ALPHA_LATER, title="阿尔法机器人认购", hours=20))
    assert rows(ctx, "SELECT count(*) FROM articles") == [(2,)]
    assert multiples(ctx) == [("09901", 3150.0), ("09901", 3420.0)]


@pytest.mark.parametrize("together", [True, False], ids=["one batch", "two batches"])
def test_a_syndicated_copy_keeps_its_url_and_what_only_it_says(ctx: JobContext, together: bool) -> None:
    first = item("https://wire.example/a/1", ALPHA_TEXT, title="阿尔法机器人认购")
    copy = item("https://portal.example/news/77", ALPHA_TEXT + EXTRA, title="阿尔法机器人认购", hours=2)
    if together:
        result = load(ctx, first, copy)
        assert (result.new, result.copies) == (1, 1)
    else:
        load(ctx, first)
        assert load(ctx, copy).copies == 1
    assert rows(ctx, "SELECT count(*) FROM articles") == [(1,)]
    assert sorted(u for (u,) in rows(ctx, "SELECT url FROM article_urls")) == [
        "https://portal.example/news/77", "https://wire.example/a/1"]
    # Every claim sits under the one story; the one only the copy states names the copy's URL.
    aid = rows(ctx, "SELECT article_id FROM articles")[0][0]
    assert rows(ctx, f"SELECT count(DISTINCT source_id) FROM claims WHERE source_id <> '{aid}'") == [(0,)]
    by_url = rows(ctx, "SELECT source_url, metric FROM claims WHERE source_url = 'https://portal.example/news/77'")
    assert by_url and all(m != "public_subscription_multiple" for _, m in by_url)
    assert rows(ctx, "SELECT count(*) FROM claims WHERE metric = 'public_subscription_multiple'") == [(1,)]
    # Reloading both changes nothing; re-fetching the story's own page keeps the copy's claims.
    n_before = rows(ctx, "SELECT count(*) FROM claims")
    assert load(ctx, first, copy).rows == 0
    load(ctx, first)
    assert rows(ctx, "SELECT count(*) FROM claims") == n_before


def test_figures_left_out_and_pages_not_stored_are_counted_on_the_run(ctx: JobContext) -> None:
    text = ALPHA_TEXT + "同日招股的蜜雪冰城则获5258倍认购。\n"
    run = RunRecord(job="test")
    result = pipeline.load_articles(ctx, run, [item("https://wire.example/a/1", text, title="阿尔法机器人认购"),
                                               item("https://wire.example/a/2", "短讯。", title="短讯")], WATCHLIST)
    assert result.figures_left_out["about another issuer"] >= 1
    assert any("left out: about another issuer" in w for w in run.warnings)
    assert any("not stored: too little text" in w for w in run.warnings)


def test_a_copys_own_claims_count_as_the_copys_site_in_reconciliation(ctx: JobContext) -> None:
    from pipelines.reconcile import load_evidence

    first = item("https://wire.example/a/1", ALPHA_TEXT, title="阿尔法机器人认购")
    copy = item("https://portal.example/news/77", ALPHA_TEXT + EXTRA, title="阿尔法机器人认购", hours=2)
    copy = ArticleItem(article=dataclasses.replace(copy.article, site="门户网"), via_feed="test",
                       seen_urls=copy.seen_urls, fetched_at=NOW)
    load(ctx, first, copy)
    with db.reader(ctx.db_path) as con:
        groups = {(e.metric, e.source_group) for e in load_evidence(con)}
    assert ("gross_proceeds", "门户网") in groups
    assert ("public_subscription_multiple", "测试通讯社") in groups
