"""Scrapy's HTTP cache, backed by the project's vcrpy cassettes.

vcrpy patches Python HTTP clients; Scrapy downloads through Twisted, which it
cannot see. So replay and recording happen one level up, in
`HttpCacheMiddleware`'s storage: in replay every response is served from the
cassette (`hkipo.core.cassette.Replayer`, matching method + URL + body, never
headers), and in recording every exchange the downloader makes is handed to
`hkipo.core.cassette.Recorder`. The cache middleware sits closest to the
downloader, so redirects, retries, robots.txt and decompression all run on
replayed responses as they do on live ones.

The Replayer/Recorder objects belong to whoever runs the crawl
(`spiders.context.HkipoAddon` puts them in the settings as HKIPO_REPLAYER /
HKIPO_RECORDER), who checks the misses and saves the recording afterwards.
"""

from __future__ import annotations

import gzip
import http
import logging
import zlib
from typing import Any

from scrapy import Request, Spider
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.extensions.httpcache import DummyPolicy
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import BaseSettings

from hkipo.core.cassette import Recorder, Replayer

log = logging.getLogger(__name__)

REPLAYER_SETTING = "HKIPO_REPLAYER"
RECORDER_SETTING = "HKIPO_RECORDER"


class CassettePolicy(DummyPolicy):
    """Serve every stored response and store every response, errors included.

    Freshness does not apply to a recording: a replay must see exactly what
    the recorded crawl saw, 404s and 503-then-200 retries included.
    """

    def should_cache_request(self, request: Request) -> bool:
        return request.url.startswith(("http://", "https://"))

    def should_cache_response(self, response: Response, request: Request) -> bool:
        return True


class CassetteCacheStorage:
    """HTTPCACHE_STORAGE: four methods, keyed by method + URL + body."""

    def __init__(self, settings: BaseSettings):
        self.replayer: Replayer | None = settings.get(REPLAYER_SETTING)
        self.recorder: Recorder | None = settings.get(RECORDER_SETTING)
        if self.replayer is None and self.recorder is None:
            # Never fall back to a silent pass-through: that would reach the network in "replay".
            raise RuntimeError(
                f"{type(self).__name__} needs {REPLAYER_SETTING} or {RECORDER_SETTING} in the settings "
                "(set by spiders.context.HkipoAddon from the job's cassette or record path)"
            )

    def open_spider(self, spider: Spider) -> None:
        mode = f"replaying {self.replayer.path}" if self.replayer else f"recording to {self.recorder.path}"
        log.info("%s: %s", spider.name, mode)

    def close_spider(self, spider: Spider) -> None:
        """Nothing to flush: the crawl's owner checks misses and saves the recording."""

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        if self.replayer is None:
            return None  # recording: always fetch live
        found = self.replayer.lookup(request.method, request.url, request.body or None)
        if found is None:
            return None
        headers = Headers({k: v for k, v in found.headers.items()})
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=found.body)
        return respcls(url=request.url, status=found.status, headers=headers, body=found.body)

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        if self.recorder is None:
            return
        body = decoded_body(response)
        if body is None:
            # Recorder writes bodies decompressed; a body we cannot decode would replay as garbage.
            log.error("not recorded (undecodable Content-Encoding %r): %s",
                      response.headers.get("Content-Encoding"), request.url)
            return
        self.recorder.add(
            request.method,
            request.url,
            _str_headers(request.headers),
            request.body or None,
            response.status,
            _reason(response.status),
            _str_headers(response.headers),
            body,
        )


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _str_headers(headers: Headers) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, values in headers.items():
        name = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        out[name] = [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values]
    return out


def decoded_body(response: Response) -> bytes | None:
    """The body with every Content-Encoding undone (None if one is unknown)."""
    body = response.body
    raw = response.headers.getlist("Content-Encoding")
    codings = [c.strip().lower() for v in raw for c in v.decode("latin-1").split(",") if c.strip()]
    for coding in reversed(codings):  # applied in order, so undone in reverse
        try:
            body = _decode_one(coding, body)
        except (OSError, zlib.error, EOFError, ValueError):
            return None
        if body is None:
            return None
    return body


def _decode_one(coding: str, body: bytes) -> bytes | None:
    if coding in ("identity", ""):
        return body
    if coding in ("gzip", "x-gzip"):
        return gzip.decompress(body)
    if coding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)  # raw deflate, as some servers send
    if coding == "br":
        brotli = _optional_module("brotli", "brotlicffi")
        return brotli.decompress(body) if brotli else None
    if coding == "zstd":
        zstandard = _optional_module("zstandard")
        return zstandard.ZstdDecompressor().decompressobj().decompress(body) if zstandard else None
    return None


def _optional_module(*names: str) -> Any:
    import importlib

    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


class ReplayOnlyDownloadHandler(BaseDownloadHandler):
    """The http(s) handler in replay: nothing may reach the network.

    A request only gets here if it skipped the cache (e.g. meta dont_cache);
    it counts as a miss, so the crawl fails loudly.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.replayer: Replayer | None = crawler.settings.get(REPLAYER_SETTING)

    async def download_request(self, request: Request) -> Response:
        if self.replayer is not None:
            self.replayer.misses.append(f"{request.method} {request.url} (bypassed the cassette cache)")
        # IgnoreRequest, not a connection error: RetryMiddleware must not try again.
        raise IgnoreRequest(f"replaying a cassette: no network access for {request.url}")
