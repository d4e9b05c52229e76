"""Turn marked cassette answers into transport failures: connection resets and time-outs.

vcrpy cassettes record HTTP answers; a reset connection or a read that
times out has no answer to record. A fault cassette therefore marks such an
exchange with the response header `X-Hkipo-Fault: connection-reset` or
`X-Hkipo-Fault: timeout` (status 599), and this module, when it is on the
path, makes the replay transports raise what the real transport raises at
that point:

- Yahoo (the curl_cffi replay session, spiders/yahoo_http.py): curl_cffi's
  ConnectionError (libcurl 56, reset) or ReadTimeout (libcurl 28), as live;
- Scrapy (replayed through HttpCacheMiddleware, spiders/cassette_storage.py):
  Twisted's ConnectionLost or TimeoutError, as Scrapy's HTTP/1.1 handler
  does, so RetryMiddleware sees them as it sees real download failures.

Nothing in hkipo knows about it. Enable it for a process and its children:

    PYTHONPATH=cassettes/faults hkipo job prices --cassette cassettes/faults/prices_resets.yaml

(Python imports `sitecustomize` from the path at start-up.) Without it, the
same cassette replays the 599 answers as server errors, which are retried too.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from typing import Any

FAULT_HEADER = "X-Hkipo-Fault"


def _fault_of(headers: Any) -> str | None:
    for key, value in headers.items():
        k = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if k.lower() == FAULT_HEADER.lower():
            if isinstance(value, (list, tuple)):
                value = value[0] if value else ""
            return (value.decode("latin-1") if isinstance(value, bytes) else str(value)).strip().lower()
    return None


def _patch_yahoo(module: Any) -> None:
    from curl_cffi.const import CurlECode
    from curl_cffi.requests import exceptions as curl_exc

    original = module.ReplaySession.answer

    def answer(self: Any, request: Any) -> Any:
        resp = original(self, request)
        fault = _fault_of(resp.headers)
        if fault in ("connection-reset", "timeout"):
            # The session logged the marked answer as an exchange; a failed transport gets no answer.
            with self.exchanges._lock:
                self.exchanges.items[-1] = module.Exchange(request.method or "GET", request.url or "", None,
                                                           error=f"{fault} (injected)")
        if fault == "connection-reset":  # what libcurl reports live: error 56, receive failure
            raise curl_exc.ConnectionError("curl: (56) Recv failure: Connection reset by peer (injected)",
                                           CurlECode.RECV_ERROR)
        if fault == "timeout":  # libcurl error 28, on the read
            raise curl_exc.ReadTimeout(f"Operation timed out (injected) for {request.url}",
                                       CurlECode.OPERATION_TIMEDOUT)
        return resp

    module.ReplaySession.answer = answer


def _patch_scrapy(module: Any) -> None:
    """Raise from HttpCacheMiddleware.process_request, where a download failure surfaces.

    (Raised inside the storage's retrieve_response, it would be caught by
    the middleware and taken for a cache miss.) Scrapy then hands it to the
    downloader middlewares' process_exception, RetryMiddleware included, as it
    does a failure of the real download handler.
    """
    from scrapy.http import Response
    from twisted.internet import error

    original = module.HttpCacheMiddleware.process_request

    def process_request(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, request, *args, **kwargs)
        fault = _fault_of(result.headers) if isinstance(result, Response) else None
        if fault == "connection-reset":
            raise error.ConnectionLost("Connection reset by peer.")
        if fault == "timeout":
            raise error.TimeoutError(f"Getting {request.url} took longer than the download time-out (injected).")
        return result

    module.HttpCacheMiddleware.process_request = process_request


_PATCHES = {"spiders.yahoo_http": _patch_yahoo, "scrapy.downloadermiddlewares.httpcache": _patch_scrapy}


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches the two replay adapters right after they are imported (importing them here would be slow)."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name not in _PATCHES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_and_patch(module: Any) -> None:
            exec_module(module)
            _PATCHES[name](module)

        loader.exec_module = exec_and_patch  # type: ignore[method-assign]
        return spec


sys.meta_path.insert(0, _PatchOnImport())
