"""Report data and charts into one self-contained HTML page.

The page is a Jinja2 template with autoescaping on, so every string from the
warehouse (titles, quotes, site names, URLs) is escaped wherever it lands;
links are only made for http(s) URLs. Images are PNG data URIs and the CSS is
inline; a Content-Security-Policy forbids loading anything else, so opening
the file never reaches the network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jinja2

from hkipo import __version__
from hkipo.app.report import charts, fmt
from hkipo.app.report.data import Article, Bar, CoverageDay, MarketIpo, ReportData, Security, SiteCount
from hkipo.app.report.charts import Chart, Style

SCRIPT_NAMES = {"zh-Hans": "Simplified", "zh-Hant": "Traditional", "en": "English", "other": "other"}


@dataclass(frozen=True)
class SiteRow:
    site: str
    by_script: dict[str, int]
    total: int


@dataclass(frozen=True)
class IpoSection:
    sec: Security
    label: str
    price_chart: Chart | None
    first_day_chart: Chart | None
    n_bars: int
    last: Bar | None  # the latest bar with a close

    @property
    def last_return(self) -> float | None:
        if self.last is None or self.last.close is None or not self.sec.offer_price:
            return None
        return self.last.close / self.sec.offer_price - 1


@dataclass(frozen=True)
class CoverageSection:
    sec: Security | None
    code: str
    label: str
    total: int
    days: int
    scripts: list[str]
    sites: list[SiteRow]
    recent: list[Article]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hkipo.app.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        hkd=fmt.hkd, money=fmt.money, times=fmt.times, pct=fmt.pct, signed_pct=fmt.signed_pct,
        count=fmt.count, metric=fmt.metric, hkt=fmt.hkt, day=fmt.day, safe_url=fmt.safe_url, value=fmt.value,
    )
    return env


def _coverage_sections(style: Style, data: ReportData, secs: dict[str, Security]) -> list[CoverageSection]:
    out = []
    codes = sorted({d.hkex_code for d in data.coverage} | {s.hkex_code for s in data.site_counts})
    for code in codes:
        days: list[CoverageDay] = [d for d in data.coverage if d.hkex_code == code]
        counts: list[SiteCount] = [s for s in data.site_counts if s.hkex_code == code]
        scripts = [k for k in SCRIPT_NAMES if any(c.script == k for c in counts)]
        scripts += sorted({c.script for c in counts} - set(scripts))
        sites: dict[str, dict[str, int]] = {}
        for c in counts:
            sites.setdefault(c.site, {})[c.script] = sites.get(c.site, {}).get(c.script, 0) + c.articles
        rows = sorted((SiteRow(site, by, sum(by.values())) for site, by in sites.items()),
                      key=lambda r: (-r.total, r.site))
        out.append(CoverageSection(
            sec=secs.get(code), code=code, label=style.label(secs.get(code), code),
            total=sum(d.articles for d in days), days=len(days), scripts=scripts, sites=rows,
            recent=[a for a in data.recent_articles if a.hkex_code == code],
        ))
    return out


RECENT_LISTING_DAYS = 30


def recent_listings(data: ReportData) -> list[MarketIpo]:
    """Listings of the last 30 days (before the report's date), newest first."""
    today = data.generated_at.date()
    since = today - dt.timedelta(days=RECENT_LISTING_DAYS)
    return sorted((i for i in data.market_ipos if since <= i.listing_date <= today),
                  key=lambda i: (i.listing_date, i.hkex_code), reverse=True)


def render_html(data: ReportData, style: Style | None = None) -> str:
    """The whole report as one HTML string."""
    style = style or Style.detect()
    secs = {s.hkex_code: s for s in data.securities}
    ipos = []
    for sec in data.tracked:  # discovered listings are in the market section, not one section each
        bars = data.prices.get(sec.hkex_code, [])
        ipos.append(IpoSection(
            sec=sec, label=style.label(sec, sec.hkex_code),
            price_chart=charts.price_chart(style, sec, bars),
            first_day_chart=charts.first_day_chart(style, sec, data.first_day.get(sec.hkex_code)),
            n_bars=len(bars), last=next((b for b in reversed(bars) if b.close is not None), None),
        ))
    page_label = {s.hkex_code: f"{s.hkex_code} {s.name_en}" + (f" {s.name_zh}" if s.name_zh else "")
                  for s in data.securities}
    subs = [s for s in data.subscription if s.has_figures]
    context = {
        "data": data,
        "version": __version__,
        "ipos": ipos,
        "first_day": data.first_day,
        "subs": subs,
        "subscription_chart": charts.subscription_chart(style, subs, secs),
        "coverage_chart": charts.coverage_chart(style, data.coverage, secs),
        "coverage": _coverage_sections(style, data, secs),
        "script_names": SCRIPT_NAMES,
        "names": page_label,
        "stats_by_code": {code: [s for s in data.stats if s.hkex_code == code]
                          for code in dict.fromkeys(s.hkex_code for s in data.stats)},
        "cjk_font": style.cjk,
        "market_chart": charts.market_scatter(style, data.market_ipos),
        "months_chart": charts.market_months_chart(style, data.market_months),
        "market_months": data.market_months,
        "recent_listings": recent_listings(data),
        "recent_days": RECENT_LISTING_DAYS,
    }
    return _environment().get_template("report.html.j2").render(context)
