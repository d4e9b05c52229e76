"""The allotment parser on the layouts real HKEX announcements use, written by us with synthetic figures.

Each fixture is an announcement as pages of visual lines (what `hkipo.extract.pdf` gives from a PDF):
our own wording and invented issuers and figures, in the structure found in 2025–26 announcements —
Traditional Chinese 2025 template, English 2025 template, GEM, split and wrapped allocation rows, a bare
multiple, a label wrapped around its value, a cover page before the title, and documents that are not
allotment results at all.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from hkipo.core.items import Announcement, ParsedAnnouncement
from hkipo.extract.allotment import NotAnAllotment, document_kind, parse_allotment_lines
from hkipo.extract.pdf import read_pdf
from pipelines.announcements import write_announcement
from warehouse import db

from helpers import FIXTURES, run_hkipo

COVER = [
    "示例科技股份有限公司", "全球發售", "全球發售項下的發售股份數目 ： 10,000,000股H股",
    "最高發售價 ： 每股H股9.99港元", "股份代號 ： 9999",
]
# Traditional Chinese, 2025 template. Figures invented; they add up as real ones do.
ZH_2025 = [
    COVER,
    ["示例科技股份有限公司", "最終發售價及配發結果公告", "摘要", "公司資料", "股份代號 9999", "股份簡稱 示例科技",
     "開始買賣日期 2026年3月2日*", "價格資料", "最終發售價 8.00港元", "最高發售價 9.00港元", "發售股份及股本",
     "發售股份數目 10,000,000", "香港公開發售的發售股份數目（重新分配後） 1,000,000",
     "國際發售的發售股份數目（重新分配後） 9,000,000", "於上市時已發行股份數目（附註1） 50,000,000",
     "所得款項", "所得款項總額（附註） 80.0百萬港元", "減：按最終發售價計算的估計應付上市開支 (10.0)百萬港元",
     "所得款項淨額 70.0百萬港元", "配發結果詳情", "香港公開發售", "有效申請數目 3,000", "受理申請數目 1,300"],
    ["認購水平 53.00倍", "觸發回補機制 否", "香港公開發售項下初步可供認購發售股份數目 1,000,000",
     "香港公開發售項下發售股份佔全球發售的百分比 10.00%", "國際發售", "承配人人數 55", "認購額 3.50",
     "國際發售項下初步可供認購發售股份數目 9,000,000", "國際發售項下發售股份佔全球發售的百分比 90.00%",
     "基石投資者", "投資者 獲分配的發售股份數目 佔發售股份的百分比", "甲基金管理有限公司（「甲基金」） 2,000,000 20.00% 否", "乙資本 1,000,000 10.00% 否", "總計 3,000,000 30.00%",
     "禁售承諾", "基石投資者", "名稱 股份數目 禁售最後日期", "甲基金 2,000,000 4.00% 2026年9月1日",
     "乙資本 1,000,000 2.00% 2026年9月1日", "小計 3,000,000 6.00%"],
    ["香港公開發售的分配基準", "申請股份數目 有效申請數目 配發╱抽籤基準 獲配發股份佔所申請總數的概約百分比",
     "甲組", "1,000 2,000 2,000名申請人中500名獲發1,000股股份 25.00%",
     "2,000 500 500名申請人中300名獲發1,000股股份 30.00%", "乙組",
     "100,000 500 1,000股股份加上500名申請人中300名獲發額外1,000股股份 1.60%",
     "總計 3,000 甲組獲接納申請人總數：800"],
]


def _values(result) -> dict[str, float]:  # noqa: ANN001
    return {m: c.value for m, c in result.by_metric().items() if c.value is not None}


def test_traditional_chinese_2025_template_every_field() -> None:
    r = parse_allotment_lines(ZH_2025)
    assert r.hkex_code == "09999" and r.stock_name == "示例科技" and r.languages == ("zh",)
    got = _values(r)
    assert got == pytest.approx({
        "offer_price": 8.0, "offer_price_high": 9.0, "shares_offered": 10_000_000, "public_offer_shares": 1_000_000,
        "international_offer_shares": 9_000_000, "shares_outstanding": 50_000_000, "gross_proceeds": 80_000_000,
        "listing_expenses": 10_000_000, "net_proceeds": 70_000_000, "valid_applications": 3_000,
        "successful_applications": 1_300, "public_subscription_multiple": 53.0,
        "public_offer_shares_initial": 1_000_000, "public_offer_share_of_offer": 0.10, "placees": 55,
        "international_subscription_multiple": 3.5,  # printed bare, without 倍
        "international_offer_shares_initial": 9_000_000, "international_offer_share_of_offer": 0.90,
        "board_lot": 1_000, "one_lot_success_rate": 0.25, "cornerstone_shares": 3_000_000,
        "cornerstone_share_of_offer": 0.30, "cornerstone_count": 2,
    })
    # The cover page's "最高發售價 9.99" (before the title) is not read; the summary's 9.00 is.
    assert r.warnings == []
    assert r.by_metric()["listing_date"].value_text == "2026-03-02"
    assert [(c.investor, c.shares, c.share_of_offer, c.lockup_expiry) for c in r.cornerstones] == [
        ("甲基金管理有限公司（「甲基金」）", 2_000_000, 0.2, "2026-09-01"), ("乙資本", 1_000_000, 0.1, "2026-09-01")]
    assert [(a.pool, a.shares_applied_for, a.valid_applications, a.successful_applications) for a in r.allocation] \
        == [("A", 1_000, 2_000, 500), ("A", 2_000, 500, 300), ("B", 100_000, 500, 500)]
    lot = r.by_metric()["one_lot_success_rate"]
    assert lot.page == 4 and "2,000名申請人中500名" in lot.quote


ENGLISH_2025 = [[
    "EXAMPLE ROBOTICS INC.", "ANNOUNCEMENT OF ALLOTMENT RESULTS", "SUMMARY", "Company Information",
    "Stock Code 8888", "Stock Short Name EXAMPLE ROBO", "Dealings commencement date March 2, 2026*",
    "Price Information", "Final Offer Price HK$20.00", "Offer Shares and Share Capital",
    "Number of Offer Shares 5,000,000", "Number of Offer Shares in Hong Kong 500,000", "Public Offering",
    "Number of Offer Shares in International 4,500,000", "Offering", "Proceeds",
    "Gross proceeds(Note) HK$100.0 million", "Less: Estimated listing expenses payable based on Final",
    "Offer Price HK$12.0 million", "Net Proceeds HK$88.0 million", "ALLOTMENT RESULTS DETAILS",
    "HONG KONG PUBLIC OFFERING", "No. of valid applications 1,200", "No. of successful applications 400",
    "Subscription level 30.25 times", "INTERNATIONAL OFFERING", "No. of placees 40",
    "Subscription Level (before taking into account the Offer Size 4.10x", "Adjustment Option)",
], [
    "BASIS OF ALLOCATION UNDER THE HONG KONG PUBLIC OFFERING", "POOL A",
    # The basis cell wraps: its first line sits above the row's figures, its second on the row's line.
    "120 out of 1,000 to", "500 1,000 receive 500 Shares 12.00%", "80 out of 200 to", "1,000 200 receive 500 Shares 20.00%",
]]


def test_english_2025_template_wrapped_labels_and_basis() -> None:
    r = parse_allotment_lines(ENGLISH_2025)
    got = _values(r)
    assert got["public_offer_shares"] == 500_000 and got["international_offer_shares"] == 4_500_000
    assert got["listing_expenses"] == 12_000_000  # the label wraps onto "Offer Price …", which is not a price
    assert "offer_price" in got and got["offer_price"] == 20.0
    assert got["public_subscription_multiple"] == 30.25 and got["international_subscription_multiple"] == 4.10
    assert got["valid_applications"] == 1_200 and got["placees"] == 40
    assert got["one_lot_success_rate"] == pytest.approx(0.12)
    assert r.allocation[0].basis == "120 out of 1,000 to 500 1,000 receive 500 Shares 12.00%" or \
        "120 out of 1,000" in r.allocation[0].basis


GEM_SPLIT = [[
    "示例創意控股有限公司", "最終發售價及配發結果公告", "股份代號 8123", "最終發售價 0.50港元",
    "發售股份數目 100,000,000", "公開發售股份數目 10,000,000", "配售股份數目 90,000,000",
    "配發結果詳情", "公開發售", "有效申請數目 12,304", "獲接納申請數目 739", "認購水平 120.00倍", "配售事項",
    "承配人數目 60", "認購水平 1.20倍",
    "公開發售的分配基準", "所申請股份數目 有效申請數目 配發╱抽籤基準 概約百分比",
    # A band split in two lines: those who got nothing and those who got a lot; the percentage once.
    "5,000 11,565 0股股份 6.01%", "5,000 739 5,000股股份",
]]


def test_gem_without_pools_and_a_split_allocation_row() -> None:
    r = parse_allotment_lines(GEM_SPLIT)
    got = _values(r)
    assert r.hkex_code == "08123"
    assert got["international_subscription_multiple"] == 1.2 and got["placees"] == 60
    assert got["international_offer_shares"] == 90_000_000
    assert [(a.pool, a.valid_applications, a.successful_applications) for a in r.allocation] == [("", 12_304, 739)]
    assert got["one_lot_success_rate"] == pytest.approx(739 / 12_304, abs=1e-6)


def test_a_basis_that_disagrees_with_its_percentage_gives_no_one_lot_rate() -> None:
    # The scrambled-text failure that once gave 1.0: a ballot whose numbers do not give the row's percentage.
    pages = [p[:] for p in ZH_2025]
    pages[3] = [ln.replace("2,000名申請人中500名獲發1,000股股份 25.00%", "2,000名申請人中500名獲發1,000股股份 2.50%")
                for ln in pages[3]]
    r = parse_allotment_lines(pages)
    assert "one_lot_success_rate" not in r.by_metric()
    assert any("the basis gives 25.0000% allotted, the row says 2.50%" in w for w in r.warnings)
    assert any(w.startswith("one_lot_success_rate not stored") for w in r.warnings)


def test_cornerstone_names_wrapped_around_their_figures_store_no_rows_but_the_total() -> None:
    pages = [p[:] for p in ZH_2025]
    i = pages[2].index("甲基金管理有限公司（「甲基金」） 2,000,000 20.00% 否")
    pages[2][i:i + 1] = ["甲基金管理有限 2,000,000 20.00% 否", "公司（「甲基金」）"]
    r = parse_allotment_lines(pages)
    assert r.cornerstones == [] and "cornerstone_count" not in r.by_metric()
    assert r.by_metric()["cornerstone_shares"].value == 3_000_000
    assert any("names wrap over several lines" in w for w in r.warnings)


def test_tranches_that_do_not_add_up_are_not_stored() -> None:
    pages = [p[:] for p in ZH_2025]
    pages[1] = [ln.replace("國際發售的發售股份數目（重新分配後） 9,000,000", "國際發售的發售股份數目（重新分配後） 9,100,000")
                for ln in pages[1]]
    r = parse_allotment_lines(pages)
    got = _values(r)
    for m in ("public_offer_shares", "international_offer_shares", "shares_offered"):
        assert m not in got
    assert any("public 1,000,000 + international 9,100,000 ≠ offer shares 10,000,000" in w for w in r.warnings)


def test_proceeds_that_do_not_add_up_and_cornerstones_that_miss_their_total() -> None:
    pages = [p[:] for p in ZH_2025]
    pages[1] = [ln.replace("所得款項淨額 70.0百萬港元", "所得款項淨額 60.0百萬港元") for ln in pages[1]]
    pages[2] = [ln.replace("乙資本 1,000,000 10.00% 否", "乙資本 1,500,000 15.00% 否") for ln in pages[2]]
    r = parse_allotment_lines(pages)
    got = _values(r)
    assert not {"gross_proceeds", "net_proceeds", "listing_expenses", "cornerstone_count"} & set(got)
    assert r.cornerstones == []
    assert got["cornerstone_shares"] == 3_000_000  # the table's own total still stands


@pytest.mark.parametrize(("lines", "kind", "words"), [
    (["示例科技股份有限公司", "（股份代號：9999）", "悉數行使超額配股權", "本公司宣佈…"], "over_allotment", "over-allotment"),
    (["示例科技股份有限公司", "穩定價格期間結束、", "無穩定價格行動及超額配股權失效"], "over_allotment", "stabilisation"),
    (["EXAMPLE ROBOTICS INC.", "FULL EXERCISE OF THE OVER-ALLOTMENT OPTION"], "over_allotment", "over-allotment"),
    (["翌日披露報表", "股份發行人的證券變動"], "next_day_disclosure", "Next Day Disclosure Return"),
    (COVER + ["致投資者的重要提示", "全電子化申請程序"], "formal_notice", "formal notice"),
])
def test_other_documents_are_refused_naming_what_they_are(lines: list[str], kind: str, words: str) -> None:
    assert document_kind([lines])[0] == kind
    with pytest.raises(NotAnAllotment, match=words):
        parse_allotment_lines([lines])


def test_an_allotment_announcement_that_mentions_stabilisation_in_its_disclaimer_is_accepted() -> None:
    pages = [["潛在投資者務請注意，支持H股價格的穩定價格行動的時間不得超過穩定價格期間，穩定價格", "倘超額配股權獲行使，我們將於聯"]
             + COVER] + ZH_2025[1:]
    assert document_kind(pages)[0] == "allotment_results"


def test_pdf_lines_come_in_reading_order_with_coordinates() -> None:
    pages = read_pdf(FIXTURES / "hkex" / "00100_allotment_results.pdf")
    lines = pages[0].lines
    assert all(a.top <= b.top for a, b in zip(lines, lines[1:]))
    label = next(ln for ln in lines if ln.text.startswith("Stock code"))
    value = next(ln for ln in lines if ln.text == "0100")
    assert value.top > label.top and value.x0 > label.x1
    assert "ALLOTMENT RESULTS ANNOUNCEMENT" in pages[0].text


def test_stored_with_cornerstones_allocation_rows_and_warnings(tmp_db: Path) -> None:
    r = parse_allotment_lines(ZH_2025)
    ann = Announcement("99990001-zh", "09999", "最終發售價及配發結果公告", "zh", "https://example.invalid/a.pdf",
                       dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc), "allotment/2")
    parsed = ParsedAnnouncement(ann, tuple(r.claims), ("a warning",), tuple(r.cornerstones), tuple(r.allocation))
    for _ in range(2):  # idempotent: the second write replaces the rows
        with db.writer(tmp_db) as con, db.transaction(con):
            write_announcement(con, parsed)
    with db.reader(tmp_db) as con:
        cs = con.execute("SELECT investor, shares, lockup_expiry FROM v_cornerstones").fetchall()
        rows = con.execute("SELECT pool, shares_applied_for, success_rate, is_first_pool_a_row "
                           "FROM v_allocation_basis").fetchall()
        warnings = con.execute("SELECT warnings FROM announcements").fetchone()[0]
    assert cs == [("甲基金管理有限公司（「甲基金」）", 2_000_000, dt.date(2026, 9, 1)), ("乙資本", 1_000_000, dt.date(2026, 9, 1))]
    assert rows == [("A", 1_000, 0.25, True), ("A", 2_000, 0.6, False), ("B", 100_000, 1.0, False)]
    assert json.loads(warnings) == ["a warning"]


def test_cli_several_files_one_json_line_each_in_order(tmp_path: Path) -> None:
    hkex = FIXTURES / "hkex"
    files = [hkex / "00100_allotment_results.pdf", hkex / "not_allotment.pdf", hkex / "02513_allotment_results_c.pdf"]
    proc = run_hkipo("parse-allotment", "--jobs", "2", *map(str, files), cwd=tmp_path)
    assert proc.returncode == 2 and "1 of 3 files" in proc.stderr and "Traceback" not in proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["file"] for o in out] == list(map(str, files))
    assert out[0]["hkex_code"] == "00100" and "not an HKEX allotment results announcement" in out[1]["error"]
    assert out[2]["hkex_code"] == "02513" and out[2]["languages"] == ["zh"]
