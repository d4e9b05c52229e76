"""Reliability: readers in other processes while jobs and the daemon write; and the shared
warehouse-state helpers the kill -9, corpus and fault tests compare with.

tests/test_concurrency.py covers a plain writer; here the writers are the
real ones: a prices job writing batches of whole securities, one transaction
each, and the daemon launching job after job. Every `hkipo sql` reader must succeed (waiting is
allowed) and see whole batches only.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from helpers import REPO, run_hkipo

if str(REPO) not in sys.path:  # benchmarks.synth: the synthetic corpus generator shared with the benchmarks
    sys.path.insert(0, str(REPO))

from benchmarks import synth  # noqa: E402

# Columns that say when something was seen or computed, not what it is.
BOOKKEEPING = frozenset({"fetched_at", "updated_at", "extracted_at", "computed_at", "first_seen_at"})
# The data tables a run's result is compared on (ingest_runs and warehouse_meta are bookkeeping).
DATA_TABLES = ("securities", "ipos", "prices_daily", "articles", "article_urls", "article_mentions",
               "announcements", "claims", "ipo_stats")


def open_readonly(db_path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(db_path), read_only=True)


def snapshot(db_path: Path, tables: tuple[str, ...] = DATA_TABLES) -> dict[str, list[tuple]]:
    """Every row of every data table, bookkeeping timestamps left out, in a stable order."""
    con = open_readonly(db_path)
    try:
        out = {}
        for table in tables:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [table]).fetchall() if r[0] not in BOOKKEEPING]
            quoted = ", ".join(f'"{c}"' for c in cols)
            out[table] = [_hashable(r) for r in con.execute(f"SELECT {quoted} FROM {table} ORDER BY ALL").fetchall()]
        return out
    finally:
        con.close()


def _hashable(value: object) -> object:
    """Rows as nested tuples (list columns such as aliases and methods), so they can go in sets."""
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def diff(a: dict[str, list[tuple]], b: dict[str, list[tuple]]) -> dict[str, str]:
    """Per table, a short description of how two snapshots differ (empty: identical)."""
    out = {}
    for table in a:
        sa, sb = set(a[table]), set(b.get(table, []))
        if sa != sb or len(a[table]) != len(b.get(table, [])):
            out[table] = (f"{len(a[table])} vs {len(b.get(table, []))} rows; only left: {sorted(sa - sb)[:2]}; "
                          f"only right: {sorted(sb - sa)[:2]}")
    return out


def runs(db_path: Path) -> list[tuple]:
    con = open_readonly(db_path)
    try:
        return con.execute("SELECT run_id, job, status, rows_written, error FROM ingest_runs ORDER BY started_at"
                           ).fetchall()
    finally:
        con.close()


def dead_pid() -> int:
    """The pid of a process that has exited (reap_stale also checks its start time)."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


# ---------------------------------------------------------------------------
# readers while real writers write
# ---------------------------------------------------------------------------

