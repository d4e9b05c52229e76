"""The daemon's scheduling behaviour, in-process, on a fake clock.

The stored jobs call `record_call` below instead of launching a child (the
Daemon's documented `job_func` hook: any importable `fn(job, LaunchTarget)`),
and APScheduler's clock is replaced, so hours of schedule pass in
milliseconds: catch-up at start, coalescing of missed runs, runs missed beyond
the grace time, restarts that keep an interval's phase, shutdown.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import apscheduler.executors.base
import apscheduler.schedulers.base
import apscheduler.triggers.interval
import pytest

from hkipo.core.config import parse_config
from scheduler.daemon import Daemon
from scheduler.launcher import LaunchTarget
from scheduler.state import DaemonAlreadyRunning, state_path
from warehouse import db

HK = ZoneInfo("Asia/Hong_Kong")
T0 = dt.datetime(2026, 1, 5, 10, 0, tzinfo=HK)
HERE = Path(__file__).stem


def record_call(job: str, target: LaunchTarget) -> dict:
    """Stands in for launching a child: appends the job's name to <db>.calls."""
    with open(target.db_path + ".calls", "a", encoding="utf-8") as f:
        f.write(job + "\n")
    return {"job": job, "returncode": 0, "timed_out": False, "seconds": 0.0}


def block_while_gate_exists(job: str, target: LaunchTarget) -> dict:
    """A job that hangs until the test removes <db>.gate (at most 30 s)."""
    record_call(job, target)
    gate = Path(target.db_path + ".gate")
    deadline = time.monotonic() + 30
    while gate.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return {"job": job, "returncode": 0, "timed_out": False, "seconds": 0.0}


class FakeClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


class FakeDatetime(dt.datetime):
    """`datetime` as APScheduler sees it in these tests: now() is the fake clock's.

    At module level so that values of this class, which the triggers create,
    pickle into the job store like real datetimes.
    """

    clock: FakeClock | None = None

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
        assert cls.clock is not None
        return cls.clock.now.astimezone(tz) if tz else cls.clock.now.replace(tzinfo=None)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """APScheduler reads `datetime.now()` in these modules; make it read the fake clock."""
    fake = FakeClock(T0)
    monkeypatch.setattr(FakeDatetime, "clock", fake)
    for mod in (apscheduler.schedulers.base, apscheduler.executors.base, apscheduler.triggers.interval):
        monkeypatch.setattr(mod, "datetime", FakeDatetime)
    return fake


@pytest.fixture
def started(tmp_path: Path, clock: FakeClock) -> Iterator[list[Daemon]]:
    """Daemons a test starts; each is shut down at teardown."""
    daemons: list[Daemon] = []
    yield daemons
    for d in daemons:
        d.stop_event.set()
        if d.scheduler is not None and d.scheduler.running:
            d.shutdown()
        d.close()
    gate = tmp_path / "wh.duckdb.gate"
    gate.unlink(missing_ok=True)


def make(tmp_path: Path, clock: FakeClock, schedule: str, func: str = "record_call") -> Daemon:
    cfg = parse_config(
        '[[watchlist]]\ncode = "00100"\nname_en = "MiniMax"\nlisting_date = 2026-01-09\n'
        "[database]\nlock_timeout_seconds = 5\n[schedule]\nnews_jitter_seconds = 0\n" + schedule,
        "test.toml",
    )
    return Daemon(cfg, db_path=tmp_path / "wh.duckdb", job_func=f"{HERE}:{func}", clock=clock)


def start(daemons: list[Daemon], d: Daemon) -> Daemon:
    d.start()
    daemons.append(d)
    return d


def stop(d: Daemon) -> None:
    d.shutdown()
    d.close()


def calls(tmp_path: Path) -> list[str]:
    p = tmp_path / "wh.duckdb.calls"
    return p.read_text(encoding="utf-8").split() if p.exists() else []


