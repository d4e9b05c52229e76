"""A guard that makes any attempt to reach the network fail loudly.

Installed by the test suite (tests/conftest.py) and, through the
HKIPO_NETWORK_GUARD=1 environment variable, by every hkipo process the tests
start, so subprocesses are covered too. It closes every door we know of:
Python sockets (requests, urllib, Twisted/Scrapy, aiohttp), DNS lookups, and
curl_cffi, whose libcurl opens sockets in C where no Python patch reaches.
Loopback stays open (tests serve pages and Chromium talks to localhost).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

ENV = "HKIPO_NETWORK_GUARD"
# If set, every blocked attempt is also appended to this file, so a test can
# fail even when the client (yfinance, say) swallows the exception.
ENV_LOG = "HKIPO_NETWORK_GUARD_LOG"
_installed = False
_originals: dict[str, Any] = {}
attempts: list[str] = []


class NetworkBlocked(RuntimeError):
    """A test (or a guarded process) tried to reach the network."""


def _is_loopback(host: Any) -> bool:
    if host is None:
        return False
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host)
    if host in ("localhost", "", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _address_host(address: Any) -> Any:
    if isinstance(address, tuple) and address:
        return address[0]
    return address  # AF_UNIX paths are strings: local by nature


def _blocked(what: str) -> NetworkBlocked:
    attempts.append(what)
    log_path = os.environ.get(ENV_LOG)
    if log_path:
        try:
            with open(log_path, "a", encoding="utf-8") as f:
                f.write(f"{os.getpid()} {what}\n")
        except OSError:
            pass
    return NetworkBlocked(f"network access blocked ({what}): tests and replays must use cassettes")


def install() -> None:
    """Patch every client we know of. Idempotent."""
    global _installed
    if _installed:
        return
    _originals["connect"] = socket.socket.connect
    _originals["connect_ex"] = socket.socket.connect_ex
    _originals["getaddrinfo"] = socket.getaddrinfo
    _originals["create_connection"] = socket.create_connection

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(_address_host(address)):
            raise _blocked(f"socket.connect to {address!r}")
        return _originals["connect"](self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(_address_host(address)):
            raise _blocked(f"socket.connect_ex to {address!r}")
        return _originals["connect_ex"](self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            raise _blocked(f"DNS lookup of {host!r}")
        return _originals["getaddrinfo"](host, *args, **kwargs)

    def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(_address_host(address)):
            raise _blocked(f"create_connection to {address!r}")
        return _originals["create_connection"](address, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo  # type: ignore[assignment]
    socket.create_connection = guarded_create_connection  # type: ignore[assignment]
    _guard_curl_cffi()
    os.environ[ENV] = "1"
    _installed = True


def _guard_curl_cffi() -> None:
    """libcurl does its own DNS and sockets in C: block at its perform() call."""
    try:
        from curl_cffi import curl as curl_mod
    except ImportError:  # pragma: no cover - curl_cffi is a dependency
        return
    original_perform = curl_mod.Curl.perform
    _originals["curl_perform"] = original_perform

    def guarded_perform(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise _blocked("curl_cffi request")

    curl_mod.Curl.perform = guarded_perform  # type: ignore[method-assign]
    # The async client drives libcurl's multi interface instead of perform().
    try:
        from curl_cffi import aio as aio_mod

        def guarded_add(self: Any, *args: Any, **kwargs: Any) -> Any:
            raise _blocked("curl_cffi async request")

        _originals["curl_add_handle"] = aio_mod.AsyncCurl.add_handle
        aio_mod.AsyncCurl.add_handle = guarded_add  # type: ignore[method-assign]
    except (ImportError, AttributeError):  # pragma: no cover
        pass


def install_if_requested() -> None:
    """Called at hkipo start-up: guard this process if the environment asks for it."""
    if os.environ.get(ENV) == "1":
        install()
