"""Run one job in a child process, with a time-out that ends in a kill.

Every scheduled or refreshed job runs as `python -m hkipo job NAME` in its own
process: Scrapy's reactor cannot restart in one process, yfinance keeps its
first HTTP session process-wide, a stuck C-level download cannot be
cancelled from Python, and memory a crawl grows goes back to the OS when the
child exits. The child opens the DuckDB file only while it writes.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from warehouse import db

log = logging.getLogger(__name__)

_TAIL_LINES = 60


@dataclass
class LaunchResult:
    job: str
    run_id: str
    returncode: int | None
    timed_out: bool
    seconds: float
    output_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def job_command(
    job: str,
    *,
    config_path: str | None,
    db_path: Path,
    run_id: str,
    cassette: Path | None = None,
    since: dt.date | None = None,
    codes: tuple[str, ...] = (),
    extra_args: tuple[str, ...] = (),
) -> list[str]:
    cmd = [sys.executable, "-m", "hkipo", "job", job, "--db", str(db_path), "--run-id", run_id]
    if config_path:
        cmd += ["--config", str(config_path)]
    if cassette:
        cmd += ["--cassette", str(cassette)]
    if since:
        cmd += ["--since", since.isoformat()]
    for c in codes:
        cmd += ["--code", c]
    return cmd + list(extra_args)


def launch(
    job: str,
    *,
    config_path: str | None,
    db_path: Path,
    timeout: float,
    cassette: Path | None = None,
    since: dt.date | None = None,
    codes: tuple[str, ...] = (),
    term_grace: float = 10.0,
    lock_timeout: float = 30.0,
    capture: bool = False,
    stop_requested: Callable[[], bool] | None = None,
    relay_logs: bool = False,
    extra_args: tuple[str, ...] = (),
) -> LaunchResult:
    """Run the job; on time-out send SIGTERM, then SIGKILL after `term_grace` seconds.

    A child that had to be killed cannot finish its own run record, so the
    launcher settles it: failed ("timed out after …") on a time-out, aborted
    when a signal from elsewhere ended it. `relay_logs` makes the child log
    JSON lines into a pipe and re-emits them through this process's logging,
    so one process writes the log (one format, one rotating file).
    `capture` keeps the output's tail in the result instead.
    """
    run_id = uuid.uuid4().hex
    if relay_logs:
        extra_args = ("--log-format", "json", *extra_args)
    cmd = job_command(job, config_path=config_path, db_path=db_path, run_id=run_id,
                      cassette=cassette, since=since, codes=codes, extra_args=extra_args)
    started_at = dt.datetime.now(dt.timezone.utc)
    started = time.monotonic()
    piped = capture or relay_logs
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE if piped else None,
        stderr=subprocess.STDOUT if piped else None,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: a kill takes Scrapy's children too
        env=os.environ.copy(),
    )
    reader = _OutputReader(proc.stdout, job, relay_logs) if piped and proc.stdout else None
    timed_out = False
    try:
        while True:
            try:
                proc.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() - started > timeout:
                    timed_out = True
                    log.warning("job %s ran longer than its %.0f s time-out; stopping it", job, timeout)
                    break
                if stop_requested is not None and stop_requested():
                    break
        if proc.poll() is None:
            _terminate(proc, term_grace)
    finally:
        if proc.poll() is None:
            _kill_group(proc)
        proc.wait()
        if reader is not None:
            reader.join(5)
    seconds = time.monotonic() - started
    if timed_out:
        _settle(db_path, run_id, job, started_at, "failed",
                f"timed out after {timeout:g}s and was killed", lock_timeout)
    elif proc.returncode is not None and proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        _settle(db_path, run_id, job, started_at, "aborted", f"process ended by {name}", lock_timeout)
    return LaunchResult(job, run_id, proc.returncode, timed_out, seconds,
                        reader.tail() if reader is not None and capture else "")


class _OutputReader:
    """Drains a child's output in a thread: keeps its tail, and relays its JSON log lines."""

    def __init__(self, stream: IO[bytes], job: str, relay: bool) -> None:
        self._stream = stream
        self._relay = relay
        self._plain = logging.getLogger(f"hkipo.job.{job}")
        self._lines: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
        self._thread = threading.Thread(target=self._run, name=f"output-{job}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for raw in self._stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self._lines.append(line)
            if self._relay and line.strip():
                relay_line(line, self._plain)
        self._stream.close()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def tail(self) -> str:
        return "\n".join(self._lines)[-4000:]


def relay_line(line: str, plain: logging.Logger) -> None:
    """Re-emit one line of a child's output as a log record of this process.

    A JSON log line keeps its logger, level, time and pid; anything else (a
    traceback, a stray print) is logged as it is, as a warning.
    """
    try:
        data = json.loads(line)
    except ValueError:
        data = None
    if not isinstance(data, dict) or "msg" not in data or "level" not in data:
        plain.warning("%s", line)
        return
    level = logging.getLevelName(str(data.get("level")))
    attrs = {
        "name": str(data.get("logger") or plain.name),
        "levelno": level if isinstance(level, int) else logging.INFO,
        "levelname": str(data.get("level")),
        "msg": str(data["msg"]),
        "args": None,
        "process": data.get("pid"),
    }
    try:
        attrs["created"] = dt.datetime.fromisoformat(str(data["ts"])).timestamp()
    except (KeyError, ValueError):
        pass
    extra = {k: v for k, v in data.items() if k not in ("ts", "level", "logger", "msg", "pid", "exc")}
    record = logging.makeLogRecord({**extra, **attrs})
    if data.get("exc"):
        record.msg = f"{record.msg}\n{data['exc']}"
    logging.getLogger(record.name).handle(record)


def _terminate(proc: subprocess.Popen, grace: float) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _kill_group(proc)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _settle(db_path: Path, run_id: str, job: str, started_at: dt.datetime, status: str, error: str,
            lock_timeout: float) -> None:
    """Record how a killed child ended: update its run, or add one if it died before writing any."""
    try:
        with db.writer(db_path, lock_timeout=lock_timeout) as con, db.transaction(con):
            row = db.fetch_one(con, "SELECT status FROM ingest_runs WHERE run_id = ?", [run_id])
            if row is None:
                con.execute(
                    "INSERT INTO ingest_runs (run_id, job, started_at, finished_at, status, error, source, pid, host) "
                    "VALUES (?, ?, ?, now(), ?, ?, 'launcher', ?, ?)",
                    [run_id, job, started_at, status, error, os.getpid(), socket.gethostname()],
                ).fetchall()
            elif row[0] in ("running", "aborted"):
                con.execute(
                    "UPDATE ingest_runs SET status = ?, finished_at = coalesce(finished_at, now()), error = ? "
                    "WHERE run_id = ?",
                    [status, error, run_id],
                ).fetchall()
    except Exception as e:  # the record is best effort; reap_stale marks it aborted later
        log.warning("could not record how job %s ended (%s): %s", job, error, e)


@dataclass(frozen=True)
class LaunchTarget:
    """How a scheduled job is launched: stored (pickled) with the job, refreshed at each daemon start."""

    db_path: str
    config_path: str | None
    cassette: str | None
    timeout: float
    term_grace: float
    lock_timeout: float
    extra_args: tuple[str, ...] = ()


def launch_scheduled(job: str, target: LaunchTarget) -> dict:
    """What the daemon's stored jobs call: launch `job` in a child, relay its logs, summarise.

    Returns a small summary (no output kept): the daemon logs it and puts it in
    its state file as the job's last outcome.
    """
    res = launch(
        job,
        config_path=target.config_path,
        db_path=Path(target.db_path),
        timeout=target.timeout,
        cassette=Path(target.cassette) if target.cassette else None,
        term_grace=target.term_grace,
        lock_timeout=target.lock_timeout,
        relay_logs=True,
        extra_args=target.extra_args,
    )
    summary = {
        "job": job,
        "run_id": res.run_id,
        "returncode": res.returncode,
        "timed_out": res.timed_out,
        "seconds": round(res.seconds, 3),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if job == "discovery" and res.returncode == 0 and not res.timed_out and _market_prices(target):
        # Every listing's prices after each discovery: one found in this cycle gets them in this cycle
        # (its announcement was parsed by discovery), the others their daily update.
        sibling = Path(target.cassette).with_name("prices.yaml") if target.cassette else None
        then = launch("prices", config_path=target.config_path, db_path=Path(target.db_path), timeout=target.timeout,
                      cassette=sibling if sibling and sibling.is_file() else None, term_grace=target.term_grace,
                      lock_timeout=target.lock_timeout, relay_logs=True,
                      extra_args=(*target.extra_args, "--market"))
        summary["then"] = {"job": "prices", "run_id": then.run_id, "returncode": then.returncode,
                           "timed_out": then.timed_out, "seconds": round(then.seconds, 3)}
    return summary


def _market_prices(target: LaunchTarget) -> bool:
    """[discovery] prices in the job's config: fetch every listing's prices after discovery."""
    from hkipo.core.config import load_config

    try:
        return load_config(target.config_path).discovery.prices
    except Exception as e:  # noqa: BLE001 - a follow-up must never take the daemon down
        log.warning("could not read the config for the prices after discovery: %s", e)
        return False
