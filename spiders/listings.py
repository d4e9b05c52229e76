"""The listings spider: every new listing on HKEXnews, market-wide, and each one's allotment results PDF.

Where it goes: the title search across all stocks (`stockId=-1`) for each
`[discovery]` title phrase in each language, window by window from
`[discovery] since` (or the job's --since) to today (or --until). An answer
that looks cut at rowRange (hkipo/extract/hkex_listings.py) is split into two
half windows, down to single days, and a single day is asked again with a
larger rowRange. Each allotment results document found is downloaded once
(its English file, else its Chinese one) and parsed with the same entry
point as the per-stock spider (`announcement_from_pdf`).

What it is told (by pipelines/listings.py, which knows the warehouse):
windows already answered completely (HKIPO_DONE_WINDOWS), documents found
before but not read yet (HKIPO_PENDING_DOCS) and PDFs already parsed
(HKIPO_SKIP_URLS), so a resumed back-fill fetches nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from hkipo.core import offload
from hkipo.core.errors import UserError
from hkipo.core.progress import bar
from hkipo.core.listing import DocumentOutcome, ListingAnnouncement, ListingDocument, SearchedWindow, SkippedRow
from hkipo.extract.hkex_listings import (
    HK,
    ListingSearchError,
    Row,
    discovery_search_url,
    document_kind,
    listings_from_rows,
    parse_listing_search,
    split_window,
    windows,
)
from hkipo.extract.hkex_search import SearchRow, announcement_from_pdf
from spiders.context import SKIP_URLS_SETTING, crawl_context

DONE_WINDOWS_SETTING = "HKIPO_DONE_WINDOWS"  # {(from_date, to_date, language, title)}
PENDING_DOCS_SETTING = "HKIPO_PENDING_DOCS"  # [ListingDocument] found before, not parsed yet
UNTIL_KEY = "until"  # JobContext.extra: last day searched (YYYY-MM-DD)


def hk_today() -> dt.date:
    return dt.datetime.now(HK).date()


def search_plan(ctx: Any, today: dt.date) -> tuple[dt.date, dt.date, list[tuple[str, str]]]:
    """The days to search and the (language, title) queries, from the job and [discovery]."""
    disc = ctx.config.discovery
    since = ctx.since or disc.start(today)
    until = dt.date.fromisoformat(ctx.extra[UNTIL_KEY]) if ctx.extra.get(UNTIL_KEY) else today
    queries: list[tuple[str, str]] = []
    if "en" in disc.languages:
        queries += [("en", t) for t in (*disc.allotment_titles_en, *disc.formal_notice_titles_en)]
    if "zh" in disc.languages:
        queries += [("zh", t) for t in (*disc.allotment_titles_zh, *disc.formal_notice_titles_zh)]
    return since, min(until, today), queries


class ListingsSpider(scrapy.Spider):
    name = "listings"
    custom_settings = {
        "DOWNLOAD_MAXSIZE": 64 * 1024 * 1024,
        # A year's back-fill is longer than a routine crawl; the job's own time-out bounds it.
        "CLOSESPIDER_TIMEOUT": 0,
    }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fetched: set[str] = set()
        self.english_docs: set[str] = set()  # NEWS_IDs named by an English row: their English file is read
        self.chinese_only: dict[str, tuple[ListingDocument, Row]] = {}
        self.progress = bar(0, "discovery", unit="req")  # draws only for a back-fill on a terminal

    def _scheduled(self) -> None:
        self.progress.total = (self.progress.total or 0) + 1
        self.progress.refresh()

    def _answered(self) -> None:
        self.progress.update(1)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ListingsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(lambda: spider.progress.close(), signal=signals.spider_closed, weak=False)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        ctx, run = crawl_context(self.crawler)
        disc = ctx.config.discovery
        self.fetched = set(self.crawler.settings.get(SKIP_URLS_SETTING) or ())
        done = set(self.crawler.settings.get(DONE_WINDOWS_SETTING) or ())
        today = hk_today()
        since, until, queries = search_plan(ctx, today)
        if since > until:
            run.warn(f"discovery: nothing to search (from {since} to {until})")
        for doc in self.crawler.settings.get(PENDING_DOCS_SETTING) or ():
            req = self._pdf_request(doc, _row_of(doc))
            if req is not None:
                yield req
        recent = today - dt.timedelta(days=disc.research_days)

        def covered(a: dt.date, b: dt.date, language: str, title: str) -> bool:
            """Answered completely, itself or as the halves it was split into."""
            if (a, b, language, title) in done:
                return True
            halves = split_window(a, b)
            return bool(halves) and all(covered(x, y, language, title) for x, y in halves)

        for start, end in windows(since, until, disc.window_days):
            for language, title in queries:
                if end < recent and covered(start, end, language, title):
                    self.crawler.stats.inc_value("listings/windows_known")
                    continue
                yield self._search(start, end, language, title, disc.row_range)

    def _search(self, start: dt.date, end: dt.date, language: str, title: str, row_range: int) -> scrapy.Request:
        ctx, _ = crawl_context(self.crawler)
        url = discovery_search_url(ctx.config.hkex.search_url, from_date=start, to_date=end, title=title,
                                   lang=language.upper(), row_range=row_range)
        self._scheduled()
        # English answers first, so a document's English file is known before Chinese rows are read.
        return scrapy.Request(url, callback=self.parse_search, errback=self.search_failed,
                              priority=10 if language == "en" else 5, meta={"hkipo_kind": "hkex_discovery"},
                              cb_kwargs={"start": start, "end": end, "language": language, "title": title,
                                         "row_range": row_range})

    def search_failed(self, failure: Failure) -> None:
        self._answered()
        self.crawler.stats.inc_value("listings/search_failed")  # FailureRecorder has put it on the run

    def parse_search(self, response: Response, start: dt.date, end: dt.date, language: str, title: str,
                     row_range: int) -> Iterator[Any]:
        ctx, run = crawl_context(self.crawler)
        disc = ctx.config.discovery
        where = f"{title!r} ({language}) {start}..{end}"
        self._answered()
        if response.status != 200:
            return  # FailureRecorder recorded the HTTP error; the window is searched again next run
        try:
            page = parse_listing_search(response.body)
        except ListingSearchError as e:
            run.warn(f"discovery: {where}: {e}")
            yield SkippedRow("", "", title, f"search answer refused: {e}", response.url)
            return
        self.crawler.stats.inc_value("listings/search_rows", page.row_count)
        if page.truncated(row_range):
            halves = split_window(start, end)
            if halves:
                self.crawler.stats.inc_value("listings/windows_split")
                for a, b in halves:
                    yield self._search(a, b, language, title, row_range)
                return
            if row_range * 2 <= disc.max_row_range:
                self.crawler.stats.inc_value("listings/days_asked_again")
                yield self._search(start, end, language, title, row_range * 2)
                return
            run.warn(f"discovery: {where}: still cut at {row_range} rows on a single day "
                     f"(raise [discovery] max_row_range); the rows received are used, the day is searched again")
        else:
            yield SearchedWindow(start, end, language, title, page.row_count)
        yield from page.skipped
        listings, notices, skipped = listings_from_rows(((r, language) for r in page.rows), base_url=ctx.config.hkex.base_url,
                                               markets=disc.markets)
        yield from skipped
        yield from notices
        for listing in listings:
            yield listing
            rows = {r.news_id: r for r in page.rows}
            for doc in listing.documents:
                if doc.kind != "allotment_results":
                    continue
                if language == "en":
                    self.english_docs.add(doc.news_id)
                    self.chinese_only.pop(doc.news_id, None)
                    req = self._pdf_request(doc, rows[doc.news_id])
                    if req is not None:
                        yield req
                elif doc.news_id not in self.english_docs:
                    self.chinese_only.setdefault(doc.news_id, (doc, rows[doc.news_id]))

    def on_idle(self) -> None:
        """Chinese-only documents, once every English answer is in: read their Chinese file."""
        if not self.chinese_only:
            return
        pending, self.chinese_only = self.chinese_only, {}
        scheduled = False
        for news_id, (doc, row) in pending.items():
            if news_id in self.english_docs:
                continue
            req = self._pdf_request(doc, row)
            if req is not None:
                self.crawler.engine.crawl(req)
                scheduled = True
        if scheduled:
            raise DontCloseSpider

    def _pdf_request(self, doc: ListingDocument, row: Row) -> scrapy.Request | None:
        if doc.url in self.fetched:
            self.crawler.stats.inc_value("listings/known_skipped")
            return None
        self.fetched.add(doc.url)
        self._scheduled()
        return scrapy.Request(doc.url, callback=self.parse_pdf, errback=self.pdf_failed, priority=0,
                              meta={"hkipo_kind": "hkex_pdf"}, cb_kwargs={"doc": doc, "row": row})

    def pdf_failed(self, failure: Failure) -> Iterator[DocumentOutcome]:
        request = failure.request  # type: ignore[attr-defined]
        doc: ListingDocument = request.cb_kwargs["doc"]
        self._answered()
        yield DocumentOutcome(doc.news_id, doc.url, "failed", f"{failure.type.__name__}: {failure.getErrorMessage()}")

    async def parse_pdf(self, response: Response, doc: ListingDocument, row: Row) -> AsyncIterator[Any]:
        _, run = crawl_context(self.crawler)
        self._answered()
        if response.status != 200:
            yield DocumentOutcome(doc.news_id, doc.url, "failed", f"HTTP {response.status}")
            return
        search_row = SearchRow(news_id=doc.news_id, title=doc.title, file_link=row.file_link,
                               published_at=doc.published_at, stock_codes=row.codes, stock_names=row.names,
                               short_text="", file_type=row.file_type, file_info="")
        try:
            # Off the reactor (a worker process): a long PDF takes seconds to read.
            parsed = await offload.run(announcement_from_pdf, response.body, response.url, search_row,
                                       code=doc.hkex_code, language=doc.language)
        except UserError as e:  # not a PDF, not an allotment announcement, another issuer's code
            run.warn(f"{doc.hkex_code}: {doc.url}: refused: {e}")
            yield DocumentOutcome(doc.news_id, doc.url, "refused", str(e))
            return
        yield ListingAnnouncement(parsed)
        yield DocumentOutcome(doc.news_id, doc.url, "parsed", None)


def _row_of(doc: ListingDocument) -> Row:
    return Row(news_id=doc.news_id, title=doc.title, file_link=doc.url, file_type="PDF",
               published_at=doc.published_at, codes=(doc.hkex_code,), raw_code=doc.hkex_code, names=())


__all__ = ["DONE_WINDOWS_SETTING", "PENDING_DOCS_SETTING", "UNTIL_KEY", "ListingsSpider", "document_kind",
           "search_plan"]
