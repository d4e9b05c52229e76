"""The crawl jobs (`news`, `hkex`), and the warehouse's side of every Scrapy crawl.

Spiders only navigate (spiders/); this module, one layer up, connects a
crawl to the warehouse: its item pipelines store what the spiders yield
(articles in batches, each announcement in its own transaction), it tells the spider which URLs are already stored
(HKIPO_SKIP_URLS) so they are not fetched again, and, when no job runner
wraps the crawl (`scrapy crawl news` from the repository root), it builds
the job context from HKIPO_CONFIG / HKIPO_DB / HKIPO_CASSETTE / HKIPO_RECORD
(settings, else the environment), records the run and finishes it when the
spider closes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings, Settings
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from hkipo.core import offload
from hkipo.core.config import load_config
from hkipo.core.context import JobContext
from hkipo.core.errors import UserError
from hkipo.core.items import ArticleItem, ParsedAnnouncement
from hkipo.core.runs import RunRecord
from hkipo.extract.formal_notice import ParsedFormalNotice
from pipelines.announcements import known_pdf_urls, write_announcement
from pipelines.articles import (
    Prepared,
    known_article_urls,
    prepare_item,
    store_prepared,
    with_item,
    worker_context,
)
from pipelines.calendar import known_formal_notice_urls, write_announcement_calendar, write_formal_notice
from pipelines.runs import begin_run, end_run, write
from spiders.context import CONTEXT_SETTING, RUN_SETTING, SKIP_URLS_SETTING, HkipoAddon, crawl_context
from spiders.runner import run_crawl

log = logging.getLogger(__name__)
T = TypeVar("T")

SETTINGS_MODULE = "pipelines.scrapy_settings"
STANDALONE_SETTING = "HKIPO_STANDALONE"


# What the worker processes import once (in the forkserver) instead of once per worker.
NEWS_PRELOAD = ("hkipo.extract.article", "pipelines.articles")
HKEX_PRELOAD = ("hkipo.extract.hkex_search",)


def run_news_job(ctx: JobContext, run: RunRecord) -> None:
    """The `news` job: feeds to articles (spiders/news.py, pipelines/articles.py)."""
    run_crawl("news", ctx, run, settings_module=SETTINGS_MODULE, preload=NEWS_PRELOAD)


def run_hkex_job(ctx: JobContext, run: RunRecord) -> None:
    """The `hkex` job: HKEXnews announcements (spiders/hkex.py, pipelines/announcements.py)."""
    run_crawl("hkex", ctx, run, settings_module=SETTINGS_MODULE, preload=HKEX_PRELOAD)


def context_from_settings(settings: BaseSettings) -> JobContext:
    """A JobContext for `scrapy crawl`: settings first, then $HKIPO_* variables, then defaults."""

    def pick(name: str) -> str | None:
        return settings.get(name) or os.environ.get(name) or None

    config = load_config(pick("HKIPO_CONFIG"))
    cassette, record = pick("HKIPO_CASSETTE"), pick("HKIPO_RECORD")
    if cassette and record:
        raise UserError("HKIPO_CASSETTE (replay) and HKIPO_RECORD (record live) exclude each other")
    return JobContext(
        config=config,
        db_path=config.db_path(settings.get("HKIPO_DB")),
        cassette=Path(cassette) if cassette else None,
        record=Path(record) if record else None,
    )


def skip_urls(ctx: JobContext, spider: str) -> set[str]:
    """What this spider need not fetch again: stored article URLs, PDFs this parser version has read."""
    if spider == "news" and not ctx.config.news.refetch_known_urls:
        return known_article_urls(ctx)
    if spider in ("hkex", "listings") and not ctx.config.hkex.refetch_known_pdfs:
        return known_pdf_urls(ctx) | known_formal_notice_urls(ctx)
    return set()


class WarehouseAddon:
    """Runs before `spiders.context.HkipoAddon`: the context (built here when no job made one) and skip list."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarehouseAddon:
        return cls(crawler)

    def update_settings(self, settings: Settings) -> None:
        ctx = settings.get(CONTEXT_SETTING)
        if ctx is None:
            ctx = context_from_settings(settings)
            settings.set(CONTEXT_SETTING, ctx, priority="cmdline")
            settings.set(RUN_SETTING, begin_run(ctx, self.crawler.spidercls.name), priority="cmdline")
            settings.set(STANDALONE_SETTING, True, priority="cmdline")
            # After CrawlOutcome (order 0), which puts the crawl's outcome on the run first.
            settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"), f"{__name__}.StandaloneRunEnd": 10},
                         priority="cmdline")
        settings.set(SKIP_URLS_SETTING, skip_urls(ctx, self.crawler.spidercls.name), priority="cmdline")
        if self.crawler.spidercls.name == "listings":  # what a resumed discovery need not ask again
            from pipelines.listings import done_windows, pending_documents
            from spiders.listings import DONE_WINDOWS_SETTING, PENDING_DOCS_SETTING

            settings.set(DONE_WINDOWS_SETTING, done_windows(ctx), priority="cmdline")
            settings.set(PENDING_DOCS_SETTING, pending_documents(ctx), priority="cmdline")


