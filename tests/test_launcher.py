"""The launcher: a child per job, a time-out that ends in a kill, and an honest run record."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from hkipo.core.config import default_config_text
from scheduler.launcher import launch, relay_line
from warehouse import db


def _config(tmp_path: Path, lock_timeout: float = 60) -> Path:
    p = tmp_path / "hkipo.toml"
    p.write_text(default_config_text().replace("lock_timeout_seconds = 30.0",
                                               f"lock_timeout_seconds = {lock_timeout}"), encoding="utf-8")
    return p


def _run(db_path: Path, run_id: str) -> tuple:
    with db.reader(db_path) as con:
        return db.fetch_one(con, "SELECT job, status, error, finished_at IS NOT NULL FROM ingest_runs "
                                 "WHERE run_id = ?", [run_id])


def test_a_job_runs_in_a_child_and_its_logs_come_through_this_process(tmp_path, caplog):
    db_path = tmp_path / "wh.duckdb"
    caplog.set_level(logging.INFO)
    res = launch("stats", config_path=str(_config(tmp_path)), db_path=db_path, timeout=60, relay_logs=True)
    assert res.ok, res
    assert _run(db_path, res.run_id) == ("stats", "ok", None, True)
    relayed = [r for r in caplog.records if r.name == "pipelines.runs" and "job stats finished" in r.getMessage()]
    assert relayed and relayed[0].process != os.getpid()  # the child's pid, kept


def test_a_hung_job_is_killed_at_its_time_out_and_recorded_failed(tmp_path):
    """An open DuckDB session elsewhere (here: this test) makes the job wait: a realistic hang."""
    db_path = tmp_path / "wh.duckdb"
    config = _config(tmp_path, lock_timeout=120)
    with db.writer(db_path):
        pass
    holder = db.writer(db_path)
    holder.__enter__()
    released = threading.Event()

    def release() -> None:
        holder.__exit__(None, None, None)
        released.set()

    timer = threading.Timer(4.0, release)
    timer.start()
    try:
        t0 = time.monotonic()
        res = launch("stats", config_path=str(config), db_path=db_path, timeout=1.5, term_grace=2,
                     lock_timeout=30)
        took = time.monotonic() - t0
    finally:
        timer.cancel()
        if not released.is_set():
            release()
    assert res.timed_out and not res.ok
    assert took < 15
    job, status, error, finished = _run(db_path, res.run_id)
    assert (job, status, finished) == ("stats", "failed", True)
    assert "timed out after 1.5s" in error


def test_a_job_stopped_from_outside_is_recorded_aborted(tmp_path):
    db_path = tmp_path / "wh.duckdb"
    with db.writer(db_path):
        pass
    t0 = time.monotonic()
    res = launch("stats", config_path=str(_config(tmp_path)), db_path=db_path, timeout=60, term_grace=5,
                 stop_requested=lambda: time.monotonic() - t0 > 0.3)
    assert not res.ok and not res.timed_out
    # Stopped before or after it installed its handler: either it recorded
    # 'aborted' itself (rolling back), or the launcher did for it.
    job, status, error, finished = _run(db_path, res.run_id)
    assert (job, status, finished) == ("stats", "aborted", True)
    assert "SIGTERM" in error


def test_relay_keeps_a_json_records_logger_level_and_pid(caplog):
    caplog.set_level(logging.DEBUG)
    relay_line('{"ts": "2026-01-09T08:30:00.000+00:00", "level": "WARNING", "logger": "pipelines.prices", '
               '"msg": "0100.HK: 1 bar", "pid": 4242, "symbol": "0100.HK"}', logging.getLogger("hkipo.job.prices"))
    rec = caplog.records[-1]
    assert (rec.name, rec.levelno, rec.getMessage(), rec.process) == (
        "pipelines.prices", logging.WARNING, "0100.HK: 1 bar", 4242)
    assert rec.symbol == "0100.HK"
    assert rec.created == 1767947400.0


def test_relay_logs_other_output_as_a_warning(caplog):
    caplog.set_level(logging.DEBUG)
    relay_line("Traceback (most recent call last):", logging.getLogger("hkipo.job.news"))
    relay_line('{"not": "a log record"}', logging.getLogger("hkipo.job.news"))
    assert [(r.name, r.levelno) for r in caplog.records[-2:]] == [("hkipo.job.news", logging.WARNING)] * 2
