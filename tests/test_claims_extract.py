"""Claims from news: figures, their meaning, and whom they belong to.

Paragraphs are written for these tests around the figures in the project's
reference facts (MiniMax 00100 listed 2026-01-09, Zhipu 02513 2026-01-08).
"""

from __future__ import annotations

import datetime as dt

import pytest

from hkipo.core.config import load_config
from hkipo.extract.claims import extract_claims
from hkipo.core.items import Claim

HK = dt.timezone(dt.timedelta(hours=8))
SECURITIES = load_config(None).watchlist
MINIMAX_DAY = dt.datetime(2026, 1, 9, 17, 30, tzinfo=HK)
ZHIPU_DAY = dt.datetime(2026, 1, 8, 17, 30, tzinfo=HK)


def claims(text: str, published: dt.datetime | None = MINIMAX_DAY) -> list[Claim]:
    return extract_claims(text, SECURITIES, published_at=published)


def table(cs: list[Claim]) -> set[tuple]:
    """(code, metric, value rounded, unit, qualifier, basis) for comparison."""
    return {(c.hkex_code, c.metric, round(c.value, 6), c.unit, c.qualifier, c.basis) for c in cs}


def test_simplified_chinese_listing_day_report() -> None:
    text = (
        "2026 年 1 月 9 日，稀宇科技（00100.HK）在港交所挂牌，开盘报 235.4 港元 / 股，"
        "较发行价 165 港元 / 股高开约 42.67%，开盘市值约 720 亿港元。\n"
        "其香港公开发售获 1837 倍超额认购，国际配售获约 37 倍认购，剔除基石投资者后约 79 倍。\n"
        "公司共引入 14 名基石投资者，合共认购约 27.23 亿港元；若超额配股权获悉数行使，"
        "全球发售 3358 万股，募资总额约 55.4 亿港元。\n"
        "公司公开发售吸引逾 42 万名投资者参与认购，每手 20 股，一手中签率约 2.81%。\n"
        "截至收盘，该股报 345 港元，较发行价大涨 109.09%，市值约 1067 亿港元。"
    )
    got = table(claims(text))
    assert got == {
        ("00100", "first_day_open", 235.4, "HKD", None, "final"),
        ("00100", "offer_price", 165.0, "HKD", None, "final"),
        ("00100", "first_day_open_return", 0.4267, "fraction", "approx", "final"),
        ("00100", "market_cap", 7.2e10, "HKD", "approx", "at_open"),
        ("00100", "public_subscription_multiple", 1837.0, "times", None, "final"),
        ("00100", "international_subscription_multiple", 37.0, "times", "approx", "final"),
        ("00100", "international_ex_cornerstone_multiple", 79.0, "times", "approx", "final"),
        ("00100", "cornerstone_count", 14.0, "count", None, "final"),
        ("00100", "cornerstone_amount", 2.723e9, "HKD", "approx", "final"),
        ("00100", "shares_offered", 33_580_000.0, "shares", None, "full_over_allotment"),
        ("00100", "gross_proceeds", 5.54e9, "HKD", "approx", "full_over_allotment"),
        ("00100", "valid_applications", 420_000.0, "count", "over", "final"),
        ("00100", "board_lot", 20.0, "shares", None, "final"),
        ("00100", "one_lot_success_rate", 0.0281, "fraction", "approx", "final"),
        ("00100", "first_day_close", 345.0, "HKD", None, "final"),
        ("00100", "first_day_close_return", 1.0909, "fraction", None, "final"),
        ("00100", "market_cap", 1.067e11, "HKD", "approx", "final"),
    }


def test_quote_and_position_point_at_the_sentence() -> None:
    text = "市场回顾。\nMiniMax 公开发售部分获得 1,837 倍超额认购，创下近年纪录。"
    (c,) = claims(text)
    assert c.quote == "MiniMax 公开发售部分获得 1,837 倍超额认购，创下近年纪录。"
    assert text[c.position:c.position + len(c.quote)] == c.quote


def test_traditional_chinese_zhipu() -> None:
    text = (
        "智譜（02513.HK）今日掛牌，開盤報 120 港元，較招股價 116.20 港元高開 3.3%。\n"
        "該股香港公開發售錄得 1,159.46 倍超額認購，國際發售獲 15.28 倍認購，"
        "全球發售 3741.95萬股H股，集資約 43 億港元。\n"
        "該股午間收報 130 港元，盤中最低見 116.1 港元。"
    )
    got = table(claims(text, ZHIPU_DAY))
    assert got == {
        ("02513", "first_day_open", 120.0, "HKD", None, "final"),
        ("02513", "offer_price", 116.2, "HKD", None, "final"),
        ("02513", "first_day_open_return", 0.033, "fraction", None, "final"),
        ("02513", "public_subscription_multiple", 1159.46, "times", None, "final"),
        ("02513", "international_subscription_multiple", 15.28, "times", None, "final"),
        ("02513", "shares_offered", 37_419_500.0, "shares", None, "final"),
        ("02513", "gross_proceeds", 4.3e9, "HKD", "approx", "final"),
        ("02513", "first_day_close", 130.0, "HKD", None, "intraday"),
        ("02513", "first_day_low", 116.1, "HKD", None, "intraday"),
    }


