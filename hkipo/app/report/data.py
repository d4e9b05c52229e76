"""What the report shows, read from the warehouse views in one read-only session.

Every query names its columns, so a view that loses one fails here (and in
the tests) rather than drawing a wrong chart. An empty or partial warehouse
gives empty lists, never an error: each section then says "no data yet".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import duckdb

from hkipo.core import metrics

RECENT_ARTICLES = 8  # per security


@dataclass(frozen=True)
class Security:
    hkex_code: str
    yahoo_symbol: str
    name_en: str
    name_zh_hans: str | None
    name_zh_hant: str | None
    board_lot: int | None
    listing_date: dt.date | None
    listing_date_source: str | None
    offer_price: float | None
    offer_price_source: str | None
    tracked: bool = True  # on the watchlist (per-IPO sections); False: found by market-wide discovery

    @property
    def name_zh(self) -> str | None:
        """The Chinese name, if it says more than the English one."""
        for n in (self.name_zh_hant, self.name_zh_hans):
            if n and n.strip() and n.strip() != self.name_en:
                return n.strip()
        return None


@dataclass(frozen=True)
class Bar:
    trade_date: dt.date
    open: float | None
    high: float | None
    low: float | None
    close: float | None
    volume: int | None


@dataclass(frozen=True)
class FirstDay:
    hkex_code: str
    listing_date: dt.date | None
    offer_price: float | None
    first_day_open: float | None
    first_day_high: float | None
    first_day_low: float | None
    first_day_close: float | None
    open_return: float | None
    close_return: float | None
    first_day_volume: int | None
    figures_source: str | None
    price_data_note: str | None
    disagrees_with_claims: bool | None


@dataclass(frozen=True)
class Subscription:
    hkex_code: str
    public_multiple: float | None
    international_multiple: float | None
    international_ex_cornerstone_multiple: float | None
    valid_applications: float | None
    successful_applications: float | None
    one_lot_success_rate: float | None
    first_day_close_return: float | None

    @property
    def has_figures(self) -> bool:
        return any(v is not None for v in (self.public_multiple, self.international_multiple,
                                           self.one_lot_success_rate, self.valid_applications))


@dataclass(frozen=True)
class CoverageDay:
    hkex_code: str
    day_hk: dt.date
    articles: int
    articles_zh_hans: int
    articles_zh_hant: int
    articles_en: int

    @property
    def articles_other(self) -> int:
        return max(0, self.articles - self.articles_zh_hans - self.articles_zh_hant - self.articles_en)


@dataclass(frozen=True)
class SiteCount:
    hkex_code: str
    site: str
    script: str
    articles: int


@dataclass(frozen=True)
class Article:
    hkex_code: str
    title: str | None
    site: str | None
    script: str | None
    published_at: dt.datetime | None
    canonical_url: str


@dataclass(frozen=True)
class ConflictClaim:
    value: float | None
    unit: str
    qualifier: str | None
    basis: str | None
    source_kind: str
    source_url: str | None
    quote: str | None
    value_text: str | None = None  # dates and other texts (value is None)


@dataclass(frozen=True)
class Conflict:
    """Claims about one figure (in one unit, at one moment) whose ranges do not overlap."""

    hkex_code: str
    metric: str
    unit: str
    moment: str | None  # market caps compare only at the same moment
    min_value: float | None
    max_value: float | None
    n_claims: int
    believed_value: float | None
    believed_rule: str | None
    claims: tuple[ConflictClaim, ...]


@dataclass(frozen=True)
class Stat:
    hkex_code: str
    metric: str
    value: float | None
    value_text: str | None
    unit: str
    qualifier: str | None
    basis: str | None
    source_kind: str
    source_url: str | None
    quote: str | None
    n_sources: int
    n_claims: int
    rule: str
    computed_at: dt.datetime


@dataclass(frozen=True)
class JobRun:
    job: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    rows_written: int
    error: str | None
    source: str | None
    last_ok_at: dt.datetime | None


@dataclass(frozen=True)
class Freshness:
    """How recent one kind of data is: rows, the newest row written, and what it covers."""

    what: str
    rows: int
    newest_written_at: dt.datetime | None
    covers: str | None


@dataclass(frozen=True)
class MarketIpo:
    """One IPO of the whole market (v_ipo_cohort)."""

    hkex_code: str
    name_en: str
    market: str
    listing_date: dt.date
    offer_price: float | None
    proceeds: float | None
    public_multiple: float | None
    first_day_close_return: float | None
    broke_issue_day1: bool | None
    tracked: bool


@dataclass(frozen=True)
class MarketMonth:
    """One listing month, both markets (v_ipo_summary)."""

    period_start: dt.date
    period: str
    ipos: int
    proceeds: float | None
    median_first_day_return: float | None
    first_day_n: int
    share_broke_issue: float | None


@dataclass
class ReportData:
    generated_at: dt.datetime
    data_origin: str | None
    securities: list[Security] = field(default_factory=list)
    prices: dict[str, list[Bar]] = field(default_factory=dict)
    first_day: dict[str, FirstDay] = field(default_factory=dict)
    subscription: list[Subscription] = field(default_factory=list)
    coverage: list[CoverageDay] = field(default_factory=list)
    site_counts: list[SiteCount] = field(default_factory=list)
    recent_articles: list[Article] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    stats: list[Stat] = field(default_factory=list)
    runs: list[JobRun] = field(default_factory=list)
    freshness: list[Freshness] = field(default_factory=list)
    market_ipos: list[MarketIpo] = field(default_factory=list)
    market_months: list[MarketMonth] = field(default_factory=list)

    @property
    def tracked(self) -> list[Security]:
        return [s for s in self.securities if s.tracked]
    calendar: dict[str, list[dict]] = field(default_factory=dict)  # hkipo.app.calendar_summary

    def security(self, code: str) -> Security | None:
        return next((s for s in self.securities if s.hkex_code == code), None)

    @property
    def is_empty(self) -> bool:
        return not (self.prices or self.coverage or self.stats or self.runs)


T = TypeVar("T")


def _rows(con: duckdb.DuckDBPyConnection, cls: type[T], sql: str, params: list[Any] | None = None) -> list[T]:
    """Run `sql` (its columns named like the fields of `cls`) and build one `cls` per row."""
    result = con.execute(sql, params or [])
    names = [d[0] for d in result.description]
    wanted = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    if set(names) != wanted:
        raise RuntimeError(f"query columns {sorted(names)} do not match {cls.__name__} {sorted(wanted)}")
    return [cls(**dict(zip(names, r))) for r in result.fetchall()]


def _metric_rank(metric: str) -> int:
    """Figures appear per IPO in the registry's reading order: terms, offer, demand, first day."""
    return metrics.order(metric)