def _read_while(writer_alive, db_path: Path, cwd: Path, query: str, *, max_readers: int = 3,  # noqa: ANN001
                deadline_s: float = 120) -> list[tuple[int, str, str]]:
    """Start `hkipo sql` readers (a few at a time) until the writer is done; return (rc, stdout, stderr)."""
    readers: list[subprocess.Popen] = []
    deadline = time.monotonic() + deadline_s
    try:
        while writer_alive() and time.monotonic() < deadline:
            while sum(p.poll() is None for p in readers) >= max_readers:
                time.sleep(0.05)
            readers.append(subprocess.Popen(
                [sys.executable, "-m", "hkipo", "sql", "--live", "--db", str(db_path), "--format", "csv", query],
                cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
            time.sleep(0.1)
        return [(p.wait(timeout=120), *p.communicate()) for p in readers]
    finally:
        for p in readers:
            if p.poll() is None:
                p.kill()


@pytest.mark.slow
def test_readers_never_fail_while_the_prices_job_writes(tmp_path: Path) -> None:
    days = synth.trading_days(dt.date(2025, 10, 1), dt.date(2026, 4, 14))
    secs = synth.securities(40, listing_from=days[0])
    cassette = tmp_path / "prices.yaml"
    synth.yahoo_cassette(cassette, [(s, synth.series(days, start_price=s.offer_price, seed=i))
                                    for i, s in enumerate(secs)])
    config = tmp_path / "hkipo.toml"
    config.write_text(synth.config_text(secs), encoding="utf-8")
    db_path = tmp_path / "wh.duckdb"
    assert run_hkipo("migrate", "--db", str(db_path), cwd=tmp_path).returncode == 0

    job = subprocess.Popen([sys.executable, "-m", "hkipo", "job", "prices", "--cassette", str(cassette),
                            "--config", str(config), "--db", str(db_path)], cwd=tmp_path,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # A security is one transaction: a reader sees whole securities only.
        results = _read_while(lambda: job.poll() is None, db_path, tmp_path,
                              f"select count(*) % {len(days)} from prices_daily")
        _, err = job.communicate(timeout=120)
    finally:
        job.kill()
    assert job.returncode == 0, err[-2000:]
    assert len(results) >= 5, f"only {len(results)} reads while the job ran"
    failed = [r for r in results if r[0] != 0]
    assert not failed, failed[:3]
    assert all(r[1].splitlines()[-1] == "0" for r in results), [r[1] for r in results][:5]
    assert not any("Traceback" in r[2] for r in results)


@pytest.mark.slow
def test_readers_never_fail_while_the_daemon_runs_jobs(tmp_path: Path) -> None:
    config = tmp_path / "hkipo.toml"
    config.write_text(synth.config_text(synth.default_watchlist(), schedule={
        "jobs": ["stats"], "stats_interval_minutes": 0.01, "wakeup_seconds": 1}), encoding="utf-8")
    db_path = tmp_path / "wh.duckdb"
    log = (tmp_path / "daemon.log").open("wb")
    daemon = subprocess.Popen([sys.executable, "-m", "hkipo", "daemon", "--config", str(config), "--db",
                               str(db_path)], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not db_path.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        started = time.monotonic()
        spawned = [0]

        def keep_reading() -> bool:
            # At least 20 s and at least 20 readers: a loaded machine gets more time, not a failure.
            spawned[0] += 1
            return daemon.poll() is None and (time.monotonic() - started < 20 or spawned[0] <= 20)

        results = _read_while(keep_reading, db_path, tmp_path, "select count(*) from ingest_runs where status = 'ok'")
        assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        log.close()
    failed = [r for r in results if r[0] != 0]
    assert not failed, failed[:3]
    counts = [int(r[1].splitlines()[-1]) for r in results]
    assert max(counts) - min(counts) >= 3, f"the daemon finished only {max(counts) - min(counts)} jobs during the reads"
    assert len(results) >= 20


# ---------------------------------------------------------------------------
# an analyst's session held open on the analysts' copy while the daemon writes
# ---------------------------------------------------------------------------

ANALYST = """
import json, sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)   # opened once, kept open like a notebook's
reads = failed = 0
errors, counts = [], set()
print("open", flush=True)
import select
while not select.select([sys.stdin], [], [], 0.2)[0]:
    try:
        counts.add(con.execute("select count(*) from articles").fetchall()[0][0])
        con.execute("select count(*) from v_news_coverage_daily").fetchall()
        reads += 1
    except Exception as e:
        failed += 1
        errors.append(str(e)[:200])
print(json.dumps({"reads": reads, "failed": failed, "errors": errors[:3], "counts": sorted(counts)}), flush=True)
"""


@pytest.mark.slow
def test_an_open_session_on_the_analysts_copy_never_blocks_the_daemon(tmp_path: Path) -> None:
    """0 failed jobs, 0 failed reads; new data reaches a new session, the old one keeps its snapshot."""
    watchlist = synth.default_watchlist()
    cassettes = tmp_path / "cassettes"
    cassettes.mkdir()
    staged = [tmp_path / f"news-{pages}.yaml" for pages in (8, 16, 24)]
    corpora = [synth.news_cassette(path, watchlist, pages=pages) for path, pages in zip(staged, (8, 16, 24))]
    (cassettes / "news.yaml").write_bytes(staged[0].read_bytes())
    config = tmp_path / "hkipo.toml"
    config.write_text(synth.config_text(watchlist, schedule={
        "jobs": ["news"], "news_interval_minutes": 0.03, "news_jitter_seconds": 0, "wakeup_seconds": 1},
        **corpora[-1].config_sections()), encoding="utf-8")
    db_path = tmp_path / "wh.duckdb"
    copy = tmp_path / "wh.read.duckdb"
    assert run_hkipo("migrate", "--db", str(db_path), cwd=tmp_path).returncode == 0
    assert copy.exists()

    def articles_in_a_new_session() -> int:
        con = duckdb.connect(str(copy), read_only=True)
        try:
            return con.execute("select count(*) from articles").fetchall()[0][0]
        finally:
            con.close()

    analyst = subprocess.Popen([sys.executable, "-c", ANALYST, str(copy)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    log = (tmp_path / "daemon.log").open("wb")
    daemon = None
    try:
        assert analyst.stdout.readline().strip() == "open"
        daemon = subprocess.Popen([sys.executable, "-m", "hkipo", "daemon", "--config", str(config), "--db",
                                   str(db_path), "--cassette-dir", str(cassettes)], cwd=tmp_path,
                                  stdout=log, stderr=subprocess.STDOUT)
        seen = []
        for i, cassette in enumerate(staged):
            if i:  # the next cycle replays a cassette with more pages: new data
                tmp = cassettes / "news.yaml.tmp"
                tmp.write_bytes(cassette.read_bytes())
                tmp.replace(cassettes / "news.yaml")
            want = len(corpora[i].pages)
            deadline = time.monotonic() + 120
            while articles_in_a_new_session() < want and time.monotonic() < deadline:
                assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
                time.sleep(0.3)
            seen.append(articles_in_a_new_session())
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
        analyst.stdin.close()
        result = json.loads(analyst.stdout.readline())
    finally:
        for p in (daemon, analyst):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        log.close()
    assert seen == [len(c.pages) for c in corpora], seen
    assert result["failed"] == 0 and result["reads"] >= 10, result
    assert result["counts"] == [0], "the open session keeps reading the copy it opened (empty, from migrate)"
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        statuses = con.execute("select status, count(*) from ingest_runs group by 1").fetchall()
    finally:
        con.close()
    assert dict(statuses).keys() <= {"ok"} and dict(statuses)["ok"] >= 3, statuses
    assert "locked" not in (tmp_path / "daemon.log").read_text()
