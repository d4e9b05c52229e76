"""`hkipo daemon` as users run it: a real process, real children, signals, status, sql.

Periods are compressed through config (the stats job every 2.4 s), not
through any test-only code path.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hkipo.core.config import default_config_text
from helpers import CASSETTES, run_hkipo
from warehouse import db

FAST = {
    'jobs = ["prices", "hkex", "news"]': 'jobs = ["stats"]',
    "stats_interval_minutes = 1440": "stats_interval_minutes = 0.04",
    "wakeup_seconds = 60": "wakeup_seconds = 1",
}


def write_config(tmp_path: Path, **replace: str) -> Path:
    text = default_config_text()
    for old, new in {**FAST, **replace}.items():
        assert old in text, old
        text = text.replace(old, new)
    p = tmp_path / "hkipo.toml"
    p.write_text(text, encoding="utf-8")
    return p


class Daemon:
    """A daemon subprocess, stopped (TERM, then KILL) at the end of the test whatever happens."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.log = tmp_path / "daemon.out"
        self._out = open(self.log, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "hkipo", "daemon", *args], cwd=tmp_path,
                                     stdout=self._out, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 30) -> tuple[int, float]:
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=timeout)
        return rc, time.monotonic() - t0

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._out.close()


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for d in started:
        d.close()


def sql(tmp_path: Path, db_path: Path, query: str) -> list[list[str]]:
    r = run_hkipo("sql", "--live", "--db", str(db_path), "--format", "csv", query, cwd=tmp_path)  # run records now
    assert r.returncode == 0, r.stderr
    return [line.split(",") for line in r.stdout.strip().splitlines()[1:]]


def wait_until(what: str, predicate, timeout: float = 60, daemon: Daemon | None = None) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if daemon is not None and daemon.proc.poll() is not None:
            raise AssertionError(f"daemon exited ({daemon.proc.returncode}) waiting for {what}:\n{daemon.output()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}" + (f":\n{daemon.output()}" if daemon else ""))
        time.sleep(0.25)


