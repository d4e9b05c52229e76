"""How figures read in the report and its charts: HK$, ×, %, Hong Kong time."""

from __future__ import annotations

import datetime as dt
import math
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from hkipo.core import metrics

HK = ZoneInfo("Asia/Hong_Kong")
DASH = "–"


def _missing(v: float | None) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def hkd(v: float | None, *, decimals: int = 2) -> str:
    """HK$ per share: HK$165.00."""
    return DASH if _missing(v) else f"HK${v:,.{decimals}f}"


def money(v: float | None, currency: str = "HKD") -> str:
    """Amounts: HK$4,817.6m, HK$5.54bn, US$619.0m."""
    if _missing(v):
        return DASH
    sign = {"HKD": "HK$", "USD": "US$", "CNY": "CN¥"}.get(currency, currency + " ")
    a = abs(v)
    if a >= 1e9:
        return f"{sign}{v / 1e9:,.2f}bn"
    if a >= 1e6:
        return f"{sign}{v / 1e6:,.1f}m"
    return f"{sign}{v:,.2f}"


def times(v: float | None) -> str:
    """Subscription multiples as precise as stated: 1,837.17×, 1,837×, 36.8×."""
    if _missing(v):
        return DASH
    text = f"{v:,.2f}" if v < 10_000 else f"{v:,.0f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "×"


def pct(v: float | None, *, decimals: int = 2) -> str:
    """A fraction as a percentage: 0.0281 → 2.81%."""
    return DASH if _missing(v) else f"{v * 100:.{decimals}f}%"


def signed_pct(v: float | None, *, decimals: int = 2) -> str:
    """A return vs the offer price: 1.0909 → +109.09%."""
    return DASH if _missing(v) else f"{v * 100:+.{decimals}f}%"


def count(v: float | None) -> str:
    return DASH if _missing(v) else f"{v:,.0f}"


def value(v: float | None, unit: str, value_text: str | None = None, metric: str = "") -> str:
    """A claim or reconciled figure in its own unit."""
    if _missing(v):
        return value_text or DASH
    if unit in ("HKD", "USD", "CNY"):
        if _kind(metric) == "price":
            return hkd(v) if unit == "HKD" else money(v, unit)
        return money(v, unit)
    if unit == "times":
        return times(v)
    if unit == "fraction":
        return signed_pct(v) if _kind(metric) == "return" else pct(v)
    if unit == "shares":
        return f"{v:,.0f} shares"
    if unit == "count":
        return count(v)
    return f"{v:,.4g} {unit}"


def _kind(metric: str) -> str | None:
    """The registered kind of a metric (price per share, return, ...); None when it is not registered."""
    m = metrics.BY_NAME.get(metric)
    return m.kind if m is not None else None


def metric(name: str) -> str:
    """`public_subscription_multiple` → `public subscription multiple`."""
    return name.replace("_", " ")


def hkt(t: dt.datetime | None) -> str:
    """A moment in Hong Kong time: 2026-01-09 16:10 HKT."""
    if t is None:
        return DASH
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.astimezone(HK).strftime("%Y-%m-%d %H:%M HKT")


def day(d: dt.date | None) -> str:
    return DASH if d is None else d.isoformat()


def safe_url(url: str | None) -> str | None:
    """The URL if it is a web link; anything else (javascript:, data:, file:) is not linked."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None
