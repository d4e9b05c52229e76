"""HKEXnews answers as the hkex spider reads them: plain functions of a body, no crawler."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from helpers import FIXTURES
from hkipo.core.config import HkexConfig, Security
from hkipo.core.errors import UserError
from spiders.hkex import search_window
from hkipo.extract.hkex_search import (
    HK,
    HkexFormatError,
    SearchRow,
    announcement_from_pdf,
    is_allotment_results,
    parse_stock_id,
    parse_title_search,
    pdf_url,
    stock_id_url,
    title_search_url,
)

BASE = "https://www1.hkexnews.hk"


def test_stock_id_lookup_url_and_answer() -> None:
    assert stock_id_url(BASE, "00100") == (
        f"{BASE}/search/prefix.do?callback=callback&lang=EN&type=A&name=00100&market=SEHK")
    body = b'callback({"more":"1","stockInfo":[{"stockId":7609,"code":"01000","name":"X"},' \
           b'{"stockId":1000123401,"code":"00100","name":"MINIMAX-W"}]});'
    assert parse_stock_id(body, "100") == 1000123401
    assert parse_stock_id(b'callback({"more":"0","stockInfo":[]});', "00100") is None
    assert parse_stock_id(b'{"stockInfo":[{"stockId":5,"code":"2513"}]}', "02513") == 5  # plain JSON too
    with pytest.raises(HkexFormatError):
        parse_stock_id(b"<html>maintenance</html>", "00100")


def test_title_search_url_carries_every_parameter() -> None:
    url = title_search_url(f"{BASE}/search/titleSearchServlet.do", stock_id=1000123401,
                           from_date=dt.date(2025, 12, 10), to_date=dt.date(2026, 2, 8), title="Allotment Results")
    assert url == (f"{BASE}/search/titleSearchServlet.do?sortDir=0&sortByOptions=DateTime&category=0&market=SEHK"
                   "&stockId=1000123401&documentType=-1&fromDate=20251210&toDate=20260208&title=Allotment+Results"
                   "&searchType=0&t1code=-2&t2Gcode=-2&t2code=-2&rowRange=100&lang=EN")


def _search(rows: list[dict] | None, **outer: object) -> bytes:
    result = "null" if rows is None else json.dumps(rows)
    return json.dumps({"result": result, "hasNextRow": False, "rowRange": 100, **outer}).encode()


def test_title_search_rows_are_json_inside_json() -> None:
    page = parse_title_search(_search([
        {"NEWS_ID": "11873452", "TITLE": "ALLOTMENT RESULTS ANNOUNCEMENT", "DATE_TIME": "08/01/2026 22:58",
         "STOCK_CODE": "00100", "STOCK_NAME": "MINIMAX-W", "FILE_TYPE": "PDF", "FILE_INFO": "290KB",
         "SHORT_TEXT": "Announcements and Notices - [Allotment Results]",
         "FILE_LINK": "/listedco/listconews/sehk/2026/0108/2026010801342.pdf"},
        {"NEWS_ID": "1", "TITLE": "Joint announcement", "STOCK_CODE": "00001<br/>00002", "STOCK_NAME": "A<br/>B",
         "DATE_TIME": "not a date", "FILE_TYPE": "HTM", "FILE_LINK": "/x.htm"},
        {"NEWS_ID": "2", "TITLE": "no link"},
    ]))
    assert len(page.rows) == 2 and not page.has_more
    first, joint = page.rows
    assert first.published_at == dt.datetime(2026, 1, 8, 22, 58, tzinfo=HK)
    assert (first.stock_codes, first.news_id, first.file_type) == (("00100",), "11873452", "PDF")
    assert joint.stock_codes == ("00001", "00002") and joint.stock_names == ("A", "B")
    assert joint.published_at is None
    assert parse_title_search(_search(None)).rows == ()
    assert parse_title_search(_search([], hasNextRow=True)).has_more
    for bad in (b"<html></html>", b'{"no": "result"}', b'{"result": "[not json"}', b'{"result": "{}"}'):
        with pytest.raises(HkexFormatError):
            parse_title_search(bad)


def _row(title: str, short: str = "", file_type: str = "PDF") -> SearchRow:
    return SearchRow("1", title, "/a.pdf", None, ("00100",), ("X",), short, file_type, "")


def test_which_rows_are_allotment_results() -> None:
    keywords = ("Allotment Results",)
    assert is_allotment_results(_row("ANNOUNCEMENT OF ALLOTMENT RESULTS"), keywords)
    assert is_allotment_results(_row("Final Offer Price", "Announcements and Notices - [Allotment Results]"), keywords)
    assert not is_allotment_results(_row("DATE OF BOARD MEETING"), keywords)
    assert not is_allotment_results(_row("ALLOTMENT RESULTS", file_type="HTM"), keywords)


def test_pdf_urls() -> None:
    link = "/listedco/listconews/sehk/2026/0108/2026010801342.pdf"
    assert pdf_url(BASE, link) == f"{BASE}{link}"
    assert pdf_url(BASE + "/", link, chinese=True) == f"{BASE}/listedco/listconews/sehk/2026/0108/2026010801342_c.pdf"
    assert pdf_url(BASE, link.replace(".pdf", "_c.pdf"), chinese=True).endswith("01342_c.pdf")


def test_search_window_around_the_listing_date() -> None:
    hkex = HkexConfig(search_days_before=30, search_days_after=30)
    sec = Security(code="100", name_en="MiniMax", listing_date=dt.date(2026, 1, 9))
    today = dt.date(2026, 4, 15)
    assert search_window(sec, hkex, since=None, today=today) == (dt.date(2025, 12, 10), dt.date(2026, 2, 8))
    assert search_window(sec, hkex, since=dt.date(2026, 1, 1), today=today) == (dt.date(2026, 1, 1),
                                                                                dt.date(2026, 2, 8))
    unlisted = Security(code="9999", name_en="Not yet listed")
    assert search_window(unlisted, hkex, since=None, today=today) == (dt.date(2026, 3, 16), today)


def test_announcement_from_a_downloaded_pdf() -> None:
    body = (FIXTURES / "hkex" / "02513_allotment_results_bilingual.pdf").read_bytes()
    row = SearchRow("11871190", "ANNOUNCEMENT OF ALLOTMENT RESULTS", "/x.pdf",
                    dt.datetime(2026, 1, 7, 23, 5, tzinfo=HK), ("02513",), ("KNOWLEDGE ATLAS",), "", "PDF", "")
    parsed = announcement_from_pdf(body, f"{BASE}/x.pdf", row, code="02513", language="en")
    a = parsed.announcement
    assert (a.announcement_id, a.hkex_code, a.language, a.pages) == ("11871190-en", "02513", "en", 6)
    assert a.pdf_sha256 and len(a.pdf_sha256) == 64 and "認購水平" in a.text
    assert {c.metric for c in parsed.claims} >= {"offer_price", "public_subscription_multiple", "placees"}
    with pytest.raises(UserError, match="for stock code 02513, not 00100"):
        announcement_from_pdf(body, f"{BASE}/x.pdf", row, code="00100", language="en")
