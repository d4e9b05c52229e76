"""Before a live refresh: can any source's host name be resolved at all?

Each job is its own process and takes seconds to start (Scrapy, yfinance,
trafilatura imports); on a machine with no network, three of them failing one
after another took longer than it takes to ask the resolver directly. So a
live `hkipo refresh` first looks up every host its jobs would ask, in
parallel and with a short time-out; when none resolves it says so at once
and runs nothing. When any resolves the jobs run as usual (each then marks
the hosts it cannot reach, see hkipo/core/reach.py). Behind an HTTP proxy the
local resolver proves nothing, so there is no preflight.
"""

from __future__ import annotations

import os
import socket
from concurrent.futures import ThreadPoolExecutor, wait
from urllib.parse import urlsplit

from hkipo.core.config import Config

PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
YAHOO_HOSTS = ("query2.finance.yahoo.com",)


def job_hosts(config: Config, job: str) -> list[str]:
    """The host names `job` would ask first (none for jobs that fetch nothing)."""
    urls: list[str] = []
    if job == "prices":
        return list(YAHOO_HOSTS)
    if job == "hkex":
        urls = [config.hkex.search_url, config.hkex.base_url]
    elif job == "news":
        urls = [f.url for f in config.news.feeds] + list(config.news.search_feeds)
    hosts = []
    for u in urls:
        try:
            h = urlsplit(u).hostname
        except ValueError:
            h = None
        if h and h not in hosts:
            hosts.append(h)
    return hosts


def _lookup(host: str) -> str | None:
    try:
        socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    except OSError as e:
        return f"DNS lookup failed: {e}"
    except Exception as e:  # a guard in tests, anything odd: not proof of being offline
        return None if not isinstance(e, RuntimeError) else f"lookup blocked: {e}"
    return None


def unresolvable(hosts: list[str], *, timeout: float = 5.0) -> dict[str, str] | None:
    """{host: reason} when NOT ONE of `hosts` resolves; None when any does (or we cannot tell)."""
    if not hosts or any(os.environ.get(v) for v in PROXY_VARS):
        return None
    pool = ThreadPoolExecutor(max_workers=min(16, len(hosts)))
    futures = {pool.submit(_lookup, h): h for h in hosts}
    done, pending = wait(futures, timeout=timeout)
    pool.shutdown(wait=False, cancel_futures=True)
    reasons: dict[str, str] = {}
    for f in done:
        reason = f.result()
        if reason is None:
            return None
        reasons[futures[f]] = reason
    for f in pending:
        reasons[futures[f]] = f"DNS lookup got no answer within {timeout:.0f}s"
    return reasons
