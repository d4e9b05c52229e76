"""The report's charts: matplotlib figures rendered to PNG data URIs.

Figures are built on `matplotlib.figure.Figure` with the Agg canvas, never
through pyplot: no display, no global figure registry, nothing left open.
Style and fonts are applied with `rc_context` per chart, so importing this
module changes nothing for anyone else. Names in Chinese are drawn only when
a CJK font is installed (Debian: fonts-noto-cjk); otherwise charts use the
Latin name, so there are never tofu boxes.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import io
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib
import matplotlib.dates as mdates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from hkipo.app.report import fmt
from hkipo.app.report.data import Bar, CoverageDay, FirstDay, MarketIpo, MarketMonth, Security, Subscription

DPI = 110
# Preferred CJK families: Hong Kong / Traditional first, as most names here are.
CJK_FAMILIES = (
    "Noto Sans CJK HK", "Noto Sans CJK TC", "Noto Sans CJK SC", "Noto Sans CJK JP",
    "Source Han Sans HC", "Source Han Sans TC", "Source Han Sans SC", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Droid Sans Fallback", "AR PL UMing HK", "AR PL UMing TW",
)
LATIN_FAMILY = "DejaVu Sans"

PRICE = "#1f4e79"
OFFER = "#555555"
UP = "#2e7d32"
DOWN = "#c62828"
PUBLIC = "#1565c0"
INTERNATIONAL = "#ef6c00"
SCRIPTS = (("zh-Hans", "Simplified Chinese", "#c62828"), ("zh-Hant", "Traditional Chinese", "#8e24aa"),
           ("en", "English", "#1565c0"), ("other", "other", "#9e9e9e"))


@dataclass(frozen=True)
class Chart:
    """One rendered chart: a PNG as a data URI, with its size in pixels and alt text."""

    title: str
    alt: str
    uri: str
    width: int
    height: int
    note: str = ""  # said under the chart: what it leaves out


@functools.lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The installed font family that can draw Chinese names, if any."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FAMILIES:
        if name in installed:
            return name
    return next((n for n in sorted(installed) if "CJK" in n and "Mono" not in n and "Serif" not in n), None)


@dataclass(frozen=True)
class Style:
    """Fonts for one report: whether Chinese names can be drawn, and with which family."""

    cjk: str | None

    @classmethod
    def detect(cls) -> Style:
        return cls(cjk=cjk_family())

    def rc(self) -> dict[str, object]:
        families = [LATIN_FAMILY] + ([self.cjk] if self.cjk else [])
        return {
            # A list of families: matplotlib falls back glyph by glyph (Latin, then CJK).
            "font.family": families,
            "font.size": 10,
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.axisbelow": True,
            "legend.frameon": False,
        }

    def label(self, sec: Security | None, code: str) -> str:
        """`00100 MiniMax 稀宇科技`, or without the Chinese name when no CJK font is installed."""
        if sec is None:
            return code
        name = sec.name_en
        if self.cjk and sec.name_zh:
            name = f"{name} {sec.name_zh}"
        return f"{sec.hkex_code} {name}"


def _render(style: Style, title: str, alt: str, draw: Callable[[Figure], None], size: tuple[float, float],
            note: str = "") -> Chart:
    with matplotlib.rc_context(style.rc()):
        fig = Figure(figsize=size, dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        draw(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return Chart(title=title, alt=alt, uri=uri, width=round(size[0] * DPI), height=round(size[1] * DPI), note=note)


def _date_axis(ax: matplotlib.axes.Axes, label: str, first: dt.date, last: dt.date) -> None:
    """Hong Kong calendar dates: `15 Jan`, `Feb`, ... with the year once, under the axis."""
    if (last - first).days <= 14:
        locator: mdates.DateLocator = mdates.DayLocator(interval=max(1, (last - first).days // 7 + 1))
    else:
        locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    formatter = mdates.ConciseDateFormatter(
        locator, formats=["%Y", "%b", "%d %b", "%H:%M", "%H:%M", "%S"],
        zero_formats=["", "%Y", "%b", "%d %b", "%H:%M", "%H:%M"],
        offset_formats=["", "%Y", "%Y", "%Y", "%Y", "%Y"], show_offset=True)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)
    ax.set_xlim(first - dt.timedelta(days=1), last + dt.timedelta(days=1))
    ax.set_xlabel(label)


def _hkd_axis(ax: matplotlib.axes.Axes) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"HK${v:,.0f}" if abs(v) >= 10 else f"HK${v:,.2f}"))
    ax.set_ylabel("HK$ per share")


def _return_axis(ax: matplotlib.axes.Axes, offer: float) -> None:
    """A right-hand axis that reads the same prices as % above or below the offer."""
    sec = ax.secondary_yaxis("right", functions=(lambda p: (p / offer - 1) * 100, lambda r: offer * (1 + r / 100)))
    sec.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+.0f}%"))
    sec.set_ylabel("vs offer price (%)")


def price_chart(style: Style, sec: Security, bars: Sequence[Bar]) -> Chart | None:
    """Closing price since listing against the offer price, the first day marked."""
    points = [(b.trade_date, b.close) for b in bars if b.close is not None]
    if not points:
        return None
    name = style.label(sec, sec.hkex_code)
    offer = sec.offer_price
    first = next((b for b in bars if sec.listing_date and b.trade_date == sec.listing_date and b.close is not None),
                 None)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        dates = [d for d, _ in points]
        closes = [c for _, c in points]
        ax.plot(dates, closes, color=PRICE, lw=1.8, marker="o" if len(points) < 15 else None, ms=3.5,
                label="daily close", zorder=3)
        if offer:
            ax.axhline(offer, ls="--", lw=1.3, color=OFFER, label=f"offer price {fmt.hkd(offer)}", zorder=2)
            ax.fill_between(dates, closes, offer, where=[c >= offer for c in closes], interpolate=True,
                            color=UP, alpha=0.12, lw=0)
            ax.fill_between(dates, closes, offer, where=[c < offer for c in closes], interpolate=True,
                            color=DOWN, alpha=0.12, lw=0)
            _return_axis(ax, offer)
        if first is not None:
            lo = first.low if first.low is not None else first.close
            hi = first.high if first.high is not None else first.close
            ax.vlines(first.trade_date, lo, hi, color=UP if (offer and first.close >= offer) else DOWN, lw=4,
                      alpha=0.6, label="first-day range (low–high)", zorder=4)
            ax.plot([first.trade_date], [first.close], marker="*", ms=13, color="#f9a825", mec="black", mew=0.6,
                    ls="none", label="first-day close", zorder=5)
            text = f"first day {first.trade_date:%d %b %Y}\nclose {fmt.hkd(first.close)}"
            if offer:
                text += f" ({fmt.signed_pct(first.close / offer - 1)})"
            ax.annotate(text, (first.trade_date, first.close), xytext=(12, 10), textcoords="offset points",
                        fontsize=9, va="bottom", bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#bbb"})
        elif sec.listing_date and dates[0] <= sec.listing_date <= dates[-1]:
            ax.axvline(sec.listing_date, color=OFFER, ls=":", label="listing day (no bar stored)")
        last_d, last_c = points[-1]
        if len(points) > 1:
            text = f"{last_d:%d %b %Y}: {fmt.hkd(last_c)}"
            if offer:
                text += f" ({fmt.signed_pct(last_c / offer - 1)})"
            high_end = last_c > min(closes) + 0.6 * (max(closes) - min(closes))
            ax.annotate(text, (last_d, last_c), xytext=(-8, -14 if high_end else 10), textcoords="offset points",
                        ha="right", va="top" if high_end else "bottom", fontsize=9,
                        bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#bbb"})
        top = max([*closes, offer or 0, first.high if first and first.high else 0])
        bottom = min([*closes, offer or top, first.low if first and first.low else top])
        pad = (top - bottom) * 0.12 or top * 0.1 or 1
        ax.set_ylim(max(0, bottom - pad), top + pad * 1.6)
        ax.set_title(f"{name}: closing price since listing", loc="left")
        _hkd_axis(ax)
        _date_axis(ax, "Hong Kong trading day", dates[0], max(dates[-1], dates[0] + dt.timedelta(days=3)))
        ax.legend(loc="upper left", fontsize=9)

    alt = (f"Line chart of the daily closing price of {sec.hkex_code} {sec.name_en} from "
           f"{points[0][0]} to {points[-1][0]}, last close {fmt.hkd(points[-1][1])}, "
           f"against the offer price {fmt.hkd(offer)}")
    return _render(style, f"{name}: price since listing", alt, draw, (8.2, 4.2))


def first_day_chart(style: Style, sec: Security, fd: FirstDay | None) -> Chart | None:
    """First-day open, high, low and close as bars from the offer price, returns labelled."""
    if fd is None or fd.offer_price is None:
        return None
    offer = fd.offer_price
    items = [("Open", fd.first_day_open), ("High", fd.first_day_high), ("Low", fd.first_day_low),
             ("Close", fd.first_day_close)]
    if all(v is None for _, v in items):
        return None
    name = style.label(sec, sec.hkex_code)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        known = [v for _, v in items if v is not None]
        top, bottom = max(known + [offer]), min(known + [offer])
        span = (top - bottom) or offer * 0.1
        for i, (label, v) in enumerate(items):
            if v is None:
                ax.text(i, offer + span * 0.04, "not\nreported", ha="center", va="bottom", fontsize=8, color="#777")
                continue
            up = v >= offer
            ax.bar(i, v - offer, bottom=offer, width=0.62, color=UP if up else DOWN, alpha=0.85, zorder=3)
            ax.text(i, v + (span * 0.03 if up else -span * 0.03), f"{fmt.hkd(v)}\n{fmt.signed_pct(v / offer - 1)}",
                    ha="center", va="bottom" if up else "top", fontsize=9, zorder=4)
        ax.axhline(offer, ls="--", lw=1.3, color=OFFER, zorder=4)
        ax.set_xticks(range(4), [label for label, _ in items])
        ax.set_xlim(-0.65, 3.65)
        ax.set_ylim(max(0, bottom - span * 0.35), top + span * 0.38)
        when = f"{fd.listing_date:%d %b %Y}" if fd.listing_date else "date unknown"
        ax.set_title(f"First day ({when})\nvs offer {fmt.hkd(offer)} (dashed line)", loc="left")
        source = {"prices_daily": "listing-day price bar", "claims": "figures reported by sources"}
        ax.set_xlabel(f"from the {source.get(fd.figures_source or '', 'available figures')}", fontsize=8.5,
                      color="#555")
        _hkd_axis(ax)
        _return_axis(ax, offer)
        ax.grid(axis="x", visible=False)

    parts = ", ".join(f"{label.lower()} {fmt.hkd(v)}" for label, v in items if v is not None)
    alt = f"Bar chart of the first trading day of {sec.hkex_code} {sec.name_en}: {parts}, offer {fmt.hkd(offer)}"
    return _render(style, f"{name}: first day vs offer", alt, draw, (4.4, 4.2))


def _bar_labels(ax: matplotlib.axes.Axes, ys: Sequence[float], values: Sequence[float | None],
                text: Callable[[float], str], *, log: bool = False, prefix: str = "") -> None:
    for y, v in zip(ys, values):
        if v is None:
            ax.text(1.0 if log else 0, y, f" {prefix}not reported", va="center", fontsize=8.5, color="#777")
        else:
            ax.text(v * (1.08 if log else 1), y, f" {prefix}{text(v)}", va="center", fontsize=9)


def _wrapped(label: str, width: int = 24) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def subscription_chart(style: Style, subs: Sequence[Subscription], secs: dict[str, Security]) -> Chart | None:
    """Public and international multiples (log scale), one-lot success rate, valid applications."""
    rows = [s for s in subs if s.has_figures]
    if not rows:
        return None
    names = [_wrapped(style.label(secs.get(s.hkex_code), s.hkex_code)) for s in rows]
    n = len(rows)

    def draw(fig: Figure) -> None:
        axes = fig.subplots(1, 3, sharey=True, gridspec_kw={"width_ratios": [2.4, 1, 1]})
        ys = list(range(n))
        h = 0.38
        ax = axes[0]
        pub = [s.public_multiple for s in rows]
        intl = [s.international_multiple for s in rows]
        ax.barh([y - h / 2 for y in ys], [v or 0 for v in pub], h, color=PUBLIC)
        ax.barh([y + h / 2 for y in ys], [v or 0 for v in intl], h, color=INTERNATIONAL)
        ax.set_xscale("log")
        known = [v for v in pub + intl if v]
        ax.set_xlim(min([1.0] + known) * 0.7, max(known + [10.0]) * 40)
        ax.axvline(1, color=OFFER, lw=1, ls=":")
        # Labelled bars instead of a legend: the label sits where the eye already is.
        _bar_labels(ax, [y - h / 2 for y in ys], pub, fmt.times, log=True, prefix="public ")
        _bar_labels(ax, [y + h / 2 for y in ys], intl, fmt.times, log=True, prefix="international ")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}×" if v >= 1 else f"{v:g}×"))
        ax.set_xlabel("times subscribed (×, log scale; dotted: 1×)")
        ax.set_title("Subscription multiples", loc="left")
        ax.set_yticks(ys, names)
        ax.invert_yaxis()

        ax = axes[1]
        rate = [s.one_lot_success_rate for s in rows]
        ax.barh(ys, [(v or 0) * 100 for v in rate], 0.5, color="#00897b")
        _bar_labels(ax, ys, [None if v is None else v * 100 for v in rate], lambda v: f"{v:.2f}%")
        ax.set_xlim(0, max([(v or 0) * 100 for v in rate] + [1]) * 1.7)
        ax.xaxis.set_major_locator(MaxNLocator(3))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}%"))
        ax.set_xlabel("% of one-lot applicants allotted")
        ax.set_title("One-lot success", loc="left")

        ax = axes[2]
        apps = [s.valid_applications for s in rows]
        ax.barh(ys, [v or 0 for v in apps], 0.5, color="#5e35b1")
        _bar_labels(ax, ys, apps, fmt.count)
        ax.set_xlim(0, max([v or 0 for v in apps] + [1]) * 1.9)
        ax.xaxis.set_major_locator(MaxNLocator(3))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:,.0f}k" if v else "0"))
        ax.set_xlabel("public offer applications")
        ax.set_title("Valid applications", loc="left")
        for a in axes:
            a.grid(axis="y", visible=False)

    alt = "; ".join(
        f"{s.hkex_code}: public {fmt.times(s.public_multiple)}, international {fmt.times(s.international_multiple)}, "
        f"one-lot success {fmt.pct(s.one_lot_success_rate)}, {fmt.count(s.valid_applications)} valid applications"
        for s in rows)
    return _render(style, "Subscription across tracked IPOs", "Bar charts. " + alt, draw, (11.0, 1.5 + (0.95 if n <= 6 else 0.6) * n))


COVERAGE_PANELS = 6  # securities drawn, most-covered first; the rest are in the report's tables
DAILY_SPAN_DAYS = 120  # longer spans are drawn per week, so bars stay readable (and cheap to draw)
FOCUS_DAYS = 31  # coverage bunched in one month (around a listing) is drawn for that month ...
FOCUS_SHARE = 0.75  # ... when it holds this share of the articles; the stragglers are in the tables


def focus_window(days: Sequence[CoverageDay]) -> tuple[dt.date, dt.date]:
    """The span to draw: all of it, or the busiest FOCUS_DAYS when most articles fall in them.

    News of an IPO bunches around its listing; one follow-up months later
    would otherwise squeeze the listing weeks into a few pixels.
    """
    per_day: dict[dt.date, int] = {}
    for d in days:
        per_day[d.day_hk] = per_day.get(d.day_hk, 0) + d.articles
    dates = sorted(per_day)
    first, last = dates[0], dates[-1]
    if (last - first).days < FOCUS_DAYS:
        return first, last
    total = sum(per_day.values())
    best, best_span, j, running = 0, (first, last), 0, 0
    for i, start in enumerate(dates):  # sliding window over the sorted days
        while j < len(dates) and (dates[j] - start).days < FOCUS_DAYS:
            running += per_day[dates[j]]
            j += 1
        if running > best:
            best, best_span = running, (start, dates[j - 1])
        running -= per_day[start]
    return best_span if best >= FOCUS_SHARE * total else (first, last)


def _script_counts(d: CoverageDay) -> dict[str, int]:
    return {"zh-Hans": d.articles_zh_hans, "zh-Hant": d.articles_zh_hant, "en": d.articles_en,
            "other": d.articles_other}


def coverage_chart(style: Style, days: Sequence[CoverageDay], secs: dict[str, Security]) -> Chart | None:
    """Articles per Hong Kong day (or week, over long spans) per security, stacked by script."""
    totals: dict[str, int] = {}
    for d in days:
        totals[d.hkex_code] = totals.get(d.hkex_code, 0) + d.articles
    if not totals:
        return None
    codes = sorted(sorted(totals), key=lambda c: -totals[c])[:COVERAGE_PANELS]
    codes.sort()
    span = (min(d.day_hk for d in days), max(d.day_hk for d in days))
    first, last = focus_window(days)
    left_out = sum(d.articles for d in days if not first <= d.day_hk <= last)
    days = [d for d in days if first <= d.day_hk <= last]
    weekly = (last - first).days > DAILY_SPAN_DAYS
    unit = "week" if weekly else "day"

    def bucket(day: dt.date) -> dt.date:
        return day - dt.timedelta(days=day.weekday()) if weekly else day

    def draw(fig: Figure) -> None:
        axes = fig.subplots(len(codes), 1, sharex=True, squeeze=False)[:, 0]
        legend: dict[str, object] = {}
        for ax, code in zip(axes, codes):
            counts: dict[dt.date, dict[str, int]] = {}
            for d in days:
                if d.hkex_code == code:
                    slot = counts.setdefault(bucket(d.day_hk), dict.fromkeys(("zh-Hans", "zh-Hant", "en", "other"), 0))
                    for k, v in _script_counts(d).items():
                        slot[k] += v
            x = sorted(counts)
            bottom = [0] * len(x)
            for key, label, color in SCRIPTS:
                vals = [counts[b][key] for b in x]
                if any(vals):
                    ax.bar(x, vals, 5.6 if weekly else 0.8, bottom=bottom, align="edge" if weekly else "center",
                           color=color, label=label, zorder=3)
                    bottom = [b + v for b, v in zip(bottom, vals)]
            sec = secs.get(code)
            if sec and sec.listing_date and first - dt.timedelta(days=3) <= sec.listing_date <= last:
                ax.axvline(sec.listing_date, color="black", ls="--", lw=1.2, label="listing day", zorder=4)
            ax.set_title(f"{style.label(sec, code)}: {totals[code]} article{'s' if totals[code] != 1 else ''}",
                         loc="left", fontsize=11)
            ax.set_ylabel(f"articles / {unit}")
            ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
            ax.set_ylim(0, max(bottom + [1]) * 1.1)
            for h, label in zip(*ax.get_legend_handles_labels()):
                legend.setdefault(label, h)
        _date_axis(axes[-1], f"Hong Kong {unit} of publication (HKT{', weeks from Monday' if weekly else ''})",
                   first, last + dt.timedelta(days=6 if weekly else 0))
        fig.suptitle(f"News coverage per {unit}, by script", x=0.01, ha="left", fontweight="bold", fontsize=12)
        fig.legend(list(legend.values()), list(legend), loc="outside upper right", ncols=len(legend), fontsize=9)

    alt = f"Stacked bar charts of articles per {unit}: " + "; ".join(f"{c}: {totals[c]} articles" for c in codes)
    more = len(totals) - len(codes)
    note = f"The {len(codes)} most covered securities are drawn; {more} more are in the tables below." if more else ""
    if weekly:
        note = (note + " " if note else "") + f"Counted per week (Monday to Sunday): the coverage spans {(last - first).days} days."
    if left_out:
        note = (note + " " if note else "") + (
            f"Drawn: {first:%d %b} to {last:%d %b %Y}, where most articles are; {left_out} more article"
            f"{'s' if left_out != 1 else ''} between {span[0]:%d %b %Y} and {span[1]:%d %b %Y} are counted in the "
            "tables below.")
    return _render(style, f"News coverage per {unit}", alt, draw, (11.0, 0.7 + 2.3 * len(codes)), note)


def market_scatter(style: Style, ipos: Sequence[MarketIpo]) -> Chart | None:
    """First-day return against the public multiple (log scale), every IPO; tracked ones highlighted."""
    rows = [i for i in ipos if i.public_multiple and i.public_multiple > 0 and i.first_day_close_return is not None]
    if not rows:
        return None
    missing = len(ipos) - len(rows)

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        for tracked, color, size, label in ((False, "#90a4ae", 22, "other IPOs"), (True, PUBLIC, 60, "tracked")):
            pts = [i for i in rows if i.tracked is tracked]
            if pts:
                ax.scatter([i.public_multiple for i in pts], [i.first_day_close_return * 100 for i in pts],
                           s=size, color=color, alpha=0.85, edgecolors="white", linewidths=0.5, label=label,
                           zorder=3 if tracked else 2)
        for i in rows:
            if i.tracked:
                ax.annotate(f"{i.hkex_code} {i.name_en}", (i.public_multiple, i.first_day_close_return * 100),
                            xytext=(5, 4), textcoords="offset points", fontsize=8, color=PUBLIC)
        ax.set_xscale("log")
        xs = [i.public_multiple for i in rows]
        ax.set_xlim(min(xs + [5.0]) * 0.6, max(xs + [2000.0]) * 4)  # room for the tracked IPOs' names
        ax.axhline(0, color=OFFER, lw=1, ls=":")
        for band in (10, 100, 1000):
            ax.axvline(band, color="#cfd8dc", lw=0.8)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}×" if v >= 1 else f"{v:g}×"))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+.0f}%"))
        ax.set_xlabel("public offer subscription (×, log scale; bands at 10×, 100×, 1,000×)")
        ax.set_ylabel("first-day close vs offer")
        ax.set_title("First-day return against the public book", loc="left")
        ax.legend(loc="upper left")

    alt = "Scatter plot. " + "; ".join(
        f"{i.hkex_code}: {fmt.times(i.public_multiple)}, {fmt.signed_pct(i.first_day_close_return)}" for i in rows[:60])
    note = f"{missing} IPO(s) without a known multiple or first-day close are not drawn." if missing else ""
    return _render(style, "First-day return against the public book", alt, draw, (9.0, 4.6), note=note)


def market_months_chart(style: Style, months: Sequence[MarketMonth]) -> Chart | None:
    """IPOs per listing month (bars) and the month's median first-day return (line)."""
    if not months:
        return None

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        xs = list(range(len(months)))
        ax.bar(xs, [m.ipos for m in months], 0.6, color="#b0bec5", label="IPOs")
        ax.set_ylabel("IPOs listed")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xticks(xs, [m.period for m in months], rotation=45 if len(months) > 8 else 0, ha="right"
                      if len(months) > 8 else "center")
        ax.grid(axis="x", visible=False)
        ax2 = ax.twinx()
        med = [(x, m.median_first_day_return * 100) for x, m in zip(xs, months) if m.median_first_day_return is not None]
        if med:
            ax2.plot([x for x, _ in med], [y for _, y in med], marker="o", color=UP, label="median first-day return")
        ax2.axhline(0, color=OFFER, lw=1, ls=":")
        ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+.0f}%"))
        ax2.set_ylabel("median first-day return")
        ax2.grid(visible=False)
        ax.set_title("IPOs per month and their median first-day return", loc="left")

    alt = "Bar and line chart. " + "; ".join(
        f"{m.period}: {m.ipos} IPOs, median {fmt.signed_pct(m.median_first_day_return)}" for m in months)
    return _render(style, "IPOs per month", alt, draw, (9.0, 3.8))
