"""One cassette format for every HTTP client in the project: vcrpy's YAML.

yfinance (requests / curl_cffi) and Scrapy (Twisted) cannot both be patched
by vcrpy, so neither is: each client gets an adapter (see
`spiders/yahoo_http.py` and `spiders/cassette_storage.py`) that asks a
`Replayer` for the recorded answer, or hands a `Recorder` what it fetched.
Both use vcrpy's own `Request`, matchers and serializer, so the files are
ordinary vcrpy cassettes that vcrpy itself can load.

Matching is on method, URL and body, never on headers. Query parameters that
change on every run (Yahoo's `period1`/`period2`/`crumb`, cache busters) are
ignored, so a cassette recorded last month still replays today.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml
from vcr.persisters.filesystem import FilesystemPersister
from vcr.request import Request
from vcr.serialize import deserialize
from vcr.serializers import yamlserializer

from hkipo.core.errors import CassetteMiss, UserError

log = logging.getLogger(__name__)

# Parameters whose values differ on every run and say nothing about what is asked.
VOLATILE_PARAMS = frozenset(
    {"period1", "period2", "crumb", "_", "_ts", "t", "ts", "cb", "nocache", "rand", "random"}
)
# Headers never written to a cassette (secrets and per-session state).
SCRUB_REQUEST_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization", "x-api-key"})
SCRUB_RESPONSE_HEADERS = frozenset({"set-cookie", "x-amz-cf-id", "x-request-id", "cf-ray", "report-to", "nel"})
SCRUBBED = "SCRUBBED"


def stable_url(url: str, volatile: frozenset[str] = VOLATILE_PARAMS) -> str:
    """URL with volatile query parameters dropped and the rest sorted."""
    parts = urlsplit(url)
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in volatile)
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def request_key(method: str, url: str, body: Any = None) -> tuple[str, str, bytes]:
    """What two requests must share to match: method, stable URL, body."""
    return (method.upper(), stable_url(url), _body_bytes(body))


@dataclass
class Interaction:
    request: Request
    response: dict[str, Any]


@dataclass
class Response:
    """A replayed or recorded response, client-neutral."""

    status: int
    reason: str
    headers: dict[str, list[str]]
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower() and v:
                return v[0]
        return None


def _to_response(resp: Mapping[str, Any], url: str) -> Response:
    body = resp.get("body", {}).get("string", b"")
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {k: (list(v) if isinstance(v, (list, tuple)) else [v]) for k, v in (resp.get("headers") or {}).items()}
    status = resp.get("status", {})
    return Response(
        status=int(status.get("code", 200)),
        reason=str(status.get("message", "")),
        headers=headers,
        body=body or b"",
        url=resp.get("url") or url,
    )


def load_interactions(path: str | Path) -> list[Interaction]:
    """Read a vcrpy cassette; a missing or unreadable file is a clear UserError."""
    p = Path(path)
    if not p.is_file():
        raise UserError(f"cassette not found: {p}")
    try:
        text = p.read_text(encoding="utf-8")
        requests, responses, *_ = deserialize(text, yamlserializer)
    except (yaml.YAMLError, ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise UserError(f"{p} is not a readable vcrpy cassette: {str(e).splitlines()[0]}") from None
    return [Interaction(r, resp) for r, resp in zip(requests, responses, strict=True)]


class Replayer:
    """Serves recorded responses; any unmatched request is a recorded, loud miss.

    Repeated identical requests are answered in recorded order (a 503 then a
    200 replays a retry); once a key's answers are used up, the last one is
    repeated, as a server would answer an idempotent GET again.
    Thread-safe: Scrapy and yfinance may ask from different threads.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._by_key: dict[tuple[str, str, bytes], list[Interaction]] = {}
        for it in load_interactions(self.path):
            key = request_key(it.request.method, it.request.uri, it.request.body)
            self._by_key.setdefault(key, []).append(it)
        self._next: dict[tuple[str, str, bytes], int] = {}
        self._lock = threading.Lock()
        self.misses: list[str] = []
        self.hits = 0

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_key.values())

    def lookup(self, method: str, url: str, body: Any = None) -> Response | None:
        key = request_key(method, url, body)
        with self._lock:
            found = self._by_key.get(key)
            if not found:
                self.misses.append(f"{method.upper()} {url}")
                log.error("cassette miss: %s %s (not in %s)", method.upper(), url, self.path)
                return None
            i = self._next.get(key, 0)
            self._next[key] = i + 1
            self.hits += 1
            it = found[min(i, len(found) - 1)]
        return _to_response(it.response, url)

    def play(self, method: str, url: str, body: Any = None) -> Response:
        """Like `lookup`, but a miss raises CassetteMiss."""
        resp = self.lookup(method, url, body)
        if resp is None:
            raise CassetteMiss(f"request not in cassette {self.path}: {method.upper()} {url}")
        return resp

    def check(self) -> None:
        """Raise CassetteMiss if any request went unanswered."""
        if self.misses:
            shown = "\n  ".join(self.misses[:10])
            more = f"\n  ... and {len(self.misses) - 10} more" if len(self.misses) > 10 else ""
            raise CassetteMiss(
                f"{len(self.misses)} request(s) not found in cassette {self.path}:\n  {shown}{more}"
            )


