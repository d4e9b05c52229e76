"""Typed items of market-wide discovery: a listing found on HKEXnews, a document of it, a row refused.

The discovery spider (spiders/listings.py) yields them, pipelines/listings.py
stores them; they live here so both can name them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MAIN_BOARD = "Main Board"
GEM = "GEM"


@dataclass(frozen=True)
class ListingDocument:
    """One HKEXnews document of an IPO's life (allotment results, formal notice), by NEWS_ID."""

    news_id: str
    hkex_code: str
    kind: str  # 'allotment_results' | 'formal_notice'
    language: str  # the PDF fetched for it: 'en' | 'zh'
    title: str
    url: str
    published_at: dt.datetime | None


@dataclass(frozen=True)
class DiscoveredListing:
    """A new listing as the search rows of both languages describe it."""

    hkex_code: str
    market: str  # MAIN_BOARD | GEM
    name_en: str | None
    name_zh: str | None
    other_codes: tuple[str, ...]  # other counters (e.g. the RMB counter 89988 of 09988)
    allotment_published: dt.date | None  # HK date of the allotment results announcement
    expected_listing_date: dt.date | None  # next HKEX trading day after it; claims from the PDF win
    documents: tuple[ListingDocument, ...]
    source: str  # 'hkexnews:title_search'


@dataclass(frozen=True)
class SkippedRow:
    """A search row (or answer) not stored, and why: recorded, never fatal."""

    news_id: str
    code: str
    title: str
    reason: str
    url: str


@dataclass(frozen=True)
class SearchedWindow:
    """A (window, language, title) search answered completely: a resumed back-fill does not ask again."""

    from_date: dt.date
    to_date: dt.date
    language: str
    title: str
    rows: int


@dataclass(frozen=True)
class DocumentOutcome:
    """What became of one document's download: parsed, refused (not readable as what it claims), failed."""

    news_id: str
    url: str
    status: str  # 'parsed' | 'refused' | 'failed'
    reason: str | None


@dataclass(frozen=True)
class ListingAnnouncement:
    """A parsed announcement found by discovery: stored in the discovery batches, not one transaction each.

    `parsed` is a hkipo.core.items.ParsedAnnouncement (the same entry point as the hkex spider's).
    """

    parsed: object
