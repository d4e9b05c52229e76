"""How a Scrapy crawl is wired into hkipo: job context, config, cassettes, outcome.

`spiders.runner.run_crawl` puts the job's `JobContext` and `RunRecord` into the
crawler's settings (HKIPO_CONTEXT, HKIPO_RUN); spiders and item pipelines get
them with `crawl_context(crawler)`. What is already stored (URLs not to fetch
again) arrives the same way, as HKIPO_SKIP_URLS, from the layer that knows
the warehouse (pipelines/crawl.py): spiders never read the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from twisted.python.failure import Failure

from hkipo.core.cassette import Recorder, Replayer
from hkipo.core.context import JobContext
from hkipo.core.runs import RunRecord
from spiders.cassette_storage import RECORDER_SETTING, REPLAYER_SETTING
from spiders.settings import cassette_settings, politeness_settings

log = logging.getLogger(__name__)

CONTEXT_SETTING = "HKIPO_CONTEXT"
RUN_SETTING = "HKIPO_RUN"
SKIP_URLS_SETTING = "HKIPO_SKIP_URLS"  # a set of URLs already stored: not fetched again
MAX_LISTED = 10  # failures named one by one in the run record; the rest are counted


def crawl_context(crawler: Crawler) -> tuple[JobContext, RunRecord]:
    """The job context and run record of this crawl (set by run_crawl or the add-on)."""
    ctx = crawler.settings.get(CONTEXT_SETTING)
    run = crawler.settings.get(RUN_SETTING)
    if not isinstance(ctx, JobContext) or not isinstance(run, RunRecord):
        raise RuntimeError(
            f"{CONTEXT_SETTING}/{RUN_SETTING} are not set: run crawls through `hkipo crawl`, or with "
            "`scrapy crawl` from the repository root (scrapy.cfg names pipelines.scrapy_settings)"
        )
    return ctx, run


class HkipoAddon:
    """Applies the job's config to the crawler before it starts.

    Politeness comes from [politeness]; replay/record mode from the context's
    cassette/record paths, with the Replayer or Recorder this crawl uses.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.replayer: Replayer | None = None
        self.recorder: Recorder | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HkipoAddon:
        return cls(crawler)

    def update_settings(self, settings: Settings) -> None:
        ctx = settings.get(CONTEXT_SETTING)
        if not isinstance(ctx, JobContext):
            raise RuntimeError(f"{CONTEXT_SETTING} is not set: run crawls through `hkipo crawl`, or with "
                               "`scrapy crawl` from the repository root (scrapy.cfg names pipelines.scrapy_settings)")
        for name, value in politeness_settings(ctx.config.politeness).items():
            settings.set(name, value, priority="project")
        if ctx.cassette and ctx.record:
            raise ValueError("a crawl cannot replay and record at once")
        for name, value in cassette_settings(replay=ctx.cassette is not None, record=ctx.record is not None).items():
            # Above a spider's custom_settings: a replay must never be talked into the network.
            settings.set(name, value, priority="cmdline")
        if ctx.cassette is not None:
            self.replayer = Replayer(ctx.cassette)
            settings.set(REPLAYER_SETTING, self.replayer, priority="cmdline")
        if ctx.record is not None:
            self.recorder = Recorder(Path(ctx.record))
            settings.set(RECORDER_SETTING, self.recorder, priority="cmdline")


@dataclass
class Outcome:
    """What a finished crawl did, read from its stats."""

    finish_reason: str
    responses: int
    items: int
    misses: list[str]
    seconds: float

    @property
    def pages_per_second(self) -> float:
        return self.responses / self.seconds if self.seconds > 0 else 0.0


class CrawlOutcome:
    """Turns spider errors, failed requests and the finish reason into the run record.

    Spider and pipeline exceptions fail the run (they are bugs or bad data we
    must look at); failed requests and HTTP errors are warnings, unless
    nothing at all could be fetched (then the run failed, with the first
    error, so `hkipo refresh` can tell "offline" from "a source broke").
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.spider_errors: list[str] = []
        self.outcome: Outcome | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlOutcome:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_error(self, failure: Failure, response: Any, spider: Spider) -> None:
        url = getattr(response, "url", "?")
        self.spider_errors.append(f"parsing {url} raised {failure.type.__name__}: {failure.getErrorMessage()}")

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Failure) -> None:
        url = getattr(response, "url", "?")
        self.spider_errors.append(f"pipeline failed on an item from {url}: "
                                  f"{failure.type.__name__}: {failure.getErrorMessage()}")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        _, run = crawl_context(self.crawler)
        stats = self.crawler.stats.get_stats()
        from spiders.middlewares import FailureRecorder

        recorder = self.crawler.get_downloader_middleware(FailureRecorder)
        failures = recorder.failures if recorder else []
        responses = int(stats.get("downloader/response_count", 0))
        started = stats.get("start_time")
        finished = stats.get("finish_time")
        seconds = (finished - started).total_seconds() if started and finished else 0.0
        addon = self.crawler.get_addon(HkipoAddon)
        misses = list(addon.replayer.misses) if addon and addon.replayer else []
        self.outcome = Outcome(reason, responses, int(stats.get("item_scraped_count", 0)), misses, seconds)

        for message in self.spider_errors[:MAX_LISTED]:
            run.fail(message)
        if len(self.spider_errors) > MAX_LISTED:
            run.fail(f"... and {len(self.spider_errors) - MAX_LISTED} more parse/pipeline errors")
        from hkipo.core.reach import registry as reach

        if reach.down and responses == 0 and reach.all_down():
            run.fail(f"no source reachable: {reach.summary()}; no network, or DNS or a firewall blocks it?")
        elif reach.down:
            run.warn(f"{reach.summary()}; {reach.skipped} request(s) to them not made")
        if failures and responses == 0:
            run.fail(f"no page could be fetched ({len(failures)} failures); first: {failures[0]}")
        else:
            for message in failures[:MAX_LISTED]:
                run.warn(message)
            if len(failures) > MAX_LISTED:
                run.warn(f"... and {len(failures) - MAX_LISTED} more failed requests")
        forbidden = int(stats.get("robotstxt/forbidden", 0))
        if forbidden:
            run.warn(f"{forbidden} request(s) not made: forbidden by robots.txt")
        if reason == "closespider_timeout":
            run.warn(f"crawl stopped at the time limit ([politeness] crawl_timeout_seconds); "
                     f"{responses} responses so far")
        elif reason == "shutdown":
            run.fail("crawl interrupted (shutdown requested)")
        elif reason != "finished":
            run.warn(f"crawl finished early: {reason}")
        log.info("%s: %s, %d responses, %d items in %.1fs (%.0f pages/s)%s", spider.name, reason, responses,
                 self.outcome.items, seconds, self.outcome.pages_per_second,
                 f"; {len(misses)} cassette misses" if misses else "")
