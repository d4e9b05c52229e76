"""The hkex crawl finds a formal notice and fills the calendar (cassettes/hkex/formal_notice.yaml, hand-written by
cassettes/build/hkex.py around our synthetic notice tests/fixtures/hkex/formal_notice/zh_range.pdf)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from helpers import run_hkipo, write
from warehouse import db

CASSETTE = Path(__file__).resolve().parent.parent / "cassettes" / "hkex" / "formal_notice.yaml"
CONFIG = """
[[watchlist]]
code = "03999"
name_en = "Auspicious Cloud New Energy (synthetic)"
listing_date = 2026-03-10
"""


def _q(path: Path, sql: str) -> list[tuple]:
    with db.reader(path) as con:
        return con.execute(sql).fetchall()


def test_crawl_stores_the_offer_and_its_planned_claims(tmp_path: Path) -> None:
    config = write(tmp_path / "fn.toml", CONFIG)
    db_path = tmp_path / "fn.duckdb"
    args = ("crawl", "hkex", "--cassette", str(CASSETTE), "--db", str(db_path), "--config", str(config))
    proc = run_hkipo(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _q(db_path, "SELECT hkex_code, offer_price_low, offer_price_high, board_lot, offer_close_date, "
                       "offer_close_time, listing_date FROM offers") == [
        ("03999", 8.80, 10.20, 500, dt.date(2026, 3, 5), dt.time(12, 0), dt.date(2026, 3, 10))]
    assert _q(db_path, "SELECT kind, title FROM announcements") == [("formal_notice", "FORMAL NOTICE")]
    assert _q(db_path, "SELECT count(*), min(basis), max(basis) FROM claims") == [(11, "formal_notice", "formal_notice")]
    assert _q(db_path, "SELECT entry_fee_hkd FROM v_ipo_calendar") == [(5151.43,)]
    assert _q(db_path, "SELECT key, value FROM warehouse_meta WHERE key = 'calendar.brokerage_rate'") == [
        ("calendar.brokerage_rate", "0.01")]
    status, rows, warnings = _q(db_path, "SELECT status, rows_written, warnings FROM ingest_runs")[0]
    assert status == "ok" and rows > 0
    assert any("no allotment results announcement" in w for w in warnings)  # not out yet: expected
    again = run_hkipo(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert _q(db_path, "SELECT rows_written FROM ingest_runs ORDER BY started_at DESC LIMIT 1") == [(0,)]
