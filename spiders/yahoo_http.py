"""The HTTP layer under yfinance: live, replayed from a cassette, or recorded.

yfinance 1.x talks through curl_cffi, which vcrpy cannot see, and keeps one
process-wide `YfData` (session, cookie, crumb, cookie strategy). So instead of
patching a client we hand yfinance the session it should use, chosen once per
job run by `open_transport`:

- live: a curl_cffi session impersonating Chrome (what yfinance would build
  itself; Yahoo blocks plain clients), logging each exchange;
- replay (`--cassette`): a curl_cffi session too (the live client's class, so
  yfinance handles the same response and error types), whose `request` answers
  from `hkipo.core.cassette.Replayer` and never performs. A request that is not in
  the cassette raises `CassetteMiss` on the spot, and `check()` raises again
  at the end in case yfinance swallowed it;
- record (`hkipo record`): the live curl_cffi session, with every response
  handed to `hkipo.core.cassette.Recorder` (cookies and the crumb scrubbed).

Replay builds query strings with curl_cffi's own function, so a cassette
recorded live (`includePrePost=false`) matches a replayed request exactly
(`False` would not match). Matching ignores period1/period2/crumb.

yfinance's process-wide state is reset deliberately at the start and end of
every run (`_bind_yfinance`): a fresh `YfData` holding our session, and in
replay/record no persistent cookie/tz cache, so each run makes the same,
complete sequence of requests (fc.yahoo.com, getcrumb, chart) whatever ran
before it in the process or on the machine.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from curl_cffi import requests as curl_requests
from curl_cffi.requests.headers import Headers
from curl_cffi.requests.utils import requote_uri, update_url_params

from hkipo.core import reach
from hkipo.core.cassette import SCRUBBED, Recorder, Replayer
from hkipo.core.errors import CassetteMiss, UserError

log = logging.getLogger(__name__)

# Every .HK symbol trades in this zone; telling yfinance saves a request per
# symbol (its tz probe) and avoids its `.info` fallback to another endpoint.
HK_TZ = "Asia/Hong_Kong"
# Yahoo's session endpoints: their answers are per-session secrets.
CRUMB_PATH = "/v1/test/getcrumb"
IMPERSONATE = "chrome"


@dataclass(frozen=True)
class Exchange:
    """One HTTP exchange as the job saw it (for diagnostics and tests)."""

    method: str
    url: str
    status: int | None
    reason: str = ""
    error: str | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


@dataclass
class ExchangeLog:
    """Every exchange of one run, in order; thread-safe appends."""

    items: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, item: Exchange) -> None:
        with self._lock:
            self.items.append(item)

    def for_path(self, suffix: str) -> list[Exchange]:
        with self._lock:
            return [e for e in self.items if e.path.endswith(suffix)]


def build_url(url: str, params: Mapping[str, Any] | list | tuple | None) -> str:
    """The URL with `params` encoded, and the rest re-quoted, exactly as curl_cffi sends it live.

    (curl_cffi's own steps: `update_url_params`, then `requote_uri`, which
    percent-encodes characters such as the `^` of ^HSI.)
    """
    return requote_uri(update_url_params(url, params) if params else url)


# ---------------------------------------------------------------------------
# replay: the live client's own class, answering from the cassette
# ---------------------------------------------------------------------------

def _request_body(data: Any, json_body: Any) -> bytes | None:
    if json_body is not None:
        return json.dumps(json_body).encode()
    if isinstance(data, Mapping):
        return urlencode(list(data.items())).encode()
    if isinstance(data, str):
        return data.encode()
    return data


class ReplaySession(curl_requests.Session):
    """What yfinance gets under `--cassette`: a curl_cffi session, like live, that never performs.

    `request` (which `get`/`post` go through) answers from the cassette with a
    curl_cffi `Response`, so yfinance parses, raises and retries on exactly the
    objects it gets live; no curl handle is ever performed.
    """

    def __init__(self, replayer: Replayer, exchanges: ExchangeLog):
        super().__init__(impersonate=IMPERSONATE)
        self.trust_env = False  # no proxies or .netrc from the environment: nothing leaves
        self.replayer = replayer
        self.exchanges = exchanges

    def request(self, method: Any, url: str, params: Any = None, data: Any = None,  # type: ignore[override]
                json: Any = None, headers: Any = None, **kwargs: Any) -> curl_requests.Response:
        method = str(method).upper()
        sent = build_url(str(url), params)
        body = _request_body(data, json)
        return self.answer(curl_requests.Request(sent, Headers(headers or {}), method, body))

    def answer(self, request: curl_requests.Request) -> curl_requests.Response:
        """The cassette's answer to `request`, or CassetteMiss (logged, and raised again by check())."""
        found = self.replayer.lookup(request.method, request.url, request.body)
        if found is None:
            self.exchanges.add(Exchange(request.method, request.url, None, error="not in cassette"))
            raise CassetteMiss(f"request not in cassette {self.replayer.path}: {request.method} {request.url}")
        self.exchanges.add(Exchange(request.method, request.url, found.status, found.reason))
        resp = curl_requests.Response(request=request)
        resp.status_code = found.status
        resp.reason = found.reason
        resp.ok = 200 <= found.status < 400
        resp.headers = Headers([(k, v) for k, values in found.headers.items() for v in values])
        resp.content = found.body
        resp.url = found.url or request.url
        return resp


