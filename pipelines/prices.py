"""The prices job: daily bars from Yahoo (yfinance) into `prices_daily`.

Table contract (`prices_daily`, warehouse/migrations/0001_core.sql):
  write disposition  merge on (symbol, trade_date): a re-fetched window updates in place
  cursor             last stored trade_date per symbol, minus [prices] overlap_days,
                     so Yahoo's late corrections are picked up
  first run          from the listing date (reconciled ipo_stats, else config)
  --since DATE       from DATE, whatever is stored
  transactions       one per batch of whole securities (BATCH_ROWS bars), never part of one
Bars are dated by the Hong Kong trading date: yfinance gives a daily bar as
local midnight (2026-01-09 00:00+08:00), and a UTC conversion would shift it
to the day before.

Fetching (where to go, retries) is separate from normalising (what a frame
means: `bars_table`, a plain function of a DataFrame) and from checking
(`missing_trading_days`, `first_bar_problem`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from hkipo.core.config import PricesConfig, Security
from hkipo.core.errors import UserError
from hkipo.core.progress import bar
from hkipo.core.reach import HostUnreachable
from spiders.yahoo_http import HK_TZ, YahooTransport, forget_yfinance_answers, open_transport
from warehouse import db
from pipelines.runs import write
from warehouse.load import merge

if TYPE_CHECKING:
    import duckdb

    from hkipo.core.context import JobContext
    from hkipo.core.runs import RunRecord

log = logging.getLogger(__name__)

HK = ZoneInfo(HK_TZ)
SOURCE = "yahoo"
PRICE_COLUMNS = ("Open", "High", "Low", "Close")
# Yahoo serialises prices as float32 (235.4 arrives as 235.39999389648438):
# HKEX prices have at most 3 decimals; an adjusted close keeps 7 significant digits.
PRICE_DECIMALS = 3
ADJ_SIGNIFICANT = 7
LONG_GAP_TRADING_DAYS = 3  # a run of missing trading days this long is called out on its own
TOLERANCE_META_KEY = "prices.first_day_tolerance"
BENCHMARK_META_KEY = "discovery.benchmark_symbol"
# Bars per write (one writer session, one transaction): a 10-year back-fill of 500 securities is
# ~5 writes, an incremental day one. Bounds what a batch holds in memory (~30 MB of Arrow).
BATCH_ROWS = 250_000
BENCHMARK_LEAD_DAYS = 14  # the benchmark starts this many days before the earliest listing

PRICES_SCHEMA = pa.schema([
    ("symbol", pa.string()),
    ("trade_date", pa.date32()),
    ("open", pa.decimal128(18, 4)),
    ("high", pa.decimal128(18, 4)),
    ("low", pa.decimal128(18, 4)),
    ("close", pa.decimal128(18, 4)),
    ("adj_close", pa.decimal128(18, 6)),
    ("volume", pa.int64()),
    ("currency", pa.string()),
    ("source", pa.string()),
    ("fetched_at", pa.timestamp("us", tz="UTC")),
])


class EmptyBars(Exception):
    """Yahoo answered, but with no usable bar: an error to retry, never 'no data'."""


class FetchFailed(Exception):
    """A security could not be fetched: its last error, after `attempts` tries."""

    def __init__(self, symbol: str, attempts: int, cause: BaseException):
        super().__init__(f"{symbol}: failed after {attempts} attempt(s): {describe(cause)}")
        self.symbol = symbol
        self.attempts = attempts
        self.cause = cause


# ---------------------------------------------------------------------------
# planning: which window to fetch per security
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class FetchPlan:
    code: str
    symbol: str
    listing_date: dt.date | None
    last_stored: dt.date | None
    start: dt.date | None  # None: Yahoo's full history (listing date unknown)
    reason: str
    stored_currency: str | None = None  # of the last stored bar; None: nothing stored


class StoredState(NamedTuple):
    listing_date: dt.date | None
    last_stored: dt.date | None
    currency: str | None = None  # of the last stored bar


def plan_fetches(
    stored: dict[str, StoredState | tuple[dt.date | None, dt.date | None]],
    securities: Sequence[Security],
    *,
    overlap_days: int,
    since: dt.date | None = None,
) -> list[FetchPlan]:
    """One window per security. `stored` maps a code to its `StoredState` (or a (listing, last) pair)."""
    plans = []
    for s in securities:
        got = stored.get(s.code)
        listing, last, currency = StoredState(*got) if got is not None else (s.listing_date, None, None)
        if since is not None:
            start, reason = since, f"--since {since}"
        elif last is not None:
            start = last - dt.timedelta(days=overlap_days)
            if listing is not None:
                start = max(start, listing)
            reason = f"incremental from {start} (last stored {last}, overlap {overlap_days} days)"
        elif listing is not None:
            start, reason = listing, f"back-fill from the listing date {listing}"
        else:
            start, reason = None, "back-fill of Yahoo's full history (listing date unknown)"
        plans.append(FetchPlan(s.code, s.yahoo_symbol, listing, last, start, reason, currency))
    return plans


def benchmark_plan(con: "duckdb.DuckDBPyConnection", symbol: str, plans: Sequence[FetchPlan], *,
                   overlap_days: int, since: dt.date | None) -> FetchPlan:
    """The index the listings are compared with (^HSI): from the earliest listing date, then incremental."""
    row = con.execute("SELECT max(trade_date), arg_max(currency, trade_date) FROM prices_daily WHERE symbol = ?",
                      [symbol]).fetchall()
    last, currency = row[0] if row else (None, None)
    first = min((p.listing_date for p in plans if p.listing_date is not None), default=None)
    if first is not None:  # a few weeks before: returns are measured from the last close before a listing
        first -= dt.timedelta(days=BENCHMARK_LEAD_DAYS)
    if since is not None:
        start, reason = since, f"benchmark, --since {since}"
    elif last is not None:
        start = last - dt.timedelta(days=overlap_days)
        reason = f"benchmark, incremental from {start} (last stored {last})"
    else:
        start, reason = first, f"benchmark, back-fill from the earliest listing date {first}"
    if last is not None and first is not None and start is not None and first < start and since is None:
        stored_first = con.execute("SELECT min(trade_date) FROM prices_daily WHERE symbol = ?", [symbol]).fetchall()
        if stored_first and stored_first[0][0] and first < stored_first[0][0]:
            start, reason = first, f"benchmark, back-fill from {first} (a listing older than the stored bars)"
    return FetchPlan("", symbol, None, last, start, reason, currency)


def stored_state(con: "duckdb.DuckDBPyConnection", codes: Sequence[str]) -> dict[str, StoredState]:
    """Listing date (reconciled facts, else config), last stored bar and its currency per code, in one query."""
    rows = con.execute(
        """
        SELECT t.hkex_code, t.listing_date, max(p.trade_date), arg_max(p.currency, p.trade_date)
        FROM v_ipo_terms t LEFT JOIN prices_daily p ON p.symbol = t.yahoo_symbol
        WHERE list_contains(?::VARCHAR[], t.hkex_code)
        GROUP BY ALL
        """,
        [list(codes)],
    ).fetchall()
    return {code: StoredState(listing, last, currency) for code, listing, last, currency in rows}


# ---------------------------------------------------------------------------
# fetching, with bounded retries
# ---------------------------------------------------------------------------

def _retryable_types() -> tuple[type[BaseException], ...]:
    import requests
    from curl_cffi.requests import exceptions as curl_exc
    from yfinance import exceptions as yf_exc

    return (
        yf_exc.YFRateLimitError,  # HTTP 429
        yf_exc.YFTickerMissingError,  # error payload, no price data in the answer
        yf_exc.YFDataException,  # "Yahoo is currently down" pages
        EmptyBars,
        requests.RequestException,  # requests' errors, should a yfinance path raise them
        curl_exc.RequestException,  # the transport, live and replayed: time-outs, resets, HTTP/2 errors
        json.JSONDecodeError,  # a 5xx page where JSON was expected
        TimeoutError,
        ConnectionError,
    )


def unreachable(exc: BaseException | None) -> HostUnreachable | None:
    """The HostUnreachable behind `exc`, if yfinance wrapped or chained it."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, HostUnreachable):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def is_retryable(exc: BaseException) -> bool:
    """Transient source trouble is retried; user errors (a cassette miss) and bugs are not."""
    if isinstance(exc, UserError) or unreachable(exc) is not None:  # a DNS failure is the same a second later
        return False
    return isinstance(exc, _retryable_types())