def status(tmp_path: Path, config: Path, db_path: Path) -> dict:
    r = run_hkipo("status", "--json", "--config", str(config), "--db", str(db_path), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.slow
def test_daemon_runs_cycles_reports_refuses_a_second_and_stops_cleanly(tmp_path, daemons):
    config = write_config(tmp_path)
    db_path = tmp_path / "wh.duckdb"
    log_file = tmp_path / "logs" / "daemon.jsonl"
    d = Daemon(tmp_path, "--config", str(config), "--db", str(db_path), "--log-format", "json",
               "--log-file", str(log_file))
    daemons.append(d)

    # Several cycles, watched through `hkipo sql` while the daemon runs.
    wait_until("three stats runs", lambda: db_path.exists() and int(sql(
        tmp_path, db_path, "select count(*) from ingest_runs where job = 'stats' and status = 'ok'")[0][0]) >= 3,
        daemon=d)

    second = run_hkipo("daemon", "--config", str(config), "--db", str(db_path), cwd=tmp_path, timeout=60)
    assert second.returncode == 2
    assert "already running" in second.stderr and str(d.proc.pid) in second.stderr

    st = status(tmp_path, config, db_path)
    assert st["daemon"]["running"] and st["daemon"]["pid"] == d.proc.pid
    stats = next(j for j in st["jobs"] if j["job"] == "stats")
    assert stats["status"] in ("ok", "running") and stats["next_run"] not in ("-", "not scheduled")
    assert st["daemon"]["schedule"]["stats"] == "every 2.4 s"
    prices = next(j for j in st["jobs"] if j["job"] == "prices")
    assert prices["next_run"] == "not scheduled"

    rc, took = d.stop()
    assert rc == 0, d.output()
    assert took < 15
    assert "daemon stopped" in d.output()

    # Nothing left half-done: every run finished one way or another.
    rows = sql(tmp_path, db_path, "select status, count(*) from ingest_runs group by status order by 1")
    assert {s for s, _ in rows} <= {"ok", "aborted"}, rows
    assert not status(tmp_path, config, db_path)["daemon"]["running"]

    # JSON logs in the file, the children's records relayed into it.
    records = [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()]
    loggers = {r["logger"] for r in records}
    assert {"scheduler.daemon", "pipelines.runs"} <= loggers
    assert {r["pid"] for r in records if r["logger"] == "pipelines.runs"} - {d.proc.pid}


@pytest.mark.slow
def test_a_hung_job_is_cut_off_and_the_schedule_goes_on(tmp_path, daemons):
    config = write_config(tmp_path, **{"stats_timeout_seconds = 300": "stats_timeout_seconds = 10",
                                       "kill_grace_seconds = 10": "kill_grace_seconds = 1"})
    db_path = tmp_path / "wh.duckdb"
    d = Daemon(tmp_path, "--config", str(config), "--db", str(db_path))
    daemons.append(d)
    ok_runs = "select count(*) from ingest_runs where status = 'ok'"
    wait_until("a first run", lambda: db_path.exists() and int(sql(tmp_path, db_path, ok_runs)[0][0]) >= 1, daemon=d)

    # An analyst's open session holds the file: the next run waits for it until its time-out.
    # (The time-out leaves room for a slow start on a busy machine; the hang outlasts it.)
    with db.writer(db_path):
        time.sleep(14)
    before = int(sql(tmp_path, db_path, ok_runs)[0][0])
    wait_until("runs after the hang", lambda: int(sql(tmp_path, db_path, ok_runs)[0][0]) >= before + 2,
               timeout=120, daemon=d)
    failed = sql(tmp_path, db_path, "select error from ingest_runs where status = 'failed'")
    assert failed and all("timed out after 10s" in f[0] for f in failed)
    rc, took = d.stop()
    assert rc == 0 and took < 15, d.output()


@pytest.mark.slow
def test_sigterm_while_a_job_is_stuck_still_exits_within_the_bound(tmp_path, daemons):
    config = write_config(tmp_path, **{"shutdown_timeout_seconds = 15": "shutdown_timeout_seconds = 4"})
    db_path = tmp_path / "wh.duckdb"
    d = Daemon(tmp_path, "--config", str(config), "--db", str(db_path))
    daemons.append(d)
    state = Path(str(db_path) + ".daemon.json")
    wait_until("a first run", lambda: db_path.exists() and int(sql(
        tmp_path, db_path, "select count(*) from ingest_runs where status = 'ok'")[0][0]) >= 1, daemon=d)
    with db.writer(db_path):
        wait_until("a job stuck behind the lock", lambda: bool(json.loads(state.read_text())["active"]), daemon=d)
        rc, took = d.stop()
    assert rc == 0, d.output()
    assert took < 4 + 1.5
    # Its children are gone too.
    time.sleep(0.5)
    assert not [p for p in _children_of(d.proc.pid)]
    # The stuck run never wrote; whatever it recorded is finished or gets reaped by the next writer.
    rows = sql(tmp_path, db_path, "select status from ingest_runs where status not in ('ok', 'aborted')")
    assert rows == [] or all(r == ["running"] for r in rows)


def _children_of(pid: int) -> list[int]:
    import psutil

    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def test_once_runs_each_job_once_and_exits(tmp_path):
    config = write_config(tmp_path)
    db_path = tmp_path / "wh.duckdb"
    r = run_hkipo("daemon", "--once", "--config", str(config), "--db", str(db_path), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sql(tmp_path, db_path, "select job, status from ingest_runs") == [["stats", "ok"]]
    assert not Path(str(db_path) + ".daemon.lock").exists() or not status(tmp_path, config, db_path)["daemon"]["running"]


def test_cassette_dir_without_cassettes_schedules_nothing_and_says_why(tmp_path):
    config = write_config(tmp_path, **{'jobs = ["stats"]': 'jobs = ["prices", "news"]'})
    (tmp_path / "empty").mkdir()
    r = run_hkipo("daemon", "--config", str(config), "--db", str(tmp_path / "demo.duckdb"),
                  "--cassette-dir", str(tmp_path / "empty"), cwd=tmp_path)
    assert r.returncode == 2
    assert "no cassette" in r.stderr and "prices.yaml" in r.stderr and "nothing to schedule" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_live_daemon_refuses_a_replayed_database(tmp_path):
    config = write_config(tmp_path)
    db_path = tmp_path / "demo.duckdb"
    with db.writer(db_path) as con, db.transaction(con):
        db.claim_origin(con, "replay")
    r = run_hkipo("daemon", "--config", str(config), "--db", str(db_path), cwd=tmp_path)
    assert r.returncode == 2
    assert "holds replay data" in r.stderr


def _replayable_jobs() -> list[str]:
    """Jobs with a bundled cassette whose code is in the tree (others are being built)."""
    import importlib

    from hkipo.app.jobs import JOBS, REFRESH_ORDER

    out = []
    for job in REFRESH_ORDER:
        module = JOBS[job].split(":")[0]
        if not (CASSETTES / f"{job}.yaml").is_file():
            continue
        try:
            importlib.import_module(module)
        except ImportError:
            continue
        out.append(job)
    return out


@pytest.mark.slow
def test_daemon_replays_the_bundled_cassettes_for_several_cycles(tmp_path, daemons):
    jobs = _replayable_jobs()
    if not jobs:
        pytest.skip("no bundled cassette with its job in the tree yet")
    config = write_config(tmp_path, **{
        'jobs = ["stats"]': "jobs = [" + ", ".join(f'"{j}"' for j in jobs) + "]",
        "news_interval_minutes = 30": "news_interval_minutes = 0.05",
        "news_jitter_seconds = 120": "news_jitter_seconds = 0",
        "hkex_window_interval_minutes = 60": "hkex_window_interval_minutes = 0.05",
    })
    db_path = tmp_path / "demo.duckdb"
    d = Daemon(tmp_path, "--config", str(config), "--db", str(db_path), "--cassette-dir", str(CASSETTES))
    daemons.append(d)

    def runs_ok() -> dict[str, int]:
        if not db_path.exists():
            return {}
        return {j: int(n) for j, n in sql(tmp_path, db_path,
                "select job, count(*) from ingest_runs where status = 'ok' group by job")}

    # Every job once at start (catch-up on a fresh file); news again every 3 s.
    wait_until("every job once", lambda: all(runs_ok().get(j, 0) >= 1 for j in jobs), timeout=180, daemon=d)
    if "news" in jobs:
        wait_until("several news cycles", lambda: runs_ok().get("news", 0) >= 3, timeout=180, daemon=d)
    rc, took = d.stop()
    assert rc == 0, d.output()
    assert took < 15
    bad = sql(tmp_path, db_path, "select job, status, error from ingest_runs where status not in ('ok', 'aborted')")
    assert bad == [], bad
    tables = {"prices": "prices_daily", "hkex": "announcements", "news": "articles"}
    for job in jobs:
        assert int(sql(tmp_path, db_path, f"select count(*) from {tables[job]}")[0][0]) > 0, job
    origin = sql(tmp_path, db_path, "select value from warehouse_meta where key = 'data_origin'")
    assert origin == [["replay"]]
