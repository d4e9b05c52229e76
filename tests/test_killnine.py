"""SIGKILL during ingests: nothing half-written, the stale run is reaped, the next run converges.

Each ingest runs the real CLI in a subprocess on a generated corpus big enough
to be killed mid-way (benchmarks/synth.py: 100 synthetic article pages
written 5 per transaction; 30 synthetic securities, one transaction each).
After each SIGKILL at a random moment:

- the file opens;
- no key is duplicated, and nothing is partial: every stored article has its
  URLs, mentions and claims exactly as in an uninterrupted run, every stored
  security has all of its bars or none;
- the next run marks the killed run 'aborted' and leaves nothing 'running';
- and ends with exactly the data of an uninterrupted run (bookkeeping
  timestamps aside).

CI kills each ingest 3 times; the stress variant 24 times
(`pytest -m stress tests/test_killnine.py`). Set HKIPO_KILL_SEED to replay a
sequence of kill points.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import run_hkipo
from test_reliability import diff, open_readonly, runs, snapshot, synth


@dataclass
class Ingest:
    name: str
    argv: Callable[[Path], list[str]]
    check_partial: Callable[[Path, dict], list[str]]
    reference: dict
    seconds: float  # an uninterrupted run's wall time


def _news_partial(db_path: Path, ref: dict) -> list[str]:
    """Problems: keys duplicated, or an article without all of its rows."""
    con = open_readonly(db_path)
    try:
        problems = []
        for table, key in (("articles", "article_id"), ("article_urls", "url"),
                           ("article_mentions", "article_id, hkex_code"), ("claims", "claim_id")):
            dupes = con.execute(f"SELECT count(*) FROM (SELECT {key} FROM {table} GROUP BY ALL HAVING count(*) > 1)"
                                ).fetchall()[0][0]
            if dupes:
                problems.append(f"{dupes} duplicated keys in {table}")
        ids = {r[0] for r in con.execute("SELECT article_id FROM articles").fetchall()}
    finally:
        con.close()
    state = snapshot(db_path, ("articles", "article_urls", "article_mentions", "claims"))
    ref_ids = {r[0] for r in ref["articles"]}
    if ids - ref_ids:
        problems.append(f"articles not in the uninterrupted run: {sorted(ids - ref_ids)[:3]}")
    # Every row belonging to a stored article is there, and no row of an article that is not.
    col = {"articles": 0, "article_urls": 1, "article_mentions": 0}
    for table, i in col.items():
        want = {r for r in ref[table] if r[i] in ids}
        have = set(state[table])
        if have != want:
            problems.append(f"{table}: {len(have ^ want)} rows differ from the uninterrupted run for the stored "
                            f"articles (partial article?)")
    claim_cols = _claims_source_col(db_path)
    want = {r for r in ref["claims"] if r[claim_cols[0]] != "article" or r[claim_cols[1]] in ids}
    if set(state["claims"]) != want:
        problems.append(f"claims: {len(set(state['claims']) ^ want)} rows differ for the stored articles")
    return problems


def _claims_source_col(db_path: Path) -> tuple[int, int]:
    con = open_readonly(db_path)
    try:
        cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = "
                                          "'claims' ORDER BY ordinal_position").fetchall()
                if r[0] != "extracted_at"]
    finally:
        con.close()
    return cols.index("source_kind"), cols.index("source_id")


def _prices_partial(db_path: Path, ref: dict) -> list[str]:
    state = snapshot(db_path, ("prices_daily",))["prices_daily"]
    by_symbol: dict[str, set] = {}
    for r in ref["prices_daily"]:
        by_symbol.setdefault(r[0], set()).add(r)
    have: dict[str, set] = {}
    for r in state:
        have.setdefault(r[0], set()).add(r)
    problems = [f"{sym}: {len(rows)} of {len(by_symbol.get(sym, ()))} bars (a partial security)"
                for sym, rows in have.items() if rows != by_symbol.get(sym)]
    if len(state) != sum(len(v) for v in have.values()):
        problems.append("duplicated bars")
    return problems


@pytest.fixture(scope="module")
def ingests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ingest]:
    work = tmp_path_factory.mktemp("killnine")
    watchlist = synth.default_watchlist()
    news_cassette = work / "news.yaml"
    corpus = synth.news_cassette(news_cassette, watchlist, pages=100, hosts=2, feeds_per_host=2)
    news_config = work / "news.toml"
    news_config.write_text(synth.config_text(watchlist, **corpus.config_sections(batch_size=5)), encoding="utf-8")

    days = synth.trading_days(dt.date(2025, 4, 1), dt.date(2026, 4, 14))
    secs = synth.securities(30, listing_from=days[0])
    prices_cassette = work / "prices.yaml"
    synth.yahoo_cassette(prices_cassette, [(s, synth.series(days, start_price=s.offer_price, seed=i))
                                           for i, s in enumerate(secs)])
    prices_config = work / "prices.toml"
    prices_config.write_text(synth.config_text(secs), encoding="utf-8")

    specs = {
        "news": (lambda db: ["crawl", "news", "--cassette", str(news_cassette), "--config", str(news_config),
                             "--db", str(db)], _news_partial),
        "prices": (lambda db: ["job", "prices", "--cassette", str(prices_cassette), "--config", str(prices_config),
                               "--db", str(db)], _prices_partial),
    }
    out = {}
    for name, (argv, partial) in specs.items():
        ref_db = work / f"{name}-reference.duckdb"
        t0 = time.monotonic()
        res = run_hkipo(*argv(ref_db), cwd=work, timeout=300)
        seconds = time.monotonic() - t0
        assert res.returncode == 0, res.stderr[-3000:]
        out[name] = Ingest(name, argv, partial, snapshot(ref_db), seconds)
    # The corpus must give the kill something to cut: many stored articles and securities.
    assert len(out["news"].reference["articles"]) == 100
    assert len({r[0] for r in out["prices"].reference["prices_daily"]}) == 30
    return out


def _migrated(db_path: Path, where: str) -> bool:
    """Has the schema been created? A kill during the first migration must leave no version recorded."""
    con = open_readonly(db_path)  # the file opens, whatever the kill interrupted
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        versions = con.execute("SELECT count(*) FROM schema_version").fetchall()[0][0] \
            if "schema_version" in tables else 0
    finally:
        con.close()
    if "articles" not in tables:
        assert versions == 0, f"{where}: a schema version is recorded but its tables are missing: {sorted(tables)}"
        return False
    return True


def kill_and_converge(ingest: Ingest, work: Path, kills: int, seed: int) -> dict[str, int]:
    """Kill `kills` runs at random points, each on a fresh file; check each file, then converge it."""
    rng = random.Random(seed)
    outcome = {"not_killed": 0, "before_data": 0, "mid_ingest": 0, "after_data": 0}
    table = "prices_daily" if ingest.name == "prices" else "articles"
    full = len(ingest.reference[table])
    for i in range(kills):
        db = work / f"{ingest.name}-{seed}-{i}.duckdb"
        at = rng.uniform(0.15, 0.95) * ingest.seconds
        where = f"{ingest.name} kill {i} at {at:.2f}s (HKIPO_KILL_SEED={seed})"
        with open(work / f"{ingest.name}-{i}.log", "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "hkipo", *ingest.argv(db)], cwd=work, stdout=log,
                                    stderr=subprocess.STDOUT)
            time.sleep(at)
            killed = proc.poll() is None
            if killed:
                proc.send_signal(signal.SIGKILL)
            proc.wait()
        stale: list[str] = []
        stored = 0
        if db.exists() and not _migrated(db, where):
            pass  # killed during the first migration: it rolled back, the file holds no data yet
        elif db.exists():
            problems = ingest.check_partial(db, ingest.reference)  # also: the file opens
            assert not problems, f"{where}: {problems}"
            stored = len(snapshot(db, (table,))[table])
            stale = [r[0] for r in runs(db) if r[2] == "running"]
        if not killed:
            outcome["not_killed"] += 1
        else:
            outcome["before_data" if stored == 0 else "mid_ingest" if stored < full else "after_data"] += 1
            assert len(stale) <= 1, f"{where}: {stale}"

        res = run_hkipo(*ingest.argv(db), cwd=work, timeout=300)
        assert res.returncode == 0, f"{where}: next run failed:\n{res.stderr[-3000:]}"
        assert "Traceback" not in res.stderr
        after = {r[0]: r for r in runs(db)}
        assert all(after[s][2] == "aborted" for s in stale), f"{where}: {[after[s] for s in stale]}"
        assert not [r for r in after.values() if r[2] == "running"], f"{where}: a run is still 'running'"
        differences = diff(snapshot(db), ingest.reference)
        assert not differences, f"{where}: did not converge: {differences}"
    return outcome


def _seed() -> int:
    return int(os.environ.get("HKIPO_KILL_SEED") or random.SystemRandom().randrange(10**6))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["news", "prices"])
def test_kill_nine_mid_ingest_loses_nothing_and_converges(ingests: dict[str, Ingest], tmp_path: Path,
                                                          name: str) -> None:
    kill_and_converge(ingests[name], tmp_path, kills=3, seed=_seed())


@pytest.mark.stress
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("name", ["news", "prices"])
def test_kill_nine_stress(ingests: dict[str, Ingest], tmp_path: Path, name: str) -> None:
    seed = _seed()
    outcome = kill_and_converge(ingests[name], tmp_path, kills=24, seed=seed)
    # The kill points are spread over the run: most must land while data is being written.
    assert outcome["mid_ingest"] >= 12, (outcome, seed)


@pytest.mark.slow
def test_statistics_are_rebuilt_after_a_kill_before_the_rebuild(ingests: dict[str, Ingest], tmp_path: Path) -> None:
    """The state a SIGKILL leaves when it lands after the last batch committed and before the rebuild:
    every article stored, ipo_stats as before the run (empty), the run still 'running' with a dead pid."""
    from test_reliability import dead_pid

    ingest = ingests["news"]
    db = tmp_path / "window.duckdb"
    assert run_hkipo(*ingest.argv(db), cwd=tmp_path, timeout=300).returncode == 0
    import duckdb

    con = duckdb.connect(str(db))
    try:
        con.execute("DELETE FROM ipo_stats").fetchall()
        con.execute("UPDATE ingest_runs SET status = 'running', finished_at = NULL, pid = ?",
                    [dead_pid()]).fetchall()
    finally:
        con.close()
    assert run_hkipo(*ingest.argv(db), cwd=tmp_path, timeout=300).returncode == 0
    assert [r[2] for r in runs(db)] == ["aborted", "ok"]
    assert snapshot(db)["ipo_stats"] == ingest.reference["ipo_stats"]
