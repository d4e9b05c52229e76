"""Figure forms real coverage uses that used to be lost or mislabelled, and grey-market figures.

Every sentence is our own, in the shape of one real sentence: the offer
price "at the top of the range", the ex-cornerstone multiple with 左右, the
cornerstone total in the sentence after the cornerstones, counts in Chinese
numerals, institutions in the book (never applications), and the grey
market (暗盘) close, return and paper gain per lot, with the broker.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hkipo.core.config import Security
from hkipo.extract.claims import extract_claims
from warehouse import db

HK = dt.timezone(dt.timedelta(hours=8))
TRACKED = Security(code="09903", name_en="Gamma Dynamics", name_zh_hans="伽马动力", name_zh_hant="伽馬動力",
                   listing_date=dt.date(2026, 5, 12), offer_price=42.0)
EVENING_BEFORE = dt.datetime(2026, 5, 11, 20, 30, tzinfo=HK)


def got(text: str, published: dt.datetime = EVENING_BEFORE) -> set[tuple]:
    return {(c.metric, round(c.value, 6), c.unit, c.qualifier, c.basis)
            for c in extract_claims(text, [TRACKED], published_at=published)}


@pytest.mark.parametrize("text", [
    "伽马动力（09903.HK）最终以每股 42 港元的定价上限发行。",
    "伽馬動力（09903.HK）最終以每股 42 港元的定價上限發行。",
    "Gamma Dynamics priced its shares at HK$42, the top of the range.",
])
def test_offer_price_at_the_top_of_the_range(text: str) -> None:
    assert got(text) == {("offer_price", 42.0, "HKD", None, "final")}


@pytest.mark.parametrize("text", [
    "伽马动力招股价上限为 48 港元。",
    "Gamma Dynamics set the top of its range at HK$48.",
])
def test_the_top_of_a_range_alone_is_not_the_offer_price(text: str) -> None:
    assert not [c for c in got(text) if c[0] == "offer_price"]


@pytest.mark.parametrize("text", [
    "伽马动力（09903.HK）国际发售获约 28 倍认购，剔除基石后国际发售获 61 倍左右超额认购。",
    "伽馬動力（09903.HK）國際發售獲約 28 倍認購，剔除基石後國際發售獲 61 倍左右超額認購。",
])
def test_ex_cornerstone_multiple_with_zuoyou(text: str) -> None:
    assert got(text) == {("international_subscription_multiple", 28.0, "times", "approx", "final"),
                         ("international_ex_cornerstone_multiple", 61.0, "times", "approx", "final")}


@pytest.mark.parametrize("text", [
    "伽马动力（09903.HK）引入 9 名基石投资者，合计认购金额达 9.86 亿港元。",
    "伽马动力（09903.HK）引入 9 名基石投资者。合计认购金额达 9.86 亿港元。",
    "伽馬動力（09903.HK）引入 9 名基石投資者。合計認購金額達 9.86 億港元。",
])
def test_cornerstone_amount_in_the_same_or_the_next_sentence(text: str) -> None:
    assert got(text) == {("cornerstone_count", 9.0, "count", None, "final"),
                         ("cornerstone_amount", 9.86e8, "HKD", None, "final")}


@pytest.mark.parametrize("text,value", [
    ("伽马动力（09903.HK）引入十一名基石投资者。", 11.0),
    ("伽馬動力（09903.HK）引入二十三名基石投資者。", 23.0),
    ("伽马动力（09903.HK）共有两名基石投资者。", 2.0),
])
def test_chinese_numerals(text: str, value: float) -> None:
    assert got(text) == {("cornerstone_count", value, "count", None, "final")}


def test_an_ordinal_in_chinese_numerals_is_not_a_count() -> None:
    assert got("伽马动力（09903.HK）是今年第十二名引入基石投资者的新股。") == set()


@pytest.mark.parametrize("text,qualifier", [
    ("伽马动力（09903.HK）参与认购的机构超过 380 家。", "over"),
    ("伽馬動力（09903.HK）國際配售吸引逾 380 家機構參與。", "over"),
    ("伽马动力（09903.HK）国际配售约有三百八十家机构参与认购。", None),
    ("More than 380 institutions took part in the Gamma Dynamics (9903.HK) book.", "over"),
])
def test_institutions_in_the_book_are_their_own_metric(text: str, qualifier: str | None) -> None:
    found = got(text)
    assert found == {("book_institutions", 380.0, "count", qualifier, "final")}
    assert not [c for c in found if c[0] == "valid_applications"]


GREY = [
    ("据辉立证券暗盘交易平台显示，伽马动力（09903.HK）暗盘收报 50.5 港元，较招股价涨 20.24%，"
     "每手 500 股，不计手续费每手账面赚 4250 港元。", "Phillip Securities", 1),
    ("據輝立證券暗盤交易平台顯示，伽馬動力（09903.HK）暗盤收報 50.5 港元，較招股價升 20.24%，"
     "每手 500 股，不計手續費每手賬面賺 4250 港元。", "Phillip Securities", 1),
    ("伽马动力（09903.HK）富途暗盘收报 36.5 港元，较招股价跌 13.1%，每手 500 股，不计手续费每手蚀 2750 港元。", "Futu", -1),
    ("Gamma Dynamics (9903.HK) closed at HK$50.50 in grey-market trading on Phillip Securities' platform, "
     "20.24% above its offer price, a paper gain of HK$4,250 per board lot of 500 shares.", "Phillip Securities", 1),
]


@pytest.mark.parametrize("text,broker,sign", GREY)
def test_grey_market_close_return_and_lot_gain_with_the_broker(text: str, broker: str, sign: int) -> None:
    found = extract_claims(text, [TRACKED], published_at=EVENING_BEFORE)
    grey = {(c.metric, round(c.value, 6), c.unit, c.basis, c.broker, c.as_of) for c in found if c.basis == "grey_market"}
    close, ret, gain = (50.5, 0.2024, 4250.0) if sign > 0 else (36.5, -0.131, -2750.0)
    day = dt.date(2026, 5, 11)
    assert grey == {("grey_market_close", close, "HKD", "grey_market", broker, day),
                    ("grey_market_return", ret, "fraction", "grey_market", broker, day),
                    ("grey_market_lot_gain", gain, "HKD", "grey_market", broker, day)}
    # A grey-market price is never a first-day figure.
    assert not [c for c in found if c.metric.startswith("first_day")]


def test_a_grey_market_sentence_without_a_broker_has_none() -> None:
    found = extract_claims("伽马动力（09903.HK）暗盘收报 50.5 港元。", [TRACKED], published_at=EVENING_BEFORE)
    assert [(c.metric, c.value, c.broker) for c in found] == [("grey_market_close", 50.5, None)]


def test_claims_have_a_broker_column(tmp_path: Path) -> None:
    with db.writer(tmp_path / "wh.duckdb") as con:
        cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                          "WHERE table_name = 'v_claims'").fetchall()}
    assert "broker" in cols


def test_grey_market_figures_reach_the_ipo_views(tmp_path: Path) -> None:
    from hkipo.core.config import load_config
    from pipelines.reconcile import rebuild_ipo_stats
    from pipelines.watchlist import sync_watchlist
    from warehouse.claims import write_claims

    config = load_config(None)
    minimax = next(s for s in config.watchlist if s.code == "00100")
    text = "据辉立证券暗盘交易平台显示，稀宇科技（00100.HK）暗盘收报 280 港元，较招股价涨 69.7%，每手 20 股，每手账面赚 2300 港元。"
    found = extract_claims(text, config.watchlist, published_at=dt.datetime(2026, 1, 8, 20, 0, tzinfo=HK))
    with db.writer(tmp_path / "wh.duckdb") as con:
        sync_watchlist(con, config)
        write_claims(con, found, source_kind="article", source_id="grey1", source_url="https://x.example/grey",
                     extractor_version="test")
        rebuild_ipo_stats(con)
    with db.reader(tmp_path / "wh.duckdb") as con:
        perf = con.execute("SELECT grey_market_close, grey_market_return, grey_market_lot_gain FROM "
                           "v_first_day_performance WHERE hkex_code = '00100'").fetchone()
        subs = con.execute("SELECT grey_market_close FROM v_subscription_stats WHERE hkex_code = '00100'").fetchone()
        broker = con.execute("SELECT DISTINCT broker FROM v_claims WHERE basis = 'grey_market'").fetchall()
    assert minimax.code == "00100"
    assert perf == pytest.approx((280.0, 0.697, 2300.0)) and subs == (280.0,)
    assert broker == [("Phillip Securities",)]
