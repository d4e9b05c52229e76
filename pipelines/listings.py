"""Storing what market-wide discovery finds, and telling the next crawl what it need not ask again.

A discovered listing becomes a row of `listings` (what HKEXnews said), a row
of `securities` (source 'discovery'; a [[watchlist]] entry for the same code
keeps its own names: those rows are not touched here) and a row of `ipos`
(the expected listing date, the last-resort source: claims parsed from the
announcement win in v_ipo_terms). Rows merge on their keys and unchanged
rows are not rewritten, so a second run over the same answers writes 0 rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import duckdb
import pyarrow as pa

from hkipo.core.codes import code_to_yahoo
from hkipo.core.config import Security
from hkipo.core.context import JobContext
from hkipo.core.items import ParsedAnnouncement
from hkipo.core.listing import (
    DiscoveredListing,
    DocumentOutcome,
    ListingAnnouncement,
    ListingDocument,
    SearchedWindow,
    SkippedRow,
)
from hkipo.core.runs import RunRecord
from pipelines.runs import write
from warehouse import db
from warehouse.load import merge

log = logging.getLogger(__name__)

TS = pa.timestamp("us", tz="UTC")
FLUSH_ITEMS = 200  # discovery items per warehouse transaction
FLUSH_ANNOUNCEMENTS = 25  # parsed announcements per transaction (each is a few dozen claims)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _combine(listings: Sequence[DiscoveredListing]) -> dict[str, DiscoveredListing]:
    """One listing per code: later answers fill what earlier ones lacked (a name in the other language)."""
    out: dict[str, DiscoveredListing] = {}
    for item in listings:
        old = out.get(item.hkex_code)
        if old is None:
            out[item.hkex_code] = item
            continue
        docs: dict[str, ListingDocument] = {}
        for d in (*old.documents, *item.documents):  # a document's English row (its English file) wins
            if d.news_id not in docs or (d.language == "en" and docs[d.news_id].language != "en"):
                docs[d.news_id] = d
        pub = min((d for d in (old.allotment_published, item.allotment_published) if d), default=None)
        out[item.hkex_code] = replace(
            old, name_en=old.name_en or item.name_en, name_zh=old.name_zh or item.name_zh,
            other_codes=tuple(sorted(set(old.other_codes) | set(item.other_codes))),
            allotment_published=pub,
            expected_listing_date=min((d for d in (old.expected_listing_date, item.expected_listing_date) if d),
                                      default=None),
            documents=tuple(docs.values()))
    return out


def store_listings(con: duckdb.DuckDBPyConnection, listings: Sequence[DiscoveredListing], *,
                   config_codes: frozenset[str]) -> int:
    """Merge listings into `listings`, `securities` and `ipos`; returns rows inserted or changed."""
    found = _combine(listings)
    if not found:
        return 0
    codes = list(found)
    stored = {r[0]: r[1:] for r in con.execute(
        "SELECT hkex_code, name_en, name_zh, other_codes, allotment_published, listing_date, discovered_at "
        "FROM listings WHERE list_contains(?::VARCHAR[], hkex_code)", [codes]).fetchall()}
    now = _now()
    rows: dict[str, list] = {k: [] for k in ("hkex_code", "market", "name_en", "name_zh", "other_codes",
                                             "allotment_published", "listing_date", "listing_date_source",
                                             "source", "discovered_at", "updated_at")}
    for code, item in found.items():
        s_en, s_zh, s_other, s_pub, s_listing, s_disc = stored.get(code, (None, None, [], None, None, None))
        pub = min((d for d in (s_pub, item.allotment_published) if d), default=None)
        listing = min((d for d in (s_listing, item.expected_listing_date) if d), default=None)
        for k, v in (("hkex_code", code), ("market", item.market), ("name_en", item.name_en or s_en),
                     ("name_zh", item.name_zh or s_zh),
                     ("other_codes", sorted(set(s_other or []) | set(item.other_codes))),
                     ("allotment_published", pub), ("listing_date", listing),
                     ("listing_date_source", "allotment_results+1_trading_day" if listing else None),
                     ("source", item.source), ("discovered_at", s_disc or now), ("updated_at", now)):
            rows[k].append(v)
    table = pa.table({
        **{k: rows[k] for k in ("hkex_code", "market", "name_en", "name_zh")},
        "other_codes": pa.array(rows["other_codes"], type=pa.list_(pa.string())),
        "allotment_published": pa.array(rows["allotment_published"], type=pa.date32()),
        "listing_date": pa.array(rows["listing_date"], type=pa.date32()),
        "listing_date_source": rows["listing_date_source"], "source": rows["source"],
        "discovered_at": pa.array(rows["discovered_at"], type=TS), "updated_at": pa.array(rows["updated_at"], type=TS),
    })
    n = merge(con, "listings", table, ["hkex_code"])

    new = [i for i, c in enumerate(rows["hkex_code"]) if c not in config_codes]
    if new:
        def pick(k: str) -> list:
            return [rows[k][i] for i in new]
        names_en, names_zh, sec_codes = pick("name_en"), pick("name_zh"), pick("hkex_code")
        securities = pa.table({
            "hkex_code": sec_codes,
            "yahoo_symbol": [code_to_yahoo(c) for c in sec_codes],
            "name_en": [e or z or c for e, z, c in zip(names_en, names_zh, sec_codes)],
            "name_zh_hant": names_zh,
            "aliases": pa.array([[x for x in (e, z) if x] for e, z in zip(names_en, names_zh)],
                                type=pa.list_(pa.string())),
            "market": pick("market"),
            "source": ["discovery"] * len(new),
            "discovered_at": pa.array(pick("discovered_at"), type=TS),
            "updated_at": pa.array(pick("updated_at"), type=TS),
        })
        n += merge(con, "securities", securities, ["hkex_code"])
        ipos = pa.table({
            "hkex_code": sec_codes,
            "listing_date": pa.array(pick("listing_date"), type=pa.date32()),
            "source": ["discovery"] * len(new),
            "updated_at": pa.array(pick("updated_at"), type=TS),
        })
        n += merge(con, "ipos", ipos, ["hkex_code"])
    configured = [i for i, c in enumerate(rows["hkex_code"]) if c in config_codes]
    if configured:  # the watchlist keeps its names; discovery adds only the market and when it saw the code
        n += merge(con, "securities", pa.table({
            "hkex_code": [rows["hkex_code"][i] for i in configured],
            "market": [rows["market"][i] for i in configured],
            "discovered_at": pa.array([rows["discovered_at"][i] for i in configured], type=TS),
            "updated_at": pa.array([now] * len(configured), type=TS),
        }), ["hkex_code"])
    docs = [d for item in found.values() for d in item.documents]
    return n + store_documents(con, docs)


def store_documents(con: duckdb.DuckDBPyConnection, docs: Sequence[ListingDocument]) -> int:
    """New documents (first write wins: a document read before keeps its status), except that a
    document first seen in a Chinese answer takes its English file once an English answer names it
    (the spider reads the English file of a document whenever one exists)."""
    if not docs:
        return 0
    now = _now()
    chinese = {r[0] for r in con.execute(
        "SELECT news_id FROM listing_documents WHERE language = 'zh' AND list_contains(?::VARCHAR[], news_id)",
        [[d.news_id for d in docs if d.language == "en"]]).fetchall()}
    english = {d.news_id: d for d in docs if d.language == "en" and d.news_id in chinese}
    n = 0
    if english:
        n = merge(con, "listing_documents", pa.table({
            "news_id": list(english), "language": ["en"] * len(english),
            "title": [d.title for d in english.values()], "url": [d.url for d in english.values()],
            "updated_at": pa.array([now] * len(english), type=TS)}), ["news_id"])
    by_id: dict[str, ListingDocument] = {}
    for d in docs:  # within a batch too, the English row of a document wins
        if d.news_id not in by_id or (d.language == "en" and by_id[d.news_id].language != "en"):
            by_id[d.news_id] = d
    docs = list(by_id.values())
    table = pa.table({
        "news_id": [d.news_id for d in docs], "hkex_code": [d.hkex_code for d in docs],
        "kind": [d.kind for d in docs], "language": [d.language for d in docs], "title": [d.title for d in docs],
        "url": [d.url for d in docs], "published_at": pa.array([d.published_at for d in docs], type=TS),
        "status": ["pending" if d.kind == "allotment_results" else "listed" for d in docs],
        "reason": pa.array([None] * len(docs), type=pa.string()),
        "updated_at": pa.array([now] * len(docs), type=TS),
    })
    return n + merge(con, "listing_documents", table, ["news_id"], update=False)


def store_outcomes(con: duckdb.DuckDBPyConnection, outcomes: Sequence[DocumentOutcome]) -> int:
    if not outcomes:
        return 0
    known = {r[0] for r in con.execute("SELECT news_id FROM listing_documents WHERE list_contains(?::VARCHAR[], "
                                       "news_id)", [[o.news_id for o in outcomes]]).fetchall()}
    outcomes = [o for o in outcomes if o.news_id in known]
    if not outcomes:
        return 0
    now = _now()
    return merge(con, "listing_documents", pa.table({
        "news_id": [o.news_id for o in outcomes], "status": [o.status for o in outcomes],
        "reason": pa.array([o.reason for o in outcomes], type=pa.string()),
        "updated_at": pa.array([now] * len(outcomes), type=TS),
    }), ["news_id"])


def store_skipped(con: duckdb.DuckDBPyConnection, skipped: Sequence[SkippedRow]) -> int:
    if not skipped:
        return 0
    now = _now()
    return merge(con, "discovery_skipped", pa.table({
        "news_id": [s.news_id for s in skipped], "code": [s.code for s in skipped],
        "title": [s.title for s in skipped], "reason": [s.reason for s in skipped], "url": [s.url for s in skipped],
        "first_seen_at": pa.array([now] * len(skipped), type=TS),
    }), ["news_id", "reason", "url"], update=False)


def store_windows(con: duckdb.DuckDBPyConnection, searched: Sequence[SearchedWindow]) -> int:
    if not searched:
        return 0
    now = _now()
    return merge(con, "discovery_windows", pa.table({
        "from_date": pa.array([w.from_date for w in searched], type=pa.date32()),
        "to_date": pa.array([w.to_date for w in searched], type=pa.date32()),
        "language": [w.language for w in searched], "title": [w.title for w in searched],
        "rows": pa.array([w.rows for w in searched], type=pa.int32()),
        "searched_at": pa.array([now] * len(searched), type=TS),
    }), ["from_date", "to_date", "language", "title"], compare_exclude=["searched_at"])


# ---------------------------------------------------------------------------
# what the next crawl need not ask again
# ---------------------------------------------------------------------------

def done_windows(ctx: JobContext) -> set[tuple[dt.date, dt.date, str, str]]:
    with db.reader(ctx.db_path, lock_timeout=ctx.lock_timeout) as con:
        return {tuple(r) for r in con.execute(
            "SELECT from_date, to_date, language, title FROM discovery_windows").fetchall()}  # type: ignore[misc]


def pending_documents(ctx: JobContext) -> list[ListingDocument]:
    """Allotment documents found before whose file was never read (a killed run, a failed download)."""
    with db.reader(ctx.db_path, lock_timeout=ctx.lock_timeout) as con:
        rows = con.execute(
            "SELECT news_id, hkex_code, kind, language, title, url, published_at FROM listing_documents d "
            "WHERE kind = 'allotment_results' AND status IN ('pending', 'failed') "
            "AND url NOT IN (SELECT url FROM announcements) ORDER BY news_id").fetchall()
    return [ListingDocument(*r) for r in rows]


def discovered_securities(ctx: JobContext) -> tuple[Security, ...]:
    """Discovered listings (not in the watchlist) as securities, for the prices job."""
    config_codes = {s.code for s in ctx.config.watchlist}
    with db.reader(ctx.db_path, lock_timeout=ctx.lock_timeout) as con:
        rows = con.execute(
            "SELECT s.hkex_code, s.name_en, s.name_zh_hant, t.listing_date FROM securities s "
            "JOIN v_ipo_terms t USING (hkex_code) WHERE s.source = 'discovery' ORDER BY s.hkex_code").fetchall()
    return tuple(Security(code=c, name_en=en, name_zh_hant=zh or "", listing_date=ld)
                 for c, en, zh, ld in rows if c not in config_codes)


# ---------------------------------------------------------------------------
# the Scrapy item pipeline and the job
# ---------------------------------------------------------------------------

class ListingPipeline:
    """Scrapy item pipeline: discovery items in batches of FLUSH_ITEMS, the rest when the spider closes.

    Parsed announcements go into the same batches (FLUSH_ANNOUNCEMENTS at most): one
    writer session per batch instead of two per listing keeps a back-fill's cost per
    listing flat. A kill between batches loses at most the batch in flight: its windows
    were not recorded as searched and its PDFs not stored, so the next run asks again.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.pending: list[Any] = []
        self.announcements = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> ListingPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        from pipelines.crawl import Writer
        from spiders.context import crawl_context

        self.ctx, self.run = crawl_context(self.crawler)
        self.config_codes = frozenset(s.code for s in self.ctx.config.watchlist)
        self.writer = Writer.of(self.crawler)

    async def process_item(self, item: object) -> object:
        if isinstance(item, (DiscoveredListing, ListingDocument, SkippedRow, SearchedWindow, DocumentOutcome,
                             ListingAnnouncement)):
            self.pending.append(item)
            if isinstance(item, SkippedRow):
                self.crawler.stats.inc_value("listings/skipped")
            if isinstance(item, DiscoveredListing):
                self.crawler.stats.inc_value("listings/found")
            if isinstance(item, ListingAnnouncement):
                self.announcements += 1
                parsed = item.parsed
                assert isinstance(parsed, ParsedAnnouncement)
                for w in parsed.warnings:
                    self.run.warn(f"{parsed.announcement.url}: {w}")
            if len(self.pending) >= FLUSH_ITEMS or self.announcements >= FLUSH_ANNOUNCEMENTS:
                await self.flush()
        return item

    async def close_spider(self) -> None:
        try:
            await self.flush()
        except Exception as e:  # Scrapy only logs errors raised here; the run must say so
            log.exception("storing the last discovery batch failed")
            self.run.fail(f"storing discovery results failed (rolled back): {type(e).__name__}: {e}")
        finally:
            self.writer.release()

    async def flush(self) -> None:
        """Write the pending items on the crawl's writer thread (never on the reactor: it may wait for the lock)."""
        items, self.pending, self.announcements = self.pending, [], 0
        if not items:
            return
        parsed = [i.parsed for i in items if isinstance(i, ListingAnnouncement)]

        def load(con: duckdb.DuckDBPyConnection) -> int:
            from pipelines.announcements import write_announcement

            return (sum(write_announcement(con, p) for p in parsed)  # type: ignore[arg-type]
                    + store_listings(con, [i for i in items if isinstance(i, DiscoveredListing)],
                                   config_codes=self.config_codes)
                    + store_documents(con, [i for i in items if isinstance(i, ListingDocument)])
                    + store_skipped(con, [i for i in items if isinstance(i, SkippedRow)])
                    + store_outcomes(con, [i for i in items if isinstance(i, DocumentOutcome)])
                    + store_windows(con, [i for i in items if isinstance(i, SearchedWindow)]))

        n = await self.writer.call(write, self.ctx, self.run, load)
        self.crawler.stats.inc_value("hkex/announcements", len(parsed))
        log.info("stored %d discovery item(s), %d announcement(s): %d rows changed", len(items), len(parsed), n)


def run_discovery_job(ctx: JobContext, run: RunRecord) -> None:
    """The `discovery` job: market-wide HKEXnews search, each new listing's allotment results parsed."""
    from spiders.runner import run_crawl

    run_crawl("listings", ctx, run, settings_module="pipelines.scrapy_settings")
