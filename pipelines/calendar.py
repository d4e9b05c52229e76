"""The IPO calendar into the warehouse: offers (formal notices), lock-ups, sponsors.

Table contracts (warehouse/migrations/0005_calendar.sql):

- `offers` — merge on `hkex_code`: the latest formal notice of a security
  wins (a re-published notice replaces the row; an identical one changes
  nothing).
- `claims` — the notice's planned figures, synced per announcement with basis
  `formal_notice` (source_kind 'announcement'), so reconciliation and
  `v_claim_conflicts` compare them with the allotment results' final figures.
- `ipo_sponsors` — synced per (security, source): the names the notice prints,
  with `hkipo.core.sponsors.sponsor_key`.
- `lockups` — synced per (security, source): one row per locked holder; an
  expiry not stated is derived from the listing date and the period (and
  says so), never guessed without both.

Each notice is written in one transaction by the caller (`warehouse.db.writer`).
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from hkipo.core.config import CalendarConfig
from hkipo.core.items import Announcement, ParsedAnnouncement
from hkipo.core.sponsors import sponsor_key
from hkipo.extract.formal_notice import PARSER_VERSION, FormalNotice
from warehouse.claims import write_claims
from warehouse.load import merge, sync_scope

UTC_TS = pa.timestamp("us", tz="UTC")
OFFERS = pa.schema([
    ("hkex_code", pa.string()), ("name_en", pa.string()), ("name_zh", pa.string()), ("offer_price", pa.float64()),
    ("offer_price_low", pa.float64()), ("offer_price_high", pa.float64()), ("shares_offered", pa.float64()),
    ("public_offer_shares", pa.float64()), ("international_offer_shares", pa.float64()), ("board_lot", pa.int32()),
    ("offer_open_date", pa.date32()), ("offer_open_time", pa.time64("us")),
    ("offer_close_date", pa.date32()), ("offer_close_time", pa.time64("us")),
    ("price_determination_date", pa.date32()), ("price_determination_time", pa.time64("us")),
    ("allotment_results_date", pa.date32()), ("allotment_results_time", pa.time64("us")),
    ("listing_date", pa.date32()), ("listing_time", pa.time64("us")),
    ("sponsor_kind", pa.string()), ("sponsors", pa.list_(pa.string())), ("overall_coordinators", pa.list_(pa.string())),
    ("cornerstones_mentioned", pa.bool_()), ("notes", pa.string()), ("announcement_id", pa.string()),
    ("source_url", pa.string()), ("parser_version", pa.string()), ("updated_at", UTC_TS),
])
_WHEN = {"offer_open": "offer_open", "offer_close": "offer_close", "price_determination_date": "price_determination",
         "allotment_results_date": "allotment_results", "listing_date": "listing"}


def _split_when(text: str | None) -> tuple[dt.date | None, dt.time | None]:
    if not text:
        return None, None
    d = dt.date.fromisoformat(text[:10])
    t = dt.time.fromisoformat(text[11:16]) if len(text) > 10 else None
    return d, t


def offer_row(notice: FormalNotice, announcement: Announcement, *, now: dt.datetime | None = None) -> dict:
    """The `offers` row of one parsed notice."""
    row: dict = {
        "hkex_code": notice.hkex_code, "name_en": notice.name_en, "name_zh": notice.name_zh,
        "sponsor_kind": notice.get("sponsor_kind"), "sponsors": list(notice.sponsors),
        "overall_coordinators": list(notice.overall_coordinators),
        "cornerstones_mentioned": True if notice.get("cornerstones_mentioned") else None,
        "notes": json.dumps(notice.notes, ensure_ascii=False, sort_keys=True),
        "announcement_id": announcement.announcement_id, "source_url": announcement.url,
        "parser_version": PARSER_VERSION, "updated_at": now or dt.datetime.now(dt.timezone.utc),
    }
    for k in ("offer_price", "offer_price_low", "offer_price_high", "shares_offered", "public_offer_shares",
              "international_offer_shares"):
        row[k] = notice.get(k)
    lot = notice.get("board_lot")
    row["board_lot"] = int(lot) if isinstance(lot, float) else None
    for field, col in _WHEN.items():
        v = notice.get(field)
        d, t = _split_when(v if isinstance(v, str) else None)
        row[f"{col}_date"] = d
        row[f"{col}_time"] = t
    return row


def write_formal_notice(con: duckdb.DuckDBPyConnection, notice: FormalNotice, announcement: Announcement,
                        *, calendar: CalendarConfig | None = None) -> int:
    """Store one parsed formal notice: the offer, its planned-figure claims and its sponsors. Rows changed."""
    if not notice.hkex_code:
        raise ValueError("a formal notice without a stock code cannot be stored")
    row = offer_row(notice, announcement)
    table = pa.table({f.name: pa.array([row[f.name]], type=f.type) for f in OFFERS}, schema=OFFERS)
    n = merge(con, "announcements", _announcement_table(announcement), ["announcement_id"])
    n += merge(con, "offers", table, ["hkex_code"])
    n += write_claims(con, notice.claims(), source_kind="announcement", source_id=announcement.announcement_id,
                      source_url=announcement.url, extractor_version=PARSER_VERSION)
    names = [("sponsor", s) for s in notice.sponsors] + [("overall_coordinator", s) for s in notice.overall_coordinators]
    n += write_sponsors(con, notice.hkex_code, names, source_kind="announcement",
                        source_id=announcement.announcement_id)
    if calendar is not None:
        write_calendar_settings(con, calendar)
    return n


def _announcement_table(a: Announcement) -> pa.Table:
    from pipelines.announcements import announcements_table

    return announcements_table([a])


def write_sponsors(con: duckdb.DuckDBPyConnection, hkex_code: str, names: Sequence[tuple[str, str]], *,
                   source_kind: str, source_id: str) -> int:
    """Make this source's sponsor rows for the security exactly `names` ((role, name) pairs)."""
    now = dt.datetime.now(dt.timezone.utc)
    rows = [{"hkex_code": hkex_code, "role": role, "sponsor_key": sponsor_key(name), "name": name,
             "source_kind": source_kind, "source_id": source_id, "updated_at": now} for role, name in names]
    schema = pa.schema([("hkex_code", pa.string()), ("role", pa.string()), ("sponsor_key", pa.string()),
                        ("name", pa.string()), ("source_kind", pa.string()), ("source_id", pa.string()),
                        ("updated_at", UTC_TS)])
    table = pa.Table.from_pylist(rows, schema=schema)
    return sync_scope(con, "ipo_sponsors", table, ["hkex_code", "role", "sponsor_key"],
                      scope_sql="hkex_code = ? AND source_id = ?", params=[hkex_code, source_id])