def wait_for(predicate, timeout: float = 10.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def settle(d: Daemon) -> None:
    """Let the scheduler process what is due now and the workers finish it."""
    d.scheduler.wakeup()
    time.sleep(0.3)
    wait_for(lambda: not d.executor.running())


def record_success(tmp_path: Path, job: str, finished: dt.datetime) -> None:
    with db.writer(tmp_path / "wh.duckdb") as con, db.transaction(con):
        con.execute(
            "INSERT INTO ingest_runs (run_id, job, started_at, finished_at, status) VALUES (?, ?, ?, ?, 'ok')",
            [f"{job}-{finished.isoformat()}", job, finished - dt.timedelta(seconds=5), finished],
        ).fetchall()


def next_run(d: Daemon, job: str) -> dt.datetime:
    return d.scheduler.get_job(job).next_run_time


def test_a_fresh_database_runs_every_job_once_at_start(tmp_path, clock, started):
    d = start(started, make(tmp_path, clock, 'jobs = ["stats", "news"]\nstats_interval_minutes = 60\n'
                                             "news_interval_minutes = 30"))
    wait_for(lambda: len(calls(tmp_path)) == 2)
    settle(d)
    assert sorted(calls(tmp_path)) == ["news", "stats"]
    assert next_run(d, "stats") == T0 + dt.timedelta(minutes=60)
    assert next_run(d, "news") == T0 + dt.timedelta(minutes=30)
    st = json.loads(state_path(tmp_path / "wh.duckdb").read_text())
    assert dt.datetime.fromisoformat(st["next_runs"]["stats"]) == T0 + dt.timedelta(minutes=60)
    assert st["last"]["stats"]["outcome"] == "ok"


def test_runs_missed_while_asleep_coalesce_into_one(tmp_path, clock, started):
    d = start(started, make(tmp_path, clock, 'jobs = ["stats"]\nstats_interval_minutes = 60'))
    wait_for(lambda: calls(tmp_path) == ["stats"])
    settle(d)
    clock.advance(hours=5, minutes=30)  # five runs missed (11:00 ... 15:00)
    settle(d)
    assert calls(tmp_path) == ["stats", "stats"]  # once for all five, not five times
    assert next_run(d, "stats") == T0 + dt.timedelta(hours=6)
    clock.advance(minutes=30)
    settle(d)
    assert calls(tmp_path) == ["stats"] * 3  # and the regular cadence goes on


def test_a_run_missed_beyond_the_grace_time_is_caught_up_on_waking(tmp_path, clock, started):
    d = start(started, make(tmp_path, clock, 'jobs = ["stats"]\nstats_interval_minutes = 60\n'
                                             "misfire_grace_seconds = 60"))
    wait_for(lambda: calls(tmp_path) == ["stats"])
    settle(d)
    record_success(tmp_path, "stats", T0)
    clock.advance(hours=5, minutes=30)  # the latest missed run is 30 min late: past the grace
    settle(d)
    assert calls(tmp_path) == ["stats"]
    st = json.loads(state_path(tmp_path / "wh.duckdb").read_text())
    assert st["last"]["stats"]["outcome"].startswith("missed")
    # What the daemon does when its clock watch sees the machine slept:
    assert d.catch_up() == ["stats"]
    settle(d)
    assert calls(tmp_path) == ["stats", "stats"]  # late, once, but not never


def test_a_restart_keeps_the_interval_phase_and_skips_runs_done_meanwhile(tmp_path, clock, started):
    schedule = 'jobs = ["stats"]\nstats_interval_minutes = 60'
    d = start(started, make(tmp_path, clock, schedule))
    wait_for(lambda: calls(tmp_path) == ["stats"])
    settle(d)
    record_success(tmp_path, "stats", T0)
    stop(d)

    clock.advance(minutes=20)
    d = start(started, make(tmp_path, clock, schedule))
    settle(d)
    assert next_run(d, "stats") == T0 + dt.timedelta(minutes=60)  # not pushed back to 11:20
    assert calls(tmp_path) == ["stats"]
    stop(d)

    # Down over 11:00; someone ran the job by hand at 11:20; restart at 11:30.
    clock.advance(minutes=70)
    record_success(tmp_path, "stats", T0 + dt.timedelta(minutes=80))
    d = start(started, make(tmp_path, clock, schedule))
    settle(d)
    assert calls(tmp_path) == ["stats"]  # the missed 11:00 run is covered by the manual one
    assert next_run(d, "stats") == T0 + dt.timedelta(minutes=140)


def test_a_stale_job_runs_at_restart(tmp_path, clock, started):
    schedule = 'jobs = ["stats"]\nstats_interval_minutes = 60'
    record_success(tmp_path, "stats", T0 - dt.timedelta(hours=3))
    d = start(started, make(tmp_path, clock, schedule))
    wait_for(lambda: calls(tmp_path) == ["stats"])


def test_a_changed_schedule_is_rescheduled_and_a_dropped_job_removed(tmp_path, clock, started):
    d = start(started, make(tmp_path, clock, 'jobs = ["stats", "news"]\nstats_interval_minutes = 60'))
    wait_for(lambda: len(calls(tmp_path)) == 2)
    settle(d)
    record_success(tmp_path, "stats", T0)
    stop(d)
    clock.advance(minutes=5)
    d = start(started, make(tmp_path, clock, 'jobs = ["stats"]\nstats_interval_minutes = 15'))
    assert d.scheduler.get_job("news") is None
    job = d.scheduler.get_job("stats")
    assert job.name == "every 15 min"
    assert job.next_run_time <= clock.now + dt.timedelta(minutes=15)


def test_a_second_daemon_on_the_same_database_refuses(tmp_path, clock, started):
    start(started, make(tmp_path, clock, 'jobs = ["stats"]'))
    with pytest.raises(DaemonAlreadyRunning, match="already running"):
        make(tmp_path, clock, 'jobs = ["stats"]').start()


def test_shutdown_drops_queued_runs_and_keeps_its_bound(tmp_path, clock, started):
    (tmp_path / "wh.duckdb.gate").touch()
    d = start(started, make(tmp_path, clock, 'jobs = ["stats", "news"]\nmax_parallel_jobs = 1\n'
                                             "shutdown_timeout_seconds = 2", func="block_while_gate_exists"))
    wait_for(lambda: len(calls(tmp_path)) == 1)
    time.sleep(0.2)
    assert len(calls(tmp_path)) == 1  # one worker: the second job waits in the queue
    t0 = time.monotonic()
    d.shutdown()
    took = time.monotonic() - t0
    (tmp_path / "wh.duckdb.gate").unlink()
    time.sleep(0.3)
    assert took < 2.5
    assert len(calls(tmp_path)) == 1  # the queued job was dropped, not started after the stop
    d.close()
