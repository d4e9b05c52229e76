"""A progress bar for crawls on a terminal: responses (replayed ones too) out of requests scheduled so far.

Feeds discover articles as they are read, so the total grows while the bar
runs. Quiet where hkipo.core.progress says bars are not wanted (not a
terminal, JSON logs, the daemon).
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from hkipo.core import progress


class CrawlProgress:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stack = ExitStack()
        self.bar: Any = None
        self.n_scheduled = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        ext = cls(crawler)
        if progress.wanted():
            crawler.signals.connect(ext.opened, signal=signals.spider_opened)
            crawler.signals.connect(ext.scheduled, signal=signals.request_scheduled)
            crawler.signals.connect(ext.done, signal=signals.response_received)
            crawler.signals.connect(ext.done, signal=signals.request_dropped)
            crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider: Any) -> None:
        if getattr(spider, "progress", None) is not None:  # the spider draws its own (discovery)
            return
        self.bar = self.stack.enter_context(progress.progress_bar(f"{spider.name} crawl", total=0, unit="req"))

    def scheduled(self, request: Any, spider: Any) -> None:
        self.n_scheduled += 1
        if self.bar is not None:
            self.bar.total = self.n_scheduled
            self.bar.refresh()

    def done(self, request: Any, spider: Any, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def closed(self, spider: Any, reason: str) -> None:
        self.stack.close()
        self.bar = None
