"""The news job end to end: a replayed crawl of cassettes/news.yaml into a fresh warehouse.

Each crawl runs in a child process (the real CLI; Twisted's reactor cannot
restart), so these take a few seconds each.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import CASSETTES, REPO, run_hkipo, write
from hkipo.core.config import default_config_text
from news_fixtures import page, pages
from warehouse import db

CASSETTE = CASSETTES / "news.yaml"
pytestmark = pytest.mark.slow


def crawl(db_path: Path, *args: str, cwd: Path, cassette: Path = CASSETTE) -> subprocess.CompletedProcess[str]:
    return run_hkipo("crawl", "news", "--cassette", str(cassette), "--db", str(db_path), *args, cwd=cwd)


def query(db_path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with db.reader(db_path) as con:
        return con.execute(sql, params or []).fetchall()


def last_run(db_path: Path) -> tuple:
    return query(db_path, "SELECT job, status, rows_written, warnings, error FROM ingest_runs "
                          "ORDER BY started_at DESC LIMIT 1")[0]


def config_with(tmp_path: Path, extra: str = "", replace: tuple[str, str] | None = None) -> Path:
    text = default_config_text()
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    return write(tmp_path / "hkipo-test.toml", text + extra)


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("news")
    db_path = tmp / "replay.duckdb"
    return db_path, crawl(db_path, cwd=tmp)


def test_replayed_crawl_loads_every_article_once(replayed: tuple) -> None:
    db_path, proc = replayed
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "cassette miss" not in proc.stderr and "not found in cassette" not in proc.stderr
    assert proc.stdout.startswith("news: ok, ")

    stored = {url: (script, published, about) for url, script, published, about in query(db_path, """
        SELECT a.canonical_url, a.script, a.published_at, list(m.hkex_code ORDER BY m.hkex_code)
        FROM articles a JOIN article_mentions m USING (article_id) GROUP BY ALL""")}
    expected = {}
    for entry in pages():
        want = entry["expect"]
        listing_only = entry["url"].endswith("ipo-week-review")
        if want["about"] and not want.get("duplicate_of") and not listing_only:
            expected[entry["url"]] = (want["script"], dt.datetime.fromisoformat(want["published_at"]), want["about"])
    assert stored == expected  # every story once, with its script, time and mentions
    assert len(stored) == 21 == query(db_path, "SELECT count(*) FROM articles")[0][0]

    # Syndicated copies are URLs of the story they copy; so are aggregator links and redirect hops.
    for entry in pages():
        if entry["expect"].get("duplicate_of"):
            [(copy_of,)] = query(db_path, "SELECT a.canonical_url FROM article_urls u JOIN articles a "
                                          "USING (article_id) WHERE u.url = ?", [entry["url"]])
            assert copy_of == entry["expect"]["duplicate_of"]
    hops = query(db_path, "SELECT u.url FROM article_urls u JOIN articles a USING (article_id) "
                          "WHERE a.canonical_url = ? ORDER BY u.url", [page("gelonghui/900101")["url"]])
    assert [u for (u,) in hops if "hkecon" in u] == [
        "http://www.hkecon.example/article/20260108/minimax-oversubscribed",
        "https://www.hkecon.example/article/20260108/minimax-oversubscribed",
    ]
    assert sum("news.google.com/rss/articles/" in u for (u,) in hops) == 2  # its own link and its copy's

    job, status, rows, warnings, error = last_run(db_path)
    assert (job, status, error) == ("news", "ok", None) and rows > 0
    assert any("item without a usable link" in w for w in warnings)
    assert any("not well-formed" in w for w in warnings)
    assert "HTTP 404 from https://www.harbourwire.example/2026/01/09/minimax-grey-market" in warnings


def test_news_coverage_counts_articles_per_security_per_hong_kong_day(replayed: tuple) -> None:
    db_path, _ = replayed
    got = {(code, str(day)): (n, hans, hant, en) for code, day, n, hans, hant, en in query(db_path, """
        SELECT hkex_code, day_hk, articles, articles_zh_hans, articles_zh_hant, articles_en
        FROM v_news_coverage_daily""")}
    assert got[("00100", "2026-01-09")] == (6, 2, 2, 2)
    assert got[("02513", "2026-01-08")] == (4, 2, 1, 1)
    # Harbour Wire's "6 January 2026" is midnight in Hong Kong (16:00 UTC on the 5th): the 6th here.
    assert got[("00100", "2026-01-06")] == (1, 0, 0, 1)
    assert sum(v[0] for v in got.values()) == query(db_path, "SELECT count(*) FROM article_mentions")[0][0] == 22


def test_a_second_crawl_writes_nothing(replayed: tuple, tmp_path: Path) -> None:
    db_path = tmp_path / "again.duckdb"
    shutil.copy(replayed[0], db_path)
    before = query(db_path, "SELECT * FROM articles ORDER BY article_id")
    proc = crawl(db_path, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("news: ok, 0 rows written")
    assert last_run(db_path)[:3] == ("news", "ok", 0)
    assert query(db_path, "SELECT * FROM articles ORDER BY article_id") == before


def test_refetching_every_known_article_still_writes_nothing(replayed: tuple, tmp_path: Path) -> None:
    db_path = tmp_path / "refetch.duckdb"
    shutil.copy(replayed[0], db_path)
    config = config_with(tmp_path, replace=("refetch_known_urls = false", "refetch_known_urls = true"))
    proc = crawl(db_path, "--config", str(config), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("news: ok, 0 rows written")
    assert "27 pages -> 0 new, 21 re-fetched, 4 copies of stored stories" in proc.stderr


def test_listing_page_is_followed_and_robots_txt_obeyed(tmp_path: Path) -> None:
    config = config_with(tmp_path, extra='''
[[news.feeds]]
name = "hkecon-ipo"
url = "https://www.hkecon.example/ipo/"
kind = "listing"
''')
    db_path = tmp_path / "listing.duckdb"
    proc = crawl(db_path, "--config", str(config), cwd=tmp_path)
    # The listing links a /private/ draft that robots.txt forbids; it is not in the cassette,
    # so fetching it would have been a miss (exit 3).
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert query(db_path, "SELECT count(*) FROM articles")[0][0] == 22
    [(about,)] = query(db_path, "SELECT list(hkex_code ORDER BY hkex_code) FROM articles JOIN article_mentions "
                                "USING (article_id) WHERE canonical_url LIKE '%ipo-week-review' GROUP BY ALL")
    assert about == ["00100", "02513"]
    assert "1 request(s) not made: forbidden by robots.txt" in last_run(db_path)[3]


def test_a_request_missing_from_the_cassette_fails_the_crawl(tmp_path: Path) -> None:
    data = yaml.safe_load(CASSETTE.read_text(encoding="utf-8"))
    gone = "https://www.harbourwire.example/2026/01/08/zhipu-first-day-close"
    data["interactions"] = [i for i in data["interactions"] if i["request"]["uri"] != gone]
    cassette = tmp_path / "holey.yaml"
    cassette.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    db_path = tmp_path / "holey.duckdb"
    proc = crawl(db_path, cwd=tmp_path, cassette=cassette)
    assert proc.returncode == 3
    assert f"1 request(s) not found in cassette {cassette}" in proc.stderr and f"GET {gone}" in proc.stderr
    job, status, _, _, error = last_run(db_path)
    assert job == "news" and status in ("failed", "partial") and gone in error


def test_scrapy_crawl_from_the_repository_root(tmp_path: Path) -> None:
    db_path = tmp_path / "scrapy.duckdb"
    config = config_with(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("HKIPO_CONFIG", "HKIPO_DB", "HKIPO_CASSETTE")}
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "news", "-s", f"HKIPO_CONFIG={config}", "-s", f"HKIPO_DB={db_path}",
         "-s", f"HKIPO_CASSETTE={CASSETTE}", "-s", "LOG_LEVEL=WARNING"],
        cwd=REPO, capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert last_run(db_path)[:2] == ("news", "ok")
    assert query(db_path, "SELECT count(*) FROM articles")[0][0] == 21
    assert query(db_path, "SELECT value FROM warehouse_meta WHERE key = 'data_origin'") == [("replay",)]


def test_scrapy_list_shows_the_spiders() -> None:
    proc = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "news" in proc.stdout.split()


def test_the_committed_cassette_is_its_generators_output(tmp_path: Path) -> None:
    out = tmp_path / "news.yaml"
    proc = subprocess.run([sys.executable, str(CASSETTES / "build" / "news.py"), str(out)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == CASSETTE.read_bytes(), "run: python cassettes/build/news.py"
