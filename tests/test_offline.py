"""Fail fast without a network: a DNS failure or a refused connection marks the host unreachable
for the run (asked once, never retried), and an offline refresh says so within 15 s.

"Offline" is tests/offline/sitecustomize.py on the path: every non-loopback DNS
lookup fails as it does on a machine without a network, libcurl fails as it does
when it cannot resolve a host, and each lookup is logged so the test can count
them. Refused connections are real ones, to closed ports on 127.0.0.1. Nothing
leaves the machine.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from collections import Counter
from pathlib import Path

import duckdb

from helpers import REPO, run_hkipo
from test_reliability import synth

OFFLINE = REPO / "tests" / "offline"


def offline_env(log: Path) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(OFFLINE), os.environ.get("PYTHONPATH", "")) if p)
    # The offline module stands in for the network guard here: it must be the one that answers.
    return {"PYTHONPATH": path, "HKIPO_OFFLINE_LOG": str(log), "HKIPO_NETWORK_GUARD": "0"}


def lookups(log: Path) -> Counter:
    if not log.exists():
        return Counter()
    return Counter(line.split(" ", 1)[1].strip() for line in log.read_text().splitlines())


def last_run(db_path: Path) -> tuple:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute("SELECT status, error, warnings FROM ingest_runs ORDER BY started_at DESC LIMIT 1"
                           ).fetchall()[0]
    finally:
        con.close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def news_config(tmp_path: Path, urls: list[str]) -> Path:
    config = tmp_path / "hkipo.toml"
    feeds = [{"name": f"feed-{i}", "url": u, "kind": "feed"} for i, u in enumerate(urls)]
    config.write_text(synth.config_text(synth.default_watchlist(), news={"search_feeds": []},
                                        **{"news.feeds": feeds}), encoding="utf-8")
    return config


def test_an_offline_refresh_says_so_within_15s_and_points_to_the_demo(tmp_path: Path) -> None:
    log = tmp_path / "lookups.log"
    db_path = tmp_path / "wh.duckdb"
    t0 = time.monotonic()
    r = run_hkipo("refresh", "--db", str(db_path), cwd=tmp_path, env=offline_env(log))
    took = time.monotonic() - t0
    assert r.returncode == 1, r.stdout + r.stderr
    assert took < 15, took
    assert "hkipo demo" in r.stderr and "could not be reached" in r.stderr
    assert "DNS lookup failed" in r.stdout and "Traceback" not in r.stderr
    assert not db_path.exists(), "nothing was started, nothing created"
    assert lookups(log) and max(lookups(log).values()) == 1, lookups(log)


def test_the_news_job_asks_each_unresolvable_host_once(tmp_path: Path) -> None:
    hosts = [f"feeds{i}.offline.test" for i in range(3)]
    urls = [f"https://{h}/{kind}.xml" for h in hosts for kind in ("markets", "ipo", "hk")]
    config = news_config(tmp_path, urls)
    log = tmp_path / "lookups.log"
    db_path = tmp_path / "wh.duckdb"
    t0 = time.monotonic()
    r = run_hkipo("job", "news", "--config", str(config), "--db", str(db_path), cwd=tmp_path,
                  env=offline_env(log))
    took = time.monotonic() - t0
    assert r.returncode == 1, r.stderr[-2000:]
    asked = lookups(log)
    assert {h: asked[h] for h in hosts} == {h: 1 for h in hosts}, asked  # was 2 requests x 4 attempts each
    assert "Gave up retrying" not in r.stderr
    status, error, _ = last_run(db_path)
    assert status == "failed" and error.startswith("no source reachable: 3 host(s) unreachable"), error
    assert took < 15, took


def test_refused_connections_are_not_retried(tmp_path: Path) -> None:
    ports = [closed_port(), closed_port()]
    urls = [f"http://127.0.0.1:{p}/{kind}.xml" for p in ports for kind in ("a", "b", "c")]
    config = news_config(tmp_path, urls)
    db_path = tmp_path / "wh.duckdb"
    r = run_hkipo("job", "news", "--config", str(config), "--db", str(db_path), cwd=tmp_path)
    assert r.returncode == 1, r.stderr[-2000:]
    assert "Gave up retrying" not in r.stderr and "Retrying" not in r.stderr
    status, error, _ = last_run(db_path)
    assert status == "failed" and "no source reachable: 2 host(s)" in error, error
    assert all(f"127.0.0.1:{p}" in error for p in ports)


def test_the_prices_job_stops_at_the_first_unreachable_yahoo_host(tmp_path: Path) -> None:
    secs = synth.securities(12, listing_from=dt.date(2025, 10, 1))
    config = tmp_path / "hkipo.toml"
    config.write_text(synth.config_text(secs), encoding="utf-8")
    log = tmp_path / "lookups.log"
    db_path = tmp_path / "wh.duckdb"
    t0 = time.monotonic()
    r = run_hkipo("job", "prices", "--config", str(config), "--db", str(db_path), cwd=tmp_path,
                  env=offline_env(log))
    took = time.monotonic() - t0
    assert r.returncode == 1, r.stderr[-2000:]
    # one try per Yahoo host (cookie, crumb, chart), not max_attempts per security
    assert lookups(log)["curl"] <= 3, lookups(log)
    status, error, _ = last_run(db_path)
    assert status == "failed" and "unreachable" in error and "other 11 security(ies) not tried" in error, error
    assert "retrying in" not in r.stderr
    assert took < 15, took
