"""Write the hand-authored Yahoo cassettes: cassettes/prices.yaml and cassettes/prices/*.yaml.

There is no internet where these were made, so the cassettes are authored,
not recorded: Yahoo v8 chart answers shaped like the real ones (meta,
timestamp, indicators.quote, indicators.adjclose; prices as float32 values the
way Yahoo serialises them), wrapped in the exchanges yfinance 1.x really makes
(fc.yahoo.com twice, getcrumb, the chart request; after an HTTP error the
consent page and a fresh cookie and crumb, then the request once more).

Real figures (../shared/reference/facts.md) pin the series: listing-day open
and close, 02513's day-two close, both 2026-04-15 closes. Every other number
is synthetic: a seeded random walk bridged between those anchors, rounded to
HKEX tick sizes, on HKEX trading days only (holidays' XHKG calendar). See
cassettes/README.md.

    python cassettes/build/prices.py [ROOT]    # rewrites ROOT/prices.yaml, ROOT/prices/; deterministic
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import sys
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import numpy as np

HERE = Path(__file__).resolve().parent
CASSETTES = HERE.parent
sys.path.insert(0, str(CASSETTES.parent))

from hkipo.core.cassette import Recorder  # noqa: E402

HK = ZoneInfo("Asia/Hong_Kong")
UTC = dt.timezone.utc
# When the synthetic recording was "made": 17:00 HKT on 2026-04-15, after the close.
RECORDED_AT = dt.datetime(2026, 4, 15, 17, 0, 0, tzinfo=HK)
LAST_DAY = dt.date(2026, 4, 15)
CHART = "https://query2.finance.yahoo.com/v8/finance/chart/{symbol}"
CHART_QUERY = "?period1={p1}&period2={p2}&interval=1d&includePrePost=false&events=div%2Csplits%2CcapitalGains&crumb=SCRUBBED"
FC = "https://fc.yahoo.com"
CRUMB = "https://query1.finance.yahoo.com/v1/test/getcrumb"
CONSENT = "https://guce.yahoo.com/consent"
DATE_HEADER = RECORDED_AT.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


@dataclass(frozen=True)
class Bar:
    day: dt.date
    open: Decimal | None
    high: Decimal | None
    low: Decimal | None
    close: Decimal | None
    volume: int | None


@dataclass(frozen=True)
class Listing:
    symbol: str
    long_name: str
    short_name: str
    listing: dt.date
    first_bar: Bar  # real open/close (facts.md); high/low/volume as noted in README
    anchors: dict[dt.date, Decimal]  # real closes after day one
    board_lot: int
    seed: int
    day1_volume: int


LISTINGS = (
    Listing(
        symbol="0100.HK", long_name="MiniMax Group Inc.", short_name="MINIMAX-W",
        listing=dt.date(2026, 1, 9),
        first_bar=Bar(dt.date(2026, 1, 9), Decimal("235.40"), Decimal("352.00"), Decimal("231.00"),
                      Decimal("345.00"), 24_586_320),
        anchors={dt.date(2026, 4, 15): Decimal("847.50")},
        board_lot=20, seed=100, day1_volume=24_586_320,
    ),
    Listing(
        symbol="2513.HK", long_name="Knowledge Atlas Technology Joint Stock Co., Ltd.", short_name="ZHIPU",
        listing=dt.date(2026, 1, 8),
        first_bar=Bar(dt.date(2026, 1, 8), Decimal("120.00"), Decimal("131.80"), Decimal("116.10"),
                      Decimal("131.50"), 19_874_600),
        anchors={dt.date(2026, 1, 9): Decimal("158.60"), dt.date(2026, 4, 15): Decimal("976.00")},
        board_lot=100, seed=2513, day1_volume=19_874_600,
    ),
)


# ---------------------------------------------------------------------------
# calendar and ticks
# ---------------------------------------------------------------------------

def trading_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """HKEX trading days from start to end inclusive: weekdays that are not XHKG holidays."""
    closed = holidays.financial_holidays("XHKG", years=range(start.year, end.year + 1))
    days, d = [], start
    while d <= end:
        if d.weekday() < 5 and d not in closed:
            days.append(d)
        d += dt.timedelta(days=1)
    return days


# HKEX spread table (part A): (upper bound of the price band, tick size).
_TICKS = [(Decimal("0.25"), Decimal("0.001")), (Decimal("0.50"), Decimal("0.005")), (Decimal("10"), Decimal("0.01")),
          (Decimal("20"), Decimal("0.02")), (Decimal("100"), Decimal("0.05")), (Decimal("200"), Decimal("0.10")),
          (Decimal("500"), Decimal("0.20")), (Decimal("1000"), Decimal("0.50")), (Decimal("2000"), Decimal("1.00")),
          (Decimal("5000"), Decimal("2.00")), (Decimal("9995"), Decimal("5.00"))]


def tick_round(price: float | Decimal, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    p = Decimal(str(price))
    tick = next((t for bound, t in _TICKS if p <= bound), Decimal("5.00"))
    return ((p / tick).to_integral_value(rounding=rounding) * tick).quantize(Decimal("0.001"))


# ---------------------------------------------------------------------------
# the synthetic series
# ---------------------------------------------------------------------------

def series(listing: Listing) -> list[Bar]:
    """Listing day (real open/close) to LAST_DAY; closes bridged between the real anchors."""
    rng = random.Random(listing.seed)
    days = trading_days(listing.listing, LAST_DAY)
    anchors = {listing.listing: listing.first_bar.close, **listing.anchors}
    closes: dict[dt.date, Decimal] = dict(anchors)
    pinned = sorted(anchors)
    for a, b in zip(pinned, pinned[1:]):
        i, j = days.index(a), days.index(b)
        n = j - i
        walk = [0.0]
        for _ in range(n):
            walk.append(walk[-1] + rng.gauss(0.0, 0.045))
        la, lb = math.log(float(anchors[a])), math.log(float(anchors[b]))
        for k in range(1, n):
            frac = k / n
            x = la + (lb - la) * frac + (walk[k] - frac * walk[n])
            closes[days[i + k]] = tick_round(math.exp(x))
    bars = [listing.first_bar]
    prev = listing.first_bar.close
    for d in days[1:]:
        close = closes[d]
        open_ = tick_round(float(prev) * math.exp(rng.gauss(0.0, 0.018)))
        hi = tick_round(float(max(open_, close)) * (1 + abs(rng.gauss(0.0, 0.015))), ROUND_CEILING)
        lo = tick_round(float(min(open_, close)) * (1 - abs(rng.gauss(0.0, 0.015))), ROUND_FLOOR)
        volume = int(listing.day1_volume * 0.22 * math.exp(rng.gauss(0.0, 0.35)))
        volume -= volume % 100
        bars.append(Bar(d, open_, hi, lo, close, volume))
        prev = close
    return bars


# ---------------------------------------------------------------------------
# Yahoo's chart JSON
# ---------------------------------------------------------------------------

def f32(x: Decimal | None) -> float | None:
    """A price as Yahoo serialises it: a float32 widened to double (235.4 -> 235.39999389648438)."""
    return None if x is None else float(np.float32(float(x)))


def epoch(d: dt.date, hour: int = 9, minute: int = 30, second: int = 0) -> int:
    return int(dt.datetime(d.year, d.month, d.day, hour, minute, second, tzinfo=HK).timestamp())


def chart_body(listing: Listing, bars: list[Bar], *, first_trade: dt.date | None = None) -> dict:
    """A v8 chart answer for daily bars: timestamps at the 09:30 open, the last one at the last trade."""
    last_trade = epoch(LAST_DAY, 16, 8, 10)
    stamps = [epoch(b.day) for b in bars]
    if bars and bars[-1].day == LAST_DAY:
        stamps[-1] = last_trade
    priced = [b for b in bars if b.close is not None]
    last = priced[-1] if priced else None
    day = LAST_DAY

    def period(h1: int, m1: int, h2: int, m2: int) -> dict:
        return {"timezone": "HKT", "start": epoch(day, h1, m1), "end": epoch(day, h2, m2), "gmtoffset": 28800}

    meta = {
        "currency": "HKD",
        "symbol": listing.symbol,
        "exchangeName": "HKG",
        "fullExchangeName": "HKSE",
        "instrumentType": "EQUITY",
        "firstTradeDate": epoch(first_trade or listing.listing),
        "regularMarketTime": last_trade,
        "hasPrePostMarketData": False,
        "gmtoffset": 28800,
        "timezone": "HKT",
        "exchangeTimezoneName": "Asia/Hong_Kong",
        "regularMarketPrice": f32(last.close) if last else None,
        "fiftyTwoWeekHigh": f32(max(b.high for b in priced)) if priced else None,
        "fiftyTwoWeekLow": f32(min(b.low for b in priced)) if priced else None,
        "regularMarketDayHigh": f32(last.high) if last else None,
        "regularMarketDayLow": f32(last.low) if last else None,
        "regularMarketVolume": last.volume if last else None,
        "longName": listing.long_name,
        "shortName": listing.short_name,
        "chartPreviousClose": f32(priced[0].open) if priced else None,
        "priceHint": 3,
        "currentTradingPeriod": {"pre": period(9, 0, 9, 30), "regular": period(9, 30, 16, 10),
                                 "post": period(16, 10, 16, 10)},
        "dataGranularity": "1d",
        "range": "",
        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "ytd", "max"],
    }
    meta = {k: v for k, v in meta.items() if v is not None}
    result: dict = {"meta": meta}
    if bars:
        result["timestamp"] = stamps
        result["indicators"] = {
            "quote": [{
                "open": [f32(b.open) for b in bars],
                "high": [f32(b.high) for b in bars],
                "low": [f32(b.low) for b in bars],
                "close": [f32(b.close) for b in bars],
                "volume": [b.volume for b in bars],
            }],
            "adjclose": [{"adjclose": [f32(b.close) for b in bars]}],
        }
    else:
        result["indicators"] = {"quote": [{}], "adjclose": [{}]}
    return {"chart": {"result": [result], "error": None}}


def empty_arrays_body(listing: Listing) -> dict:
    """An answer with every array present and empty: yfinance returns an empty frame, no error."""
    body = chart_body(listing, [])
    body["chart"]["result"][0]["timestamp"] = []
    body["chart"]["result"][0]["indicators"] = {
        "quote": [{"open": [], "high": [], "low": [], "close": [], "volume": []}],
        "adjclose": [{"adjclose": []}],
    }
    return body


# ---------------------------------------------------------------------------
# exchanges
# ---------------------------------------------------------------------------

JSON_HEADERS = {"Content-Type": "application/json;charset=utf-8", "Cache-Control": "public, max-age=10, stale-while-revalidate=20",
                "Vary": "Origin,Accept-Encoding", "Date": DATE_HEADER, "Server": "ATS", "Age": "0",
                "Referrer-Policy": "no-referrer-when-downgrade", "Strict-Transport-Security": "max-age=31536000"}
HTML_HEADERS = {"Content-Type": "text/html; charset=utf-8", "Date": DATE_HEADER, "Server": "ATS"}
TEXT_HEADERS = {"Content-Type": "text/plain;charset=utf-8", "Date": DATE_HEADER, "Server": "ATS",
                "Cache-Control": "private, max-age=0"}
REQUEST_HEADERS = {"Accept": "*/*", "Accept-Encoding": "gzip, deflate, br"}


class Cassette:
    """Exchanges in the order yfinance 1.x makes them (checked by tests/test_prices_cassettes.py).

    With no persistent cookie cache (hkipo records and replays without one),
    yfinance's 'basic' strategy asks fc.yahoo.com for a cookie before every
    request, and twice before the first (cookie, then crumb, which asks for
    the cookie again); the crumb itself is fetched once and kept.
    """

    def __init__(self, path: Path):
        self.rec = Recorder(path)
        self.has_crumb = False

    def add(self, url: str, status: int, reason: str, headers: dict, body: bytes, final_url: str | None = None) -> None:
        self.rec.add("GET", url, REQUEST_HEADERS, None, status, reason, headers, body, final_url=final_url)

    def cookie(self) -> None:
        page = b"<!DOCTYPE html><html><head><title>Yahoo</title></head><body><p>Not Found</p></body></html>"
        self.add(FC, 404, "Not Found", HTML_HEADERS, page, final_url="https://fc.yahoo.com/")

    def cookie_and_crumb(self) -> None:
        self.cookie()
        if not self.has_crumb:
            self.cookie()
            self.add(CRUMB, 200, "OK", TEXT_HEADERS, b"SCRUBBED")  # the recorder scrubs the real value
            self.has_crumb = True

    def after_error(self) -> None:
        """After HTTP >= 400 yfinance tries its 'csrf' strategy (the consent page, which outside
        the EU has no consent form), falls back to 'basic' (new cookie, new crumb), then asks again."""
        page = (b"<!DOCTYPE html><html lang=\"en-US\"><head><title>Yahoo | Mail, Weather, Search, News, Finance"
                b"</title></head><body><div id=\"app\">Yahoo home page (abridged)</div></body></html>")
        self.add(CONSENT, 200, "OK", HTML_HEADERS, page, final_url="https://www.yahoo.com/")
        self.has_crumb = False
        self.cookie_and_crumb()

    def chart(self, listing: Listing, status: int, reason: str, body: bytes, headers: dict | None = None) -> None:
        """One chart request as yfinance makes it: its cookie/crumb preamble and, after an
        HTTP error, its own single repeat (answered the same way)."""
        self.cookie_and_crumb()
        self._chart(listing, status, reason, body, headers)
        if status >= 400:
            self.after_error()
            self._chart(listing, status, reason, body, headers)

    def _chart(self, listing: Listing, status: int, reason: str, body: bytes, headers: dict | None = None) -> None:
        p1 = int(dt.datetime.combine(listing.listing, dt.time(0), tzinfo=HK).timestamp())
        p2 = int(RECORDED_AT.timestamp())
        url = CHART.format(symbol=listing.symbol) + CHART_QUERY.format(p1=p1, p2=p2)
        self.add(url, status, reason, headers or JSON_HEADERS, body)

    def chart_ok(self, listing: Listing, body: dict) -> None:
        self.chart(listing, 200, "OK", dumps(body))

    def save(self) -> None:
        n = self.rec.save()
        print(f"wrote {self.rec.path} ({n} exchanges)")


def dumps(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")


TOO_MANY = b"Too Many Requests\r\n"
DOWN_PAGE = (b"<!DOCTYPE html><html><head><title>Yahoo</title></head><body><h1>Will be right back...</h1>"
             b"<p>Thank you for your patience. Our engineers are working quickly to resolve the issue.</p></body></html>")
DELISTED = {"chart": {"result": None, "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"}}}
MAX_ATTEMPTS = 4  # [prices] max_attempts in hkipo/core/default.toml: the failure cassettes hold every attempt


def null_bar(b: Bar, *fields: str) -> Bar:
    return replace(b, **{f: None for f in fields})


def build(root: Path = CASSETTES) -> None:
    """Write prices.yaml and prices/*.yaml under `root` (the repository's cassettes/ by default)."""
    minimax, zhipu = LISTINGS
    full = {lst.symbol: series(lst) for lst in LISTINGS}
    ok = {lst.symbol: chart_body(lst, full[lst.symbol]) for lst in LISTINGS}

    # The main cassette: both securities, listing day to 2026-04-15.
    c = Cassette(root / "prices.yaml")
    c.chart_ok(minimax, ok[minimax.symbol])
    c.chart_ok(zhipu, ok[zhipu.symbol])
    c.save()

    out = root / "prices"

    # 429, and 429 again on yfinance's own repeat (YFRateLimitError); 200 on our second attempt.
    c = Cassette(out / "rate_limited.yaml")
    c.chart(minimax, 429, "Too Many Requests", TOO_MANY, TEXT_HEADERS)
    c.chart_ok(minimax, ok[minimax.symbol])
    c.chart_ok(zhipu, ok[zhipu.symbol])
    c.save()

    # 503 on every attempt for 0100.HK; 2513.HK is fine.
    c = Cassette(out / "server_error.yaml")
    for _ in range(MAX_ATTEMPTS):
        c.chart(minimax, 503, "Service Unavailable", DOWN_PAGE, HTML_HEADERS)
    c.chart_ok(zhipu, ok[zhipu.symbol])
    c.save()

    # Yahoo's error payload (HTTP 404 + chart.error) for 0100.HK on every attempt.
    c = Cassette(out / "error_payload.yaml")
    for _ in range(MAX_ATTEMPTS):
        c.chart(minimax, 404, "Not Found", dumps(DELISTED))
    c.chart_ok(zhipu, ok[zhipu.symbol])
    c.save()

    # Empty results, two shapes: no timestamps at all (yfinance raises "no price data"),
    # and present-but-empty arrays (yfinance returns an empty frame without complaint).
    c = Cassette(out / "empty_result.yaml")
    for _ in range(MAX_ATTEMPTS):
        c.chart_ok(minimax, chart_body(minimax, []))
    for _ in range(MAX_ATTEMPTS):
        c.chart_ok(zhipu, empty_arrays_body(zhipu))
    c.save()

    # Data starting after the listing day (02513 has no 2026-01-08 bar), and a
    # week missing for 0100.HK (2026-03-09 to 03-13).
    gap = {dt.date(2026, 3, d) for d in range(9, 14)}
    c = Cassette(out / "late_start.yaml")
    c.chart_ok(minimax, chart_body(minimax, [b for b in full[minimax.symbol] if b.day not in gap]))
    c.chart_ok(zhipu, chart_body(zhipu, full[zhipu.symbol][1:], first_trade=full[zhipu.symbol][1].day))
    c.save()

    # NaN rows: 0100.HK's listing-day bar has no prices; 02513 has one row of
    # nulls (2026-02-24) and one without an open (2026-03-05).
    mm = list(full[minimax.symbol])
    mm[0] = Bar(mm[0].day, None, None, None, None, None)
    zp = []
    for b in full[zhipu.symbol]:
        if b.day == dt.date(2026, 2, 24):
            b = Bar(b.day, None, None, None, None, None)
        elif b.day == dt.date(2026, 3, 5):
            b = null_bar(b, "open")
        zp.append(b)
    c = Cassette(out / "nan_rows.yaml")
    c.chart_ok(minimax, chart_body(minimax, mm))
    c.chart_ok(zhipu, chart_body(zhipu, zp))
    c.save()


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else CASSETTES)