@dataclass(frozen=True)
class Lockup:
    """One locked holder as an announcement (or prospectus) states it."""

    holder: str
    holder_kind: str  # cornerstone | controlling_shareholder | pre_ipo | other
    shares_locked: float | None
    pct_of_shares_in_issue: float | None = None  # fraction
    lockup_months: int | None = None
    expiry_date: dt.date | None = None  # as stated
    quote: str | None = None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day if it is shorter)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, _cal.monthrange(year, month)[1]))


def lockup_expiry(lock: Lockup, listing_date: dt.date | None) -> tuple[dt.date | None, str]:
    """(expiry, basis): stated wins; else derived as the day before listing + N months; else unknown.

    A six-month lock-up from a listing on 10 March ends on 9 September: the
    holder may sell from the day after, which is what the calendar shows.
    """
    if lock.expiry_date is not None:
        return lock.expiry_date, "stated"
    if lock.lockup_months and listing_date:
        return add_months(listing_date, lock.lockup_months) - dt.timedelta(days=1), "derived"
    return None, "unknown"


def write_lockups(con: duckdb.DuckDBPyConnection, hkex_code: str, locks: Sequence[Lockup], *,
                  listing_date: dt.date | None, source_kind: str, source_id: str) -> int:
    """Make this source's lock-up rows for the security exactly `locks`; rows changed."""
    now = dt.datetime.now(dt.timezone.utc)
    rows = []
    for lk in locks:
        if lk.holder_kind not in ("cornerstone", "controlling_shareholder", "pre_ipo", "other"):
            raise ValueError(f"unknown holder kind {lk.holder_kind!r}")
        expiry, basis = lockup_expiry(lk, listing_date)
        lid = hashlib.sha256(f"{hkex_code}|{lk.holder}|{expiry}|{source_id}".encode()).hexdigest()[:32]
        rows.append({"lockup_id": lid, "hkex_code": hkex_code, "holder": lk.holder, "holder_kind": lk.holder_kind,
                     "shares_locked": lk.shares_locked, "pct_of_shares_in_issue": lk.pct_of_shares_in_issue,
                     "lockup_months": lk.lockup_months, "expiry_date": expiry, "expiry_basis": basis,
                     "source_kind": source_kind, "source_id": source_id, "quote": lk.quote, "updated_at": now})
    schema = pa.schema([("lockup_id", pa.string()), ("hkex_code", pa.string()), ("holder", pa.string()),
                        ("holder_kind", pa.string()), ("shares_locked", pa.float64()),
                        ("pct_of_shares_in_issue", pa.float64()), ("lockup_months", pa.int32()),
                        ("expiry_date", pa.date32()), ("expiry_basis", pa.string()), ("source_kind", pa.string()),
                        ("source_id", pa.string()), ("quote", pa.string()), ("updated_at", UTC_TS)])
    table = pa.Table.from_pylist(rows, schema=schema)
    return sync_scope(con, "lockups", table, ["lockup_id"], scope_sql="hkex_code = ? AND source_id = ?",
                      params=[hkex_code, source_id])