def test_english_report_with_estimate_and_currencies() -> None:
    text = (
        "Shares of MiniMax Group (0100.HK) opened at HK$235.40 on Friday, 42.67% above the HK$165 offer price, "
        "and closed their debut at HK$345.00.\n"
        "Its Hong Kong public offering was 1,837 times oversubscribed, and the international tranche "
        "was 36.76 times covered.\n"
        "At the close of applications, brokers had put its retail book at 1,209 times.\n"
        "The company raised US$619m, or HK$4.82bn, from 14 cornerstone investors and the market."
    )
    got = table(claims(text))
    assert got == {
        ("00100", "first_day_open", 235.4, "HKD", None, "final"),
        ("00100", "first_day_open_return", 0.4267, "fraction", None, "final"),
        ("00100", "offer_price", 165.0, "HKD", None, "final"),
        ("00100", "first_day_close", 345.0, "HKD", None, "final"),
        ("00100", "public_subscription_multiple", 1837.0, "times", None, "final"),
        ("00100", "international_subscription_multiple", 36.76, "times", None, "final"),
        ("00100", "public_subscription_multiple", 1209.0, "times", None, "at_close_of_applications"),
        ("00100", "gross_proceeds", 6.19e8, "USD", None, "final"),
        ("00100", "gross_proceeds", 4.82e9, "HKD", None, "final"),
        ("00100", "cornerstone_count", 14.0, "count", None, "final"),
    }


def test_aggregator_page_keeps_each_figure_with_its_company() -> None:
    text = (
        "【新股速递】\n"
        "1. 壁仞科技（06082.HK）1 月 2 日上市，首日收涨 76%，公开发售超额认购 2,347 倍。\n"
        "2. 智谱（02513.HK）招股结束，据市场消息，孖展超额认购约 1,200 倍。\n"
        "3. 埃斯顿自动化（002747.SZ）重新递表，拟募资约 20 亿港元。\n"
        "另外，本周还有 5 只新股招股，合共集资 120 亿港元。\n"
        "4. MiniMax（00100.HK）公开发售获 1,837 倍超额认购，每手 20 股。\n"
        "宁德时代去年国际配售剔除基石后约 30 倍，至今仍是纪录。"
    )
    got = table(claims(text, dt.datetime(2026, 1, 7, 21, 0, tzinfo=HK)))
    assert got == {
        ("02513", "public_subscription_multiple", 1200.0, "times", "approx", "at_close_of_applications"),
        ("00100", "public_subscription_multiple", 1837.0, "times", None, "final"),
        ("00100", "board_lot", 20.0, "shares", None, "final"),
    }


def test_two_companies_in_one_sentence() -> None:
    text = ("Zhipu, which listed a day earlier, closed its debut at HK$131.50, 13.2% above its offer price, "
            "while MiniMax's retail tranche was subscribed 1,837 times.")
    got = table(claims(text, MINIMAX_DAY))
    assert got == {
        ("02513", "first_day_close", 131.5, "HKD", None, "final"),
        ("02513", "first_day_close_return", 0.132, "fraction", None, "final"),
        ("00100", "public_subscription_multiple", 1837.0, "times", None, "final"),
    }


def test_former_and_latter() -> None:
    text = "MiniMax 与智谱先后公布配发结果，前者公开发售超额认购 1837 倍，后者超额认购 1159 倍。"
    got = table(claims(text))
    assert got == {
        ("00100", "public_subscription_multiple", 1837.0, "times", None, "final"),
        ("02513", "public_subscription_multiple", 1159.0, "times", None, "final"),
    }


@pytest.mark.parametrize("text", [
    # The record belongs to CATL, in the same sentence and in the next one.
    "MiniMax 剔除基石后的国际配售认购倍数，超过了宁德时代约 30 倍的纪录。",
    "MiniMax 打破了认购纪录。此前纪录由宁德时代保持，剔除基石后超额认购 30 倍。",
    "MiniMax beat the record of CATL, whose international tranche was 30 times covered excluding cornerstones.",
    "Biren Technology, the first listing of 2026, jumped 76% on its debut and raised HK$5.58bn.",
    "Estun Automation (002747.SZ) re-filed for a Hong Kong listing that could raise HK$2bn.",
])
def test_unrelated_companies_figures_are_dropped(text: str) -> None:
    found = claims(text)
    assert not [c for c in found if c.value in (30.0, 0.76, 5.58e9, 2e9)]