def describe(exc: BaseException) -> str:
    """One clear line for the run record."""
    from yfinance import exceptions as yf_exc

    if isinstance(exc, yf_exc.YFRateLimitError):
        return "rate limited by Yahoo (HTTP 429, YFRateLimitError)"
    if isinstance(exc, yf_exc.YFPricesMissingError) and exc.yahoo_reason:
        return f"Yahoo error payload: {exc.yahoo_reason}"
    if isinstance(exc, yf_exc.YFTickerMissingError):
        return "empty result: " + " ".join(str(getattr(exc, "rationale", exc)).split())
    if isinstance(exc, yf_exc.YFDataException):
        return f"Yahoo unavailable ({exc})"
    if isinstance(exc, json.JSONDecodeError):
        return "Yahoo's answer was not JSON"
    if isinstance(exc, EmptyBars):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


@dataclass
class Fetched:
    frame: Any  # pandas DataFrame indexed by the exchange-local bar time
    currency: str | None
    timezone: str | None
    attempts: int
    retried_after: list[str] = field(default_factory=list)


def retry_policy(cfg: PricesConfig, sleep: Callable[[float], None],
                 on_retry: Callable[[RetryCallState], None] | None = None) -> Retrying:
    """Exponential back-off with full jitter, bounded by [prices] max_attempts.

    The n-th wait is uniform in [0, min(backoff_max, backoff_initial * 2**(n-1))]:
    clients that were throttled together do not come back together.
    """
    return Retrying(
        stop=stop_after_attempt(cfg.max_attempts),
        wait=wait_random_exponential(multiplier=cfg.backoff_initial_seconds, max=cfg.backoff_max_seconds),
        retry=retry_if_exception(is_retryable),
        sleep=sleep,
        before_sleep=on_retry,
        reraise=True,
    )


