"""Run one job in a child process, with a time-out that ends in a kill.

Every scheduled or refreshed job runs as `python -m hkipo job NAME` in its own
process: Scrapy's reactor cannot restart in one process, yfinance keeps its
first HTTP session process-wide, a stuck C-level download cannot be
cancelled from Python, and memory a crawl grows goes back to the OS when the
child exits. The child opens the DuckDB file only while it writes.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from warehouse import db


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
    return cmd


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
    stop_requested: "callable | None" = None,  # type: ignore[valid-type]
) -> LaunchResult:
    """Run the job; on time-out send SIGTERM, then SIGKILL after `term_grace` seconds.

    A child that had to be killed cannot finish its own run record, so the
    launcher marks it failed ("timed out after …").
    """
    run_id = uuid.uuid4().hex
    cmd = job_command(job, config_path=config_path, db_path=db_path, run_id=run_id,
                      cassette=cassette, since=since, codes=codes)
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
        start_new_session=True,  # its own process group: a kill takes Scrapy's children too
        env=os.environ.copy(),
    )
    timed_out = False
    output = b""
    try:
        while True:
            try:
                out, _ = proc.communicate(timeout=0.2)
                output = out or b""
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() - started > timeout:
                    timed_out = True
                    break
                if stop_requested is not None and stop_requested():
                    break
        if proc.poll() is None:
            _terminate(proc, term_grace)
            try:
                out, _ = proc.communicate(timeout=5)
                output = out or b""
            except (subprocess.TimeoutExpired, ValueError):
                pass
    finally:
        if proc.poll() is None:
            _kill_group(proc)
            proc.wait()
    seconds = time.monotonic() - started
    if timed_out:
        _mark_timed_out(db_path, run_id, timeout, lock_timeout)
    return LaunchResult(job, run_id, proc.returncode, timed_out, seconds,
                        output.decode("utf-8", "replace")[-4000:] if capture else "")


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


def _mark_timed_out(db_path: Path, run_id: str, timeout: float, lock_timeout: float) -> None:
    with db.writer(db_path, lock_timeout=lock_timeout) as con, db.transaction(con):
        con.execute(
            "UPDATE ingest_runs SET status = 'failed', finished_at = now(), "
            "error = ? WHERE run_id = ? AND status IN ('running', 'aborted')",
            [f"timed out after {timeout:.0f}s and was killed", run_id],
        )
