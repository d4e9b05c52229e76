"""`bars_table` is column-wise (numpy, Arrow); it must give exactly what the row-by-row original gave.

The original is kept here as the reference: same decimals (`Decimal(str(round(v, n)))`,
correctly rounded on the exact binary value, half to even), same skipped and inconsistent lists,
same errors. One rule was added to both since (marked below): a bar with a value prices_daily
cannot hold (a price beyond DECIMAL(18,4), an adjusted close beyond DECIMAL(18,6), a volume beyond
BIGINT) is left out and listed in `out_of_range`; the original failed the whole frame with ArrowInvalid. Hypothesis draws frames with NaN, infinities, zeros, negatives, huge and tiny values,
values on a rounding half, high below low, several time zones and duplicate Hong Kong days.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.prices import HK_TZ, PRICE_COLUMNS, PRICES_SCHEMA, SOURCE, Bars, bars_table

NOW = dt.datetime(2026, 4, 15, 9, 0, tzinfo=dt.timezone.utc)


# ---------------------------------------------------------------------------
# the reference: bars_table as it was before it was vectorised (commit aace753)
# ---------------------------------------------------------------------------

def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) or math.isinf(f) else f


def _price(v: float) -> Decimal:
    return Decimal(str(round(v, 3)))


def _adjusted(v: float) -> Decimal:
    digits = 7 - (int(math.floor(math.log10(abs(v)))) + 1) if v else 6
    return Decimal(str(round(v, max(0, min(6, digits)))))


def reference_fits(o: float, h: float, lo: float, c: float, a: float | None, vol: float | None) -> bool:
    """Added to the original: would each value, as it is stored, fit its prices_daily column?"""
    prices = all(abs(_price(v).scaleb(4)) < 10**18 for v in (o, h, lo, c))
    adjusted = a is None or a <= 0 or abs(_adjusted(a).scaleb(6)) < 10**18
    return prices and adjusted and (vol is None or -(2**63) <= int(vol) < 2**63)


def reference_hk_trade_dates(index: Any) -> list[dt.date]:
    if getattr(index, "tz", None) is None:
        raise ValueError("bar index has no time zone: cannot tell which Hong Kong day a bar belongs to")
    return [ts.date() for ts in index.tz_convert(HK_TZ)]


def reference_bars_table(frame: Any, symbol: str, *, currency: str | None, fetched_at: dt.datetime,
                         start: dt.date | None = None) -> Bars:
    dates = reference_hk_trade_dates(frame.index)
    cols: dict[str, list] = {name: [] for name in PRICES_SCHEMA.names}
    skipped: list[dt.date] = []
    inconsistent: list[dt.date] = []
    out_of_range: list[dt.date] = []
    before = 0
    adj = frame["Adj Close"] if "Adj Close" in frame.columns else frame["Close"]
    for i, day in enumerate(dates):
        if start is not None and day < start:
            before += 1
            continue
        o, h, lo, c = (_num(frame[col].iloc[i]) for col in PRICE_COLUMNS)
        if any(v is None or v <= 0 for v in (o, h, lo, c)):
            skipped.append(day)
            continue
        assert o is not None and h is not None and lo is not None and c is not None
        a = _num(adj.iloc[i])
        vol = _num(frame["Volume"].iloc[i]) if "Volume" in frame.columns else None
        if not reference_fits(o, h, lo, c, a, vol):  # added: the out-of-range rule
            out_of_range.append(day)
            continue
        if h < lo or not (lo <= o <= h and lo <= c <= h):
            inconsistent.append(day)
        for name, val in (
            ("symbol", symbol), ("trade_date", day), ("open", _price(o)), ("high", _price(h)), ("low", _price(lo)),
            ("close", _price(c)), ("adj_close", _adjusted(a) if a is not None and a > 0 else None),
            ("volume", int(vol) if vol is not None else None), ("currency", currency or "HKD"),
            ("source", SOURCE), ("fetched_at", fetched_at),
        ):
            cols[name].append(val)
    table = pa.table({f.name: pa.array(cols[f.name], type=f.type) for f in PRICES_SCHEMA}, schema=PRICES_SCHEMA)
    if len(set(table.column("trade_date").to_pylist())) != table.num_rows:
        raise ValueError(f"{symbol}: two bars for one Hong Kong trading date")
    return Bars(table, skipped, inconsistent, before, out_of_range)


# ---------------------------------------------------------------------------
# comparing
# ---------------------------------------------------------------------------

def outcome(fn: Any, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the error itself is what is compared
        return "error", (type(e), str(e))


def assert_same(frame: pd.DataFrame, **kwargs: Any) -> None:
    kwargs.setdefault("currency", "HKD")
    kwargs.setdefault("fetched_at", NOW)
    want = outcome(reference_bars_table, frame, "0100.HK", **kwargs)
    got = outcome(bars_table, frame, "0100.HK", **kwargs)
    if want[0] == "error" or got[0] == "error":
        assert got == want
        return
    w, g = want[1], got[1]
    assert g.table.schema == w.table.schema
    assert g.table.to_pylist() == w.table.to_pylist()  # Decimal values, dates, nulls, field by field
    assert g.table.equals(w.table)
    assert ((g.skipped, g.inconsistent, g.before_window, g.out_of_range)
            == (w.skipped, w.inconsistent, w.before_window, w.out_of_range))
    assert all(type(d) is dt.date for d in g.skipped + g.inconsistent + g.out_of_range)


# ---------------------------------------------------------------------------
# hand-picked values
# ---------------------------------------------------------------------------

def one_column_frame(values: list[float], *, adj: list[float] | None = None) -> pd.DataFrame:
    idx = pd.date_range("2026-01-05", periods=len(values), freq="D", tz=HK_TZ)
    v = np.asarray(values, dtype=np.float64)
    return pd.DataFrame({"Open": v, "High": v, "Low": v, "Close": v,
                         "Adj Close": np.asarray(adj if adj is not None else values, dtype=np.float64),
                         "Volume": np.arange(len(values), dtype=np.float64)}, index=idx)


TRICKY = [
    2.675, 1.0005, 0.0625, 0.0005, 0.0015, 0.0025, 1e-4, 4.9999999e-4, 5e-4, 5.000000001e-4, 1e-300, 5e-324,
    0.1, 0.3, 1.0, 9.9999995, 9.99999949, 10.0, 99.99999, 999.99995, 1000.0, 12345.6785, 235.39999389648438,
    float(np.float32(344.1234)), float(np.float32(0.1)), 2**-10, 3 * 2**-11, 1e7 - 0.5, 1e7, 1.2345675e7,
    99_999_999_999.9995, 1e11 - 0.0005, 1e11, 1e11 + 0.5, 1e12 + 0.0625, 123456789012.345, 9.99e13, 9.9999e13,
    1e14, 1e16, 1.7976931348623157e308,
]


@pytest.mark.parametrize("value", TRICKY)
def test_tricky_values_round_as_the_row_wise_original(value: float) -> None:
    assert_same(one_column_frame([value]))
    assert_same(one_column_frame([1.0], adj=[value]))


def test_every_half_tick_from_one_to_ten_rounds_as_the_original() -> None:
    # 1.0005, 1.0015, …: decimal halves whose binary value lies a hair above or below the half.
    ticks = [round(k / 1000 + 0.0005, 4) for k in range(1000, 10_000)]
    assert_same(one_column_frame(ticks, adj=[t / 7 for t in ticks]))


def test_every_power_of_ten_and_its_neighbours_for_the_adjusted_close() -> None:
    adj = [x for e in range(-8, 14) for x in (np.nextafter(10.0**e, 0), 10.0**e, np.nextafter(10.0**e, np.inf),
                                               10.0**e * (1 - 5e-8), 10.0**e * (1 - 4e-8))]
    assert_same(one_column_frame([1.0] * len(adj), adj=adj))


def test_a_value_the_table_cannot_hold_leaves_the_bar_out_and_lists_it() -> None:
    bars = bars_table(one_column_frame([1.0, 1e15, 3.0]), "X", currency="HKD", fetched_at=NOW)
    assert bars.out_of_range == [dt.date(2026, 1, 6)] and bars.skipped == []
    assert bars.table.column("trade_date").to_pylist() == [dt.date(2026, 1, 5), dt.date(2026, 1, 7)]
    assert_same(one_column_frame([1.0, 1e15]))
    assert_same(one_column_frame([1.0, 2.0], adj=[1.0, 1e13]))
    assert_same(one_column_frame([1.0, 2.0]).assign(Volume=[1.0, 2.0**63]))
    # Right at the bounds: the stored (rounded) value decides, as it does for the decimals themselves.
    top = 1e14 - 0.0625  # rounds to 3 decimals below 10**14: fits
    assert_same(one_column_frame([top, np.nextafter(1e14 - 0.0005, 0), 1e14 - 0.0005, 1e14, 1e300]))
    assert_same(one_column_frame([1.0] * 4, adj=[1e12 - 1, 1e12 - 0.5, np.nextafter(1e12 - 0.5, 0), 1e12]))
    edges = bars_table(one_column_frame([top, 1e14], adj=[1.0, 1.0]), "X", currency="HKD", fetched_at=NOW)
    assert edges.table.num_rows == 1 and edges.out_of_range == [dt.date(2026, 1, 6)]


def test_volume_as_integers_floats_and_beyond_int64() -> None:
    frame = one_column_frame([10.0, 11.0, 12.0])
    for volume in ([1, 2**53 + 1, 3], [1.9, -2.9, np.nan], [np.inf, 1e18, 9.3e18], [1.0, -(2.0**63), 0.0]):
        assert_same(frame.assign(Volume=np.asarray(volume)))
    assert_same(frame.drop(columns=["Volume"]))
    assert_same(frame.drop(columns=["Adj Close"]))


def test_empty_frames_and_windows_that_leave_nothing() -> None:
    empty = one_column_frame([])
    assert_same(empty)
    frame = one_column_frame([10.0, 11.0])
    assert_same(frame, start=dt.date(2030, 1, 1))
    assert_same(frame.drop(columns=["Open"]), start=dt.date(2030, 1, 1))  # no column read when no row is in
    assert_same(frame.drop(columns=["Adj Close", "Close"]))


def test_errors_are_the_originals() -> None:
    naive = one_column_frame([10.0]).tz_localize(None)
    assert_same(naive)
    twice = pd.DatetimeIndex([pd.Timestamp("2026-01-09 09:30", tz=HK_TZ), pd.Timestamp("2026-01-09 16:00", tz=HK_TZ)])
    dup = one_column_frame([10.0, 11.0]).set_axis(twice)
    assert_same(dup)
    kind, (exc, msg) = outcome(bars_table, dup, "X", currency="HKD", fetched_at=NOW)
    assert kind == "error" and exc is ValueError and "two bars for one Hong Kong trading date" in msg


# ---------------------------------------------------------------------------
# random frames
# ---------------------------------------------------------------------------

SPECIAL = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0, -1.5, 1e-4, 2.675, 1.0005, 10.0, 1e14, 1e16])
PRICE = st.one_of(
    SPECIAL,
    st.floats(min_value=0.001, max_value=2_000.0),
    st.floats(min_value=0.001, max_value=2_000.0).map(lambda x: float(np.float32(x))),  # Yahoo's float32
    st.integers(min_value=1, max_value=2_000_000).map(lambda k: k / 1000 + 0.0005),  # on a decimal half
    st.floats(min_value=1e-9, max_value=1e13),
    st.floats(allow_nan=True, allow_infinity=True),
)
ZONES = ["Asia/Hong_Kong", "UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati", "Etc/GMT+12"]


@st.composite
def frames(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, Any]]:
    n = draw(st.integers(min_value=0, max_value=25))
    base = dt.datetime(2026, 1, 1) + dt.timedelta(days=draw(st.integers(-20_000, 20_000)))
    offsets = draw(st.lists(st.integers(0, 60 * 24 * 40), min_size=n, max_size=n, unique=draw(st.booleans())))
    stamps = sorted(base + dt.timedelta(minutes=m) for m in offsets)
    index = pd.DatetimeIndex(stamps).tz_localize(draw(st.sampled_from(ZONES)))
    if draw(st.booleans()):
        index = index.tz_convert(draw(st.sampled_from(ZONES)))
    cols = {name: draw(st.lists(PRICE, min_size=n, max_size=n)) for name in (*PRICE_COLUMNS, "Adj Close")}
    if draw(st.booleans()):  # consistent bars, mostly, as Yahoo sends them
        for i in range(n):
            o, c = cols["Open"][i], cols["Close"][i]
            cols["High"][i], cols["Low"][i] = max(o, c), min(o, c)
    data: dict[str, Any] = {k: np.asarray(v, dtype=np.float64) for k, v in cols.items()}
    if draw(st.booleans()):
        del data["Adj Close"]
    volume = draw(st.sampled_from(["float", "int", "none"]))
    if volume == "float":
        data["Volume"] = np.asarray(draw(st.lists(st.floats(min_value=-1e19, max_value=1e19) | SPECIAL,
                                                  min_size=n, max_size=n)), dtype=np.float64)
    elif volume == "int":
        data["Volume"] = np.asarray(draw(st.lists(st.integers(0, 2**62), min_size=n, max_size=n)), dtype=np.int64)
    start = None
    if n and draw(st.booleans()):
        start = (stamps[draw(st.integers(0, n - 1))] + dt.timedelta(days=draw(st.integers(-1, 1)))).date()
    kwargs = {"start": start, "currency": draw(st.sampled_from([None, "HKD", "USD"])),
              "fetched_at": draw(st.sampled_from([NOW, dt.datetime(2026, 4, 15, 9, 0)]))}
    return pd.DataFrame(data, index=index), kwargs


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_random_frames_give_exactly_what_the_row_wise_original_gave(case: tuple[pd.DataFrame, dict]) -> None:
    frame, kwargs = case
    assert_same(frame, **kwargs)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(min_value=1e-12, max_value=1e15), min_size=1, max_size=40))
def test_random_magnitudes_round_as_the_original(values: list[float]) -> None:
    assert_same(one_column_frame(values, adj=values[::-1]))