def write_calendar_settings(con: duckdb.DuckDBPyConnection, cfg: CalendarConfig) -> int:
    """The [calendar] rates and windows the views read (warehouse_meta `calendar.*`)."""
    values = {f"calendar.{k}": str(v) for k, v in cfg.model_dump().items()}
    schema = pa.schema([("key", pa.string()), ("value", pa.string()), ("updated_at", UTC_TS)])
    now = dt.datetime.now(dt.timezone.utc)
    table = pa.Table.from_pylist([{"key": k, "value": v, "updated_at": now} for k, v in values.items()], schema=schema)
    return merge(con, "warehouse_meta", table, ["key"])


def known_formal_notice_urls(ctx) -> set[str]:  # noqa: ANN001 - hkipo.core.context.JobContext
    """Formal notices already stored as parsed by the current parser (the spider does not fetch them again)."""
    from warehouse import db

    with db.reader(ctx.db_path, lock_timeout=ctx.config.database.lock_timeout_seconds) as con:
        rows = con.execute("SELECT url FROM announcements WHERE kind = 'formal_notice' AND parser_version = ?",
                           [PARSER_VERSION]).fetchall()
    return {r[0] for r in rows}


def open_offer_windows(con: duckdb.DuckDBPyConnection) -> list[tuple[dt.date, dt.date]]:
    """(opens, closes) of every stored offer whose application lists have not closed (for the daemon's hourly checks)."""
    rows = con.execute("SELECT offer_open_date, offer_close_date FROM offers WHERE offer_open_date IS NOT NULL "
                       "AND offer_close_date IS NOT NULL AND offer_close_date >= "
                       "CAST(now() AT TIME ZONE 'Asia/Hong_Kong' AS DATE) - 1").fetchall()
    return [(a, b) for a, b in rows]


def lockups_from_cornerstones(rows: Sequence[object]) -> list[Lockup]:
    """Cornerstone rows of a parsed allotment announcement (issue 12's `Cornerstone`: investor, shares,
    lockup_expiry as an ISO date where the lock-up table states one, quote) as lock-ups.

    An expiry the announcement does not state stays unknown: the usual six months is not assumed.
    """
    out = []
    for r in rows:
        expiry = getattr(r, "lockup_expiry", None)
        out.append(Lockup(holder=str(getattr(r, "investor")), holder_kind="cornerstone",
                          shares_locked=float(getattr(r, "shares")) if getattr(r, "shares", None) else None,
                          expiry_date=dt.date.fromisoformat(expiry) if expiry else None,
                          quote=getattr(r, "quote", None)))
    return out


def write_announcement_sponsors(con: duckdb.DuckDBPyConnection, announcement: Announcement) -> int:
    """Sponsors an announcement names in a sentence (hkipo.extract.sponsors), synced for that announcement."""
    from hkipo.extract.sponsors import sponsors_named

    names = sponsors_named(announcement.text or "")
    return write_sponsors(con, announcement.hkex_code, [("sponsor", n) for n in names],
                          source_kind="announcement", source_id=announcement.announcement_id)


def write_announcement_calendar(con: duckdb.DuckDBPyConnection, parsed: ParsedAnnouncement) -> int:
    """What an allotment announcement adds to the calendar: its named sponsors and its cornerstones' lock-ups
    (expiry as the lock-up table states it; the listing date from the announcement's own claim)."""
    a = parsed.announcement
    n = write_announcement_sponsors(con, a)
    listing = next((c.value_text for c in parsed.claims if c.metric == "listing_date" and c.value_text), None)
    try:
        listing_date = dt.date.fromisoformat(listing[:10]) if listing else None
    except ValueError:
        listing_date = None
    n += write_lockups(con, a.hkex_code, lockups_from_cornerstones(parsed.cornerstones), listing_date=listing_date,
                       source_kind="announcement", source_id=a.announcement_id)
    return n