class _ReadableYaml:
    """vcrpy's YAML, written with Chinese text as text (not \\u escapes).

    Loading is vcrpy's own safe loader; only the dump differs, so vcrpy
    reads these cassettes as it reads its own.
    """

    deserialize = staticmethod(yamlserializer.deserialize)

    @staticmethod
    def serialize(cassette_dict: dict[str, Any]) -> str:
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        return yaml.dump(cassette_dict, Dumper=dumper, allow_unicode=True)


def _scrub_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, SCRUBBED if k in {"crumb", "token", "apikey", "api_key", "key", "sig"} else v)
             for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


@dataclass
class Recorder:
    """Collects exchanges and writes them as a vcrpy cassette, secrets scrubbed.

    Bodies are stored decompressed (Content-Encoding dropped), so cassettes
    are readable and diff well. Crumbs and cookies are removed: replay does
    not need them, because matching ignores them.
    """

    path: Path
    interactions: list[Interaction] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self,
        method: str,
        url: str,
        request_headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None,
        request_body: Any,
        status: int,
        reason: str,
        response_headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None,
        body: bytes,
        final_url: str | None = None,
    ) -> None:
        req_headers = _header_dict(request_headers, SCRUB_REQUEST_HEADERS)
        req = Request(method.upper(), _scrub_url(url), _body_bytes(request_body) or None, req_headers)
        resp_headers = _header_dict(response_headers, SCRUB_RESPONSE_HEADERS)
        for k in list(resp_headers):
            if k.lower() in {"content-encoding", "content-length", "transfer-encoding"}:
                del resp_headers[k]
        response = {
            "status": {"code": int(status), "message": reason or ""},
            "headers": resp_headers,
            "body": {"string": body},
        }
        if final_url and final_url != url:
            response["url"] = _scrub_url(final_url)
        with self._lock:
            self.interactions.append(Interaction(req, response))

    def save(self) -> int:
        """Write the cassette (creating folders); returns the number of interactions."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            data = {
                "requests": [copy.deepcopy(i.request) for i in self.interactions],
                "responses": [copy.deepcopy(i.response) for i in self.interactions],
            }
        FilesystemPersister.save_cassette(str(self.path), data, serializer=_ReadableYaml)
        return len(data["requests"])


def _header_dict(headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None, drop: frozenset[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if headers is None:
        return out
    items = headers.items() if isinstance(headers, Mapping) else headers
    for k, v in items:
        k = k.decode("latin-1") if isinstance(k, bytes) else str(k)
        if k.lower() in drop:
            continue
        values = v if isinstance(v, (list, tuple)) else [v]
        for one in values:
            one = one.decode("latin-1") if isinstance(one, bytes) else str(one)
            out.setdefault(k, []).append(one)
    return out
