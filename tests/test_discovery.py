"""Market-wide discovery: what HKEXnews answers mean, and a back-fill replayed from the discovery cassettes.

The answers here are written in this file (the real shape, synthetic rows);
the replay uses cassettes/discovery/ (cassettes/build/discovery.py; every
listing and figure in it is synthetic, see cassettes/README.md).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
import yaml

from helpers import CASSETTES, run_hkipo
from hkipo.core.listing import GEM, MAIN_BOARD
from hkipo.extract.hkex_listings import (
    ListingSearchError,
    discovery_search_url,
    document_kind,
    listings_from_rows,
    market_of,
    next_trading_day,
    parse_listing_search,
    split_window,
    windows,
)

BASE = "https://www1.hkexnews.hk"


def _row(news_id: str, code: str, title: str, name: str = "SYNTH CO", link: str | None = None) -> dict:
    return {"NEWS_ID": news_id, "STOCK_CODE": code, "STOCK_NAME": name, "TITLE": title, "FILE_TYPE": "PDF",
            "FILE_LINK": link if link is not None else f"/listedco/listconews/sehk/2025/0304/{news_id}.pdf",
            "DATE_TIME": "04/03/2025 22:45", "SHORT_TEXT": "", "LONG_TEXT": "", "FILE_INFO": "1KB",
            "TOTAL_COUNT": ""}


def _answer(rows: list[dict], **extra: object) -> bytes:
    return json.dumps({"result": json.dumps(rows) if rows else "null", "hasNextRow": False, **extra}).encode()


# --- answers ---------------------------------------------------------------

def test_answer_is_json_inside_json_and_multi_counter_takes_the_first_code():
    page = parse_listing_search(_answer([_row("1", "09988<br/>89988", "Allotment Results",
                                              "SYNTH-SW<br/>SYNTH-SWR")]))
    (r,) = page.rows
    assert r.codes == ("09988", "89988")  # never 0998889988
    assert r.names == ("SYNTH-SW", "SYNTH-SWR")
    assert r.published_at == dt.datetime(2025, 3, 4, 22, 45, tzinfo=r.published_at.tzinfo)
    assert str(r.published_at.tzinfo) == "Asia/Hong_Kong"
    listings, notices, skipped = listings_from_rows([(r, "en")], base_url=BASE)
    assert [x.hkex_code for x in listings] == ["09988"] and listings[0].other_codes == ("89988",)
    assert notices == [] and skipped == []


@pytest.mark.parametrize("rows, extra, row_range, cut", [
    (3, {}, 3, True),                       # exactly rowRange rows: cut without saying so
    (2, {}, 3, False),
    (2, {"recordCnt": 5}, 100, True),       # the answer's own total says more
    (2, {"hasNextRow": True}, 100, True),
])
def test_truncation_is_detected(rows, extra, row_range, cut):
    body = _answer([_row(str(i), "01234", "Allotment Results") for i in range(rows)], **extra)
    assert parse_listing_search(body).truncated(row_range) is cut


def test_total_count_in_rows_counts_too():
    rows = [_row(str(i), "01234", "Allotment Results") for i in range(2)]
    for r in rows:
        r["TOTAL_COUNT"] = "7"
    assert parse_listing_search(_answer(rows)).truncated(100)


@pytest.mark.parametrize("body", [b"<html><body>maintenance</body></html>", b"", b"{not json", b'{"x": 1}',
                                  b'{"result": "[broken"}', b'{"result": "{\\"a\\": 1}"}'])
def test_bad_answers_are_one_clear_error(body):
    with pytest.raises(ListingSearchError):
        parse_listing_search(body)


def test_empty_answer_and_unusable_rows():
    assert parse_listing_search(_answer([])).rows == ()
    page = parse_listing_search(_answer([_row("", "01234", "Allotment Results"), "junk",
                                         _row("9", "01234", "Allotment Results", link="")]))
    assert page.rows == () and len(page.skipped) == 3 and page.row_count == 3


# --- which rows are listings ----------------------------------------------------

def test_rows_that_are_not_listings_are_skipped_with_reasons():
    page = parse_listing_search(_answer([
        _row("1", "", "Allotment Results Announcement"),
        _row("2", "02841", "Allotment Results Announcement"),                 # an ETF code
        _row("3", "00700", "Allotment Results of Top-up Placing under General Mandate"),
        _row("4", "12345", "Allotment Results"),                              # a derivative's code range
        _row("5", "01234", "Next Day Disclosure Return"),
        _row("6", "08123", "ALLOTMENT RESULTS ANNOUNCEMENT"),                 # GEM, but only Main Board wanted
    ]))
    listings, notices, skipped = listings_from_rows([(r, "en") for r in page.rows], base_url=BASE,
                                                    markets=(MAIN_BOARD,))
    assert listings == [] and notices == []
    reasons = {s.news_id: s.reason for s in skipped}
    assert reasons["1"] == "row without a stock code"
    assert "not a share listing" in reasons["2"] and "not a share listing" in reasons["4"]
    assert reasons["3"] == reasons["5"] == "title is not an IPO document"
    assert "GEM is not in" in reasons["6"]


def test_both_languages_make_one_listing_with_the_english_file():
    en = parse_listing_search(_answer([_row("7", "02601", "ALLOTMENT RESULTS ANNOUNCEMENT", "SYNTH BIO-B")])).rows
    zh = parse_listing_search(_answer([_row("7", "02601", "配發結果公告", "合成生物－Ｂ",
                                            link="/listedco/listconews/sehk/2025/0304/7_c.pdf")])).rows
    (lst,), _, _ = listings_from_rows([(zh[0], "zh"), (en[0], "en")], base_url=BASE)
    assert (lst.name_en, lst.name_zh, lst.market) == ("SYNTH BIO-B", "合成生物－Ｂ", MAIN_BOARD)
    (doc,) = lst.documents
    assert doc.language == "en" and doc.url == f"{BASE}/listedco/listconews/sehk/2025/0304/7.pdf"
    assert lst.allotment_published == dt.date(2025, 3, 4)
    assert lst.expected_listing_date == dt.date(2025, 3, 5)


def test_a_formal_notice_alone_is_a_document_not_a_listing():
    rows = parse_listing_search(_answer([_row("8", "02602", "FORMAL NOTICE"), _row("9", "02603", "正式通告")])).rows
    listings, notices, skipped = listings_from_rows([(r, "en") for r in rows], base_url=BASE)
    assert listings == [] and skipped == []
    assert [(n.hkex_code, n.kind) for n in notices] == [("02602", "formal_notice"), ("02603", "formal_notice")]


@pytest.mark.parametrize("title, kind", [
    ("Announcement of Final Offer Price and Allotment Results", "allotment_results"),
    ("最終發售價及配發結果公告", "allotment_results"), ("分配結果公告", "allotment_results"),
    ("配售結果公告", "allotment_results"), ("Formal Notice", "formal_notice"),
    ("建議供股之配發結果", None), ("Results of the Rights Issue and Allotment Results", None),
    ("Stabilising Actions and End of Stabilisation Period", None),
])
def test_document_kind(title, kind):
    assert document_kind(title) == kind


@pytest.mark.parametrize("code, market", [("00100", MAIN_BOARD), ("09988", MAIN_BOARD), ("06618", MAIN_BOARD),
                                          ("08601", GEM), ("02800", None), ("04001", None), ("07500", None),
                                          ("89988", None), ("12345", None)])
def test_market_of(code, market):
    assert market_of(code) == market


# --- windows -------------------------------------------------------------------------

def test_windows_cover_every_day_once_and_split_in_halves():
    w = windows(dt.date(2025, 1, 1), dt.date(2025, 1, 20), 7)
    assert w == [(dt.date(2025, 1, 1), dt.date(2025, 1, 7)), (dt.date(2025, 1, 8), dt.date(2025, 1, 14)),
                 (dt.date(2025, 1, 15), dt.date(2025, 1, 20))]
    assert split_window(dt.date(2025, 1, 8), dt.date(2025, 1, 14)) == [
        (dt.date(2025, 1, 8), dt.date(2025, 1, 11)), (dt.date(2025, 1, 12), dt.date(2025, 1, 14))]
    assert split_window(dt.date(2025, 1, 8), dt.date(2025, 1, 8)) == []
    assert windows(dt.date(2025, 1, 2), dt.date(2025, 1, 1), 7) == []


def test_next_trading_day_skips_weekends_and_hkex_holidays():
    assert next_trading_day(dt.date(2025, 3, 4)) == dt.date(2025, 3, 5)
    assert next_trading_day(dt.date(2025, 3, 7)) == dt.date(2025, 3, 10)     # Friday -> Monday
    assert next_trading_day(dt.date(2025, 1, 28)) == dt.date(2025, 2, 3)     # Lunar New Year 29-31 Jan


def test_search_url_asks_all_stocks():
    url = discovery_search_url("https://www1.hkexnews.hk/search/titleSearchServlet.do", from_date=dt.date(2025, 3, 3),
                               to_date=dt.date(2025, 3, 9), title="配發結果", lang="ZH", row_range=100)
    assert "stockId=-1" in url and "fromDate=20250303" in url and "toDate=20250309" in url
    assert "rowRange=100" in url and "lang=ZH" in url


# --- a back-fill replayed from cassettes ------------------------------------------------------

DISCOVERY = CASSETTES / "discovery"
ARGS = ("backfill", "--since", "2025-03-03", "--until", "2025-03-30", "--cassette-dir")


def _q(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory) -> tuple[Path, object, object]:
    tmp = tmp_path_factory.mktemp("backfill")
    db = tmp / "bf.duckdb"
    first = run_hkipo(*ARGS, str(DISCOVERY), "--db", str(db), cwd=tmp, timeout=300)
    second = run_hkipo(*ARGS, str(DISCOVERY), "--db", str(db), cwd=tmp, timeout=300)
    return db, first, second


def test_backfill_fills_securities_for_every_listing(backfilled):
    db, first, _ = backfilled
    assert first.returncode == 0, first.stdout + first.stderr
    rows = _q(db, "SELECT hkex_code, market, source, name_en FROM securities WHERE source = 'discovery' ORDER BY 1")
    assert rows == [("03601", "Main Board", "discovery", "DELTA FOODS"), ("06601", "Main Board", "discovery", "BETA BIO-B"),
                    ("08601", "GEM", "discovery", "GAMMA TECH"), ("09901", "Main Board", "discovery", "ALPHA ROBOTICS-W")]
    # never a security: the ETF code, the row without a code, the listed company's placing
    assert _q(db, "SELECT count(*) FROM securities WHERE hkex_code IN ('02841', '00700')") == [(0,)]
    assert _q(db, "SELECT other_codes, name_zh FROM listings WHERE hkex_code = '09901'") == [(["89901"], "阿爾法機器人－Ｗ")]
    reasons = {r[0] for r in _q(db, "SELECT reason FROM discovery_skipped")}
    assert "row without a stock code" in reasons and "title is not an IPO document" in reasons
    assert any("not JSON" in r for r in reasons) and any("not a share listing" in r for r in reasons)
    # the watchlist keeps its own names
    assert _q(db, "SELECT name_en, source FROM securities WHERE hkex_code = '00100'") == [("MiniMax", "config")]


def test_backfill_summary_is_honest(backfilled):
    _, first, _ = backfilled
    out = first.stdout
    assert "listings found: 4" in out and "announcements parsed: 3" in out and "refused: 1" in out
    assert "is not a PDF" in out  # the refusal's reason
    docs = _q(backfilled[0], "SELECT hkex_code, status FROM listing_documents "
              "WHERE kind = 'allotment_results' ORDER BY 1")
    assert docs == [("03601", "refused"), ("06601", "parsed"), ("08601", "parsed"), ("09901", "parsed")]
    # the English file of each document, though 06601's Chinese row was read before its English one
    # (its English answer was cut short and asked again in halves)
    assert _q(backfilled[0], "SELECT DISTINCT language FROM listing_documents WHERE kind = 'allotment_results'") \
        == [("en",)]
    assert _q(backfilled[0], "SELECT hkex_code, kind, status FROM listing_documents WHERE kind = 'formal_notice'") == [
        ("06601", "formal_notice", "listed")]


def test_cohort_has_the_announced_and_priced_figures(backfilled):
    db, _, _ = backfilled
    rows = {r[0]: r[1:] for r in _q(db, "SELECT hkex_code, market, listing_date, offer_price, proceeds, public_multiple, "
                                        "international_multiple, clawback_pct, cornerstone_share, first_day_close_return, "
                                        "return_d5, broke_issue_day1 FROM v_ipo_cohort WHERE NOT tracked")}
    a = rows["09901"]
    assert a[:7] == ("Main Board", dt.date(2025, 3, 5), 10.0, 500e6, 1500.0, 20.0, 0.5)
    assert a[7] == pytest.approx(0.4) and a[8] == pytest.approx(0.5) and a[9] == pytest.approx(0.2)
    assert a[10] is False
    b = rows["06601"]
    assert b[8] == pytest.approx(-0.1) and b[9] == pytest.approx(-0.075) and b[10] is True  # 18.00, 18.50 on 20.00
    g = rows["08601"]
    assert g[0] == "GEM" and g[8] == pytest.approx(0.1) and g[9] == pytest.approx(0.12)
    d = rows["03601"]  # refused PDF: a listing with its expected date, no figures (missing, not zero)
    assert d[1] == dt.date(2025, 3, 26) and d[2] is None and d[8] is None and d[10] is None
    # excess return = own return minus ^HSI's over the same window, from the stored bars
    (x,) = _q(db, """
        WITH b AS (SELECT trade_date, close::DOUBLE c, row_number() OVER (ORDER BY trade_date) n
                   FROM prices_daily WHERE symbol = '9901.HK'),
             h AS (SELECT trade_date, close::DOUBLE c FROM prices_daily WHERE symbol = '^HSI')
        SELECT (SELECT h.c FROM h JOIN b USING (trade_date) WHERE b.n = 5)
             / (SELECT c FROM h WHERE trade_date = DATE '2025-03-04') - 1""")
    (hsi5, excess5), = _q(db, "SELECT hsi_return_d5, excess_return_d5 FROM v_ipo_cohort WHERE hkex_code = '09901'")
    assert _q(db, "SELECT board_lot, board_lot_source, benchmark_source FROM v_ipo_cohort WHERE hkex_code = '09901'") \
        == [(500, "ipo_stats", "prices_daily:^HSI")]
    assert hsi5 == pytest.approx(x[0]) and excess5 == pytest.approx(0.2 - x[0])


def test_summary_over_the_synthetic_listings(backfilled):
    db, _, _ = backfilled
    (r,) = _q(db, "SELECT ipos, proceeds, proceeds_n, median_first_day_return, share_broke_issue, "
                  "median_public_multiple, band_lt10_n, band_10_100_n, band_100_1000_n, band_ge1000_n "
                  "FROM v_ipo_summary WHERE period_kind = 'month' AND period = '2025-03' AND market = 'All'")
    # first-day returns +50%, -10%, +10% (03601 unknown); multiples 1,500x, 45x, 8.5x
    assert r[0] == 4 and r[1] == pytest.approx(1.55e9) and r[2] == 3
    assert r[3] == pytest.approx(0.1) and r[4] == pytest.approx(1 / 3) and r[5] == pytest.approx(45.0)
    assert r[6:] == (1, 1, 0, 1)
    (gem,) = _q(db, "SELECT ipos, median_first_day_return FROM v_ipo_summary WHERE period_kind = 'year' "
                    "AND period = '2025' AND market = 'GEM'")
    assert gem[0] == 1 and gem[1] == pytest.approx(0.1)


def test_second_backfill_writes_nothing_and_asks_only_what_failed(backfilled, tmp_path):
    db, _, second = backfilled
    assert second.returncode == 0, second.stdout + second.stderr
    lines = [ln for ln in second.stdout.splitlines() if ln.startswith(("discovery", "prices"))]
    assert len(lines) == 2 and all(" 0 rows" in ln for ln in lines), second.stdout
    # Only robots.txt and the one search that answered an error page (asked again until it answers) are
    # left in the cassette: a discovery that asked any other search or PDF again would miss (exit 3).
    data = yaml.safe_load((DISCOVERY / "discovery.yaml").read_text(encoding="utf-8"))
    failed = "fromDate=20250303&toDate=20250309&title=%E6%AD%A3%E5%BC%8F%E9%80%9A%E5%91%8A"
    data["interactions"] = [i for i in data["interactions"]
                            if i["request"]["uri"].endswith("/robots.txt") or failed in i["request"]["uri"]]
    assert len(data["interactions"]) == 2
    pruned = tmp_path / "discovery.yaml"
    pruned.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    again = run_hkipo("backfill", "--since", "2025-03-03", "--until", "2025-03-30", "--only", "hkex",
                      "--cassette-dir", str(tmp_path), "--db", str(db), cwd=tmp_path, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr


def test_backfill_help_fits_one_screen_and_bad_input_is_one_line(tmp_path):
    res = run_hkipo("backfill", "--help", cwd=tmp_path)
    assert res.returncode == 0 and "--since" in res.stdout and "--only" in res.stdout
    assert len(res.stdout.splitlines()) <= 45
    bad = run_hkipo("backfill", "--since", "2025-03-03", "--only", "bogus", "--db", str(tmp_path / "x.duckdb"),
                    cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "bogus" in bad.stderr
    bad = run_hkipo("backfill", "--since", "2025-03-09", "--until", "2025-03-01", "--db", str(tmp_path / "x.duckdb"),
                    cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_daemon_discovery_fetches_the_prices_of_what_it_found_in_the_same_cycle(tmp_path):
    from hkipo.core.config import default_config_text
    from scheduler.launcher import LaunchTarget, launch_scheduled

    config = tmp_path / "hkipo.toml"
    config.write_text(default_config_text(), encoding="utf-8")
    db = tmp_path / "d.duckdb"
    target = LaunchTarget(db_path=str(db), config_path=str(config), cassette=str(DISCOVERY / "discovery.yaml"),
                          timeout=300, term_grace=5, lock_timeout=30,
                          extra_args=("--since", "2025-03-03", "--until", "2025-03-30"))
    out = launch_scheduled("discovery", target)
    assert out["returncode"] == 0 and out["then"]["job"] == "prices" and out["then"]["returncode"] == 0, out
    assert _q(db, "SELECT count(DISTINCT symbol) FROM prices_daily WHERE symbol IN "
                  "('9901.HK', '6601.HK', '8601.HK', '3601.HK', '^HSI')") == [(5,)]


def test_the_committed_discovery_cassettes_are_their_generators_output(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(CASSETTES / "build" / "discovery.py"), str(tmp_path),
                           str(tmp_path / "pdf")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for name in ("discovery.yaml", "prices.yaml"):
        assert (tmp_path / name).read_bytes() == (DISCOVERY / name).read_bytes(), \
            "run: python cassettes/build/discovery.py"
    fixtures = Path(__file__).parent / "fixtures" / "discovery"
    for pdf in (tmp_path / "pdf").iterdir():
        assert pdf.read_bytes() == (fixtures / pdf.name).read_bytes()


def test_report_has_the_market_section_and_keeps_per_ipo_sections_for_the_watchlist(backfilled, tmp_path):
    import re

    db, _, _ = backfilled
    res = run_hkipo("report", "--db", str(db), "--out", str(tmp_path / "r"), cwd=tmp_path, timeout=300)
    assert res.returncode == 0, res.stderr
    html = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    charts = re.findall(r'data-chart="([^"]+)"', html)
    assert "First-day return against the public book" in charts and "IPOs per month" in charts
    assert sum("price since listing" in c for c in charts) == 2  # the two tracked IPOs only
    market = html[html.index('id="market"'):html.index('id="coverage"')]
    assert "6 IPOs in the warehouse" in market and "2025-03" in market and "HK$1.55bn" in market
    assert "09901: 1,500×, +50.00%" in market  # the scatter's alt text names every IPO drawn
    # 03601 (PDF refused), and the watchlist's two (no hkex job ran here: no multiples)
    assert "3 IPO(s) without a known multiple or first-day close are not drawn" in market


def test_progress_bar_only_on_a_terminal_when_asked(monkeypatch):
    from hkipo.core import progress

    monkeypatch.delenv(progress.ENV, raising=False)
    assert isinstance(progress.bar(10, "x"), progress._Quiet)
    monkeypatch.setenv(progress.ENV, "1")
    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: False)
    assert isinstance(progress.bar(10, "x"), progress._Quiet)  # a log file or a pipe: nothing drawn
    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: True)
    real = progress.bar(10, "x")
    assert type(real).__name__ == "tqdm"
    real.close()


def test_a_document_found_but_not_read_is_read_by_the_next_run_and_nothing_else(tmp_path):
    """What a kill between a batch of listings and the batch with their PDFs leaves behind."""
    import shutil

    db = tmp_path / "r.duckdb"
    first = run_hkipo(*ARGS, str(DISCOVERY), "--only", "hkex", "--db", str(db), cwd=tmp_path, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    con = duckdb.connect(str(db))
    ann = con.execute("SELECT announcement_id, url FROM announcements WHERE hkex_code = '06601'").fetchall()
    assert len(ann) == 1
    con.execute("DELETE FROM claims WHERE source_id = ?", [ann[0][0]])
    con.execute("DELETE FROM announcements WHERE announcement_id = ?", [ann[0][0]])
    con.execute("UPDATE listing_documents SET status = 'pending' WHERE hkex_code = '06601' "
                "AND kind = 'allotment_results'")
    con.close()
    data = yaml.safe_load((DISCOVERY / "discovery.yaml").read_text(encoding="utf-8"))
    failed = "fromDate=20250303&toDate=20250309&title=%E6%AD%A3%E5%BC%8F%E9%80%9A%E5%91%8A"
    data["interactions"] = [i for i in data["interactions"] if i["request"]["uri"].endswith("/robots.txt")
                            or failed in i["request"]["uri"] or i["request"]["uri"] == ann[0][1]]
    assert len(data["interactions"]) == 3
    cdir = tmp_path / "c"
    cdir.mkdir()
    (cdir / "discovery.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    shutil.copy(DISCOVERY / "prices.yaml", cdir / "prices.yaml")
    again = run_hkipo(*ARGS, str(cdir), "--only", "hkex", "--db", str(db), cwd=tmp_path, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr  # a request for anything else would miss (exit 3)
    assert _q(db, "SELECT status FROM listing_documents WHERE hkex_code = '06601' AND kind = 'allotment_results'") \
        == [("parsed",)]
    assert _q(db, "SELECT count(*) FROM claims WHERE source_id = ?".replace("?", f"'{ann[0][0]}'"))[0][0] == 19


def test_chinese_only_documents_are_read_from_their_chinese_file(tmp_path):
    """With only Chinese searches, every document is known by its Chinese row: its _c.pdf is read."""
    import copy

    from hkipo.core.config import default_config_text

    config = tmp_path / "hkipo.toml"
    config.write_text(default_config_text().replace('languages = ["en", "zh"]', 'languages = ["zh"]'),
                      encoding="utf-8")
    data = yaml.safe_load((DISCOVERY / "discovery.yaml").read_text(encoding="utf-8"))
    for i in list(data["interactions"]):
        if i["request"]["uri"].endswith(".pdf"):
            c = copy.deepcopy(i)
            c["request"]["uri"] = c["request"]["uri"][:-4] + "_c.pdf"
            data["interactions"].append(c)
    cdir = tmp_path / "c"
    cdir.mkdir()
    (cdir / "discovery.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    db = tmp_path / "zh.duckdb"
    res = run_hkipo(*ARGS, str(cdir), "--only", "hkex", "--config", str(config), "--db", str(db), cwd=tmp_path,
                    timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "listings found: 4   announcements parsed: 3   refused: 1" in res.stdout
    rows = _q(db, "SELECT hkex_code, language, url LIKE '%\\_c.pdf' ESCAPE '\\', status FROM listing_documents "
                  "WHERE kind = 'allotment_results' ORDER BY 1")
    assert [(r[0], r[1], r[2]) for r in rows] == [(c, "zh", True) for c in ("03601", "06601", "08601", "09901")]
    # no English row: the Chinese short name is the security's name
    assert _q(db, "SELECT name_en, name_zh_hant FROM securities WHERE hkex_code = '08601'") == [("伽瑪科技", "伽瑪科技")]


def test_config_keeps_overriding_a_discovered_listing(tmp_path):
    from hkipo.core.config import default_config_text

    config = tmp_path / "hkipo.toml"
    text = default_config_text()
    entry = ('[[watchlist]]\ncode = "9901"\nname_en = "Alpha Robotics (our name)"\n'
             'aliases = ["Alpha Robo"]\nboard_lot = 500\n\n')
    config.write_text(text + "\n" + entry, encoding="utf-8")
    db = tmp_path / "cfg.duckdb"
    res = run_hkipo(*ARGS, str(DISCOVERY), "--config", str(config), "--db", str(db), cwd=tmp_path, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert _q(db, "SELECT name_en, aliases, source, market FROM securities WHERE hkex_code = '09901'") == [
        ("Alpha Robotics (our name)", ["Alpha Robotics (our name)", "Alpha Robo"], "config", "Main Board")]
    assert _q(db, "SELECT name_en FROM listings WHERE hkex_code = '09901'") == [("ALPHA ROBOTICS-W",)]
    assert _q(db, "SELECT tracked, first_day_close_return FROM v_ipo_cohort WHERE hkex_code = '09901'") == [
        (True, 0.5)]
