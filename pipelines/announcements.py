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
import json
import logging
from collections.abc import Sequence

import duckdb
import pyarrow as pa

from hkipo.extract.allotment import PARSER_VERSION
from hkipo.extract.over_allotment import PARSER_VERSION as OVER_ALLOTMENT_VERSION
from hkipo.extract.over_allotment import over_allotment_announcement  # noqa: F401 - re-exported for callers
from hkipo.core.items import Announcement, ParsedAnnouncement
from warehouse.claims import write_claims
from warehouse.load import merge

log = logging.getLogger(__name__)

UTC_TS = pa.timestamp("us", tz="UTC")
ANNOUNCEMENTS = pa.schema([
    ("announcement_id", pa.string()), ("hkex_code", pa.string()), ("title", pa.string()), ("kind", pa.string()),
    ("language", pa.string()), ("published_at", UTC_TS), ("url", pa.string()), ("pdf_sha256", pa.string()),
    ("pages", pa.int32()), ("text", pa.string()), ("parser_version", pa.string()), ("fetched_at", UTC_TS),
    ("warnings", pa.string()),
])
CORNERSTONES = pa.schema([
    ("announcement_id", pa.string()), ("hkex_code", pa.string()), ("investor", pa.string()), ("shares", pa.int64()),
    ("share_of_offer", pa.float64()), ("lockup_expiry", pa.date32()), ("page", pa.int32()), ("quote", pa.string()),
])
ALLOCATION = pa.schema([
    ("announcement_id", pa.string()), ("hkex_code", pa.string()), ("pool", pa.string()),
    ("shares_applied_for", pa.int64()), ("valid_applications", pa.int64()), ("successful_applications", pa.int64()),
    ("basis", pa.string()), ("approx_pct_allotted", pa.float64()), ("page", pa.int32()),
])




def announcements_table(anns: Sequence[Announcement], *, fetched_at: dt.datetime | None = None,
                        warnings: Sequence[Sequence[str]] | None = None) -> pa.Table:
    now = fetched_at or dt.datetime.now(dt.timezone.utc)
    cols: dict[str, list] = {name: [] for name in ANNOUNCEMENTS.names}
    for i, a in enumerate(anns):
        for name in ANNOUNCEMENTS.names:
            if name == "fetched_at":
                cols[name].append(now)
            elif name == "warnings":
                w = list(warnings[i]) if warnings is not None else []
                cols[name].append(json.dumps(w, ensure_ascii=False) if w else None)
            else:
                cols[name].append(getattr(a, name))
    return pa.table({f.name: pa.array(cols[f.name], type=f.type) for f in ANNOUNCEMENTS}, schema=ANNOUNCEMENTS)


def write_announcement(con: duckdb.DuckDBPyConnection, parsed: ParsedAnnouncement) -> int:
    """Store one announcement and make its claims exactly `parsed.claims`; returns rows changed."""
    a = parsed.announcement
    n = merge(con, "announcements", announcements_table([a], warnings=[parsed.warnings]), ["announcement_id"])
    n += write_claims(con, parsed.claims, source_kind="announcement", source_id=a.announcement_id,
                      source_url=a.url, extractor_version=a.parser_version)
    n += _sync_rows(con, a, parsed)
    return n


def _sync_rows(con: duckdb.DuckDBPyConnection, a: Announcement, parsed: ParsedAnnouncement) -> int:
    """The announcement's cornerstone and allocation rows become exactly the parsed ones (checked upstream)."""
    n = 0
    for table, schema, rows in (
        ("cornerstones", CORNERSTONES, [
            {"announcement_id": a.announcement_id, "hkex_code": a.hkex_code, "investor": c.investor, "shares": c.shares,
             "share_of_offer": c.share_of_offer,
             "lockup_expiry": dt.date.fromisoformat(c.lockup_expiry) if c.lockup_expiry else None,
             "page": c.page, "quote": c.quote} for c in parsed.cornerstones]),
        ("allocation_basis", ALLOCATION, [
            {"announcement_id": a.announcement_id, "hkex_code": a.hkex_code, "pool": r.pool,
             "shares_applied_for": r.shares_applied_for, "valid_applications": r.valid_applications,
             "successful_applications": r.successful_applications, "basis": r.basis,
             "approx_pct_allotted": r.approx_pct_allotted, "page": r.page} for r in parsed.allocation]),
    ):
        cols = ", ".join(schema.names)
        have = con.execute(f"SELECT {cols} FROM {table} WHERE announcement_id = ?", [a.announcement_id]).fetchall()
        if sorted(map(repr, have)) == sorted(repr(tuple(r[c] for c in schema.names)) for r in rows):
            continue  # unchanged: a re-fetch of the same PDF writes nothing
        con.execute(f"DELETE FROM {table} WHERE announcement_id = ?", [a.announcement_id])
        if rows:
            con.register("_rows", pa.Table.from_pylist(rows, schema=schema))
            try:
                con.execute(f"INSERT INTO {table} ({', '.join(schema.names)}) SELECT * FROM _rows")
            finally:
                con.unregister("_rows")
            n += len(rows)
    return n


def known_pdf_urls(ctx) -> set[str]:  # noqa: ANN001 - hkipo.app.jobs.JobContext
    """PDFs already stored as parsed by the current parser (the spider does not fetch them again)."""
    from warehouse import db

    with db.reader(ctx.db_path, lock_timeout=ctx.config.database.lock_timeout_seconds) as con:
        rows = con.execute("SELECT url FROM announcements WHERE parser_version IN (?, ?)",
                           [PARSER_VERSION, OVER_ALLOTMENT_VERSION]).fetchall()
    return {r[0] for r in rows}