def fetch_history(transport: YahooTransport, plan: FetchPlan, *, end: dt.date, cfg: PricesConfig,
                  sleep: Callable[[float], None]) -> Fetched:
    """Daily bars for one symbol; raises the last error once the attempts are used up."""
    retried_after: list[str] = []

    def on_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        retried_after.append(describe(exc) if exc else "?")
        log.warning("%s: attempt %d failed (%s); retrying in %.1fs", plan.symbol, state.attempt_number,
                    describe(exc) if exc else "?", wait)

    def attempt() -> Fetched:
        forget_yfinance_answers()  # every attempt asks again, even for a window that ended in the past
        ticker = transport.ticker(plan.symbol)
        kwargs: dict[str, Any] = dict(interval="1d", end=end, auto_adjust=False, actions=False, repair=False,
                                      keepna=True, timeout=cfg.request_timeout_seconds)
        if plan.start is None:
            kwargs["period"] = "max"
        else:
            kwargs["start"] = plan.start
        with warnings.catch_warnings():
            # yfinance's own use of pandas APIs deprecated in pandas 3; nothing we can act on.
            warnings.filterwarnings("ignore", message=r"The inplace keyword", module=r"yfinance\b")
            frame = ticker.history(**kwargs)
        if frame is None or frame.empty:
            raise EmptyBars(f"Yahoo returned no bars for {plan.symbol} (empty result)")
        if all(frame[col].isna().all() for col in PRICE_COLUMNS):  # column by column: no sub-frame copy
            raise EmptyBars(f"Yahoo returned {len(frame)} bar(s) for {plan.symbol}, none with prices")
        meta = ticker.get_history_metadata()
        currency = meta["currency"] if "currency" in meta else None
        tz = meta["exchangeTimezoneName"] if "exchangeTimezoneName" in meta else None
        return Fetched(frame, currency, tz, 0)

    retrying = retry_policy(cfg, sleep, on_retry)
    try:
        fetched = retrying(attempt)
    except UserError:
        raise
    except Exception as e:
        raise FetchFailed(plan.symbol, retrying.statistics.get("attempt_number", 1), e) from e
    fetched.attempts = retrying.statistics.get("attempt_number", 1)
    fetched.retried_after = retried_after
    return fetched


# ---------------------------------------------------------------------------
# normalising: frame -> Arrow rows
# ---------------------------------------------------------------------------

def _price(v: float) -> Decimal:
    return Decimal(str(round(v, PRICE_DECIMALS)))


def _adjusted(v: float) -> Decimal:
    digits = ADJ_SIGNIFICANT - (int(math.floor(math.log10(abs(v)))) + 1) if v else 6
    return Decimal(str(round(v, max(0, min(6, digits)))))


