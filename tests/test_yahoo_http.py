"""The Yahoo HTTP layer: replay never opens a socket, record scrubs, yfinance is bound per run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from curl_cffi import requests as curl_requests
from curl_cffi.requests.headers import Headers
from curl_cffi.requests.models import Request as CurlRequest
from curl_cffi.requests.models import Response as CurlResponse
from curl_cffi.requests.utils import update_url_params

from helpers import CASSETTES
from hkipo.core import netguard
from hkipo.core.cassette import Recorder, Replayer, load_interactions
from hkipo.core.errors import CassetteMiss, UserError
from spiders.yahoo_http import (
    HK_TZ,
    ExchangeLog,
    LiveSession,
    ReplaySession,
    build_url,
    open_transport,
)

# yfinance's own pandas-3 deprecation, when these tests call history() directly. yfinance
# installs a filter of its own when first imported: import it first so this one wins.
import yfinance  # noqa: E402, F401

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")

CHART = "https://query2.finance.yahoo.com/v8/finance/chart/0100.HK"
YF_PARAMS = {"period1": 1767888000, "period2": 1776243600, "interval": "1d", "includePrePost": False,
             "events": "div,splits,capitalGains", "crumb": "abc"}


def _tiny_cassette(path: Path, *, url: str = CHART + "?interval=1d&includePrePost=false&events=div%2Csplits%2CcapitalGains",
                   body: bytes = b'{"chart": {"result": null, "error": null}}') -> Path:
    rec = Recorder(path)
    rec.add("GET", url, {}, None, 200, "OK", {"Content-Type": ["application/json;charset=utf-8"]}, body,
            final_url=url)
    rec.add("GET", "https://fc.yahoo.com", {}, None, 404, "Not Found", {"Content-Type": "text/html"}, b"<html/>",
            final_url="https://fc.yahoo.com/")
    rec.save()
    return path


def test_replayed_query_strings_are_encoded_like_curl_cffi():
    # requests alone writes includePrePost=False; a live (curl_cffi) recording has =false.
    assert build_url(CHART, YF_PARAMS) == update_url_params(CHART, YF_PARAMS)
    assert "includePrePost=false" in build_url(CHART, YF_PARAMS)
    assert build_url(CHART, None) == CHART
    assert build_url(CHART.replace("0100.HK", "^HSI"), {"interval": "1d"}).endswith("/%5EHSI?interval=1d")  # as live


def test_replay_answers_from_the_cassette_without_a_socket(tmp_path):
    cassette = _tiny_cassette(tmp_path / "c.yaml")
    log = ExchangeLog()
    session = ReplaySession(Replayer(cassette), log)
    before = len(netguard.attempts)
    resp = session.get(CHART, params=YF_PARAMS, timeout=5)  # period1/period2/crumb differ: ignored
    assert resp.status_code == 200 and resp.json() == {"chart": {"result": None, "error": None}}
    assert resp.encoding == "utf-8" and resp.headers["content-type"].startswith("application/json")
    fc = session.get("https://fc.yahoo.com", allow_redirects=True)
    assert fc.status_code == 404 and fc.url == "https://fc.yahoo.com/"
    assert [e.status for e in log.items] == [200, 404]
    assert "includePrePost=false" in log.items[0].url
    assert len(netguard.attempts) == before


def test_a_request_missing_from_the_cassette_fails_loudly(tmp_path):
    replayer = Replayer(_tiny_cassette(tmp_path / "c.yaml"))
    session = ReplaySession(replayer, ExchangeLog())
    with pytest.raises(CassetteMiss, match="2513.HK"):
        session.get(CHART.replace("0100", "2513"), params=YF_PARAMS)
    with pytest.raises(CassetteMiss):
        replayer.check()  # recorded too, in case a client swallowed the exception
    assert session.trust_env is False  # no proxy from the environment either


def test_replay_is_the_live_client_class_and_never_performs(tmp_path, monkeypatch):
    # The live client is the replayed one: yfinance gets curl_cffi objects in both modes.
    session = ReplaySession(Replayer(_tiny_cassette(tmp_path / "c.yaml")), ExchangeLog())
    assert isinstance(session, curl_requests.Session) and session.impersonate == "chrome"
    monkeypatch.setattr(curl_requests.Session, "request", lambda *a, **k: pytest.fail("curl_cffi asked"))
    resp = session.get(CHART, params=YF_PARAMS)
    assert isinstance(resp, CurlResponse) and isinstance(resp.request, CurlRequest) and resp.ok


def test_transport_binds_a_fresh_yfinance_state_and_undoes_it(tmp_path):
    from yfinance import cache as yf_cache
    from yfinance.config import YfConfig
    from yfinance.data import SingletonMeta, YfData

    cassette = _tiny_cassette(tmp_path / "c.yaml")
    caches = (yf_cache._CookieCacheManager._Cookie_cache, yf_cache._TzCacheManager._tz_cache)
    hide = YfConfig.debug.hide_exceptions
    with open_transport(cassette=cassette) as t:
        data = YfData()
        assert data._session is t.session and isinstance(t.session, ReplaySession)
        assert data._crumb is None and data._cookie_strategy == "basic"
        data._crumb = "left over from this run"
        assert YfConfig.debug.hide_exceptions is False
        assert isinstance(yf_cache.get_cookie_cache(), yf_cache._CookieCacheDummy)
        assert isinstance(yf_cache.get_tz_cache(), yf_cache._TzCacheDummy)
        ticker = t.ticker("0100.HK")
        assert ticker._get_ticker_tz(timeout=1) == HK_TZ  # known up front: no tz probe request
        assert t.exchanges.items == []
    assert YfData not in SingletonMeta._instances
    assert (yf_cache._CookieCacheManager._Cookie_cache, yf_cache._TzCacheManager._tz_cache) == caches
    assert YfConfig.debug.hide_exceptions == hide
    with open_transport(cassette=cassette):
        assert YfData()._crumb is None  # nothing leaks from one run into the next


def test_live_transport_is_curl_cffi_impersonating_chrome():
    with open_transport(timeout=7) as t:
        assert t.mode == "live"
        assert isinstance(t.session, curl_requests.Session) and isinstance(t.session, LiveSession)
        assert t.session.impersonate == "chrome"
        assert t.recorder is None and t.replayer is None


def test_replaying_and_recording_at_once_is_refused(tmp_path):
    with pytest.raises(UserError, match="makes no sense"):
        with open_transport(cassette=tmp_path / "a.yaml", record=tmp_path / "b.yaml"):
            pass


def test_a_missing_cassette_is_a_clear_user_error(tmp_path):
    with pytest.raises(UserError, match="cassette not found"):
        with open_transport(cassette=tmp_path / "nope.yaml"):
            pass


# ---------------------------------------------------------------------------
# record mode, driven without a network: curl_cffi's Session.request is
# replaced by a fake that answers from the shipped cassette, adding the
# secrets a real Yahoo session carries (a cookie, a crumb).
# ---------------------------------------------------------------------------

SECRET_COOKIE = "A3=d=AQABBs3cr3tC00kie&S=AQAAAs3cr3t"
SECRET_CRUMB = "s3cr3tCrumbX1"


def fake_yahoo(monkeypatch: pytest.MonkeyPatch, cassette: Path) -> list[str]:
    replayer = Replayer(cassette)
    sent: list[str] = []

    def request(self, method, url, params=None, data=None, json=None, headers=None, **kwargs):  # noqa: ANN001, ANN202
        full = update_url_params(url, params) if params else url
        sent.append(full)
        found = replayer.play(method, full)
        req = CurlRequest(full, Headers({"User-Agent": "Mozilla/5.0", "Cookie": SECRET_COOKIE}), method, None)
        resp = CurlResponse(request=req)
        resp.status_code, resp.reason = found.status, found.reason
        resp.headers = Headers([(k, v) for k, vs in found.headers.items() for v in vs]
                               + [("Set-Cookie", f"{SECRET_COOKIE}; Domain=.yahoo.com; Secure")])
        resp.content = SECRET_CRUMB.encode() if "/v1/test/getcrumb" in full else found.body
        resp.url = found.url or full
        return resp

    monkeypatch.setattr(curl_requests.Session, "request", request)
    return sent


def test_record_mode_writes_a_scrubbed_cassette_through_curl_cffi(tmp_path, monkeypatch):
    sent = fake_yahoo(monkeypatch, CASSETTES / "prices.yaml")
    out = tmp_path / "recorded.yaml"
    with open_transport(record=out) as t:
        assert isinstance(t.session, LiveSession) and t.recorder is not None
        frame = t.ticker("0100.HK").history(start=dt.date(2026, 1, 9), end=dt.date(2026, 4, 16), interval="1d",
                                            auto_adjust=False, actions=False, repair=False)
    assert len(frame) > 50
    assert any(f"crumb={SECRET_CRUMB}" in u for u in sent)  # the live request did carry the crumb
    text = out.read_text(encoding="utf-8")
    assert "s3cr3t" not in text  # neither the cookie nor the crumb reached the file
    recorded = load_interactions(out)
    assert [i.request.uri.split("?")[0] for i in recorded] == [
        "https://fc.yahoo.com", "https://fc.yahoo.com", "https://query1.finance.yahoo.com/v1/test/getcrumb", CHART]
    chart = recorded[-1]
    assert "crumb=SCRUBBED" in chart.request.uri and "includePrePost=false" in chart.request.uri
    assert recorded[2].response["body"]["string"] in ("SCRUBBED", b"SCRUBBED")
    assert not any(k.lower() in ("set-cookie", "cookie") for i in recorded
                   for k in list(i.response["headers"]) + list(i.request.headers))
    # ... and it replays: same request sequence, same frame.
    with open_transport(cassette=out) as t:
        again = t.ticker("0100.HK").history(start=dt.date(2026, 1, 20), end=dt.date(2026, 4, 16), interval="1d",
                                            auto_adjust=False, actions=False, repair=False)
        t.check()
    assert again.equals(frame)


def test_a_recording_is_saved_even_when_the_run_fails(tmp_path, monkeypatch):
    fake_yahoo(monkeypatch, CASSETTES / "prices.yaml")
    out = tmp_path / "partial.yaml"
    with pytest.raises(RuntimeError, match="boom"):
        with open_transport(record=out) as t:
            t.session.get("https://fc.yahoo.com")
            raise RuntimeError("boom")
    assert len(load_interactions(out)) == 1


def test_both_sessions_are_what_yfinance_accepts():
    # yfinance refuses sessions that are neither curl_cffi nor requests sessions.
    from yfinance._http import is_supported_session

    assert is_supported_session(ReplaySession.__new__(ReplaySession))
    assert is_supported_session(LiveSession.__new__(LiveSession))


def test_yfinance_is_the_pinned_version_with_every_internal_we_bind(tmp_path):
    # spiders/yahoo_http.py reaches into yfinance; pyproject pins it exactly. An upgrade
    # (or an install that ignored the pin) fails here first, naming what to re-check.
    import tomllib
    from importlib.metadata import version

    import yfinance as yf
    from yfinance import cache as yf_cache
    from yfinance.config import YfConfig
    from yfinance.data import SingletonMeta, YfData

    deps = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    [pin] = [d for d in deps["dependencies"] if d.startswith("yfinance")]
    assert pin == f"yfinance=={version('yfinance')}", "yfinance changed: re-check spiders/yahoo_http.py's bindings"
    assert isinstance(SingletonMeta._instances, dict) and hasattr(SingletonMeta._lock, "acquire")
    assert callable(YfData.cache_get.cache_clear)
    assert hasattr(YfConfig.debug, "hide_exceptions") and hasattr(YfConfig.network, "retries")
    for manager, attr, dummy in ((yf_cache._CookieCacheManager, "_Cookie_cache", yf_cache._CookieCacheDummy),
                                 (yf_cache._TzCacheManager, "_tz_cache", yf_cache._TzCacheDummy)):
        assert hasattr(manager, attr) and isinstance(dummy, type)
    with open_transport(cassette=_tiny_cassette(tmp_path / "c.yaml")) as transport:
        t = transport.ticker("0100.HK")
        assert isinstance(t, yf.Ticker) and t._tz == HK_TZ
        assert t._get_ticker_tz(timeout=1) == HK_TZ and transport.exchanges.items == []  # no tz probe
