"""The prices job end to end, replayed from the shipped cassettes (in-process and through the CLI)."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest

from helpers import CASSETTES, run_hkipo
from hkipo.core.config import load_config
from hkipo.core.errors import CassetteMiss
from hkipo.app.jobs import run_job
from hkipo.core.context import JobContext
from hkipo.core.items import Claim
from warehouse.claims import write_claims
from pipelines import prices
from pipelines.prices import hkex_trading_days
from pipelines.reconcile import rebuild_ipo_stats
from warehouse import db

MAIN = CASSETTES / "prices.yaml"
FAIL = CASSETTES / "prices"
D = dt.date


@pytest.fixture
def config(config_file):
    return load_config(config_file)


def run_prices(config, db_path: Path, cassette: Path, **kw):  # noqa: ANN001, ANN201
    return run_job("prices", JobContext(config=config, db_path=db_path, cassette=cassette, **kw))


def rows(db_path: Path, sql: str, params: list | None = None) -> list[dict]:
    with db.reader(db_path) as con:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def first_day(db_path: Path) -> dict[str, dict]:
    return {r["hkex_code"]: r for r in rows(db_path, "SELECT * FROM v_first_day_performance")}


def test_fresh_database_gets_first_day_performance_from_the_bars(config, tmp_db):
    run = run_prices(config, tmp_db, MAIN)
    assert run.status == "ok" and run.warnings == [] and run.errors == []
    fd = first_day(tmp_db)
    mm, zp = fd["00100"], fd["02513"]
    assert (mm["first_day_open"], mm["first_day_close"]) == (235.40, 345.00)
    assert (round(mm["open_return"], 4), round(mm["close_return"], 4)) == (0.4267, 1.0909)
    assert (zp["first_day_open"], zp["first_day_low"], zp["first_day_close"]) == (120.00, 116.10, 131.50)
    assert zp["first_day_high"] >= 130.00
    assert (round(zp["open_return"], 4), round(zp["close_return"], 4)) == (0.0327, 0.1317)
    for r in (mm, zp):
        assert r["figures_source"] == "prices_daily" and r["close_source"] == "prices_daily"
        assert r["price_data_note"] is None and r["disagrees_with_claims"] is False
        assert r["offer_price_source"] == "config" and r["first_day_volume"] > 0
    # One bar per HKEX trading day from listing to the last bar, none on a holiday or weekend.
    for symbol, listing in (("0100.HK", D(2026, 1, 9)), ("2513.HK", D(2026, 1, 8))):
        dates = [r["trade_date"] for r in rows(tmp_db, "SELECT trade_date FROM prices_daily WHERE symbol = ? "
                                                     "ORDER BY 1", [symbol])]
        assert dates == hkex_trading_days(listing, dates[-1]) and dates[-1] >= D(2026, 4, 15)
    closes = {(r["symbol"], r["trade_date"]): r["close"] for r in rows(
        tmp_db, "SELECT symbol, trade_date, close FROM prices_daily WHERE trade_date IN ('2026-01-09', '2026-04-15')")}
    assert closes == {("0100.HK", D(2026, 1, 9)): Decimal("345.0000"), ("0100.HK", D(2026, 4, 15)): Decimal("847.5000"),
                      ("2513.HK", D(2026, 1, 9)): Decimal("158.6000"), ("2513.HK", D(2026, 4, 15)): Decimal("976.0000")}
    assert run.rows_written == len(rows(tmp_db, "SELECT 1 FROM prices_daily"))


def test_second_run_writes_nothing_and_touches_nothing(config, tmp_db):
    run_prices(config, tmp_db, MAIN)
    before = rows(tmp_db, "SELECT * FROM prices_daily ORDER BY symbol, trade_date")
    second = run_prices(config, tmp_db, MAIN)
    assert second.status == "ok" and second.rows_written == 0
    assert rows(tmp_db, "SELECT * FROM prices_daily ORDER BY symbol, trade_date") == before  # fetched_at too
    runs = rows(tmp_db, "SELECT status, rows_written FROM ingest_runs ORDER BY started_at")
    assert [r["rows_written"] for r in runs] == [len(before), 0]


def test_incremental_window_repairs_recent_bars_and_since_repairs_older_ones(config, tmp_db):
    run_prices(config, tmp_db, MAIN)
    with db.writer(tmp_db) as con:  # pretend Yahoo corrected two bars after we stored them
        con.execute("UPDATE prices_daily SET close = close + 1 WHERE symbol = '0100.HK' "
                    "AND trade_date IN ('2026-03-02', '2026-04-10')")
    incremental = run_prices(config, tmp_db, MAIN)
    assert incremental.rows_written == 1  # 04-10 is inside the 7-day overlap; 03-02 is not
    since = run_prices(config, tmp_db, MAIN, since=D(2026, 3, 1))
    assert since.rows_written == 1
    assert run_prices(config, tmp_db, MAIN, since=D(2026, 3, 1)).rows_written == 0


def _count_writes(monkeypatch) -> list[int]:  # noqa: ANN001
    """Rows written by each writer session of the job (each session is one transaction)."""
    writes: list[int] = []
    original = prices.write

    def counting(ctx, run, fn):  # noqa: ANN001, ANN202
        n = original(ctx, run, fn)
        writes.append(n)
        return n

    monkeypatch.setattr(prices, "write", counting)
    return writes


def test_securities_are_written_in_batches_one_transaction_each(config, tmp_path, monkeypatch):
    writes = _count_writes(monkeypatch)
    one = run_prices(config, tmp_path / "one.duckdb", MAIN)
    assert len(writes) == 1 and writes == [one.rows_written]  # both securities, one writer session
    writes.clear()
    monkeypatch.setattr("pipelines.prices.BATCH_ROWS", 1)  # every security fills a batch
    each = run_prices(config, tmp_path / "each.duckdb", MAIN)
    assert len(writes) == 2 and sum(writes) == each.rows_written == one.rows_written
    assert (each.status, each.warnings, each.errors) == (one.status, one.warnings, one.errors)
    query = "SELECT * EXCLUDE (fetched_at) FROM prices_daily ORDER BY symbol, trade_date"
    assert rows(tmp_path / "each.duckdb", query) == rows(tmp_path / "one.duckdb", query)


def test_only_the_requested_codes_are_fetched(config, tmp_db):
    run = run_prices(config, tmp_db, MAIN, codes=("02513",))
    assert run.status == "ok"
    assert [r["symbol"] for r in rows(tmp_db, "SELECT DISTINCT symbol FROM prices_daily")] == ["2513.HK"]


def test_rate_limit_is_retried_and_succeeds(config, tmp_db):
    started = time.monotonic()
    run = run_prices(config, tmp_db, FAIL / "rate_limited.yaml")
    assert time.monotonic() - started < 20  # back-off is computed but not slept in replay
    assert run.status == "ok"
    assert run.warnings == ["0100.HK: succeeded on attempt 2 after: rate limited by Yahoo (HTTP 429, YFRateLimitError)"]
    assert round(first_day(tmp_db)["00100"]["close_return"], 4) == 1.0909


@pytest.mark.parametrize("cassette, message", [
    ("server_error.yaml", "0100.HK: failed after 4 attempt(s): Yahoo unavailable (*** YAHOO! FINANCE IS CURRENTLY DOWN! ***); "
                          "last chart answer: HTTP 503 Service Unavailable; nothing stored"),
    ("error_payload.yaml", "0100.HK: failed after 4 attempt(s): Yahoo error payload: No data found, symbol may be "
                           "delisted; last chart answer: HTTP 404 Not Found; nothing stored"),
])
def test_a_failing_security_leaves_a_clear_record_and_the_other_still_loads(config, tmp_db, cassette, message):
    run = run_prices(config, tmp_db, FAIL / cassette)
    assert run.status == "partial" and run.errors == [message]
    rec = rows(tmp_db, "SELECT status, error, rows_written FROM ingest_runs")[0]
    assert rec["status"] == "partial" and rec["error"] == message and rec["rows_written"] == run.rows_written
    counts = {r["symbol"]: r["n"] for r in rows(tmp_db, "SELECT symbol, count(*) AS n FROM prices_daily GROUP BY 1")}
    assert "0100.HK" not in counts and counts["2513.HK"] == run.rows_written
    fd = first_day(tmp_db)
    assert fd["00100"]["price_data_note"] == "no price bars stored; no first-day figures in claims either"
    assert fd["02513"]["figures_source"] == "prices_daily"


def test_empty_results_are_errors_never_no_data(config, tmp_db):
    run = run_prices(config, tmp_db, FAIL / "empty_result.yaml")
    assert run.status == "failed" and run.rows_written == 0
    assert len(run.errors) == 2
    assert run.errors[0].startswith("0100.HK: failed after 4 attempt(s): empty result: no price data found")
    assert run.errors[1].startswith("2513.HK: failed after 4 attempt(s): Yahoo returned no bars for 2513.HK")
    assert rows(tmp_db, "SELECT count(*) AS n FROM prices_daily")[0]["n"] == 0
    assert rows(tmp_db, "SELECT status FROM ingest_runs")[0]["status"] == "failed"


def _first_day_claims(tmp_db: Path, code: str, values: dict[str, float]) -> None:
    claims = [Claim(hkex_code=code, metric=m, value=v, unit="HKD", quote=f"{m} HK${v}") for m, v in values.items()]
    with db.writer(tmp_db) as con, db.transaction(con):
        write_claims(con, claims, source_kind="article", source_id=f"test-{code}", source_url="https://example.org/a",
                     extractor_version="test")
        rebuild_ipo_stats(con)


def test_late_first_bar_falls_back_to_claims_with_the_source_marked(config, tmp_db):
    run = run_prices(config, tmp_db, FAIL / "late_start.yaml")
    assert run.status == "ok"
    assert any(w.startswith("2513.HK: first stored bar is 2026-01-09, after the listing date 2026-01-08")
               for w in run.warnings)
    assert any(w.startswith("0100.HK: 5 HKEX trading day(s) without a bar") and "longest gap 5 trading days" in w
               for w in run.warnings)
    zp = first_day(tmp_db)["02513"]
    assert zp["first_day_open"] is None and zp["figures_source"] is None
    assert zp["price_data_note"] == "no listing-day bar: price data starts 2026-01-09; no first-day figures in claims either"
    _first_day_claims(tmp_db, "02513", {"first_day_open": 120.0, "first_day_close": 131.5})
    zp = first_day(tmp_db)["02513"]
    assert (zp["first_day_open"], zp["first_day_close"], zp["first_day_high"]) == (120.0, 131.5, None)
    assert (zp["figures_source"], zp["open_source"], zp["high_source"]) == ("claims", "claims:article", None)
    assert (round(zp["open_return"], 4), round(zp["close_return"], 4)) == (0.0327, 0.1317)
    assert zp["price_data_note"] == "no listing-day bar: price data starts 2026-01-09; first-day figures from claims"
    assert zp["first_day_volume"] is None
    assert first_day(tmp_db)["00100"]["figures_source"] == "prices_daily"


def test_nan_rows_are_skipped_reported_and_fall_back(config, tmp_db):
    run = run_prices(config, tmp_db, FAIL / "nan_rows.yaml")
    assert run.status == "ok"
    assert "0100.HK: 1 bar(s) without prices (NaN or zero) skipped, not stored: 2026-01-09" in run.warnings
    assert "2513.HK: 2 bar(s) without prices (NaN or zero) skipped, not stored: 2026-02-24, 2026-03-05" in run.warnings
    assert any(w.startswith("0100.HK: first stored bar is 2026-01-12") for w in run.warnings)
    assert not any("trading day(s) without a bar" in w for w in run.warnings)  # reported once, as NaN
    stored = {(r["symbol"], r["trade_date"]) for r in rows(tmp_db, "SELECT symbol, trade_date FROM prices_daily")}
    assert ("0100.HK", D(2026, 1, 9)) not in stored and ("0100.HK", D(2026, 1, 12)) in stored
    assert not {("2513.HK", D(2026, 2, 24)), ("2513.HK", D(2026, 3, 5))} & stored
    assert ("2513.HK", D(2026, 2, 23)) in stored
    assert rows(tmp_db, "SELECT count(*) AS n FROM prices_daily WHERE open IS NULL OR close IS NULL")[0]["n"] == 0
    mm = first_day(tmp_db)["00100"]
    assert mm["price_data_note"].startswith("no listing-day bar: price data starts 2026-01-12")
    _first_day_claims(tmp_db, "00100", {"first_day_open": 235.4, "first_day_close": 345.0})
    mm = first_day(tmp_db)["00100"]
    assert (round(mm["open_return"], 4), round(mm["close_return"], 4), mm["figures_source"]) == (0.4267, 1.0909, "claims")


def test_bars_that_disagree_with_claims_are_flagged(config, tmp_db):
    run_prices(config, tmp_db, MAIN)
    # One outlet reported 02513 closing at HK$125.70: more than 1% from the bar's 131.50.
    _first_day_claims(tmp_db, "02513", {"first_day_close": 125.70, "first_day_open": 120.0})
    _first_day_claims(tmp_db, "00100", {"first_day_close": 345.0})
    fd = first_day(tmp_db)
    assert fd["02513"]["disagrees_with_claims"] is True
    assert fd["02513"]["disagreement"] == "close 131.5 vs claimed 125.7"
    assert fd["02513"]["figures_source"] == "prices_daily" and fd["02513"]["claimed_close"] == 125.70
    assert fd["00100"]["disagrees_with_claims"] is False and fd["00100"]["disagreement"] is None
    assert rows(tmp_db, "SELECT value FROM warehouse_meta WHERE key = 'prices.first_day_tolerance'")[0]["value"] == "0.01"


def test_market_cap_where_shares_outstanding_are_known(config, tmp_db):
    run_prices(config, tmp_db, MAIN)
    claims = [Claim(hkex_code="00100", metric="shares_outstanding", value=313_640_000, unit="shares",
                    quote="total shares 313.64m")]
    with db.writer(tmp_db) as con, db.transaction(con):
        write_claims(con, claims, source_kind="article", source_id="shares", source_url=None, extractor_version="t")
        rebuild_ipo_stats(con)
    hist = rows(tmp_db, "SELECT * FROM v_price_history WHERE trade_date = '2026-04-15' ORDER BY symbol")
    by = {r["hkex_code"]: r for r in hist}
    assert by["00100"]["market_cap"] == pytest.approx(847.5 * 313_640_000)
    assert round(by["00100"]["market_cap"] / 1e6, 0) == pytest.approx(265_810, abs=5)  # facts: HK$265,805.92m
    assert by["02513"]["market_cap"] is None
    assert round(by["00100"]["return_since_offer"], 4) == round(847.5 / 165 - 1, 4)
    assert first_day(tmp_db)["00100"]["first_day_market_cap"] == pytest.approx(345.0 * 313_640_000)


def test_a_request_missing_from_the_cassette_fails_the_run(config, tmp_db, tmp_path):
    from hkipo.core.cassette import Recorder, load_interactions

    only_minimax = Recorder(tmp_path / "partial.yaml")
    only_minimax.interactions = [i for i in load_interactions(MAIN) if "2513.HK" not in i.request.uri]
    only_minimax.save()
    with pytest.raises(CassetteMiss, match="2513.HK"):
        run_prices(config, tmp_db, tmp_path / "partial.yaml")
    rec = rows(tmp_db, "SELECT status, error FROM ingest_runs")[0]
    assert rec["status"] == "partial" and "not in cassette" in rec["error"]
    # What was fetched before the miss is written, whole, before the miss stops the run; nothing of 2513.HK.
    assert [r["symbol"] for r in rows(tmp_db, "SELECT DISTINCT symbol FROM prices_daily")] == ["0100.HK"]


# ---------------------------------------------------------------------------
# through the real CLI, in subprocesses (each picks its transport once)
# ---------------------------------------------------------------------------

def test_refresh_only_prices_from_a_cassette_then_again(tmp_path):
    db_path = tmp_path / "wh.duckdb"
    r = run_hkipo("refresh", "--only", "prices", "--cassette", str(MAIN), "--db", str(db_path), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "prices  ok" in r.stdout
    q = run_hkipo("sql", "--db", str(db_path), "--format", "json",
                  "SELECT hkex_code, round(open_return, 4) AS o, round(close_return, 4) AS c, figures_source "
                  "FROM v_first_day_performance ORDER BY 1", cwd=tmp_path)
    assert json.loads(q.stdout) == [
        {"hkex_code": "00100", "o": 0.4267, "c": 1.0909, "figures_source": "prices_daily"},
        {"hkex_code": "02513", "o": 0.0327, "c": 0.1317, "figures_source": "prices_daily"},
    ]
    again = run_hkipo("refresh", "--only", "prices", "--cassette", str(MAIN), "--db", str(db_path), cwd=tmp_path)
    assert again.returncode == 0 and "      0 rows" in again.stdout


def test_job_command_exits_1_on_a_partial_run(tmp_path):
    r = run_hkipo("job", "prices", "--cassette", str(FAIL / "server_error.yaml"), "--db", str(tmp_path / "w.duckdb"),
                  cwd=tmp_path)
    assert r.returncode == 1
    assert "HTTP 503" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.network_escape_expected
def test_a_live_yfinance_call_is_caught_by_the_network_guard(tmp_path):
    """Without a cassette the job goes live through curl_cffi: the guard must stop it and the run must fail."""
    guard_log = tmp_path / "guard.log"
    db_path = tmp_path / "w.duckdb"
    r = run_hkipo("job", "prices", "--db", str(db_path), cwd=tmp_path, env={"HKIPO_NETWORK_GUARD_LOG": str(guard_log)})
    assert r.returncode == 1
    attempts = guard_log.read_text(encoding="utf-8").splitlines()
    assert attempts and all("curl_cffi request" in a for a in attempts)
    rec = rows(db_path, "SELECT status, error, source FROM ingest_runs")[0]
    assert rec["status"] == "failed" and rec["source"] == "live"
    assert "network access blocked (curl_cffi request)" in rec["error"]
    assert rows(db_path, "SELECT count(*) AS n FROM prices_daily")[0]["n"] == 0


@pytest.mark.network_escape_expected
def test_record_mode_goes_live_too_and_is_caught(tmp_path):
    guard_log = tmp_path / "guard.log"
    out = tmp_path / "rec.yaml"
    r = run_hkipo("record", "prices", "--out", str(out), "--db", str(tmp_path / "w.duckdb"), "--code", "00100",
                  cwd=tmp_path, env={"HKIPO_NETWORK_GUARD_LOG": str(guard_log)})
    assert r.returncode == 1 and "failed" in r.stdout
    assert guard_log.read_text(encoding="utf-8").count("curl_cffi request") >= 1
    assert out.is_file()  # the (empty) recording is still written


def test_without_a_listing_date_the_full_history_is_fetched_and_the_run_says_so(config_file, tmp_db):
    text = config_file.read_text(encoding="utf-8").replace("listing_date = 2026-01-09\n", "", 1)
    config_file.write_text(text, encoding="utf-8")
    config = load_config(config_file)
    assert config.security("00100").listing_date is None
    run = run_prices(config, tmp_db, MAIN, codes=("00100",))
    assert run.status == "ok" and run.rows_written == len(hkex_trading_days(D(2026, 1, 9), D(2026, 4, 15)))
    assert run.warnings == ["0100.HK: listing date unknown (not in config or reconciled facts); fetched Yahoo's full "
                            "history and cannot check the first bar"]
    assert first_day(tmp_db)["00100"]["price_data_note"] == "listing date unknown: no bar can be picked as the first day"


def test_since_in_the_future_is_a_user_error(tmp_path):
    r = run_hkipo("job", "prices", "--cassette", str(MAIN), "--since", "2099-01-01", "--db", str(tmp_path / "w.duckdb"),
                  cwd=tmp_path)
    assert r.returncode == 2
    assert "--since 2099-01-01 is in the future" in r.stderr and "Traceback" not in r.stderr


def test_record_mode_end_to_end_writes_a_cassette_that_replays_to_the_same_bars(config, tmp_path, monkeypatch):
    """`hkipo record prices` with curl_cffi answered by a fake Yahoo (no network), then replay the result."""
    from test_yahoo_http import fake_yahoo

    fake_yahoo(monkeypatch, MAIN)
    live_db, replay_db, out = tmp_path / "live.duckdb", tmp_path / "replay.duckdb", tmp_path / "rec" / "prices.yaml"
    recorded = run_job("prices", JobContext(config=config, db_path=live_db, record=out))
    assert recorded.status == "ok" and recorded.source.startswith("live (recording to")
    assert "s3cr3t" not in out.read_text(encoding="utf-8")
    monkeypatch.undo()  # replay must not need the fake
    replayed = run_prices(config, replay_db, out)
    assert replayed.status == "ok" and replayed.rows_written == recorded.rows_written
    q = "SELECT * EXCLUDE (fetched_at) FROM prices_daily ORDER BY symbol, trade_date"
    assert rows(live_db, q) == rows(replay_db, q)
    assert rows(live_db, "SELECT value FROM warehouse_meta WHERE key = 'data_origin'")[0]["value"] == "live"