# `_price` and `_adjusted` define the decimals; the columns are computed with numpy and agree
# with them exactly (tests/test_prices_vectorised.py). Below this magnitude `rint(v * 10**n)`
# is an integer under 10**15, so the double nearest k / 10**n prints as exactly that decimal.
_FAST_LIMIT = 1e11


_POW10 = 10.0 ** np.arange(7)  # exact
_POW10_INT = 10 ** np.arange(7, dtype=np.int64)


def _decimal_column(values: np.ndarray, places: int | np.ndarray, valid: np.ndarray | None,
                    scalar: Callable[[float], Decimal], type_: pa.Decimal128Type) -> pa.Array:
    """`scalar(v)` of each valid value (finite, > 0; None: all are) as a decimal column; null where not valid.

    `round(v, n)` rounds the exact binary value (half to even); `rint(v * 10**n)` agrees unless the
    product lies within its own rounding error (at most |product| * 2**-53) of a half. Those values
    and the huge ones go through `scalar` itself; if any of them does not fit the column, the column
    is built as `scalar` alone would build it, so the error raised is the same.
    """
    ok = np.ones(len(values), dtype=bool) if valid is None else valid
    huge = ok & ~(values < _FAST_LIMIT)
    fast = ok & ~huge
    scaled = (values if fast.all() else np.where(fast, values, 1.0)) * _POW10[places]
    nearest = np.rint(scaled)
    slow = huge | (fast & (np.abs(np.abs(scaled - nearest) - 0.5) <= np.abs(scaled) * 2.0**-50))
    digits = nearest.astype(np.int64) if fast.all() and not slow.any() else np.where(
        fast & ~slow, nearest, 0.0).astype(np.int64)
    unscaled = digits * _POW10_INT[type_.scale - places]
    bound = Decimal(10) ** type_.precision
    for i in np.flatnonzero(slow):
        d = scalar(float(values[i])).scaleb(type_.scale)
        if abs(d) >= bound or d != d.to_integral_value():
            return pa.array([scalar(float(x)) if k else None for x, k in zip(values, ok)], type_)
        unscaled[i] = int(d)
    words = np.empty((len(values), 2), dtype=np.int64)  # decimal128: little-endian two's complement
    words[:, 0] = unscaled
    words[:, 1] = unscaled >> 63
    validity = None if valid is None or valid.all() else pa.array(valid, pa.bool_()).buffers()[1]
    return pa.Array.from_buffers(type_, len(values), [validity, pa.py_buffer(words)])