def load_report_data(con: duckdb.DuckDBPyConnection, *, now: dt.datetime | None = None) -> ReportData:
    """Everything the report needs, from one read-only connection."""
    origin = con.execute("SELECT value FROM warehouse_meta WHERE key = 'data_origin'").fetchall()
    data = ReportData(generated_at=now or dt.datetime.now(dt.timezone.utc), data_origin=origin[0][0] if origin else None)

    data.securities = _rows(con, Security, """
        SELECT t.hkex_code, t.yahoo_symbol, t.name_en, s.name_zh_hans, s.name_zh_hant, t.board_lot,
               t.listing_date, t.listing_date_source, t.offer_price, t.offer_price_source,
               coalesce(s.source, 'config') = 'config' AS tracked
        FROM v_ipo_terms t JOIN securities s ON s.hkex_code = t.hkex_code
        ORDER BY t.listing_date NULLS LAST, t.hkex_code""")

    for code, *bar in con.execute("""
            SELECT hkex_code, trade_date, open, high, low, close, volume
            FROM v_price_history WHERE hkex_code IS NOT NULL
            ORDER BY hkex_code, trade_date""").fetchall():
        data.prices.setdefault(code, []).append(Bar(*bar))

    data.first_day = {f.hkex_code: f for f in _rows(con, FirstDay, """
        SELECT hkex_code, listing_date, offer_price, first_day_open, first_day_high, first_day_low,
               first_day_close, open_return, close_return, first_day_volume, figures_source,
               price_data_note, disagrees_with_claims
        FROM v_first_day_performance""")}

    data.subscription = _rows(con, Subscription, """
        SELECT hkex_code, public_multiple, international_multiple, international_ex_cornerstone_multiple,
               valid_applications, successful_applications, one_lot_success_rate, first_day_close_return
        FROM v_subscription_stats
        WHERE hkex_code IN (SELECT hkex_code FROM securities WHERE coalesce(source, 'config') = 'config')
        ORDER BY listing_date NULLS LAST, hkex_code""")

    data.coverage = _rows(con, CoverageDay, """
        SELECT hkex_code, day_hk, articles, articles_zh_hans, articles_zh_hant, articles_en
        FROM v_news_coverage_daily WHERE day_hk IS NOT NULL ORDER BY hkex_code, day_hk""")

    data.site_counts = _rows(con, SiteCount, """
        SELECT m.hkex_code, coalesce(a.site, '(unknown site)') AS site,
               coalesce(a.script, 'other') AS script, count(DISTINCT a.article_id) AS articles
        FROM article_mentions m JOIN articles a ON a.article_id = m.article_id
        GROUP BY ALL ORDER BY m.hkex_code, articles DESC, site, script""")

    data.recent_articles = _rows(con, Article, """
        SELECT hkex_code, title, site, script, published_at, canonical_url FROM (
            SELECT m.hkex_code, a.title, a.site, a.script, a.published_at, a.canonical_url,
                   row_number() OVER (PARTITION BY m.hkex_code
                                      ORDER BY coalesce(a.published_at, a.fetched_at) DESC, a.article_id) AS n
            FROM article_mentions m JOIN articles a ON a.article_id = m.article_id)
        WHERE n <= ? ORDER BY hkex_code, n""", [RECENT_ARTICLES])

    for code, metric, unit, moment, lo, hi, n, believed, rule, claims, texts in con.execute("""
            SELECT hkex_code, metric, unit, moment, min_value, max_value, n_claims, believed_value, believed_rule,
                   claims, value_texts
            FROM v_claim_conflicts ORDER BY hkex_code, metric, unit, moment""").fetchall():
        texts = list(texts or [])
        parsed = []
        for c in claims:  # value_texts lists the texts of the value-less claims, in the claims' order
            text = texts.pop(0) if c["value"] is None and texts else None
            parsed.append(ConflictClaim(**c, value_text=text))
        data.conflicts.append(Conflict(code, metric, unit, moment, lo, hi, n, believed, rule, tuple(parsed)))
    data.conflicts.sort(key=lambda c: (c.hkex_code, _metric_rank(c.metric), c.metric))

    from hkipo.app.calendar_summary import calendar_summary

    data.calendar = calendar_summary(con)

    data.stats = _rows(con, Stat, """
        SELECT hkex_code, metric, value, value_text, unit, qualifier, basis, source_kind, source_url, quote,
               n_sources, n_claims, rule, computed_at
        FROM v_ipo_stats
        WHERE hkex_code IN (SELECT hkex_code FROM securities WHERE coalesce(source, 'config') = 'config')""")
    data.stats.sort(key=lambda s: (s.hkex_code, _metric_rank(s.metric), s.metric))

    data.runs = _rows(con, JobRun, """
        WITH ranked AS (
            SELECT *, row_number() OVER (PARTITION BY job ORDER BY started_at DESC) AS n FROM ingest_runs)
        SELECT r.job, r.started_at, r.finished_at, r.status, r.rows_written, r.error, r.source,
               (SELECT max(finished_at) FROM ingest_runs o WHERE o.job = r.job AND o.status = 'ok') AS last_ok_at
        FROM ranked r WHERE n = 1 ORDER BY r.job""")

    data.freshness = _rows(con, Freshness, """
        SELECT what, rows, newest_written_at, covers FROM (
            SELECT 1 AS ord, 'prices ' || symbol AS what, count(*) AS rows, max(fetched_at) AS newest_written_at,
                   'trading days ' || CAST(min(trade_date) AS VARCHAR) || ' to '
                       || CAST(max(trade_date) AS VARCHAR) AS covers
            FROM prices_daily GROUP BY symbol
            UNION ALL
            SELECT 2, 'HKEX announcements', count(*), max(fetched_at), NULL FROM announcements
            UNION ALL
            SELECT 3, 'news articles', count(*), max(fetched_at),
                   CASE WHEN count(published_at) > 0 THEN 'published '
                       || strftime(timezone('Asia/Hong_Kong', min(published_at)), '%Y-%m-%d') || ' to '
                       || strftime(timezone('Asia/Hong_Kong', max(published_at)), '%Y-%m-%d') || ' (HKT)' END
            FROM articles
            UNION ALL
            SELECT 4, 'claims (figures stated by sources)', count(*), max(extracted_at), NULL FROM claims
            UNION ALL
            SELECT 5, 'reconciled figures (ipo_stats)', count(*), max(computed_at), NULL FROM ipo_stats)
        ORDER BY ord, what""")

    data.market_ipos = _rows(con, MarketIpo, """
        SELECT hkex_code, name_en, market, listing_date, offer_price, proceeds, public_multiple,
               first_day_close_return, broke_issue_day1, tracked
        FROM v_ipo_cohort ORDER BY listing_date, hkex_code""")
    data.market_months = _rows(con, MarketMonth, """
        SELECT period_start, period, ipos, proceeds, median_first_day_return, first_day_n, share_broke_issue
        FROM v_ipo_summary WHERE period_kind = 'month' AND market = 'All' ORDER BY period_start""")
    return data
