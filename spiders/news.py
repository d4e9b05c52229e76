"""The news spider: from configured feeds and watchlist searches to article pages.

It only navigates. What a feed lists is `pages.feed`, what a page says is
`pages.article`; storing, tagging and de-duplicating is
`pipelines.crawl.ArticlePipeline`, wired in by pipelines/scrapy_settings.py.

Politeness beyond Scrapy's settings: links are canonicalised before they are
requested (tracking parameters would otherwise make one article several
URLs), every article link is requested once per crawl, and links already
stored in `article_urls` (HKIPO_SKIP_URLS, from pipelines/crawl.py) are not fetched again unless
`[news] refetch_known_urls` is on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from hkipo.core import offload
from hkipo.core.urls import canonical_url
from spiders.context import SKIP_URLS_SETTING, crawl_context
from spiders.discovery import FeedSource, feed_sources
from hkipo.core.items import ArticleItem
from hkipo.extract.article import extract_article
from hkipo.extract.feed import FeedEntry, parse_feed, parse_listing


class NewsSpider(scrapy.Spider):
    name = "news"
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.requested: set[str] = set()
        self.known: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        ctx, _ = crawl_context(self.crawler)
        news = ctx.config.news
        self.known = set(self.crawler.settings.get(SKIP_URLS_SETTING) or ())
        sources = feed_sources(news, ctx.securities())
        self.logger.info("%d feeds to read; %d article URLs already stored", len(sources), len(self.known))
        for source in sources:
            yield scrapy.Request(source.url, callback=self.parse_feed, errback=self.failed,
                                 cb_kwargs={"source": source}, meta={"hkipo_kind": "feed"})

    def parse_feed(self, response: Response, source: FeedSource) -> Iterator[scrapy.Request]:
        ctx, run = crawl_context(self.crawler)
        parse = parse_listing if source.kind == "listing" else parse_feed
        page = parse(response.body, response.url, response.headers)
        for problem in page.problems:
            run.warn(f"{source.name} ({response.url}): {problem}")
        news = ctx.config.news
        entries = [e for e in page.entries if self._fresh(e, news.max_age_days)][: news.max_items_per_feed]
        self.crawler.stats.inc_value("news/feed_entries", len(entries))
        for entry in entries:
            link = canonical_url(entry.url)
            if link in self.known:
                self.crawler.stats.inc_value("news/known_skipped")
                continue
            if link in self.requested:
                continue
            self.requested.add(link)
            # dont_filter: a redirect from an aggregator may land on a page another feed links
            # directly; fetching it again lets the pipeline record both URLs, whatever the order.
            yield scrapy.Request(link, callback=self.parse_article, errback=self.failed, dont_filter=True,
                                 cb_kwargs={"via": source.name, "link": link}, meta={"hkipo_kind": "article"})

    def failed(self, failure: Failure) -> None:
        """One line per failed request (the run record gets it from FailureRecorder), not a traceback."""
        request = getattr(failure, "request", None)
        self.logger.warning("%s: %s", request.url if request else "request", failure.getErrorMessage())

    @staticmethod
    def _fresh(entry: FeedEntry, max_age_days: int) -> bool:
        if not max_age_days or entry.published_at is None:
            return True
        return entry.published_at >= dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=max_age_days)

    async def parse_article(self, response: Response, via: str, link: str) -> AsyncIterator[ArticleItem]:
        if not isinstance(response, TextResponse):
            _, run = crawl_context(self.crawler)
            run.warn(f"not a web page ({response.headers.get('Content-Type', b'?').decode('latin-1')}): "
                     f"{response.url}")
            return
        # Off the reactor (a worker process): trafilatura takes ~8 ms a page, and the downloads wait meanwhile.
        article = await offload.run(extract_article, response.body, response.url, dict(response.headers))
        hops = [link, *response.meta.get("redirect_urls", []), response.url, article.url]
        seen = tuple(dict.fromkeys(canonical_url(u) for u in hops))
        yield ArticleItem(article=article, via_feed=via, seen_urls=seen,
                          fetched_at=dt.datetime.now(dt.timezone.utc))
