"""Whose figure is it: the subject carries only on an anaphor, and other issuers are known by name.

Sentences are our own, in the shapes of real coverage: a brief about the
tracked listing that mentions another company's subscription or price in
passing, in both scripts and in English.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hkipo.core.config import Security, load_config
from hkipo.core.context import JobContext
from hkipo.extract.claims import extract_claims
from hkipo.extract.claims.entities import find_entities, issuer_names, shipped_issuers

HK = dt.timezone(dt.timedelta(hours=8))
TRACKED = Security(code="09903", name_en="Gamma Dynamics", name_zh_hans="伽马动力", name_zh_hant="伽馬動力",
                   listing_date=dt.date(2026, 5, 12), offer_price=42.0)
LISTING_DAY = dt.datetime(2026, 5, 12, 18, 0, tzinfo=HK)


def got(text: str, *, others: tuple[str, ...] = ()) -> set[tuple]:
    return {(c.hkex_code, c.metric, round(c.value, 6), c.unit)
            for c in extract_claims(text, [TRACKED], published_at=LISTING_DAY, others=others)}


@pytest.mark.parametrize("text", [
    "伽马动力（09903.HK）公开发售获 1320 倍超额认购。\n同日招股的蜜雪冰城则获 5258 倍认购。",
    "伽馬動力（09903.HK）公開發售獲 1320 倍超額認購。\n同日招股的蜜雪冰城則獲 5258 倍認購。",
    "Gamma Dynamics (9903.HK) drew 1,320 times demand from retail investors.\nMixue, which closed its books the "
    "same day, was 5,258 times subscribed.",
])
def test_another_issuers_multiple_in_the_next_sentence_is_not_ours(text: str) -> None:
    assert got(text) == {("09903", "public_subscription_multiple", 1320.0, "times")}


@pytest.mark.parametrize("text", [
    "伽马动力（09903.HK）今日首挂，收报 58.6 港元。\n泡泡玛特同日收报 200 港元。",
    "伽馬動力（09903.HK）今日首掛，收報 58.6 港元。\n泡泡瑪特同日收報 200 港元。",
    "Gamma Dynamics (9903.HK) closed its debut at HK$58.60.\nPop Mart closed at HK$200 on the same day.",
])
def test_another_issuers_price_is_not_our_first_day_close(text: str) -> None:
    assert got(text) == {("09903", "first_day_close", 58.6, "HKD")}


@pytest.mark.parametrize("text", [
    "伽马动力（09903.HK）今日首挂。\n收报 58.6 港元，较招股价涨 39.5%。",  # no anaphor: nobody to pin it on
    "Gamma Dynamics (9903.HK) listed today.\nShares in a peer closed at HK$58.60.",
])
def test_a_sentence_naming_nobody_without_an_anaphor_carries_nothing(text: str) -> None:
    assert got(text) == set()


@pytest.mark.parametrize("text", [
    "伽马动力（09903.HK）今日首挂。\n该股收报 58.6 港元。",
    "伽馬動力（09903.HK）今日首掛。\n該股收報 58.6 港元。",
    "伽马动力（09903.HK）今日首挂。\n其收报 58.6 港元。",
    "Gamma Dynamics (9903.HK) listed today.\nThe stock closed at HK$58.60.",
    "Gamma Dynamics (9903.HK) listed today.\nIts shares closed at HK$58.60.",
])
def test_an_explicit_anaphor_carries_the_subject(text: str) -> None:
    assert got(text) == {("09903", "first_day_close", 58.6, "HKD")}


def test_another_anaphor_that_points_away_carries_nothing() -> None:
    text = "伽马动力（09903.HK）今日首挂，收报 58.6 港元。\n另一家公司则收报 12.3 港元。"
    assert got(text) == {("09903", "first_day_close", 58.6, "HKD")}


def test_a_discovered_security_named_in_passing_takes_its_figure_away() -> None:
    text = "伽马动力（09903.HK）公开发售获 1320 倍超额认购；星河餐饮则获 75 倍认购。"
    # Not on the shipped list and with no corporate ending: only the pipeline's names know it.
    assert got(text) == {("09903", "public_subscription_multiple", 1320.0, "times"),
                         ("09903", "public_subscription_multiple", 75.0, "times")}
    others = tuple(issuer_names("星河餐飲集團有限公司", "STARRIVER DINING GROUP-W"))
    assert "星河餐饮" in others and "starriver dining" in others
    assert got(text, others=others) == {("09903", "public_subscription_multiple", 1320.0, "times")}


def test_cornerstone_investors_named_by_brand_do_not_steal_the_deals_figures() -> None:
    text = "伽马动力（09903.HK）引入腾讯、小米等 6 名基石投资者，基石投资者包括腾讯及小米，合计认购 9.8 亿港元。"
    assert got(text) == {("09903", "cornerstone_count", 6.0, "count"),
                         ("09903", "cornerstone_amount", 9.8e8, "HKD")}


def test_the_shipped_list_is_names_only_and_matches_on_word_boundaries() -> None:
    names = shipped_issuers()
    assert "泡泡玛特" in names and "pop mart" in names and "港交所" not in names
    entities = find_entities("Pop Marts and popmart fans; Pop Mart rose.", [])
    assert [e.name for e in entities if e.code is None] == ["Pop Mart"]


@pytest.mark.parametrize("text,unit", [
    ("伽马动力（09903.HK）在港交所上市，最终发售价定为每股 42 元。", "HKD"),
    ("伽馬動力（09903.HK）在聯交所上市，最終發售價定為每股 42 元。", "HKD"),
    ("伽马动力（09903.HK）在港交所上市，发售价为每股人民币 42 元。", "CNY"),
])
def test_a_bare_yuan_in_hong_kong_listing_coverage_is_hkd(text: str, unit: str) -> None:
    found = extract_claims(text, [TRACKED], published_at=LISTING_DAY)
    if unit == "HKD":
        assert {(c.metric, c.value, c.unit) for c in found} == {("offer_price", 42.0, "HKD")}
    else:
        assert not [c for c in found if c.unit == "HKD"]  # an explicit RMB price is never HK$


def test_the_pipeline_passes_the_warehouses_other_securities(tmp_path: Path) -> None:
    from pipelines.articles import known_issuer_names
    from warehouse import db

    config = load_config(None)
    ctx = JobContext(config=config, db_path=tmp_path / "wh.duckdb")
    assert known_issuer_names(ctx, config.watchlist) == ()
    with db.writer(ctx.db_path) as con:
        con.execute("INSERT INTO securities (hkex_code, yahoo_symbol, name_en, name_zh_hans, name_zh_hant, aliases, "
                    "updated_at) VALUES ('09988', '9988.HK', 'Starriver Dining Group', '星河餐饮集团', NULL, "
                    "['星河餐饮'], now())")
    names = known_issuer_names(ctx, config.watchlist)
    assert "星河餐饮" in names and "starriver dining" in names
    assert not set(names) & {n for s in config.watchlist for n in issuer_names(s.name_en)}