@pytest.mark.parametrize("text", [
    "MiniMax 此前研发支出相当于收入的 3.37 倍。",  # a ratio, not a subscription level
    "MiniMax 创始人闫俊杰持股 10.61%，海外营收占比超过 70%。",  # holdings and shares of revenue
    "MiniMax 完成 6 亿美元 C 轮融资，估值 25 亿美元。",  # private rounds
    "MiniMax 的国际配售吸引订单逾 190 亿美元。",  # order book, not proceeds
    "以每手 20 股计，MiniMax 首日每手赚约 3600 港元。",  # profit per lot, not a price
    "MiniMax 招股价介乎 151 至 165 港元。",  # a range, not the offer price
])
def test_figures_that_are_not_ipo_metrics(text: str) -> None:
    got = {(c.metric, c.value) for c in claims(text, dt.datetime(2026, 1, 8, 21, 0, tzinfo=HK))}
    assert not (got - {("board_lot", 20.0)})


def test_grey_market_figures_are_not_first_day_figures() -> None:
    """The grey market (the evening before listing) has metrics of its own (tests/test_claims_figures.py)."""
    got = {(c.metric, c.value, c.basis) for c in claims("MiniMax 暗盘收报 280 港元，较招股价涨 69.7%。",
                                                        dt.datetime(2026, 1, 8, 21, 0, tzinfo=HK))}
    assert got == {("grey_market_close", 280.0, "grey_market"), ("grey_market_return", 0.697, "grey_market")}


def test_only_listing_day_prices_are_first_day_figures() -> None:
    text = (
        "Zhipu (2513.HK) closed at HK$158.60 on Friday, up 37% since the IPO, with a market value of HK$69.821bn.\n"
        "On April 15 MiniMax closed at HK$847.50, and Zhipu at HK$976.00.\n"
        "Zhipu had closed its first day of trading at HK$131.50."
    )
    got = table(claims(text, dt.datetime(2026, 1, 9, 18, 0, tzinfo=HK)))
    assert got == {("02513", "first_day_close", 131.5, "HKD", None, "final")}


def test_first_day_day_from_date_in_paragraph_and_yesterday() -> None:
    text = "1月9日，MiniMax 正式上市。其开盘报 235.4 港元。\n智谱昨日收报 131.5 港元。"
    got = table(claims(text, dt.datetime(2026, 1, 9, 20, 0, tzinfo=HK)))
    assert got == {
        ("00100", "first_day_open", 235.4, "HKD", None, "final"),
        ("02513", "first_day_close", 131.5, "HKD", None, "final"),
    }


def test_full_width_digits_and_traditional_units() -> None:
    text = "稀宇科技公開發售獲超額認購１８３７倍，基石投資者合共認購２７．２３億港元。"
    got = table(claims(text))
    assert got == {
        ("00100", "public_subscription_multiple", 1837.0, "times", None, "final"),
        ("00100", "cornerstone_amount", 2.723e9, "HKD", None, "final"),
    }


def test_same_figure_twice_in_an_article_is_one_claim() -> None:
    text = "MiniMax 公开发售获 1837 倍认购。\n回顾：MiniMax 公开发售获 1837 倍认购，为近年之最。"
    assert len(claims(text)) == 1


def test_nothing_to_attribute() -> None:
    assert claims("") == []
    assert claims("公开发售获 1837 倍超额认购。") == []  # nobody named, nothing to carry
    assert extract_claims("MiniMax 获 1837 倍认购。", [], published_at=None) == []


def test_estimate_and_final_in_one_sentence() -> None:
    text = ("MiniMax's retail book stood at about 1,209 times at the close of applications, "
            "but the final subscription level came in at 1,837.17 times.")
    got = table(claims(text))
    assert got == {
        ("00100", "public_subscription_multiple", 1209.0, "times", "approx", "at_close_of_applications"),
        ("00100", "public_subscription_multiple", 1837.17, "times", None, "final"),
    }


def test_a_passing_mention_of_another_watchlist_security_keeps_its_figure() -> None:
    text = ("MiniMax opened at HK$235.40 on its debut.\n"
            "Zhipu, which listed a day earlier, closed its first day at HK$131.50.")
    assert table(claims(text)) == {
        ("00100", "first_day_open", 235.4, "HKD", None, "final"),
        ("02513", "first_day_close", 131.5, "HKD", None, "final"),
    }
