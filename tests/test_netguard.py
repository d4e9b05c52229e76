"""The guard catches every client, in this process and in hkipo subprocesses."""

import socket
import urllib.request

import pytest
import requests

from hkipo.core import netguard
from helpers import run_hkipo

pytestmark = pytest.mark.network_escape_expected


@pytest.mark.parametrize("attempt", [
    lambda: requests.get("https://query1.finance.yahoo.com/v8/finance/chart/0100.HK", timeout=2),
    lambda: urllib.request.urlopen("http://93.184.216.34/", timeout=2),
    lambda: socket.create_connection(("1.1.1.1", 443), timeout=2),
    lambda: socket.socket().connect_ex(("8.8.8.8", 53)),
    lambda: socket.getaddrinfo("www1.hkexnews.hk", 443),
])
def test_python_clients_are_blocked(attempt):
    with pytest.raises(netguard.NetworkBlocked):
        attempt()


def test_curl_cffi_is_blocked():
    from curl_cffi import requests as curl_requests

    with pytest.raises(netguard.NetworkBlocked):
        curl_requests.get("https://fc.yahoo.com", impersonate="chrome")


def test_yfinance_default_transport_is_blocked_even_though_it_swallows_errors():
    import yfinance as yf

    before = len(netguard.attempts)
    try:
        yf.Ticker("0100.HK").history(period="5d")
    except Exception:
        pass
    assert len(netguard.attempts) > before  # the escape was seen, whatever yfinance did with the error


def test_loopback_is_allowed():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    c = socket.create_connection(srv.getsockname(), timeout=2)
    c.close()
    srv.close()


def test_subprocesses_inherit_the_guard(tmp_path):
    code = "import requests; requests.get('https://example.com', timeout=2)"
    r = run_hkipo("--version", cwd=tmp_path)  # the CLI installs the guard from the environment
    assert r.returncode == 0
    import subprocess, sys, os
    p = subprocess.run([sys.executable, "-c", "from hkipo.core import netguard; netguard.install_if_requested();" + code],
                       capture_output=True, text=True, env=os.environ.copy())
    assert p.returncode != 0 and "network access blocked" in p.stderr
