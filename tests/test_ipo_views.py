"""v_ipo_cohort and v_ipo_summary on a small synthetic set, against values computed by hand.

Four IPOs (synthetic codes and figures, written here):
  09901 Main Board, offer 10.00, listed 2025-03-03: open 14.00, close 15.00 (+50%), day-5 close 12.00
        (+20%); public 1,500x, intl 20x; proceeds HK$500m; cornerstones 40m of 50m shares (80%).
        ^HSI: 20,000 on 2025-02-28 (the last close before listing), 20,400 on day 5 (+2%): excess +18%.
  06601 Main Board, offer 20.00, listed 2025-03-04: close 18.00 (-10%, broke issue); 3 bars only
        (no day-5 return); public 45x; proceeds HK$1,000m.
  08601 GEM, offer 0.50, listed 2025-04-01: close 0.55 (+10%); public 8.5x; proceeds unknown.
  03601 Main Board, offer 5.00, listed 2025-04-02: no prices, no multiple, no proceeds (all missing).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from warehouse import db

D = dt.date
NOW = dt.datetime(2025, 5, 1, tzinfo=dt.timezone.utc)


def _stat(con: duckdb.DuckDBPyConnection, code: str, metric: str, value: float | None, unit: str,
          text: str | None = None) -> None:
    """A figure as an announcement states it (a claim); the reconciliation rebuild believes it."""
    con.execute("INSERT INTO claims (claim_id, hkex_code, metric, value, value_text, unit, basis, source_kind, "
                "source_id, quote, extractor_version, extracted_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 'final', 'announcement', ?, 'synthetic', 'test', ?)",
                [f"{code}:{metric}", code, metric, value, text, unit, f"{code}-en", NOW])


def _bars(con: duckdb.DuckDBPyConnection, symbol: str, rows: list[tuple[dt.date, float, float]]) -> None:
    for day, o, c in rows:
        con.execute("INSERT INTO prices_daily VALUES (?, ?, ?, ?, ?, ?, ?, 1000, 'HKD', 'yahoo', ?)",
                    [symbol, day, o, max(o, c), min(o, c), c, c, NOW])


@pytest.fixture()
def con(tmp_path):
    con = duckdb.connect(str(tmp_path / "v.duckdb"))
    db.migrate(con)
    ipos = [("09901", "9901.HK", "ALPHA ROBOTICS-W", "Main Board", D(2025, 3, 3), 10.0),
            ("06601", "6601.HK", "BETA BIO-B", "Main Board", D(2025, 3, 4), 20.0),
            ("08601", "8601.HK", "GAMMA TECH", "GEM", D(2025, 4, 1), 0.50),
            ("03601", "3601.HK", "DELTA FOODS", "Main Board", D(2025, 4, 2), 5.0)]
    for code, sym, name, market, listing, price in ipos:
        con.execute("INSERT INTO securities (hkex_code, yahoo_symbol, name_en, aliases, updated_at, market, source, "
                    "discovered_at) VALUES (?, ?, ?, [], ?, ?, 'discovery', ?)", [code, sym, name, NOW, market, NOW])
        con.execute("INSERT INTO ipos (hkex_code, listing_date, source, updated_at) VALUES (?, ?, 'discovery', ?)",
                    [code, listing, NOW])
        _stat(con, code, "offer_price", price, "HKD")
        _stat(con, code, "listing_date", None, "date", listing.isoformat())
    for code, metric, value, unit in [
        ("09901", "public_subscription_multiple", 1500.0, "times"),
        ("09901", "international_subscription_multiple", 20.0, "times"),
        ("09901", "gross_proceeds", 500e6, "HKD"),
        ("09901", "shares_offered", 50e6, "shares"), ("09901", "cornerstone_shares", 40e6, "shares"),
        ("09901", "public_offer_shares", 25e6, "shares"), ("09901", "public_offer_shares_initial", 5e6, "shares"),
        ("09901", "one_lot_success_rate", 0.05, "fraction"),
        ("06601", "public_subscription_multiple", 45.0, "times"), ("06601", "gross_proceeds", 1000e6, "HKD"),
        ("08601", "public_subscription_multiple", 8.5, "times"),
    ]:
        _stat(con, code, metric, value, unit)
    _bars(con, "9901.HK", [(D(2025, 3, 3), 14.0, 15.0), (D(2025, 3, 4), 15.0, 14.0), (D(2025, 3, 5), 14.0, 13.0),
                           (D(2025, 3, 6), 13.0, 12.5), (D(2025, 3, 7), 12.5, 12.0), (D(2025, 3, 10), 12.0, 11.0)])
    _bars(con, "6601.HK", [(D(2025, 3, 4), 19.0, 18.0), (D(2025, 3, 5), 18.0, 18.5), (D(2025, 3, 6), 18.5, 19.0)])
    _bars(con, "8601.HK", [(D(2025, 4, 1), 0.52, 0.55)])
    _bars(con, "^HSI", [(D(2025, 2, 28), 20000.0, 20000.0), (D(2025, 3, 3), 20000.0, 20100.0),
                        (D(2025, 3, 4), 20100.0, 20200.0), (D(2025, 3, 5), 20200.0, 20250.0),
                        (D(2025, 3, 6), 20250.0, 20300.0), (D(2025, 3, 7), 20300.0, 20400.0)])
    from pipelines.reconcile import rebuild_ipo_stats

    rebuild_ipo_stats(con)  # first-day figures from the listing-day bars, the rest from the claims
    yield con
    con.close()


def _row(con: duckdb.DuckDBPyConnection, view: str, where: str) -> dict:
    cur = con.execute(f"SELECT * FROM {view} WHERE {where}")
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, f"{view} WHERE {where}: {len(rows)} rows"
    return dict(zip(cols, rows[0]))


def test_cohort_one_row_per_ipo_with_hand_computed_figures(con):
    assert con.execute("SELECT count(*) FROM v_ipo_cohort").fetchone()[0] == 4
    a = _row(con, "v_ipo_cohort", "hkex_code = '09901'")
    assert a["market"] == "Main Board" and a["listing_date"] == D(2025, 3, 3) and a["offer_price"] == 10.0
    assert a["first_day_open_return"] == pytest.approx(0.4)
    assert a["first_day_close_return"] == pytest.approx(0.5)
    assert a["return_d5"] == pytest.approx(0.2)
    assert a["hsi_return_d5"] == pytest.approx(0.02)
    assert a["excess_return_d5"] == pytest.approx(0.18)
    assert a["return_d20"] is None and a["hsi_return_d20"] is None  # no 20th bar yet: missing, not zero
    assert a["cornerstone_share"] == pytest.approx(0.8)
    assert a["clawback_pct"] == pytest.approx(0.5) and a["clawback_triggered"] is True
    assert a["proceeds"] == 500e6 and a["proceeds_source"] == "ipo_stats:announcement"
    assert a["first_day_source"] == "prices_daily"
    assert a["broke_issue_day1"] is False and a["returns_source"] == "prices_daily"
    assert a["benchmark_source"] == "prices_daily:^HSI"
    b = _row(con, "v_ipo_cohort", "hkex_code = '06601'")
    assert b["first_day_close_return"] == pytest.approx(-0.1) and b["broke_issue_day1"] is True
    assert b["return_d5"] is None and b["excess_return_d5"] is None
    d = _row(con, "v_ipo_cohort", "hkex_code = '03601'")
    assert d["first_day_close_return"] is None and d["broke_issue_day1"] is None and d["public_multiple"] is None


def test_summary_by_month_quarter_year_and_market(con):
    m3 = _row(con, "v_ipo_summary", "period_kind = 'month' AND period = '2025-03' AND market = 'All'")
    assert m3["ipos"] == 2 and m3["proceeds"] == pytest.approx(1.5e9) and m3["proceeds_n"] == 2
    assert m3["median_first_day_return"] == pytest.approx(0.2)
    assert m3["mean_first_day_return"] == pytest.approx(0.2)
    assert m3["share_broke_issue"] == pytest.approx(0.5)
    assert m3["median_public_multiple"] == pytest.approx(772.5)
    assert (m3["band_ge1000_n"], m3["band_10_100_n"], m3["band_100_1000_n"], m3["band_lt10_n"]) == (1, 1, 0, 0)
    assert m3["band_ge1000_median_return"] == pytest.approx(0.5)
    assert m3["band_10_100_median_return"] == pytest.approx(-0.1)
    assert m3["band_100_1000_median_return"] is None

    m4 = _row(con, "v_ipo_summary", "period_kind = 'month' AND period = '2025-04' AND market = 'All'")
    assert m4["ipos"] == 2 and m4["proceeds"] is None and m4["proceeds_n"] == 0  # missing, never 0
    assert m4["first_day_n"] == 1 and m4["median_first_day_return"] == pytest.approx(0.1)
    assert m4["share_broke_issue"] == 0 and m4["band_lt10_n"] == 1
    main4 = _row(con, "v_ipo_summary", "period_kind = 'month' AND period = '2025-04' AND market = 'Main Board'")
    assert main4["ipos"] == 1 and main4["first_day_n"] == 0 and main4["share_broke_issue"] is None
    gem4 = _row(con, "v_ipo_summary", "period_kind = 'month' AND period = '2025-04' AND market = 'GEM'")
    assert gem4["ipos"] == 1 and gem4["median_public_multiple"] == pytest.approx(8.5)

    q1 = _row(con, "v_ipo_summary", "period_kind = 'quarter' AND period = '2025-Q1' AND market = 'All'")
    assert q1["ipos"] == 2 and q1["median_first_day_return"] == pytest.approx(0.2)
    y = _row(con, "v_ipo_summary", "period_kind = 'year' AND period = '2025' AND market = 'All'")
    assert y["ipos"] == 4 and y["first_day_n"] == 3
    assert y["median_first_day_return"] == pytest.approx(0.1)
    assert y["mean_first_day_return"] == pytest.approx(0.5 / 3)
    assert y["share_broke_issue"] == pytest.approx(1 / 3)
    assert y["median_public_multiple"] == pytest.approx(45.0)
