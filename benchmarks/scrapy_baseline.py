"""Scrapy's own throughput on a cassette: the crawl benchmark's baseline (run in its own process).

    python -m benchmarks.scrapy_baseline CASSETTE FEED_URL...

The same replay machinery as hkipo's crawls (HttpCacheMiddleware with
`spiders.cassette_storage.CassetteCacheStorage`, replay-only download
handlers, robots.txt obeyed, the same concurrency settings), a trivial parse
(feed links by regex, article pages read and dropped) and no item pipeline.
Prints one JSON line: responses, seconds (Scrapy's own start→finish), misses.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess

from hkipo.core.cassette import Replayer
from spiders.cassette_storage import REPLAYER_SETTING
from spiders.runner import crawler_settings
from spiders.settings import cassette_settings

_LINK = re.compile(rb"<link>([^<]+)</link>")


class TrivialSpider(scrapy.Spider):
    name = "trivial"

    def __init__(self, feeds: list[str], **kwargs: Any):
        super().__init__(**kwargs)
        self.feeds = feeds

    async def start(self):  # noqa: ANN201
        for url in self.feeds:
            yield scrapy.Request(url, callback=self.parse_feed)

    def parse_feed(self, response: scrapy.http.Response):  # noqa: ANN201
        for m in _LINK.finditer(response.body):
            url = m.group(1).decode()
            if url != response.url:
                yield scrapy.Request(url, callback=self.parse_page, dont_filter=True)

    def parse_page(self, response: scrapy.http.Response) -> None:
        len(response.body)


def main(argv: list[str]) -> int:
    cassette, feeds = argv[0], argv[1:]
    replayer = Replayer(cassette)
    settings = crawler_settings()
    settings.set("ADDONS", {}, priority="cmdline")
    settings.set("EXTENSIONS", {}, priority="cmdline")
    settings.set("DOWNLOADER_MIDDLEWARES", {}, priority="cmdline")
    settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    for name, value in cassette_settings(replay=True, record=False).items():
        settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(TrivialSpider)
    # On the crawler's own settings (Scrapy deep-copies settings; a Replayer holds a lock), as run_crawl does.
    crawler.settings.set(REPLAYER_SETTING, replayer, priority="cmdline")
    process.crawl(crawler, feeds=feeds)
    process.start()
    stats = crawler.stats.get_stats()
    seconds = (stats["finish_time"] - stats["start_time"]).total_seconds()
    print(json.dumps({"responses": stats.get("downloader/response_count", 0), "seconds": seconds,
                      "misses": len(replayer.misses)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
