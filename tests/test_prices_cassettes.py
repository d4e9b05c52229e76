"""The shipped Yahoo cassettes: made by their generator, shaped like Yahoo, asked for exactly as yfinance asks."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from helpers import CASSETTES
from hkipo.core.cassette import load_interactions, stable_url
from hkipo.core.config import PricesConfig, load_config
from pipelines.prices import FetchFailed, fetch_history, hkex_trading_days, plan_fetches
from spiders.yahoo_http import open_transport

HK = ZoneInfo("Asia/Hong_Kong")
ALL = [CASSETTES / "prices.yaml", *sorted((CASSETTES / "prices").glob("*.yaml"))]


def _generator():
    spec = importlib.util.spec_from_file_location("build_prices", CASSETTES / "build" / "prices.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module  # its dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def test_committed_cassettes_are_exactly_what_the_generator_writes(tmp_path, capsys):
    _generator().build(tmp_path)
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.yaml"))
    assert made == sorted(p.relative_to(CASSETTES) for p in ALL)
    for rel in made:
        # Compared as cassettes, not bytes: a newer PyYAML may lay the same data out differently.
        ours, theirs = load_interactions(tmp_path / rel), load_interactions(CASSETTES / rel)
        assert [(i.request.method, i.request.uri, i.request.body, i.response) for i in ours] == \
               [(i.request.method, i.request.uri, i.request.body, i.response) for i in theirs], \
               f"{rel} differs from its generator's output: run python cassettes/build/prices.py"


def test_failure_cassettes_hold_every_default_attempt():
    assert _generator().MAX_ATTEMPTS == PricesConfig().max_attempts


@pytest.mark.parametrize("cassette", ALL, ids=lambda p: p.name)
def test_yfinance_asks_exactly_what_the_cassette_holds_in_that_order(cassette: Path, config_file: Path):
    config = load_config(config_file)  # the packaged defaults, whatever ./hkipo.toml says
    plans = plan_fetches({}, config.watchlist, overlap_days=7)
    with open_transport(cassette=cassette) as t:
        for plan in plans:
            try:
                # A window that ended in the past: yfinance memoises such answers, and every retry
                # must still ask again (spiders.yahoo_http.forget_yfinance_answers).
                fetch_history(t, plan, end=dt.date(2026, 4, 16), cfg=config.prices, sleep=lambda s: None)
            except FetchFailed:
                pass
        t.check()
    asked = [(e.method, stable_url(e.url), e.status) for e in t.exchanges.items]
    held = [(i.request.method, stable_url(i.request.uri), i.response["status"]["code"])
            for i in load_interactions(cassette)]
    assert asked == held


def _charts(cassette: Path) -> dict[str, dict]:
    out = {}
    for i in load_interactions(cassette):
        if "/v8/finance/chart/" in i.request.uri and i.response["status"]["code"] == 200:
            body = i.response["body"]["string"]
            out[i.request.uri.split("/chart/")[1].split("?")[0]] = json.loads(body)
    return out


def _bars(chart: dict) -> dict[dt.date, dict]:
    result = chart["chart"]["result"][0]
    q = result["indicators"]["quote"][0]
    return {dt.datetime.fromtimestamp(ts, HK).date(): {k: q[k][n] for k in ("open", "high", "low", "close", "volume")}
            for n, ts in enumerate(result["timestamp"])}


def test_main_cassette_is_shaped_like_yahoo_and_holds_the_real_anchors():
    charts = _charts(CASSETTES / "prices.yaml")
    assert set(charts) == {"0100.HK", "2513.HK"}
    for symbol, chart in charts.items():
        assert chart["chart"]["error"] is None
        result = chart["chart"]["result"][0]
        meta = result["meta"]
        assert (meta["exchangeTimezoneName"], meta["gmtoffset"], meta["currency"], meta["instrumentType"]) == (
            "Asia/Hong_Kong", 28800, "HKD", "EQUITY")
        assert meta["symbol"] == symbol and "firstTradeDate" in meta and "regularMarketPrice" in meta
        assert len(result["indicators"]["adjclose"][0]["adjclose"]) == len(result["timestamp"])
        days = sorted(_bars(chart))
        assert days == hkex_trading_days(days[0], days[-1]) and days[-1] >= dt.date(2026, 4, 15)
        for bar in _bars(chart).values():
            assert bar["low"] <= min(bar["open"], bar["close"]) <= max(bar["open"], bar["close"]) <= bar["high"]
    mm, zp = _bars(charts["0100.HK"]), _bars(charts["2513.HK"])
    assert min(mm) == dt.date(2026, 1, 9) and min(zp) == dt.date(2026, 1, 8)
    close = lambda bars, d: round(bars[d]["close"], 2)  # noqa: E731 - float32 on the wire
    assert round(mm[dt.date(2026, 1, 9)]["open"], 2) == 235.40 and close(mm, dt.date(2026, 1, 9)) == 345.00
    assert close(mm, dt.date(2026, 4, 15)) == 847.50
    first = zp[dt.date(2026, 1, 8)]
    assert (round(first["open"], 2), round(first["low"], 2), close(zp, dt.date(2026, 1, 8))) == (120.00, 116.10, 131.50)
    assert first["high"] >= 130.00
    assert close(zp, dt.date(2026, 1, 9)) == 158.60 and close(zp, dt.date(2026, 4, 15)) == 976.00
    assert mm[dt.date(2026, 1, 9)]["open"] == 235.39999389648438  # float32, as Yahoo sends it


def test_no_cassette_holds_a_secret():
    for path in ALL:
        text = path.read_text(encoding="utf-8")
        assert "Set-Cookie" not in text and "set-cookie" not in text
        for i in load_interactions(path):
            if "crumb=" in i.request.uri:
                assert "crumb=SCRUBBED" in i.request.uri
            if i.request.uri.endswith("/v1/test/getcrumb"):
                assert i.response["body"]["string"] in ("SCRUBBED", b"SCRUBBED")