# ---------------------------------------------------------------------------
# live and record: curl_cffi, as yfinance itself would use it
# ---------------------------------------------------------------------------

class LiveSession(curl_requests.Session):
    """yfinance's own kind of transport (curl_cffi, Chrome fingerprint), logging each exchange.

    With a `recorder`, every response is also written to the cassette.
    """

    def __init__(self, exchanges: ExchangeLog, *, timeout: float, recorder: Recorder | None = None):
        super().__init__(impersonate=IMPERSONATE, timeout=timeout)
        self.exchanges = exchanges
        self.recorder = recorder

    def request(self, method: Any, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        host = urlsplit(str(url)).hostname or ""
        reach.registry.before(host)  # a host found unreachable in this run is not asked again
        try:
            resp = super().request(method, url, *args, **kwargs)
        except Exception as e:
            self.exchanges.add(Exchange(str(method), url, None, error=f"{type(e).__name__}: {e}"))
            reason = unreachable_reason(e)
            if reason is not None:
                if reach.registry.mark_down(host, reason):
                    log.warning("%s unreachable (%s): not asked again this run", host, reason)
                raise reach.HostUnreachable(host, reason) from e
            raise
        sent = resp.request.url if resp.request is not None else url
        self.exchanges.add(Exchange(str(method), sent, resp.status_code, resp.reason or ""))
        if self.recorder is not None:
            record_response(self.recorder, str(method), resp)
        return resp


# libcurl's codes for "this host cannot be reached at all": proxy or host name not
# resolved, connection refused or no route. Time-outs (28) and resets (56) stay retryable.
_UNREACHABLE_CURL_CODES = {5: "DNS lookup failed (proxy)", 6: "DNS lookup failed", 7: "connection refused or no route"}


def unreachable_reason(exc: BaseException) -> str | None:
    """Why `exc` means the host is unreachable for this run (DNS failure, refused connection), or None."""
    code = getattr(exc, "code", None)
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    if code in _UNREACHABLE_CURL_CODES:
        return f"{_UNREACHABLE_CURL_CODES[code]}: {str(exc).splitlines()[0][:160]}"
    return None


def record_response(recorder: Recorder, method: str, resp: Any) -> None:
    """Hand one curl_cffi response to the recorder, with Yahoo's session secrets removed.

    The Recorder drops cookies, Set-Cookie and the `crumb` query parameter;
    the crumb also travels as the body of /v1/test/getcrumb, removed here.
    """
    req = resp.request
    sent_url = req.url if req is not None else resp.url
    body = resp.content or b""
    if urlsplit(sent_url).path.endswith(CRUMB_PATH) and resp.status_code == 200:
        body = SCRUBBED.encode()
    headers = list(resp.headers.multi_items()) if hasattr(resp.headers, "multi_items") else list(resp.headers.items())
    req_headers = list(req.headers.multi_items()) if req is not None and hasattr(req.headers, "multi_items") else []
    recorder.add(
        method,
        sent_url,
        req_headers,
        req.body if req is not None else None,
        resp.status_code,
        resp.reason or "",
        [(k, v) for k, v in headers if "cookie" not in k.lower()],
        body,
        final_url=resp.url or sent_url,
    )


# ---------------------------------------------------------------------------
# binding yfinance to a transport for one run
# ---------------------------------------------------------------------------

@dataclass
class YahooTransport:
    """The session yfinance uses in this run, and what it saw."""

    mode: str  # 'live' | 'replay' | 'record'
    session: curl_requests.Session
    exchanges: ExchangeLog
    replayer: Replayer | None = None
    recorder: Recorder | None = None

    def ticker(self, symbol: str) -> Any:
        """A yfinance Ticker bound to this transport, its time zone known up front."""
        import yfinance as yf

        t = yf.Ticker(symbol, session=self.session)
        # Private but stable across 1.x (tests/test_yahoo_http.py checks it): with
        # the zone set, history() goes straight to the chart request.
        t._tz = HK_TZ
        return t

    def check(self) -> None:
        """Replay: raise CassetteMiss if any request went unanswered (even if yfinance swallowed it)."""
        if self.replayer is not None:
            self.replayer.check()

    def last_status(self, path_suffix: str) -> Exchange | None:
        found = self.exchanges.for_path(path_suffix)
        return found[-1] if found else None


@contextmanager
def open_transport(*, cassette: Path | None = None, record: Path | None = None,
                   timeout: float = 20.0) -> Iterator[YahooTransport]:
    """Choose the transport for this run and bind yfinance to it; undo the binding afterwards.

    A recording is saved even when the run fails: a cassette of a 429 is worth keeping.
    """
    if cassette and record:
        raise UserError("replaying a cassette and recording one at the same time makes no sense")
    exchanges = ExchangeLog()
    if cassette:
        replayer = Replayer(cassette)
        transport = YahooTransport("replay", ReplaySession(replayer, exchanges), exchanges, replayer=replayer)
    elif record:
        recorder = Recorder(Path(record))
        transport = YahooTransport("record", LiveSession(exchanges, timeout=timeout, recorder=recorder),
                                   exchanges, recorder=recorder)
    else:
        transport = YahooTransport("live", LiveSession(exchanges, timeout=timeout), exchanges)
    try:
        with _bind_yfinance(transport.session, private_caches=transport.mode != "live"):
            yield transport
    finally:
        transport.session.close()
        if transport.recorder is not None:
            n = transport.recorder.save()
            log.info("recorded %d exchange(s) to %s", n, transport.recorder.path)


def forget_yfinance_answers() -> None:
    """Drop the chart answers yfinance memoises for the process.

    yfinance sends a request whose `end` lies more than 30 minutes in the past
    through an lru_cache (`YfData.cache_get`): a retry of an empty or failed
    answer would get the same answer back without asking Yahoo again.
    """
    from yfinance.data import YfData

    clear = getattr(YfData.cache_get, "cache_clear", None)
    if clear is not None:
        clear()


@contextmanager
def _bind_yfinance(session: Any, *, private_caches: bool) -> Iterator[None]:
    """Give yfinance a fresh process-wide state that uses `session`; restore afterwards.

    - `YfData` is a singleton holding the session, cookie, crumb and cookie
      strategy: drop it and build a new one around our session, so nothing
      from an earlier run (another mode, a toggled strategy) leaks in.
    - Errors must raise, not be logged and turned into an empty frame.
    - Replay and record use no persistent cookie/tz cache: a cookie cached by
      an earlier live run would skip fc.yahoo.com while recording, and the
      cassette would then miss it on a clean machine.
    """
    from yfinance import cache as yf_cache
    from yfinance.config import YfConfig
    from yfinance.data import SingletonMeta, YfData

    if not isinstance(getattr(SingletonMeta, "_instances", None), dict):
        raise RuntimeError("this yfinance has no YfData singleton registry; hkipo's transport binding needs updating")
    saved_hide = YfConfig.debug.hide_exceptions
    saved_retries = YfConfig.network.retries
    saved_caches = (yf_cache._CookieCacheManager._Cookie_cache, yf_cache._TzCacheManager._tz_cache)
    with SingletonMeta._lock:
        SingletonMeta._instances.pop(YfData, None)
    try:
        YfConfig.debug.hide_exceptions = False
        YfConfig.network.retries = 0  # retries are ours (pipelines/prices.py), with back-off and a bound
        if private_caches:
            yf_cache._CookieCacheManager._Cookie_cache = yf_cache._CookieCacheDummy()
            yf_cache._TzCacheManager._tz_cache = yf_cache._TzCacheDummy()
        YfData(session=session)
        yield
    finally:
        with SingletonMeta._lock:
            SingletonMeta._instances.pop(YfData, None)
        YfConfig.debug.hide_exceptions = saved_hide
        YfConfig.network.retries = saved_retries
        yf_cache._CookieCacheManager._Cookie_cache, yf_cache._TzCacheManager._tz_cache = saved_caches
