"""HKEX announcements and their claims into the warehouse.

Table contracts:

- `announcements` — merge on `announcement_id` (HKEXnews NEWS_ID and the
  language, e.g. `11873452-en`): one row per document as fetched; a
  re-fetch of an unchanged PDF changes nothing (`fetched_at` is bookkeeping).
- `claims` — synced per announcement (`write_claims` with
  `source_kind='announcement'`): the announcement's figures replace its
  previous claims as a set, so a better parser never leaves stale figures.

Both in one transaction per announcement, so a crash never leaves an
announcement without its claims or claims without their announcement.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from pipelines.allotment import PARSER_VERSION
from pipelines.claims.model import Claim, write_claims
from warehouse.load import merge

log = logging.getLogger(__name__)

UTC_TS = pa.timestamp("us", tz="UTC")
ANNOUNCEMENTS = pa.schema([
    ("announcement_id", pa.string()), ("hkex_code", pa.string()), ("title", pa.string()), ("kind", pa.string()),
    ("language", pa.string()), ("published_at", UTC_TS), ("url", pa.string()), ("pdf_sha256", pa.string()),
    ("pages", pa.int32()), ("text", pa.string()), ("parser_version", pa.string()), ("fetched_at", UTC_TS),
])


@dataclass(frozen=True)
class Announcement:
    announcement_id: str
    hkex_code: str
    title: str
    language: str  # 'en' | 'zh'
    url: str
    published_at: dt.datetime | None
    kind: str = "allotment_results"
    pdf_sha256: str | None = None
    pages: int | None = None
    text: str | None = None
    parser_version: str = PARSER_VERSION


@dataclass(frozen=True)
class ParsedAnnouncement:
    """What the hkex spider yields for one PDF: the document and the figures it states."""

    announcement: Announcement
    claims: tuple[Claim, ...]
    warnings: tuple[str, ...] = ()


def announcements_table(anns: Sequence[Announcement], *, fetched_at: dt.datetime | None = None) -> pa.Table:
    now = fetched_at or dt.datetime.now(dt.timezone.utc)
    cols: dict[str, list] = {name: [] for name in ANNOUNCEMENTS.names}
    for a in anns:
        for name in ANNOUNCEMENTS.names:
            cols[name].append(now if name == "fetched_at" else getattr(a, name))
    return pa.table({f.name: pa.array(cols[f.name], type=f.type) for f in ANNOUNCEMENTS}, schema=ANNOUNCEMENTS)


def write_announcement(con: duckdb.DuckDBPyConnection, parsed: ParsedAnnouncement) -> int:
    """Store one announcement and make its claims exactly `parsed.claims`; returns rows changed."""
    a = parsed.announcement
    n = merge(con, "announcements", announcements_table([a]), ["announcement_id"])
    n += write_claims(con, parsed.claims, source_kind="announcement", source_id=a.announcement_id,
                      source_url=a.url, extractor_version=a.parser_version)
    return n


def known_pdf_urls(ctx) -> set[str]:  # noqa: ANN001 - hkipo.jobs.JobContext
    """PDFs already stored as parsed by the current parser (the spider does not fetch them again)."""
    from warehouse import db

    with db.reader(ctx.db_path, lock_timeout=ctx.config.database.lock_timeout_seconds) as con:
        rows = con.execute("SELECT url FROM announcements WHERE parser_version = ?", [PARSER_VERSION]).fetchall()
    return {r[0] for r in rows}


class AnnouncementPipeline:
    """Scrapy item pipeline: each parsed announcement in its own transaction."""

    def __init__(self, crawler) -> None:  # noqa: ANN001 - scrapy.crawler.Crawler
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler) -> AnnouncementPipeline:  # noqa: ANN001
        return cls(crawler)

    def open_spider(self) -> None:
        from spiders.context import crawl_context

        self.ctx, self.run = crawl_context(self.crawler)

    def process_item(self, item: object) -> object:
        if isinstance(item, ParsedAnnouncement):
            for w in item.warnings:
                self.run.warn(f"{item.announcement.url}: {w}")
            n = self.ctx.write(self.run, lambda con: write_announcement(con, item))
            stats = self.crawler.stats
            stats.inc_value("hkex/announcements")
            stats.inc_value("hkex/claims", len(item.claims))
            stats.inc_value("hkex/rows", n)
            log.info("%s %s (%s): %d figures, %d rows changed", item.announcement.hkex_code,
                     item.announcement.title, item.announcement.language, len(item.claims), n)
        return item
