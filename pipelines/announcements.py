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

import duckdb
import pyarrow as pa

from hkipo.extract.allotment import PARSER_VERSION
from hkipo.core.items import Announcement, ParsedAnnouncement
from warehouse.claims import write_claims
from warehouse.load import merge

log = logging.getLogger(__name__)

UTC_TS = pa.timestamp("us", tz="UTC")
ANNOUNCEMENTS = pa.schema([
    ("announcement_id", pa.string()), ("hkex_code", pa.string()), ("title", pa.string()), ("kind", pa.string()),
    ("language", pa.string()), ("published_at", UTC_TS), ("url", pa.string()), ("pdf_sha256", pa.string()),
    ("pages", pa.int32()), ("text", pa.string()), ("parser_version", pa.string()), ("fetched_at", UTC_TS),
])




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


def known_pdf_urls(ctx) -> set[str]:  # noqa: ANN001 - hkipo.app.jobs.JobContext
    """PDFs already stored as parsed by the current parser (the spider does not fetch them again)."""
    from warehouse import db

    with db.reader(ctx.db_path, lock_timeout=ctx.config.database.lock_timeout_seconds) as con:
        rows = con.execute("SELECT url FROM announcements WHERE parser_version = ?", [PARSER_VERSION]).fetchall()
    return {r[0] for r in rows}
