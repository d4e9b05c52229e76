"""Network faults in replay: 429, 5xx, connection resets and time-outs.

The fault cassettes in cassettes/faults/ script each attempt; resets and
time-outs are marked answers that cassettes/faults/sitecustomize.py turns
into the exceptions the real transports raise (curl_cffi's ConnectionError and
ReadTimeout under yfinance; Twisted's ConnectionLost and TimeoutError under
Scrapy). It is enabled the documented way, PYTHONPATH=cassettes/faults, for
the CLI process and its children; production code has no fault branch.

Expected everywhere: transient failures are retried (prices: with bounded,
jittered exponential back-off), a source that stays down ends in a failed
(or partial) run record that names the failure, and the other securities
and jobs are unaffected.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from helpers import CASSETTES, run_hkipo
from test_reliability import open_readonly, synth

FAULTS = CASSETTES / "faults"
ENV = {"PYTHONPATH": os.pathsep.join(p for p in (str(FAULTS), os.environ.get("PYTHONPATH", "")) if p)}


def _build_module():  # noqa: ANN202
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("hkipo_faults_build", FAULTS / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def run_record(db_path: Path) -> dict:
    con = open_readonly(db_path)
    try:
        row = con.execute("SELECT job, status, rows_written, error, warnings FROM ingest_runs "
                          "ORDER BY started_at DESC LIMIT 1").fetchall()[0]
    finally:
        con.close()
    return dict(zip(("job", "status", "rows", "error", "warnings"), row))


def count(db_path: Path, sql: str) -> int:
    con = open_readonly(db_path)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


def test_committed_fault_cassettes_are_the_builders_output(tmp_path: Path) -> None:
    from hkipo.core.cassette import load_interactions

    _build_module().build(tmp_path)
    built = sorted(p.name for p in tmp_path.glob("*.yaml"))
    assert built == sorted(p.name for p in FAULTS.glob("*.yaml"))
    for name in built:
        ours = [(i.request.method, i.request.uri, i.response) for i in load_interactions(tmp_path / name)]
        committed = [(i.request.method, i.request.uri, i.response) for i in load_interactions(FAULTS / name)]
        assert ours == committed, f"{name} differs from cassettes/faults/build.py's output: re-run it"


# ---------------------------------------------------------------------------
# prices (yfinance over the requests replay adapter)
# ---------------------------------------------------------------------------

def _waits(stderr: str) -> list[tuple[str, int, float]]:
    return [(m.group(1), int(m.group(2)), float(m.group(3)))
            for m in re.finditer(r"(\S+\.HK): attempt (\d+) failed .*?; retrying in ([\d.]+)s", stderr)]


def test_prices_recover_from_resets_timeouts_429_and_503_with_backoff(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    res = run_hkipo("job", "prices", "--cassette", str(FAULTS / "prices_recovers.yaml"), "--db", str(db),
                    cwd=tmp_path, env=ENV)
    assert res.returncode == 0, res.stderr[-3000:]
    rec = run_record(db)
    assert rec["status"] == "ok" and rec["rows"] == 127
    minimax = next(w for w in rec["warnings"] if w.startswith("0100.HK"))
    assert "succeeded on attempt 4" in minimax
    assert "Connection reset by peer" in minimax and "ReadTimeout" in minimax and "HTTP 429" in minimax
    assert any(w.startswith("2513.HK: succeeded on attempt 2") for w in rec["warnings"])
    # Full-jitter exponential back-off: the n-th wait lies in [0, initial * 2**(n-1)] (defaults: 2 s, max 60 s).
    waits = _waits(res.stderr)
    assert [(s, n) for s, n, _ in waits] == [("0100.HK", 1), ("0100.HK", 2), ("0100.HK", 3), ("2513.HK", 1)]
    assert all(0 <= w <= min(60.0, 2.0 * 2 ** (n - 1)) for _, n, w in waits), waits
    assert "back-off waits computed but not slept (replay)" in res.stderr
    assert "Traceback" not in res.stderr


def test_a_symbol_that_stays_down_fails_alone_and_says_why(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    res = run_hkipo("job", "prices", "--cassette", str(FAULTS / "prices_one_down.yaml"), "--db", str(db),
                    cwd=tmp_path, env=ENV)
    assert res.returncode == 1
    rec = run_record(db)
    assert rec["status"] == "partial"
    assert "0100.HK: failed after 4 attempt(s): ReadTimeout" in rec["error"]
    assert "nothing stored" in rec["error"]
    assert count(db, "SELECT count(*) FROM prices_daily WHERE symbol = '0100.HK'") == 0
    assert count(db, "SELECT count(*) FROM prices_daily WHERE symbol = '2513.HK'") == 64
    assert "Traceback" not in res.stderr


def test_without_the_injector_a_fault_cassette_fails_loudly(tmp_path: Path) -> None:
    """Replayed without sitecustomize, a marked answer is an HTTP 599; yfinance then asks for pages the
    cassette does not hold, and the run stops on the miss (exit 3) instead of passing for the wrong reason."""
    db = tmp_path / "wh.duckdb"
    res = run_hkipo("job", "prices", "--cassette", str(FAULTS / "prices_one_down.yaml"), "--db", str(db),
                    cwd=tmp_path)
    assert res.returncode == 3
    assert "request not in cassette" in res.stderr and "Traceback" not in res.stderr


# ---------------------------------------------------------------------------
# news (Scrapy: RetryMiddleware over the cassette cache storage)
# ---------------------------------------------------------------------------

@pytest.fixture
def news_config(tmp_path: Path) -> Path:
    p = tmp_path / "news.toml"
    p.write_text(synth.config_text(synth.default_watchlist(), **_build_module().news_config_sections()),
                 encoding="utf-8")
    return p


def test_news_pages_are_retried_and_a_page_that_times_out_is_reported(tmp_path: Path, news_config: Path) -> None:
    db = tmp_path / "wh.duckdb"
    res = run_hkipo("crawl", "news", "--cassette", str(FAULTS / "news_flaky.yaml"), "--config", str(news_config),
                    "--db", str(db), cwd=tmp_path, env=ENV)
    assert res.returncode == 0, res.stderr[-3000:]
    rec = run_record(db)
    assert rec["status"] == "ok"
    # Pages 0, 1 (reset, then the page) and 3 (429, 503, then the page) are stored; page 2 timed out 4 times.
    urls = {r[0] for r in _rows(db, "SELECT url FROM article_urls")}
    assert urls == {f"https://faults.bench.example/news/{i:06d}.html" for i in (0, 1, 3)}
    assert rec["warnings"] == [w for w in rec["warnings"] if "000002.html" in w] and len(rec["warnings"]) == 1
    assert rec["warnings"][0].startswith("TimeoutError fetching https://faults.bench.example/news/000002.html")
    assert "Gave up retrying <GET https://faults.bench.example/news/000002.html> (failed 4 times)" in res.stderr
    assert "Traceback" not in res.stderr


def test_a_news_site_that_is_down_fails_the_run_with_the_reason(tmp_path: Path, news_config: Path) -> None:
    db = tmp_path / "wh.duckdb"
    res = run_hkipo("crawl", "news", "--cassette", str(FAULTS / "news_down.yaml"), "--config", str(news_config),
                    "--db", str(db), cwd=tmp_path, env=ENV)
    assert res.returncode == 1
    rec = run_record(db)
    assert rec["status"] == "failed" and rec["rows"] == 0
    assert rec["error"].startswith("no page could be fetched")
    assert "ConnectionLost fetching https://faults.bench.example/feeds/ipo.xml" in rec["error"]


def test_a_news_site_that_is_down_shows_no_traceback(tmp_path: Path, news_config: Path) -> None:
    db = tmp_path / "wh.duckdb"
    res = run_hkipo("crawl", "news", "--cassette", str(FAULTS / "news_down.yaml"), "--config", str(news_config),
                    "--db", str(db), cwd=tmp_path, env=ENV)
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    # Scrapy's robots.txt error stays, as one line naming the exception.
    assert [ln for ln in res.stderr.splitlines() if "robots.txt" in ln], res.stderr[-2000:]


def _rows(db: Path, sql: str) -> list[tuple]:
    con = open_readonly(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------------------
# other jobs unaffected
# ---------------------------------------------------------------------------

@pytest.mark.slow
def test_refresh_with_yahoo_down_still_runs_the_news_job(tmp_path: Path) -> None:
    """prices fails (every request resets), news (the bundled cassette) is unaffected; exit 1."""
    cdir = tmp_path / "cassettes"
    cdir.mkdir()
    shutil.copy(FAULTS / "prices_down.yaml", cdir / "prices.yaml")
    shutil.copy(CASSETTES / "news.yaml", cdir / "news.yaml")
    db = tmp_path / "wh.duckdb"
    res = run_hkipo("refresh", "--only", "prices,news", "--cassette-dir", str(cdir), "--db", str(db),
                    cwd=tmp_path, env=ENV, timeout=300)
    assert res.returncode == 1, res.stdout + res.stderr[-3000:]
    statuses = dict(_rows(db, "SELECT job, status FROM ingest_runs"))
    assert statuses == {"prices": "failed", "news": "ok"}, statuses
    error = _rows(db, "SELECT error FROM ingest_runs WHERE job = 'prices'")[0][0]
    assert error.count("failed after 4 attempt(s): ConnectionError: curl: (56) Recv failure: Connection reset by peer") == 2
    assert count(db, "SELECT count(*) FROM prices_daily") == 0
    assert count(db, "SELECT count(*) FROM articles") == 21
    assert re.search(r"^prices\s+failed", res.stdout, re.M) and re.search(r"^news\s+ok", res.stdout, re.M)


def test_the_injector_is_documented_where_cassettes_are() -> None:
    readme = (CASSETTES / "README.md").read_text(encoding="utf-8")
    assert "## Faults" in readme and "PYTHONPATH=cassettes/faults" in readme
