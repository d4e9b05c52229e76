"""Prices, unit level: windows, Hong Kong dates, exact decimals, the HKEX calendar, retries."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from hkipo.core.config import PricesConfig, Security
from hkipo.core.errors import CassetteMiss
from hkipo.core.netguard import NetworkBlocked
from pipelines.prices import (
    EmptyBars,
    FetchFailed,
    FetchPlan,
    bars_table,
    fetch_history,
    first_bar_problem,
    hk_trade_dates,
    hkex_trading_days,
    is_retryable,
    longest_run,
    missing_trading_days,
    plan_fetches,
    retry_policy,
)

D = dt.date
MINIMAX = Security(code="00100", name_en="MiniMax", listing_date=D(2026, 1, 9), offer_price=165.0)
ZHIPU = Security(code="02513", name_en="Zhipu", listing_date=D(2026, 1, 8), offer_price=116.2)
NOW = dt.datetime(2026, 4, 15, 9, 0, tzinfo=dt.timezone.utc)


# ---------------------------------------------------------------------------
# windows
# ---------------------------------------------------------------------------

def test_first_run_backfills_from_the_listing_date():
    plans = plan_fetches({}, [MINIMAX, ZHIPU], overlap_days=7)
    assert [(p.symbol, p.start) for p in plans] == [("0100.HK", D(2026, 1, 9)), ("2513.HK", D(2026, 1, 8))]


def test_reconciled_listing_date_wins_over_config():
    plans = plan_fetches({"00100": (D(2026, 1, 12), None)}, [MINIMAX], overlap_days=7)
    assert plans[0].start == D(2026, 1, 12) and plans[0].listing_date == D(2026, 1, 12)


def test_incremental_run_starts_overlap_days_before_the_last_bar_but_not_before_listing():
    plans = plan_fetches({"00100": (D(2026, 1, 9), D(2026, 4, 15)), "02513": (D(2026, 1, 8), D(2026, 1, 9))},
                         [MINIMAX, ZHIPU], overlap_days=7)
    assert plans[0].start == D(2026, 4, 8) and "incremental" in plans[0].reason
    assert plans[1].start == D(2026, 1, 8)


def test_since_overrides_the_cursor():
    plans = plan_fetches({"00100": (D(2026, 1, 9), D(2026, 4, 15))}, [MINIMAX], overlap_days=7, since=D(2026, 2, 1))
    assert plans[0].start == D(2026, 2, 1) and "--since" in plans[0].reason


def test_unknown_listing_date_fetches_everything():
    nameless = Security(code="09988", name_en="Somebody")
    plans = plan_fetches({}, [nameless], overlap_days=7)
    assert plans[0].symbol == "9988.HK" and plans[0].start is None


# ---------------------------------------------------------------------------
# Hong Kong dates and exact decimals
# ---------------------------------------------------------------------------

def frame(index: pd.DatetimeIndex, rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["Open", "High", "Low", "Close", "Adj Close", "Volume"], index=index)
    return df


def test_bars_are_dated_by_the_hong_kong_day_not_utc():
    # What yfinance returns for a .HK daily bar: local midnight.
    idx = pd.DatetimeIndex([pd.Timestamp("2026-01-09 00:00", tz="Asia/Hong_Kong")])
    assert idx.tz_convert("UTC")[0].date() == D(2026, 1, 8)  # the trap
    assert hk_trade_dates(idx) == [D(2026, 1, 9)]
    # The same instant expressed in UTC still maps to the Hong Kong day.
    assert hk_trade_dates(idx.tz_convert("UTC")) == [D(2026, 1, 9)]


def test_a_bar_index_without_time_zone_is_refused():
    with pytest.raises(ValueError, match="no time zone"):
        hk_trade_dates(pd.DatetimeIndex([pd.Timestamp("2026-01-09")]))


def test_float32_prices_become_exact_decimals():
    f32 = lambda x: float(np.float32(x))  # noqa: E731 - Yahoo's serialisation
    idx = pd.DatetimeIndex([pd.Timestamp("2026-01-09", tz="Asia/Hong_Kong")])
    df = frame(idx, [(f32(235.4), f32(352.0), f32(231.0), f32(345.0), f32(344.1234), 24_586_320)])
    assert df["Open"].iloc[0] == 235.39999389648438
    bars = bars_table(df, "0100.HK", currency="HKD", fetched_at=NOW)
    row = bars.table.to_pylist()[0]
    assert row["trade_date"] == D(2026, 1, 9)
    assert (row["open"], row["high"], row["low"], row["close"]) == (
        Decimal("235.4000"), Decimal("352.0000"), Decimal("231.0000"), Decimal("345.0000"))
    assert row["adj_close"] == Decimal("344.1234")  # 7 significant digits, not float32 noise
    assert row["volume"] == 24_586_320 and row["source"] == "yahoo" and row["currency"] == "HKD"


def test_rows_without_prices_are_skipped_not_stored():
    idx = pd.DatetimeIndex([pd.Timestamp(f"2026-02-{d}", tz="Asia/Hong_Kong") for d in (23, 24, 25, 26)])
    df = frame(idx, [(10, 11, 9, 10.5, 10.5, 100), (np.nan, np.nan, np.nan, np.nan, np.nan, 0),
                     (np.nan, 11, 9, 10.5, 10.5, 100), (0.0, 0.0, 0.0, 0.0, 0.0, 0)])
    bars = bars_table(df, "2513.HK", currency="HKD", fetched_at=NOW)
    assert bars.table.column("trade_date").to_pylist() == [D(2026, 2, 23)]
    assert bars.skipped == [D(2026, 2, 24), D(2026, 2, 25), D(2026, 2, 26)]


def test_bars_before_the_window_are_left_out_and_inconsistent_ones_flagged():
    idx = pd.DatetimeIndex([pd.Timestamp(f"2026-04-{d:02d}", tz="Asia/Hong_Kong") for d in (1, 8, 9)])
    df = frame(idx, [(10, 11, 9, 10, 10, 1), (10, 11, 9, 12, 12, 1), (10, 11, 9, 10, 10, 1)])
    bars = bars_table(df, "0100.HK", currency="HKD", fetched_at=NOW, start=D(2026, 4, 8))
    assert bars.table.column("trade_date").to_pylist() == [D(2026, 4, 8), D(2026, 4, 9)]
    assert bars.before_window == 1 and bars.inconsistent == [D(2026, 4, 8)]


# ---------------------------------------------------------------------------
# the HKEX calendar
# ---------------------------------------------------------------------------

def test_hkex_calendar_2026_skips_weekends_and_public_holidays():
    april = hkex_trading_days(D(2026, 4, 1), D(2026, 4, 10))
    assert april == [D(2026, 4, 1), D(2026, 4, 2), D(2026, 4, 8), D(2026, 4, 9), D(2026, 4, 10)]
    lny = hkex_trading_days(D(2026, 2, 16), D(2026, 2, 20))
    assert lny == [D(2026, 2, 16), D(2026, 2, 20)]
    assert D(2026, 1, 1) not in hkex_trading_days(D(2025, 12, 31), D(2026, 1, 2))


def test_gaps_are_counted_in_trading_days():
    have = [d for d in hkex_trading_days(D(2026, 3, 2), D(2026, 3, 20)) if not D(2026, 3, 9) <= d <= D(2026, 3, 13)]
    missing = missing_trading_days(have, D(2026, 3, 2), D(2026, 3, 20))
    assert missing == [D(2026, 3, d) for d in range(9, 14)]
    assert longest_run(missing, D(2026, 3, 2), D(2026, 3, 20)) == (5, D(2026, 3, 9), D(2026, 3, 13))
    # A holiday is not a gap: nothing missing across Easter.
    assert missing_trading_days([D(2026, 4, 2), D(2026, 4, 8)], D(2026, 4, 2), D(2026, 4, 8)) == []


def test_first_bar_problems():
    assert first_bar_problem("0100.HK", D(2026, 1, 9), D(2026, 1, 9)) is None
    assert "after the listing date" in first_bar_problem("2513.HK", D(2026, 1, 8), D(2026, 1, 9))
    assert "before the listing date" in first_bar_problem("2513.HK", D(2026, 1, 8), D(2026, 1, 7))


# ---------------------------------------------------------------------------
# retries
# ---------------------------------------------------------------------------

def test_what_is_retried():
    import requests
    from curl_cffi.requests import exceptions as curl_exc
    from yfinance.exceptions import YFPricesMissingError, YFRateLimitError

    for exc in (YFRateLimitError(), YFPricesMissingError("0100.HK", "", yahoo_reason="No data found"),
                EmptyBars("empty"), curl_exc.Timeout("timed out"), requests.ReadTimeout("slow"),
                json.JSONDecodeError("x", "<html>", 0), TimeoutError()):
        assert is_retryable(exc), exc
    for exc in (CassetteMiss("not in cassette"), NetworkBlocked("blocked"), KeyError("bug"), TypeError("bug")):
        assert not is_retryable(exc), exc


def test_backoff_is_exponential_with_jitter_and_bounded():
    from curl_cffi.requests import exceptions as curl_exc

    cfg = PricesConfig(max_attempts=4, backoff_initial_seconds=2.0, backoff_max_seconds=60.0)
    waits: list[float] = []
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise curl_exc.Timeout("operation timed out")
        return "ok"

    assert retry_policy(cfg, waits.append)(flaky) == "ok"
    assert len(calls) == 3
    assert 0 <= waits[0] <= 2.0 and 0 <= waits[1] <= 4.0

    waits.clear()
    calls.clear()

    def always():
        calls.append(1)
        raise curl_exc.Timeout("operation timed out")

    with pytest.raises(curl_exc.Timeout):
        retry_policy(cfg, waits.append)(always)
    assert len(calls) == 4 and len(waits) == 3 and waits[2] <= 8.0
    # Over many draws the n-th wait spreads over [0, initial * 2**(n-1)], capped at the maximum.
    capped = PricesConfig(max_attempts=8, backoff_initial_seconds=2.0, backoff_max_seconds=10.0)
    fourth = []
    for _ in range(40):
        waits.clear()
        with pytest.raises(curl_exc.Timeout):
            retry_policy(capped, waits.append)(always)
        assert len(waits) == 7
        assert all(0 <= w <= min(10.0, 2.0 * 2 ** i) for i, w in enumerate(waits))
        fourth.append(waits[3])
    assert max(fourth) > 2.0  # later waits really grow past the first step (all 40 <= 2.0: p = 0.2**40)


class FakeTicker:
    def __init__(self, answers):
        self.answers = answers

    def history(self, **kwargs):
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def get_history_metadata(self):
        return {"currency": "HKD", "exchangeTimezoneName": "Asia/Hong_Kong"}


class FakeTransport:
    def __init__(self, answers):
        self.answers = answers
        self.tickers = 0

    def ticker(self, symbol):
        self.tickers += 1
        return FakeTicker(self.answers)


PLAN = FetchPlan("00100", "0100.HK", D(2026, 1, 9), None, D(2026, 1, 9), "test")


def test_an_empty_frame_is_an_error_that_is_retried():
    idx = pd.DatetimeIndex([pd.Timestamp("2026-01-09", tz="Asia/Hong_Kong")])
    good = frame(idx, [(235.4, 352.0, 231.0, 345.0, 345.0, 1)])
    transport = FakeTransport([pd.DataFrame(), good])
    waits: list[float] = []
    fetched = fetch_history(transport, PLAN, end=D(2026, 4, 16), cfg=PricesConfig(), sleep=waits.append)
    assert fetched.attempts == 2 and "empty result" in fetched.retried_after[0] and len(waits) == 1


def test_giving_up_says_how_often_and_why():
    from yfinance.exceptions import YFRateLimitError

    transport = FakeTransport([YFRateLimitError()] * 3)
    with pytest.raises(FetchFailed, match=r"0100.HK: failed after 3 attempt\(s\): rate limited by Yahoo \(HTTP 429"):
        fetch_history(transport, PLAN, end=D(2026, 4, 16), cfg=PricesConfig(max_attempts=3), sleep=lambda s: None)


def test_a_cassette_miss_is_not_retried_and_not_swallowed():
    transport = FakeTransport([CassetteMiss("request not in cassette"), None])
    with pytest.raises(CassetteMiss):
        fetch_history(transport, PLAN, end=D(2026, 4, 16), cfg=PricesConfig(), sleep=lambda s: None)
    assert transport.tickers == 1


def test_a_blocked_network_fails_at_once():
    transport = FakeTransport([NetworkBlocked("network access blocked (curl_cffi request)")])
    with pytest.raises(FetchFailed, match="after 1 attempt"):
        fetch_history(transport, PLAN, end=D(2026, 4, 16), cfg=PricesConfig(), sleep=lambda s: None)
