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


class UnreachableHosts:
    """A host whose DNS lookup failed or that refused the connection is not asked again this run.

    Placed just above RetryMiddleware (550): its process_exception runs first,
    marks the host and sets `dont_retry`, so the failure goes straight to
    FailureRecorder; its process_request drops any later request to that host
    (robots.txt's included) without a lookup. See hkipo/core/reach.py.
    """

    def __init__(self, crawler: Crawler):
        from hkipo.core.reach import registry

        self.crawler = crawler
        self.reach = registry

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UnreachableHosts:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        from hkipo.core.reach import HostUnreachable

        host = _host(request.url)
        if not host:
            return None
        try:
            self.reach.before(host)
        except HostUnreachable as e:
            self.crawler.stats.inc_value("hkipo/unreachable_skipped")
            raise IgnoreRequest(str(e)) from None
        return None

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not isinstance(exception, _unreachable_types()):
            return None
        host = _host(request.url)
        if host and self.reach.mark_down(host, f"{type(exception).__name__}: {exception}"[:200]):
            import logging

            logging.getLogger(__name__).warning("%s unreachable (%s): not asked again this run", host,
                                                type(exception).__name__)
            self.crawler.stats.inc_value("hkipo/unreachable_hosts")
        request.meta["dont_retry"] = True
        return None


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        return f"{parts.hostname}:{parts.port}" if parts.port else (parts.hostname or "")
    except ValueError:
        return ""


def _unreachable_types() -> tuple[type[BaseException], ...]:
    """DNS failures and refused connections, as Twisted raises them and as Scrapy >= 2.13 wraps them."""
    import scrapy.exceptions as sx
    from twisted.internet.error import ConnectionRefusedError, DNSLookupError, NoRouteError

    wrapped = tuple(t for t in (getattr(sx, "CannotResolveHostError", None),
                                getattr(sx, "DownloadConnectionRefusedError", None)) if t is not None)
    return (DNSLookupError, ConnectionRefusedError, NoRouteError, *wrapped)