def _adjusted_places(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """`_adjusted`'s decimal places per value; near a power of ten, math.log10 decides, as there."""
    lg = np.log10(values if valid.all() else np.where(valid, values, 1.0))
    exponent = np.floor(lg)
    for i in np.flatnonzero(valid & (np.abs(lg - np.rint(lg)) < 1e-6)):
        exponent[i] = math.floor(math.log10(values[i]))
    return np.clip(ADJ_SIGNIFICANT - (exponent + 1), 0, 6).astype(np.int64)


def _volume_column(values: np.ndarray) -> pa.Array:
    valid = np.isfinite(values)
    if (valid & ((values >= 2.0**63) | (values < -(2.0**63)))).any():  # as the row-wise build fails
        return pa.array([int(x) if ok else None for x, ok in zip(values, valid)], pa.int64())
    if valid.all():
        return pa.array(np.trunc(values).astype(np.int64), pa.int64())
    return pa.array(np.trunc(np.where(valid, values, 0.0)).astype(np.int64), pa.int64(), mask=~valid)


def _floats(column: Any) -> np.ndarray:
    """A column as float64, as `float(v)` gives each value (NaN for a missing one)."""
    values = column.to_numpy()
    if values.dtype.kind in "biuf":  # numpy's own cast: the same as float() per value, without a NaN scan
        return values.astype(np.float64, copy=False)
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


@dataclass
class Bars:
    table: pa.Table
    skipped: list[dt.date]  # rows without prices (NaN or zero): not stored
    inconsistent: list[dt.date]  # high below low, or open/close outside the range: stored, flagged
    before_window: int  # rows Yahoo sent from before the window asked for: not stored
    out_of_range: list[dt.date] = field(default_factory=list)  # a value prices_daily cannot hold: not stored


def _beyond_decimal(values: np.ndarray, valid: np.ndarray, scalar: Callable[[float], Decimal],
                    type_: pa.Decimal128Type) -> np.ndarray:
    """Valid values whose `scalar` decimal does not fit `type_`; exact (via `scalar`) near the bound."""
    limit = Decimal(10) ** type_.precision
    near = valid & ~(values < 0.5 * 10.0 ** (type_.precision - type_.scale))  # rounding cannot double a value
    beyond = np.zeros(len(values), dtype=bool)
    for i in np.flatnonzero(near):
        beyond[i] = abs(scalar(float(values[i])).scaleb(type_.scale)) >= limit
    return beyond


def _beyond_columns(prices: Sequence[np.ndarray], adj: np.ndarray, volume: np.ndarray | None,
                    priced: np.ndarray) -> np.ndarray:
    """Priced rows with a value prices_daily cannot hold: a price of 10**14 or more (DECIMAL(18,4)), an
    adjusted close of 10**12 or more (DECIMAL(18,6)), a volume beyond BIGINT. Yahoo sends such garbage
    (1e300) now and then; the bar is skipped like a NaN bar, rather than failing the security's load."""
    beyond = np.zeros(len(priced), dtype=bool)
    for name, values in zip(("open", "high", "low", "close"), prices):
        beyond |= _beyond_decimal(values, priced, _price, PRICES_SCHEMA.field(name).type)
    beyond |= _beyond_decimal(adj, priced & np.isfinite(adj) & (adj > 0), _adjusted,
                              PRICES_SCHEMA.field("adj_close").type)
    if volume is not None:
        beyond |= priced & np.isfinite(volume) & ((volume >= 2.0**63) | (volume < -(2.0**63)))
    return beyond


def _hk_days(index: Any) -> np.ndarray:
    if getattr(index, "tz", None) is None:
        raise ValueError("bar index has no time zone: cannot tell which Hong Kong day a bar belongs to")
    return np.asarray(index.tz_convert(HK_TZ).tz_localize(None).values).astype("datetime64[D]")


def hk_trade_dates(index: Any) -> list[dt.date]:
    """The Hong Kong trading date of each bar: convert to Asia/Hong_Kong, then take the date."""
    return _hk_days(index).tolist()


def bars_table(frame: Any, symbol: str, *, currency: str | None, fetched_at: dt.datetime,
               start: dt.date | None = None) -> Bars:
    """Normalise yfinance's frame: HK dates, exact decimals; rows without prices, or with a value the
    table cannot hold (`_beyond_columns`), are left out and listed.

    Column-wise (numpy, Arrow): a 10-year back-fill is 2,500 rows per symbol, 500 symbols a run.
    """
    days = _hk_days(frame.index)
    adj_column = frame["Adj Close"] if "Adj Close" in frame.columns else frame["Close"]
    in_window = np.ones(len(days), dtype=bool) if start is None else days >= np.datetime64(start, "D")
    before = int(len(days) - in_window.sum())
    kept, beyond = np.zeros(len(days), dtype=bool), np.zeros(len(days), dtype=bool)
    o = h = lo = c = adj = np.zeros(0)
    volume: np.ndarray | None = None
    if in_window.any():
        o, h, lo, c = (_floats(frame[col]) for col in PRICE_COLUMNS)
        priced = in_window & np.logical_and.reduce([np.isfinite(x) & (x > 0) for x in (o, h, lo, c)])
        adj = _floats(adj_column)
        volume = _floats(frame["Volume"]) if "Volume" in frame.columns else None
        beyond = _beyond_columns((o, h, lo, c), adj, volume, priced)
        kept = priced & ~beyond
        o, h, lo, c, adj = o[kept], h[kept], lo[kept], c[kept], adj[kept]
    skipped = days[in_window & ~kept & ~beyond].tolist()
    flagged = (h < lo) | ~((lo <= o) & (o <= h) & (lo <= c) & (c <= h))
    n = int(kept.sum())
    kept_days = days[kept]
    columns: dict[str, Any] = {"symbol": pa.repeat(pa.scalar(symbol, pa.string()), n),
                               "trade_date": pa.array(kept_days, pa.date32())}
    for name, values in (("open", o), ("high", h), ("low", lo), ("close", c)):
        columns[name] = _decimal_column(values, PRICE_DECIMALS, None, _price, PRICES_SCHEMA.field(name).type)
    adj_valid = np.isfinite(adj) & (adj > 0)
    columns["adj_close"] = _decimal_column(adj, _adjusted_places(adj, adj_valid), adj_valid, _adjusted,
                                           PRICES_SCHEMA.field("adj_close").type)
    columns["volume"] = _volume_column(volume[kept]) if n and volume is not None else pa.nulls(n, pa.int64())
    columns["currency"] = pa.repeat(pa.scalar(currency or "HKD", pa.string()), n)
    columns["source"] = pa.repeat(pa.scalar(SOURCE, pa.string()), n)
    columns["fetched_at"] = pa.repeat(pa.scalar(fetched_at, PRICES_SCHEMA.field("fetched_at").type), n)
    table = pa.table(columns, schema=PRICES_SCHEMA)
    ordered = kept_days if (kept_days[1:] > kept_days[:-1]).all() else np.sort(kept_days)
    if (ordered[1:] == ordered[:-1]).any():
        raise ValueError(f"{symbol}: two bars for one Hong Kong trading date")
    return Bars(table, skipped, kept_days[flagged].tolist(), before, days[beyond].tolist())


# ---------------------------------------------------------------------------
# checking: the HKEX calendar, the first bar
# ---------------------------------------------------------------------------

@lru_cache(maxsize=16)
def _hkex_holidays(year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.financial_holidays("XHKG", years=year))


def hkex_trading_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """Weekdays from start to end (inclusive) on which HKEX is open by its published calendar.

    Typhoon and black-rainstorm closures are not in any calendar: a missing
    bar on such a day is reported like any other gap, for a person to judge.
    """
    days, d = [], start
    while d <= end:
        if d.weekday() < 5 and d not in _hkex_holidays(d.year):
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def missing_trading_days(have: Sequence[dt.date], start: dt.date, end: dt.date) -> list[dt.date]:
    present = set(have)
    return [d for d in hkex_trading_days(start, end) if d not in present]


def longest_run(missing: Sequence[dt.date], start: dt.date, end: dt.date) -> tuple[int, dt.date | None, dt.date | None]:
    """Longest streak of consecutive trading days without a bar."""
    gone = set(missing)
    best = (0, None, None)
    run_start, n = None, 0
    for d in hkex_trading_days(start, end):
        if d in gone:
            run_start, n = (run_start or d), n + 1
            if n > best[0]:
                best = (n, run_start, d)
        else:
            run_start, n = None, 0
    return best


def first_bar_problem(symbol: str, listing: dt.date | None, first: dt.date | None) -> str | None:
    if listing is None or first is None or first == listing:
        return None
    if first > listing:
        return (f"{symbol}: first stored bar is {first}, after the listing date {listing}: Yahoo has no usable "
                f"listing-day bar, so v_first_day_performance falls back to first-day figures from claims")
    return f"{symbol}: bars start {first}, before the listing date {listing}: check the listing date"


def _dates(days: Sequence[dt.date], limit: int = 8) -> str:
    shown = ", ".join(d.isoformat() for d in days[:limit])
    return shown + (f" and {len(days) - limit} more" if len(days) > limit else "")


# ---------------------------------------------------------------------------
# the job
# ---------------------------------------------------------------------------

def hk_today() -> dt.date:
    return dt.datetime.now(HK).date()


def run_prices_job(ctx: "JobContext", run: "RunRecord") -> None:
    """Fetch every watchlist security, then load them in batches of whole securities.

    Fetching and checking go security by security; the normalised bars wait in
    a batch that is written in one writer session and ONE transaction once it
    holds BATCH_ROWS bars, and at the end: opening the writer and merging
    cost the same for 1 bar as for 10,000, so an incremental day of 500
    securities is one write, not 500. A reader or a SIGKILL sees whole batches,
    hence whole securities, never part of one.

    A security that fails after its retries is recorded on the run and the
    others still load. A cassette miss (or any other error) stops the whole run
    (exit 3 for a miss); the securities already fetched are written first, as
    they were when each security was written as soon as it was fetched. A
    SIGTERM drops the pending batch at once; the next run fetches it again.
    """
    cfg: PricesConfig = ctx.config.prices
    if ctx.since is not None and ctx.since > hk_today():
        raise UserError(f"--since {ctx.since} is in the future (today in Hong Kong is {hk_today()})")
    securities = ctx.securities()
    lock_timeout = ctx.config.database.lock_timeout_seconds
    with db.reader(ctx.db_path, lock_timeout=lock_timeout) as con:
        state = stored_state(con, [s.code for s in securities])
    plans = plan_fetches(state, securities, overlap_days=cfg.overlap_days, since=ctx.since)
    if ctx.benchmark and ctx.discovered:
        with db.reader(ctx.db_path, lock_timeout=lock_timeout) as con:
            plans.append(benchmark_plan(con, ctx.benchmark, plans, overlap_days=cfg.overlap_days, since=ctx.since))
    end = hk_today() + dt.timedelta(days=1)  # exclusive: today's bar included once it exists
    batch = Batch()

    with open_transport(cassette=ctx.cassette, record=ctx.record, timeout=cfg.request_timeout_seconds) as transport:
        waits: list[float] = []
        # Replay has no server to be polite to: the back-off is computed and logged, not slept.
        sleep: Callable[[float], None] = waits.append if transport.mode == "replay" else time.sleep
        progress = bar(len(plans), "prices", unit="symbol")
        try:
            for plan in plans:
                log.info("%s: %s", plan.symbol, plan.reason)
                progress.update()
                if plan.listing_date is None and plan.code:  # the benchmark has no listing date
                    run.warn(f"{plan.symbol}: listing date unknown (not in config or reconciled facts); "
                             f"fetched Yahoo's full history and cannot check the first bar")
                try:
                    fetched = fetch_history(transport, plan, end=end, cfg=cfg, sleep=sleep)
                except FetchFailed as e:  # this security failed: record it, go on with the others
                    down = unreachable(e.cause)
                    if down is not None:  # Yahoo cannot be reached: the others cannot either
                        rest = len(plans) - plans.index(plan) - 1
                        run.fail(f"{plan.symbol}: {down}; nothing stored"
                                 + (f"; the other {rest} security(ies) not tried" if rest else ""))
                        break
                    last = transport.last_status(f"/v8/finance/chart/{plan.symbol}")
                    http = (f"; last chart answer: HTTP {last.status} {last.reason}".rstrip()
                            if last and last.status else "")
                    run.fail(f"{e}{http}; nothing stored")
                    log.debug("%s: last error", plan.symbol, exc_info=e.cause)
                    continue
                if fetched.attempts > 1:
                    run.warn(f"{plan.symbol}: succeeded on attempt {fetched.attempts} after: "
                             f"{'; '.join(fetched.retried_after)}")
                bars = _normalise_one(run, plan, fetched)
                if bars is not None:
                    batch.add(plan, bars)
                if batch.rows >= BATCH_ROWS:
                    write_batch(ctx, run, batch.take())
        except Exception:
            pending = batch.take()
            if pending:
                log.info("the run stops: writing the %d security(ies) already fetched first", len(pending))
                try:
                    write_batch(ctx, run, pending)
                except Exception:  # the first error is the one the run reports
                    log.exception("could not write the securities fetched before the run stopped")
            raise
        finally:
            progress.close()
        write_batch(ctx, run, batch.take())
        if waits:
            log.info("back-off waits computed but not slept (replay): %s", ", ".join(f"{w:.2f}s" for w in waits))
        transport.check()


@dataclass
class Batch:
    """Normalised securities waiting for one write."""

    items: list[tuple[FetchPlan, pa.Table]] = field(default_factory=list)
    rows: int = 0

    def add(self, plan: FetchPlan, table: pa.Table) -> None:
        self.items.append((plan, table))
        self.rows += table.num_rows

    def take(self) -> list[tuple[FetchPlan, pa.Table]]:
        items, self.items, self.rows = self.items, [], 0
        return items


def _normalise_one(run: "RunRecord", plan: FetchPlan, fetched: Fetched) -> pa.Table | None:
    """One security's bars, checked (time zone, currency, gaps); None when nothing is to be stored.

    A currency other than the stored bars' is refused like a foreign time zone: merging the
    re-fetched overlap would relabel stored bars (and mix currencies in one series), and which of
    the two is right needs a person. Without stored bars a non-HKD currency is only a warning.
    """
    symbol = plan.symbol
    if fetched.timezone and fetched.timezone != HK_TZ:
        run.fail(f"{symbol}: Yahoo reports exchange time zone {fetched.timezone}, not {HK_TZ}; nothing stored")
        return None
    currency = fetched.currency or "HKD"  # what bars_table stores
    if plan.stored_currency is not None and currency != plan.stored_currency:
        sent = fetched.currency or "no currency (HKD assumed)"
        run.fail(f"{symbol}: Yahoo reports prices in {sent}, but the stored bars are in {plan.stored_currency}; "
                 f"nothing stored (the stored bars would be relabelled)")
        return None
    if fetched.currency and fetched.currency != "HKD":
        run.warn(f"{symbol}: prices are in {fetched.currency}, not HKD")
    now = dt.datetime.now(dt.timezone.utc)
    try:
        bars = bars_table(fetched.frame, symbol, currency=fetched.currency, fetched_at=now, start=plan.start)
    except ValueError as e:  # an answer that cannot be dated (no time zone, two bars for one day): this security only
        why = str(e) if str(e).startswith(f"{symbol}: ") else f"{symbol}: {e}"
        run.fail(f"{why}; nothing stored")
        return None
    if bars.skipped:
        run.warn(f"{symbol}: {len(bars.skipped)} bar(s) without prices (NaN or zero) skipped, not stored: "
                 f"{_dates(bars.skipped)}")
    if bars.out_of_range:
        run.warn(f"{symbol}: {len(bars.out_of_range)} bar(s) with a value out of range (price >= 1e14, adjusted "
                 f"close >= 1e12 or volume beyond BIGINT) skipped, not stored: {_dates(bars.out_of_range)}")
    if bars.inconsistent:
        run.warn(f"{symbol}: {len(bars.inconsistent)} bar(s) whose open/close lie outside high-low, "
                 f"stored as Yahoo sent them: {_dates(bars.inconsistent)}")
    dates = bars.table.column("trade_date").to_pylist()
    if not dates:
        run.warn(f"{symbol}: no bars on or after {plan.start} in Yahoo's answer")
    else:
        window_start = plan.start or dates[0]
        if plan.listing_date is not None and window_start <= plan.listing_date:
            window_start = dates[0]  # a late first bar is reported as such, not as a gap
        skipped = set(bars.skipped) | set(bars.out_of_range)
        missing = [d for d in missing_trading_days(dates, window_start, dates[-1]) if d not in skipped]
        if missing:
            n, a, b = longest_run(missing, window_start, dates[-1])
            longest = f"; longest gap {n} trading days ({a} to {b})" if n >= LONG_GAP_TRADING_DAYS else ""
            run.warn(f"{symbol}: {len(missing)} HKEX trading day(s) without a bar between {window_start} and "
                     f"{dates[-1]}: {_dates(missing)}{longest}")
    log.info("%s: %d bar(s) in the window%s", symbol, len(dates), f" ({dates[0]} to {dates[-1]})" if dates else "")
    return bars.table


def write_batch(ctx: "JobContext", run: "RunRecord", items: list[tuple[FetchPlan, pa.Table]]) -> None:
    """One writer session, one transaction: the bars, the tolerance they were checked with, first-bar checks.

    `items` are whole securities (as `Batch.take` gives them); the rows count against `run`.
    """
    if not items:
        return
    tolerance = ctx.config.prices.first_day_tolerance
    now = dt.datetime.now(dt.timezone.utc)
    firsts: dict[str, dt.date] = {}

    def load(con: Any) -> int:
        written = merge(con, "prices_daily", pa.concat_tables([table for _, table in items]),
                        ["symbol", "trade_date"])
        meta = {TOLERANCE_META_KEY: repr(float(tolerance))}
        if ctx.benchmark:  # which symbol v_ipo_cohort compares returns with
            meta[BENCHMARK_META_KEY] = ctx.benchmark
        merge(con, "warehouse_meta", pa.table({
            "key": list(meta), "value": list(meta.values()),
            "updated_at": pa.array([now] * len(meta), type=pa.timestamp("us", tz="UTC")),
        }), ["key"])
        firsts.update(con.execute(
            "SELECT symbol, min(trade_date) FROM prices_daily WHERE symbol IN (SELECT unnest(?::VARCHAR[])) "
            "GROUP BY symbol", [[plan.symbol for plan, _ in items]]).fetchall())
        return written

    written = write(ctx, run, load)
    for plan, _ in items:
        problem = first_bar_problem(plan.symbol, plan.listing_date, firsts.get(plan.symbol))
        if problem:
            run.warn(problem)
    log.info("wrote %d security(ies), %d bar(s): %d row(s) inserted or changed", len(items),
             sum(table.num_rows for _, table in items), written)
