"""Downloader middleware shared by hkipo's spiders."""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response


class FailureRecorder:
    """Remembers requests that finally failed, for the run record (see context.CrawlOutcome).

    Placed near the engine end of the chain, it sees responses after redirects
    and retries, and exceptions only once RetryMiddleware has given up.
    Dropped requests (robots.txt, cassette misses) are counted elsewhere.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.failures: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailureRecorder:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status >= 400 and not request.url.endswith("/robots.txt"):
            self.failures.append(f"HTTP {response.status} from {request.url}")
            self.crawler.stats.inc_value(f"hkipo/http_error/{response.status}")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, IgnoreRequest) or request.url.endswith("/robots.txt"):
            return None
        self.failures.append(f"{type(exception).__name__} fetching {request.url}: {exception}")
        self.crawler.stats.inc_value("hkipo/download_error")
        return None
