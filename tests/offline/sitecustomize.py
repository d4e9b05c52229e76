"""A machine without a network, for tests: every DNS lookup of a non-loopback name fails.

On the path (PYTHONPATH=tests/offline) it makes the resolver calls Python
clients use (getaddrinfo, gethostbyname, gethostbyname_ex) raise the
`socket.gaierror` an offline machine gives, and libcurl (curl_cffi, the Yahoo
transport) fail as it does when it cannot resolve a host (CURLE_COULDNT_RESOLVE_HOST).
Every lookup is appended to $HKIPO_OFFLINE_LOG, so a test can count them.
Loopback names and addresses still resolve: a test can serve, or refuse, on 127.0.0.1.
Nothing in hkipo knows about this module.
"""

from __future__ import annotations

import os
import socket
from typing import Any

_LOG = os.environ.get("HKIPO_OFFLINE_LOG")
_LOOPBACK = ("localhost", "127.0.0.1", "::1", "")


def _note(host: Any) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {host}\n")


def _local(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return host is None or str(host) in _LOOPBACK or str(host).startswith("127.")


def _wrap(original: Any) -> Any:
    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if _local(host):
            return original(host, *args, **kwargs)
        _note(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return lookup


socket.getaddrinfo = _wrap(socket.getaddrinfo)
socket.gethostbyname = _wrap(socket.gethostbyname)
socket.gethostbyname_ex = _wrap(socket.gethostbyname_ex)


def _refuse_remote_connects() -> None:
    """No route to anything but loopback (DNS failing first is what a client normally sees)."""
    original = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            _note(f"connect {address[0]}")
            raise OSError(101, "Network is unreachable")
        return original(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]


def _patch_curl() -> None:
    """libcurl resolves in C: make every transfer fail as an unresolvable host does (code 6)."""
    try:
        from curl_cffi import Curl, CurlError
    except ImportError:
        return

    def perform(self: Any, *args: Any, **kwargs: Any) -> Any:
        _note("curl")
        raise CurlError("Failed to perform, curl: (6) Could not resolve host (offline test machine)", 6)

    Curl.perform = perform  # type: ignore[method-assign]


_refuse_remote_connects()
_patch_curl()