class StandaloneRunEnd:
    """Finishes the run a `scrapy crawl` began (WarehouseAddon): recording, misses, statistics."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StandaloneRunEnd:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Spider, reason: str) -> Deferred:
        ctx, run = self.crawler.settings.get(CONTEXT_SETTING), self.crawler.settings.get(RUN_SETTING)
        addon = self.crawler.get_addon(HkipoAddon)
        # The statistics rebuild writes (and may wait for the lock): on a thread, not the reactor.
        return deferToThread(end_run, ctx, run, replayer=addon.replayer if addon else None,
                             recorder=addon.recorder if addon else None)


class Writer:
    """The warehouse's writes of one crawl, in order, on one thread of their own.

    A write opens the file, may wait for another writer's lock (with back-off
    sleeps) and runs a transaction: none of that may happen on the reactor
    thread, where it would stall every download. `await writer.call(fn, ...)`
    runs fn in the writer thread and resumes on the reactor's loop. Every item
    pipeline of a crawl shares one (`Writer.of(crawler)`), so writes keep the
    order they were handed over in (an announcement before the outcome that
    says it was parsed); the last pipeline to `release` it stops the thread.
    """

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hkipo-writer")
        self._users = 0

    @classmethod
    def of(cls, crawler: Crawler) -> Writer:
        writer = getattr(crawler, "_hkipo_writer", None)
        if writer is None:
            writer = cls()
            crawler._hkipo_writer = writer  # type: ignore[attr-defined]
        writer._users += 1
        return writer

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self._thread.submit(fn, *args))

    def release(self) -> None:
        self._users -= 1
        if self._users <= 0:
            self._thread.shutdown(wait=True)


class ArticlePipeline:
    """Scrapy item pipeline: pages prepared in the worker pool, stored in batches of `[news] batch_size`.

    Tagging, fingerprinting and claims extraction (`articles.prepare`) run in
    `hkipo.core.offload`'s worker processes; each batch is written by the
    crawl's writer thread once `batch_size` pages are prepared, and the rest at
    close. The reactor only hands pages over and counts.
    """

    def __init__(self, crawler) -> None:  # noqa: ANN001 - scrapy.crawler.Crawler
        self.crawler = crawler
        self.pending: list[Prepared] = []
        self.skipped: Counter = Counter()
        self.pages = 0

    @classmethod
    def from_crawler(cls, crawler) -> ArticlePipeline:  # noqa: ANN001
        return cls(crawler)

    def open_spider(self) -> None:
        self.ctx, self.run = crawl_context(self.crawler)
        self.securities = self.ctx.securities()
        self.batch_size = self.ctx.config.news.batch_size
        self.writer = Writer.of(self.crawler)
        self.key = uuid.uuid4().hex
        self.context: bytes | None = None  # read from the warehouse on the writer thread, at the first page

    async def process_item(self, item: object) -> object:
        if isinstance(item, ArticleItem):
            if self.context is None:
                self.context = await self.writer.call(worker_context, self.ctx, self.securities)
            out = await offload.run(prepare_item, item, self.key, self.context)
            self.pages += 1
            if isinstance(out, str):
                self.skipped[out] += 1
                log.debug("not stored (%s): %s", out, item.article.fetched_url)
            else:
                self.pending.append(with_item(out, item))
            if self.pages >= self.batch_size:
                await self._flush()
        return item

    async def close_spider(self) -> None:
        n = len(self.pending)
        try:
            await self._flush()
        except Exception as e:  # Scrapy only logs errors raised here; the run must say so
            log.exception("storing the last batch of articles failed")
            self.run.fail(f"storing {n} articles failed (rolled back): {type(e).__name__}: {e}")
        finally:
            self.writer.release()

    async def _flush(self) -> None:
        prepared, skipped, pages = self.pending, self.skipped, self.pages
        self.pending, self.skipped, self.pages = [], Counter(), 0
        if not pages:
            return
        result = await self.writer.call(store_prepared, self.ctx, self.run, prepared, skipped, pages)
        stats = self.crawler.stats
        for key, value in (("new", result.new), ("refreshed", result.refreshed), ("copies", result.copies),
                           ("rows", result.rows)):
            stats.inc_value(f"news/articles_{key}", value)
        for reason, count in result.skipped.items():
            stats.inc_value(f"news/not_stored/{reason}", count)


class AnnouncementPipeline:
    """Scrapy item pipeline: each parsed announcement in its own transaction, on the writer thread."""

    def __init__(self, crawler) -> None:  # noqa: ANN001 - scrapy.crawler.Crawler
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler) -> AnnouncementPipeline:  # noqa: ANN001
        return cls(crawler)

    def open_spider(self) -> None:
        self.ctx, self.run = crawl_context(self.crawler)
        self.writer = Writer.of(self.crawler)

    def close_spider(self) -> None:
        self.writer.release()

    async def process_item(self, item: object) -> object:
        if isinstance(item, ParsedAnnouncement):
            for w in item.warnings:
                self.run.warn(f"{item.announcement.url}: {w}")
            n = await self.writer.call(write, self.ctx, self.run, lambda con: write_announcement(con, item)
                                       + write_announcement_calendar(con, item))
            stats = self.crawler.stats
            stats.inc_value("hkex/announcements")
            stats.inc_value("hkex/claims", len(item.claims))
            stats.inc_value("hkex/rows", n)
            log.info("%s %s (%s): %d figures, %d rows changed", item.announcement.hkex_code,
                     item.announcement.title, item.announcement.language, len(item.claims), n)
        elif isinstance(item, ParsedFormalNotice):
            for w in item.notice.warnings:
                self.run.warn(f"{item.announcement.url}: {w}")
            cal = self.ctx.config.calendar
            n = await self.writer.call(write, self.ctx, self.run, lambda con: write_formal_notice(
                con, item.notice, item.announcement, calendar=cal))
            self.crawler.stats.inc_value("hkex/formal_notices")
            self.crawler.stats.inc_value("hkex/rows", n)
            log.info("%s formal notice: %d fields, %d rows changed", item.announcement.hkex_code,
                     len(item.notice.fields), n)
        return item
