"""The HKEX allotment results parser, on the hand-written fixture PDFs and on text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import FIXTURES, run_hkipo
from hkipo.core.errors import UserError
from hkipo.extract.allotment import NotAnAllotment, NotAPdf, parse_allotment_pdf, parse_allotment_text, read_pdf_pages

HKEX = FIXTURES / "hkex"
MINIMAX_PDF = HKEX / "00100_allotment_results.pdf"
ZHIPU_PDF = HKEX / "02513_allotment_results_bilingual.pdf"

# Every field the issue asks for, with the fixture's figure (real ones from the reference facts).
MINIMAX = {
    "offer_price": 165.0, "offer_price_low": 151.0, "offer_price_high": 165.0,
    "shares_offered": 29_197_600, "offer_size_adjustment_shares": 3_808_380,
    "public_offer_shares": 5_077_860, "international_offer_shares": 24_119_740,
    "shares_over_allocated": 4_379_640, "shares_outstanding": 309_255_668,
    "gross_proceeds": 4_817_600_000, "net_proceeds": 4_596_100_000, "listing_expenses": 221_500_000,
    "valid_applications": 417_646, "successful_applications": 104_901,
    "public_subscription_multiple": 1837.17, "public_offer_shares_initial": 1_269_480,
    "public_offer_share_of_offer": 0.1739, "international_subscription_multiple": 36.76, "placees": 376,
    "international_offer_shares_initial": 24_119_740, "international_offer_share_of_offer": 0.8261,
    "cornerstone_shares": 16_504_040, "cornerstone_share_of_offer": 0.5653, "cornerstone_count": 14,
    "board_lot": 20, "one_lot_success_rate": round(3_911 / 139_314, 6),
}
ZHIPU = {
    "offer_price": 116.2, "offer_price_low": 106.0, "offer_price_high": 116.2, "shares_offered": 37_419_500,
    "public_offer_shares": 7_483_900, "international_offer_shares": 29_935_600,
    "shares_over_allocated": 5_612_900, "shares_outstanding": 440_233_290,
    "gross_proceeds": 4_348_100_000, "net_proceeds": 4_173_400_000, "listing_expenses": 174_700_000,
    "valid_applications": 204_871, "successful_applications": 50_907,
    "public_subscription_multiple": 1159.46, "public_offer_shares_initial": 1_871_000,
    "public_offer_share_of_offer": 0.20, "international_subscription_multiple": 15.28, "placees": 221,
    "international_offer_shares_initial": 35_548_500, "international_offer_share_of_offer": 0.80,
    "cornerstone_shares": 25_681_600, "cornerstone_share_of_offer": 0.6863, "cornerstone_count": 11,
    "board_lot": 100, "one_lot_success_rate": round(4_643 / 92_859, 6),
}


def _values(result) -> dict[str, float]:  # noqa: ANN001
    return {m: c.value for m, c in result.by_metric().items() if c.value is not None}


@pytest.mark.parametrize(("pdf", "code", "expected", "listing", "pool_a_first"), [
    (MINIMAX_PDF, "00100", MINIMAX, "2026-01-09", (20, 139_314, 3_911)),
    (ZHIPU_PDF, "02513", ZHIPU, "2026-01-08", (100, 92_859, 4_643)),
])
def test_fixture_pdfs_give_every_field(pdf: Path, code: str, expected: dict, listing: str,
                                       pool_a_first: tuple[int, int, int]) -> None:
    result = parse_allotment_pdf(pdf)
    assert result.hkex_code == code
    # The fixtures' allocation rows after the first are synthetic, so the table's shares applied for do not
    # match the (real) subscription level: the parser says so, and stores the level all the same.
    assert [w for w in result.warnings if not w.startswith("public_subscription_multiple: ")] == []
    got = _values(result)
    assert got == pytest.approx(expected)
    metrics = result.by_metric()
    assert metrics["listing_date"].value_text == listing and metrics["listing_date"].unit == "date"
    units = {m: c.unit for m, c in metrics.items()}
    assert units["offer_price"] == units["gross_proceeds"] == "HKD"
    assert units["public_subscription_multiple"] == "times" and units["one_lot_success_rate"] == "fraction"
    assert units["shares_offered"] == "shares" and units["valid_applications"] == "count"
    for c in result.claims:
        assert c.hkex_code == code
        assert c.page and 1 <= c.page <= result.pages
        assert c.quote and c.position is not None
    # The quote states the figure: e.g. "Subscription level 1,837.17 times".
    assert f"{expected['public_subscription_multiple']:,.2f}" in metrics["public_subscription_multiple"].quote
    bands = [json.loads(c.value_text) for c in result.claims if c.metric == "allocation_band"]
    first = bands[0]
    assert (first["pool"], first["shares_applied_for"], first["valid_applications"],
            first["successful_applications"]) == ("A", *pool_a_first)
    assert {b["pool"] for b in bands} == {"A", "B"}
    assert sum(b["valid_applications"] for b in bands) == expected["valid_applications"]
    assert sum(b["successful_applications"] for b in bands) == expected["successful_applications"]


def test_subscription_level_goes_to_its_offering_by_section() -> None:
    result = parse_allotment_pdf(MINIMAX_PDF)
    public = result.by_metric()["public_subscription_multiple"]
    intl = result.by_metric()["international_subscription_multiple"]
    assert (public.value, intl.value) == (1837.17, 36.76)
    assert public.quote.startswith("Subscription level") and intl.quote.startswith("Subscription level")
    assert public.position < intl.position


def test_bilingual_takes_each_figure_once_and_each_half_alone_gives_the_same() -> None:
    pages = read_pdf_pages(ZHIPU_PDF)
    both = parse_allotment_text(pages)
    assert both.languages == ("en", "zh")
    assert len({c.metric for c in both.claims if c.metric != "allocation_band"}) == \
        len([c for c in both.claims if c.metric != "allocation_band"])
    english = parse_allotment_text(pages[:4])
    chinese = parse_allotment_text(pages[4:])
    assert chinese.languages == ("zh",)
    assert _values(english) == pytest.approx(_values(both))
    assert {m: v for m, v in _values(chinese).items() if m in _values(both)} == pytest.approx(_values(both))
    assert chinese.by_metric()["listing_date"].value_text == "2026-01-08"
    assert chinese.by_metric()["public_subscription_multiple"].quote == "認購水平 1,159.46倍"


def test_a_second_statement_that_disagrees_is_a_warning() -> None:
    pages = [
        "ALLOTMENT RESULTS ANNOUNCEMENT\n(Stock Code: 0100)\nFinal Offer Price HK$165.00\nGross proceeds HK$4,817.6 "
        "million\nHONG KONG PUBLIC OFFERING\nNo. of valid applications 417,646\nSubscription level 1,837.17 times",
        "配發結果公告\n最終發售價 每股165.00港元\n香港公開發售\n有效申請數目 417,645\n認購水平 1,837.17倍",
    ]
    result = parse_allotment_text(pages)
    assert result.by_metric()["valid_applications"].value == 417_646
    assert result.warnings == ["valid_applications: page 1 says 417,646, page 2 says 417,645; kept the first"]


def test_label_and_value_on_one_line_or_the_next() -> None:
    same = ["Allotment Results\nStock code 2513\nFinal Offer Price HK$116.20 per H Share\nNet proceeds HK$4,173.4 million\n"
            "INTERNATIONAL OFFERING\nNo. of placees 221\nSubscription level 15.28 times"]
    split = ["Allotment Results\nStock code\n2513\nFinal Offer Price\nHK$116.20 per H Share\nNet proceeds\n"
             "HK$4,173.4 million\nINTERNATIONAL OFFERING\nNo. of placees\n221\nSubscription level\n15.28 times"]
    for pages in (same, split):
        r = parse_allotment_text(pages)
        assert r.hkex_code == "02513"
        assert _values(r) == {"offer_price": 116.2, "net_proceeds": 4_173_400_000, "placees": 221,
                              "international_subscription_multiple": 15.28}


def test_code_given_must_match_the_stated_one() -> None:
    assert parse_allotment_pdf(MINIMAX_PDF, code="100").hkex_code == "00100"
    with pytest.raises(UserError, match="for stock code 00100, not 02513"):
        parse_allotment_pdf(MINIMAX_PDF, code="02513")
    with pytest.raises(UserError, match="not an HKEX stock code"):
        parse_allotment_pdf(MINIMAX_PDF, code="abc")


def test_not_a_pdf_and_not_an_allotment() -> None:
    with pytest.raises(NotAPdf, match="not a PDF"):
        parse_allotment_pdf(HKEX / "not_a_pdf.pdf")
    with pytest.raises(NotAPdf, match="not a readable PDF"):
        parse_allotment_pdf(b"%PDF-1.7\n this is not really a pdf")
    with pytest.raises(NotAnAllotment, match="not an HKEX allotment results announcement"):
        parse_allotment_pdf(HKEX / "not_allotment.pdf")
    with pytest.raises(NotAnAllotment, match="none of the expected figures"):
        parse_allotment_text(["ALLOTMENT RESULTS ANNOUNCEMENT\nResults will be announced on 8 January 2026."])
    with pytest.raises(NotAnAllotment, match="no allotment results title"):
        parse_allotment_text(["Allotment results will be announced on 8 January 2026."])


def test_cli_prints_json_with_page_and_quote(tmp_path: Path) -> None:
    proc = run_hkipo("parse-allotment", str(MINIMAX_PDF), "--code", "00100", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["hkex_code"] == "00100" and out["pages"] == 6
    by_metric = {c["metric"]: c for c in out["claims"] if c["metric"] != "allocation_band"}
    assert set(MINIMAX) | {"listing_date"} == set(by_metric)
    for c in out["claims"]:
        assert {"metric", "value", "unit", "page", "quote"} <= set(c)
    assert by_metric["public_subscription_multiple"] == {
        "metric": "public_subscription_multiple", "value": 1837.17, "unit": "times", "page": 3,
        "quote": "Subscription level 1,837.17 times"}
    assert by_metric["listing_date"]["value_text"] == "2026-01-09"
    rows = [c["row"] for c in out["claims"] if c["metric"] == "allocation_band"]
    assert rows[0]["basis"] == "3,911 out of 139,314 applicants to receive 20 Shares"
    assert not list(tmp_path.iterdir())  # nothing written: no warehouse, no files


@pytest.mark.parametrize(("name", "message"), [
    ("not_a_pdf.pdf", "is not a PDF"),
    ("not_allotment.pdf", "not an HKEX allotment results announcement"),
    ("missing.pdf", "no such file"),
])
def test_cli_bad_files_exit_2_with_one_line(tmp_path: Path, name: str, message: str) -> None:
    proc = run_hkipo("parse-allotment", str(HKEX / name), cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
