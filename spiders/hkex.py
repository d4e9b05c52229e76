"""The hkex spider: each watchlist security's allotment results announcement on HKEXnews.

Where it goes, in order: the stock-id look-up for the security's code, the
title search for "Allotment Results" in a window around its listing date,
and each matching announcement's PDF (and its Chinese `_c.pdf` when `[hkex]
fetch_chinese` is on). PDFs this parser version has already read are not
downloaded again unless `[hkex] refetch_known_pdfs` is on. What each answer
means is hkipo/extract/hkex_search.py; storing is
`pipelines.crawl.AnnouncementPipeline`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from hkipo.core import offload
from hkipo.core.config import HkexConfig, Security
from hkipo.core.errors import UserError
from hkipo.core.items import ParsedAnnouncement
from hkipo.extract.formal_notice import ParsedFormalNotice, formal_notice_from_pdf
from hkipo.extract.over_allotment import over_allotment_announcement
from spiders.context import SKIP_URLS_SETTING, crawl_context
from hkipo.extract.hkex_search import (
    HkexFormatError,
    SearchRow,
    announcement_from_pdf,
    is_allotment_results,
    parse_stock_id,
    parse_title_search,
    pdf_url,
    stock_id_url,
    title_search_url,
)


def search_window(security: Security, hkex: HkexConfig, *, since: dt.date | None,
                  today: dt.date) -> tuple[dt.date, dt.date]:
    """Listing date minus/plus the configured days; without one, the last `search_days_before` days."""
    if security.listing_date is not None:
        start = security.listing_date - dt.timedelta(days=hkex.search_days_before)
        end = security.listing_date + dt.timedelta(days=hkex.search_days_after)
    else:
        start, end = today - dt.timedelta(days=hkex.search_days_before), today
    if since is not None:
        start = since
    return start, max(start, end)


class HkexSpider(scrapy.Spider):
    name = "hkex"
    custom_settings = {
        # Announcement PDFs run to a few MB; a prospectus linked by mistake can be 30.
        "DOWNLOAD_MAXSIZE": 64 * 1024 * 1024,
    }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fetched: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        ctx, _ = crawl_context(self.crawler)
        # Parsed before by this parser version (HKIPO_SKIP_URLS, from pipelines/crawl.py): nothing new to read.
        self.fetched = set(self.crawler.settings.get(SKIP_URLS_SETTING) or ())
        for security in ctx.securities():
            yield scrapy.Request(stock_id_url(ctx.config.hkex.base_url, security.code), callback=self.parse_stock_id,
                                 cb_kwargs={"security": security}, meta={"hkipo_kind": "hkex_stock_id"})

    def parse_stock_id(self, response: Response, security: Security) -> Iterator[scrapy.Request]:
        ctx, run = crawl_context(self.crawler)
        if response.status != 200:
            return  # FailureRecorder has put the HTTP error on the run
        try:
            stock_id = parse_stock_id(response.body, security.code)
        except HkexFormatError as e:
            run.warn(f"{security.code}: {e} ({response.url})")
            return
        if stock_id is None:
            run.warn(f"{security.code}: HKEXnews does not know this stock code (yet)")
            return
        hkex = ctx.config.hkex
        start, end = search_window(security, hkex, since=ctx.since, today=dt.date.today())
        for keyword in hkex.title_keywords:
            url = title_search_url(hkex.search_url, stock_id=stock_id, from_date=start, to_date=end, title=keyword)
            yield scrapy.Request(url, callback=self.parse_search, cb_kwargs={"security": security},
                                 meta={"hkipo_kind": "hkex_search"})
        # Over-allotment / stabilisation announcements (after listing) from the same search (issue 12).
        for keyword in hkex.over_allotment_keywords:
            url = title_search_url(hkex.search_url, stock_id=stock_id, from_date=start, to_date=end, title=keyword)
            yield scrapy.Request(url, callback=self.parse_over_allotment_search, cb_kwargs={"security": security},
                                 meta={"hkipo_kind": "hkex_search"})
        # Formal notices (the offer's terms, published when it opens) come from the same search (issue 17).
        for keyword in ctx.config.calendar.formal_notice_keywords:
            url = title_search_url(hkex.search_url, stock_id=stock_id, from_date=start, to_date=end, title=keyword)
            yield scrapy.Request(url, callback=self.parse_formal_notice_search, cb_kwargs={"security": security},
                                 meta={"hkipo_kind": "hkex_search"})

    def _answer(self, response: Response, security: Security):  # noqa: ANN202 - a parsed title-search page
        """The title search's answer, or None (a non-200 answer; an unreadable one, warned on the run)."""
        if response.status != 200:
            return None
        try:
            return parse_title_search(response.body)
        except HkexFormatError as e:
            crawl_context(self.crawler)[1].warn(f"{security.code}: {e} ({response.url})")
            return None

    def parse_search(self, response: Response, security: Security) -> Iterator[scrapy.Request]:
        ctx, run = crawl_context(self.crawler)
        page = self._answer(response, security)
        if page is None:
            return
        if page.has_more:
            run.warn(f"{security.code}: the title search has more rows than one page; narrow [hkex] search_days_*")
        hkex = ctx.config.hkex
        found = _rows_for(page, security, hkex.title_keywords)
        self.crawler.stats.inc_value("hkex/search_rows", len(page.rows))
        if not found:
            run.warn(f"{security.code}: no allotment results announcement on HKEXnews between the dates searched")
        for row in found:
            versions = [("en", False)] + ([("zh", True)] if hkex.fetch_chinese else [])
            for language, chinese in versions:
                url = pdf_url(hkex.base_url, row.file_link, chinese=chinese)
                if url in self.fetched:
                    self.crawler.stats.inc_value("hkex/known_skipped")
                    continue
                self.fetched.add(url)
                yield scrapy.Request(url, callback=self.parse_pdf, meta={"hkipo_kind": "hkex_pdf"},
                                     cb_kwargs={"security": security, "row": row, "language": language})

    def parse_formal_notice_search(self, response: Response, security: Security) -> Iterator[scrapy.Request]:
        """Formal notices in the window; none is normal (an IPO listed long ago, or not yet launched)."""
        ctx, run = crawl_context(self.crawler)
        page = self._answer(response, security)
        if page is None:
            return
        found = _rows_for(page, security, ctx.config.calendar.formal_notice_keywords)
        self.crawler.stats.inc_value("hkex/formal_notice_rows", len(found))
        for row in found:
            url = pdf_url(ctx.config.hkex.base_url, row.file_link)
            if url in self.fetched:
                self.crawler.stats.inc_value("hkex/known_skipped")
                continue
            self.fetched.add(url)
            yield scrapy.Request(url, callback=self.parse_formal_notice_pdf, meta={"hkipo_kind": "hkex_pdf"},
                                 cb_kwargs={"security": security, "row": row})

    def parse_over_allotment_search(self, response: Response, security: Security) -> Iterator[scrapy.Request]:
        """Over-allotment / stabilisation announcements in the window; none is normal (not yet published)."""
        ctx, run = crawl_context(self.crawler)
        page = self._answer(response, security)
        if page is None:
            return
        found = _rows_for(page, security, ctx.config.hkex.over_allotment_keywords)
        self.crawler.stats.inc_value("hkex/over_allotment_rows", len(found))
        for row in found:
            url = pdf_url(ctx.config.hkex.base_url, row.file_link)
            if url in self.fetched:
                self.crawler.stats.inc_value("hkex/known_skipped")
                continue
            self.fetched.add(url)
            yield scrapy.Request(url, callback=self.parse_over_allotment_pdf, meta={"hkipo_kind": "hkex_pdf"},
                                 cb_kwargs={"security": security, "row": row})

    async def parse_over_allotment_pdf(self, response: Response, security: Security,
                                       row: SearchRow) -> AsyncIterator[ParsedAnnouncement]:
        _, run = crawl_context(self.crawler)
        if response.status != 200:
            return
        try:
            # Off the reactor (a worker process), as allotment results are.
            parsed = await offload.run(
                over_allotment_announcement, response.body,
                announcement_id=f"{row.news_id or hashlib.sha1(response.url.encode()).hexdigest()[:12]}-en",
                url=response.url, code=security.code, title=row.title or "Over-allotment option / stabilisation",
                language="en", published_at=row.published_at)
        except UserError as e:  # not a PDF, not an over-allotment announcement, another issuer's code
            run.warn(f"{security.code}: {e}")
            return
        yield parsed

    async def parse_formal_notice_pdf(self, response: Response, security: Security,
                                      row: SearchRow) -> AsyncIterator[ParsedFormalNotice]:
        _, run = crawl_context(self.crawler)
        if response.status != 200:
            return
        try:
            # Off the reactor (a worker process), as allotment results are.
            parsed = await offload.run(formal_notice_from_pdf, response.body, response.url, news_id=row.news_id,
                                       title=row.title, published_at=row.published_at, code=security.code,
                                       language="en")
        except UserError as e:  # not a PDF, not a formal notice (a prospectus...), another issuer's code
            run.warn(f"{security.code}: {e}")
            return
        yield parsed

    async def parse_pdf(self, response: Response, security: Security, row: SearchRow,
                        language: str) -> AsyncIterator[ParsedAnnouncement]:
        _, run = crawl_context(self.crawler)
        if response.status != 200:
            return
        try:
            # Off the reactor (a worker process): a 50-page PDF takes seconds to read.
            parsed = await offload.run(announcement_from_pdf, response.body, response.url, row, code=security.code,
                                       language=language)
        except UserError as e:  # not a PDF, not an allotment announcement, another issuer's code
            run.warn(f"{security.code}: {e}")
            return
        yield parsed


def _rows_for(page, security: Security, keywords) -> list:  # noqa: ANN001
    """The answer's rows whose title matches one of `keywords` and that are about this security."""
    return [r for r in page.rows if is_allotment_results(r, keywords)
            and (not r.stock_codes or security.code in r.stock_codes)]
