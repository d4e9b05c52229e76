"""The daemon: APScheduler keeps the warehouse current; every job runs in a child process.

Lifecycle of `Daemon.run()`:
  1. take the per-database daemon lock (a second daemon refuses);
  2. open the persistent job store (<db>.schedule.sqlite) with the scheduler paused;
  3. sync the stored jobs with the config: add the missing ones, re-schedule
     only those whose schedule changed, update how they launch, drop the rest;
  4. catch up: a job whose last successful run (ingest_runs) is older than its
     period is moved to run now; a stored run that fell due while the daemon was
     down but is no longer needed (someone ran the job since) is moved on;
  5. resume, and watch the clock: if the machine slept, catch up again;
  6. on SIGTERM/SIGINT: start nothing new, ask running children to stop
     (SIGTERM: their transaction rolls back, the run is recorded 'aborted'),
     SIGKILL what is left near the bound, and return 0.

The daemon never keeps the DuckDB file open: it reads `ingest_runs` in short
read-only sessions, and only the children write.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import IO, Any
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    SchedulerEvent,
)
from apscheduler.schedulers.background import BackgroundScheduler

from hkipo.core.config import Config
from hkipo.core.errors import UserError
from scheduler import state
from scheduler.executor import BoundedExecutor
from scheduler.launcher import LaunchTarget
from scheduler.schedule import JobSpec, build_schedule

log = logging.getLogger(__name__)

LAUNCH_FUNC = "scheduler.launcher:launch_scheduled"
_LAST_EVENTS = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES


def jobstore_path(db_path: Path) -> Path:
    return Path(str(db_path) + ".schedule.sqlite")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class ClockWatch:
    """Notices that the machine slept: the wall clock ran on while the monotonic clock stood still.

    APScheduler waits on a monotonic timer, which stops during suspend, so after
    waking it could sleep on for its whole remaining wait and then find the
    missed run past its grace time. Comparing the two clocks catches that.
    """

    def __init__(self, threshold: float, wall: Callable[[], float] = time.time,
                 mono: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self._wall, self._mono = wall, mono
        self._last = (wall(), mono())

    def jumped(self) -> float:
        """Seconds the wall clock gained on the monotonic one since the last call (0 if under the threshold)."""
        wall, mono = self._wall(), self._mono()
        gained = (wall - self._last[0]) - (mono - self._last[1])
        self._last = (wall, mono)
        return gained if gained > self.threshold else 0.0


class Daemon:
    """One scheduler for one database. Build it, call `run()` from the main thread."""

    def __init__(
        self,
        config: Config,
        *,
        db_path: Path,
        config_path: str | None = None,
        cassette_dir: Path | None = None,
        specs: list[JobSpec] | None = None,
        job_func: str = LAUNCH_FUNC,
        child_args: tuple[str, ...] = (),
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        """`specs` default to the config's schedule; `job_func` is the stored jobs' importable
        function, called as `job_func(job_name, LaunchTarget)` (see scheduler.launcher)."""
        self.config = config
        self.sc = config.schedule
        self.db_path = Path(db_path)
        self.config_path = config_path
        self.cassette_dir = cassette_dir
        self.job_func = job_func
        self.child_args = child_args
        self.clock = clock
        self.tz = ZoneInfo(self.sc.timezone)
        self.stop_event = threading.Event()
        self._fixed_specs = specs is not None
        self.specs = self._runnable(specs if specs is not None else
                                    build_schedule(config, open_offers=self._open_offers()))
        self.scheduler: BackgroundScheduler | None = None
        self.executor: BoundedExecutor | None = None
        self.started_at = state.now_iso()
        self._state_lock = threading.Lock()
        self._last: dict[str, dict[str, Any]] = {}  # job -> last outcome (one entry per job, no history)
        self._stopping = False
        self._lock: IO[str] | None = None

    # ------------------------------------------------------------------ setup

    def _open_offers(self) -> list[tuple[dt.date, dt.date]]:
        """Application periods of stored offers still open (formal notices): the hkex job runs hourly in them."""
        if not self.db_path.exists():
            return []
        try:
            from pipelines.calendar import open_offer_windows
            from warehouse import db

            with db.reader(self.db_path, lock_timeout=5) as con:
                return open_offer_windows(con)
        except Exception as e:  # a busy or older database: keep the config's windows, say why
            log.warning("could not read open offers from %s: %s", self.db_path, e)
            return []

    def refresh_offer_windows(self) -> None:
        """After an hkex run: re-schedule it if an offer opened or closed (a new formal notice was stored)."""
        if self._fixed_specs or self.scheduler is None:
            return
        specs = self._runnable(build_schedule(self.config, open_offers=self._open_offers()))
        if [s.description for s in specs] != [s.description for s in self.specs]:
            self.specs = specs
            self.sync_jobs()

    def _runnable(self, specs: list[JobSpec]) -> list[JobSpec]:
        if self.cassette_dir is None:
            return specs
        out = []
        for s in specs:
            if s.job == "stats":
                log.warning("not scheduling stats under --cassette-dir: it fetches nothing, and the job "
                            "runner would mark the replayed database live (the other jobs rebuild statistics)")
            elif not self.cassette(s.job):
                log.warning("not scheduling %s: no cassette %s", s.job, self.cassette_dir / f"{s.job}.yaml")
            else:
                out.append(s)
        return out

    def cassette(self, job: str) -> Path | None:
        if self.cassette_dir is None:
            return None
        p = self.cassette_dir / f"{job}.yaml"
        return p if p.is_file() else None

    def target(self, spec: JobSpec) -> LaunchTarget:
        cas = self.cassette(spec.job)
        return LaunchTarget(
            db_path=str(self.db_path.resolve()),
            config_path=str(Path(self.config_path).resolve()) if self.config_path else None,
            cassette=str(cas.resolve()) if cas else None,
            timeout=spec.timeout,
            term_grace=self.sc.kill_grace_seconds,
            lock_timeout=self.config.database.lock_timeout_seconds,
            extra_args=self.child_args,
        )

    def check_origin(self) -> None:
        """Refuse at start, not at every run, to replay into a live warehouse or the reverse."""
        from warehouse import db

        if not self.db_path.exists():
            return
        with db.reader(self.db_path, lock_timeout=self.config.database.lock_timeout_seconds) as con:
            row = db.fetch_one(con, "SELECT value FROM warehouse_meta WHERE key = 'data_origin'")
        origin = row[0] if row else None
        wanted = "replay" if self.cassette_dir else "live"
        if origin and origin != wanted:
            hint = ("use a separate --db for replays" if wanted == "replay"
                    else "this file holds replayed data; point --db at your live warehouse")
            raise UserError(f"{self.db_path} holds {origin} data; a {'replaying' if self.cassette_dir else 'live'} "
                            f"daemon would add {wanted} data to it: {hint}")

    def build_scheduler(self) -> BackgroundScheduler:
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

        self.executor = BoundedExecutor(self.sc.max_parallel_jobs, on_change=self.write_state)
        sched = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{jobstore_path(self.db_path)}")},
            executors={"default": self.executor},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": self.sc.misfire_grace_seconds},
            timezone=self.tz,
        )
        sched.add_listener(self._on_event, _LAST_EVENTS)
        return sched

    def sync_jobs(self) -> None:
        """Make the store match the config without disturbing jobs whose schedule is unchanged.

        Re-adding every job at start (replace_existing=True) would push each
        interval job a full period back; so a job is added only when missing,
        re-scheduled only when its schedule's description changed, and
        otherwise only its launch details (paths, time-outs) are updated.
        """
        assert self.scheduler is not None
        sched = self.scheduler
        wanted = {s.job: s for s in self.specs}
        for stored in sched.get_jobs():
            if stored.id not in wanted:
                log.info("removing %s from the schedule (no longer configured)", stored.id)
                sched.remove_job(stored.id)
        policy = {"coalesce": True, "max_instances": 1, "misfire_grace_time": self.sc.misfire_grace_seconds}
        for spec in self.specs:
            args = (spec.job, self.target(spec))
            stored = sched.get_job(spec.job)
            if stored is None:
                sched.add_job(self.job_func, trigger=spec.trigger, args=args, id=spec.job,
                              name=spec.description, replace_existing=False, **policy)
                log.info("scheduled %s: %s", spec.job, spec.description)
                continue
            changes: dict[str, Any] = {k: v for k, v in policy.items() if getattr(stored, k) != v}
            if tuple(stored.args) != args or stored.kwargs:
                changes.update(args=args, kwargs={})
            if stored.func_ref != self.job_func:
                changes["func"] = self.job_func
            if changes:
                sched.modify_job(spec.job, **changes)
            if stored.name != spec.description:
                sched.modify_job(spec.job, name=spec.description)
                sched.reschedule_job(spec.job, trigger=spec.trigger)
                log.info("re-scheduled %s: %s (was: %s)", spec.job, spec.description, stored.name)

    def last_successes(self) -> dict[str, dt.datetime | None] | None:
        """Each job's last successful finish, from ingest_runs; None if the database cannot be read now."""
        from warehouse import db, runs

        if not self.db_path.exists():  # nothing has run yet (readers no longer create the file)
            return {}
        try:
            with db.reader(self.db_path, lock_timeout=self.config.database.lock_timeout_seconds) as con:
                rows = runs.last_runs(con)
        except Exception as e:  # a locked or damaged file must not stop the schedule
            log.warning("cannot read the run records, so no catch-up this time: %s", e)
            return None
        return {r["job"]: r["last_success"] for r in rows}

    def catch_up(self) -> list[str]:
        """Move due jobs to now; move stale stored run times that are no longer due on. Returns the jobs moved to now."""
        assert self.scheduler is not None and self.executor is not None
        last = self.last_successes()
        if last is None:
            return []
        now = self.clock()
        busy = set(self.executor.running())
        due_now = []
        for spec in self.specs:
            job = self.scheduler.get_job(spec.job)
            if job is None or spec.job in busy:
                continue
            if spec.due(last.get(spec.job), now):
                if job.next_run_time is None or job.next_run_time > now:
                    job.modify(next_run_time=now)
                due_now.append(spec.job)
            elif job.next_run_time is not None and job.next_run_time < now:
                # It fell due while the daemon was away, but a run since (by hand,
                # or before a restart) already covers it: next one a period after that run.
                since = last.get(spec.job)
                nxt = since + spec.period if spec.period and since else job.trigger.get_next_fire_time(None, now)
                job.modify(next_run_time=nxt)
        if due_now:
            log.info("catching up: %s (last success older than the period)", ", ".join(due_now))
        return due_now

    # ---------------------------------------------------------------- running

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; return the exit code (0 after a clean stop)."""
        self._install_signals()
        self.start()
        try:
            self.serve()
            self.shutdown()
            return 0
        finally:
            self.close()

    def start(self) -> None:
        """Lock, open the store paused, sync the jobs, catch up, resume."""
        self._lock = state.acquire_lock(self.db_path)
        try:
            self.check_origin()
            if not self.specs:
                raise UserError("nothing to schedule (see the warnings above, and [schedule] jobs)")
            self.scheduler = self.build_scheduler()
            self.scheduler.start(paused=True)
            self.sync_jobs()
            self.catch_up()
            self.scheduler.resume()
            self.write_state()
        except BaseException:
            self.close()
            raise
        log.info("daemon started on %s (pid %d): %s", self.db_path, os.getpid(),
                 "; ".join(f"{s.job} {s.description}" for s in self.specs))

    def serve(self) -> None:
        """Wait for a stop request; meanwhile notice sleeps of the machine and catch up after them."""
        assert self.scheduler is not None
        watch = ClockWatch(threshold=max(5.0, self.sc.wakeup_seconds / 2))
        while not self.stop_event.wait(self.sc.wakeup_seconds):
            slept = watch.jumped()
            if slept:
                log.info("the clock jumped %.0f s ahead (the machine slept?); catching up", slept)
                self.catch_up()
                self.scheduler.wakeup()

    def close(self) -> None:
        """Release the store and the daemon lock (idempotent)."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def request_stop(self, reason: str = "") -> None:
        if not self.stop_event.is_set():
            log.info("stopping%s", f" ({reason})" if reason else "")
        self.stop_event.set()

    def _install_signals(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            if self.stop_event.is_set():
                log.info("%s again: still stopping (bounded by %g s)", signal.Signals(signum).name,
                         self.sc.shutdown_timeout_seconds)
            self.request_stop(signal.Signals(signum).name)

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def shutdown(self) -> None:
        """Start nothing new; let running children roll back; kill what is left before the bound."""
        assert self.scheduler is not None and self.executor is not None
        bound = self.sc.shutdown_timeout_seconds
        t0 = time.monotonic()
        self._stopping = True
        running = self.executor.running()
        self.write_state()
        self.scheduler.shutdown(wait=False)  # no new runs; queued ones are dropped
        if running:
            log.info("asking %s to stop (SIGTERM)", ", ".join(running))
        # Leave the last part of the bound for SIGKILL and exit.
        term_until = t0 + max(bound * 0.7, bound - 3)
        signalled: set[int] = set()
        while time.monotonic() < term_until:
            for pid in job_children():
                if pid not in signalled:
                    _signal_group(pid, signal.SIGTERM)
                    signalled.add(pid)
            if self.executor.join(0.1):
                break
        leftover = job_children()
        for pid in leftover:
            log.warning("job process %d did not stop in time; killing it", pid)
            _signal_group(pid, signal.SIGKILL)
        done = self.executor.join(max(0.0, t0 + bound - 0.5 - time.monotonic()))
        if not done:
            log.warning("a job worker is still busy (recording its run); exiting anyway")
        self.write_state()
        log.info("daemon stopped after %.1f s", time.monotonic() - t0)

    # ------------------------------------------------------------- reporting

    def _on_event(self, event: SchedulerEvent) -> None:
        if not isinstance(event, JobExecutionEvent):
            return
        job = event.job_id
        if event.code == EVENT_JOB_EXECUTED:
            outcome = dict(event.retval) if isinstance(event.retval, dict) else {"result": str(event.retval)}
            ok = outcome.get("returncode") == 0 and not outcome.get("timed_out")
            outcome["outcome"] = "ok" if ok else ("timed out" if outcome.get("timed_out") else
                                                  f"exit code {outcome.get('returncode')}")
            (log.info if ok else log.warning)("%s finished: %s in %.1f s", job, outcome["outcome"],
                                             float(outcome.get("seconds") or 0))
        elif event.code == EVENT_JOB_ERROR:
            outcome = {"outcome": f"launch failed: {event.exception!r}"}
            log.error("%s could not be launched: %r", job, event.exception)
        elif event.code == EVENT_JOB_MISSED:
            outcome = {"outcome": f"missed (scheduled {event.scheduled_run_time:%Y-%m-%d %H:%M}, beyond the grace time)"}
        else:  # EVENT_JOB_MAX_INSTANCES
            outcome = {"outcome": "skipped: the previous run was still going"}
            log.debug("%s skipped: its previous run was still going", job)
        outcome["at"] = state.now_iso()
        self._last[job] = outcome
        if job == "hkex" and event.code == EVENT_JOB_EXECUTED:
            self.refresh_offer_windows()
        self.write_state()

    def write_state(self) -> None:
        """The state file `hkipo status` reads: next runs, what runs now, last outcomes."""
        with self._state_lock:
            next_runs: dict[str, str | None] = {}
            if self.scheduler is not None and self.scheduler.running and not self._stopping:
                try:
                    for job in self.scheduler.get_jobs():
                        next_runs[job.id] = job.next_run_time.isoformat() if job.next_run_time else None
                except Exception as e:  # the state file is a report; never let it break the daemon
                    log.debug("cannot list jobs for the state file: %s", e)
            active = self.executor.running_since() if self.executor is not None else {}
            state.write_state(self.db_path, {
                "pid": os.getpid(),
                "started_at": self.started_at,
                "updated_at": state.now_iso(),
                "db": str(self.db_path),
                "config": self.config_path,
                "cassette_dir": str(self.cassette_dir) if self.cassette_dir else None,
                "schedule": {s.job: s.description for s in self.specs},
                "next_runs": next_runs,
                "active": active,
                "last": self._last,
                "stopping": self._stopping,
            })

    # ------------------------------------------------------------- --once

    def run_once(self) -> int:
        """Run each scheduled job once, one after another, and return 0 if all succeeded."""
        from scheduler.launcher import launch

        lock = state.acquire_lock(self.db_path)
        try:
            self.check_origin()
            if not self.specs:
                raise UserError("nothing to run (see the warnings above, and [schedule] jobs)")
            self._install_signals()
            failed = []
            for spec in self.specs:
                if self.stop_event.is_set():
                    break
                t = self.target(spec)
                res = launch(spec.job, config_path=t.config_path, db_path=self.db_path, timeout=t.timeout,
                             cassette=Path(t.cassette) if t.cassette else None,
                             term_grace=min(t.term_grace, self.sc.shutdown_timeout_seconds * 0.7),
                             lock_timeout=t.lock_timeout, relay_logs=True, extra_args=t.extra_args,
                             stop_requested=self.stop_event.is_set)
                status = "ok" if res.ok else ("timed out" if res.timed_out else f"exit code {res.returncode}")
                (log.info if res.ok else log.warning)("%s finished: %s in %.1f s", spec.job, status, res.seconds)
                if not res.ok and not self.stop_event.is_set():
                    failed.append(spec.job)
            return 1 if failed else 0
        finally:
            lock.close()


def job_children() -> list[int]:
    """Pids of this process's `hkipo job` children (each leads its own process group)."""
    import psutil

    out = []
    for child in psutil.Process().children():
        try:
            cmd = child.cmdline()
        except psutil.Error:
            continue
        if "hkipo" in cmd and "job" in cmd:
            out.append(child.pid)
    return out


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
