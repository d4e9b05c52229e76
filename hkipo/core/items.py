"""The typed things that move between layers: pages read, claims stated, announcements parsed.

Extraction produces them, spiders yield them, pipelines store them; keeping
them here (the bottom layer) lets every layer name them without importing
the layer that makes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    """One page's story. Times are tz-aware; `script` is zh-Hans, zh-Hant or en."""

    url: str  # canonical: the page's own rel=canonical on the same site, else where it was fetched
    fetched_url: str
    title: str
    text: str
    site: str
    published_at: dt.datetime | None
    published_from: str  # 'meta' | 'json-ld' | 'time' | 'byline' | 'htmldate' | '' (unknown)
    tz_assumed: bool  # the page gave no UTC offset: Asia/Hong_Kong was assumed
    language: str | None  # 'zh' | 'en'
    script: str | None
    encoding: str


@dataclass(frozen=True)
class ArticleItem:
    """One fetched article page and how the crawl reached it."""

    article: Article
    via_feed: str  # the config feed name or "search:<code>:<term>"; "ingest" for saved pages
    seen_urls: tuple[str, ...]  # canonical forms of every URL that led here (feed link, redirects, final)
    fetched_at: dt.datetime


UNITS = ("HKD", "USD", "CNY", "times", "fraction", "shares", "count", "date")
QUALIFIERS = (None, "approx", "over", "under")


@dataclass(frozen=True)
class Claim:
    """One figure one source states about one security, with its quote.

    Claims are never merged or overwritten by other sources; reconciliation
    (pipelines/reconcile.py) decides which to believe.
    """

    hkex_code: str
    metric: str
    value: float | None
    unit: str
    quote: str
    value_text: str | None = None
    qualifier: str | None = None  # None = stated exactly
    basis: str = "final"  # 'final' | 'at_close_of_applications' | 'full_over_allotment' | 'intraday' | ...
    as_of: dt.date | None = None
    position: int | None = None  # character offset of the quote in the source text
    page: int | None = None  # PDF page, for announcements
    broker: str | None = None  # grey-market figures: the broker whose session the source quotes

    def claim_id(self, source_kind: str, source_id: str) -> str:
        key = "|".join(str(x) for x in (source_kind, source_id, self.hkex_code, self.metric, self.basis,
                                        self.position, self.page, self.value, self.value_text))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Announcement:
    announcement_id: str
    hkex_code: str
    title: str
    language: str  # 'en' | 'zh'
    url: str
    published_at: dt.datetime | None
    parser_version: str
    kind: str = "allotment_results"
    pdf_sha256: str | None = None
    pages: int | None = None
    text: str | None = None


@dataclass(frozen=True)
class Cornerstone:
    """One cornerstone investor's row: what the announcement allotted to it."""

    investor: str
    shares: int
    share_of_offer: float | None  # fraction of the offer shares, as stated
    lockup_expiry: str | None  # ISO date, where the lock-up table states one
    page: int
    quote: str


@dataclass(frozen=True)
class AllocationRow:
    """One row of the basis of allocation under the public offer."""

    pool: str  # 'A' | 'B' | '' (GEM: no pools)
    shares_applied_for: int
    valid_applications: int
    successful_applications: int | None  # None when the basis could not be read
    basis: str
    approx_pct_allotted: float | None  # fraction
    page: int
    quote: str
    position: int = 0


@dataclass(frozen=True)
class ParsedAnnouncement:
    """What the hkex spider yields for one PDF: the document and the figures it states."""

    announcement: Announcement
    claims: tuple[Claim, ...]
    warnings: tuple[str, ...] = ()
    cornerstones: tuple[Cornerstone, ...] = ()
    allocation: tuple[AllocationRow, ...] = ()
