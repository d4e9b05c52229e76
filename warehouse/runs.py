"""The `ingest_runs` record: one row per job run, written by whoever runs the job.

A run is inserted as 'running' in its own short transaction, so `hkipo status`
can see it, and finished in the same transaction as the job's last data write
when possible. A process killed mid-run leaves a 'running' row whose pid is
gone; `reap_stale` marks those 'aborted' the next time anyone writes.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Sequence

import duckdb

from hkipo.core.runs import STATUSES, RunRecord, now_utc

__all__ = ["RunRecord", "finish", "last_runs", "reap_stale", "start"]


def start(con: duckdb.DuckDBPyConnection, run: RunRecord) -> None:
    con.execute(
        "INSERT INTO ingest_runs (run_id, job, started_at, status, source, pid, host) "
        "VALUES (?, ?, ?, 'running', ?, ?, ?)",
        [run.run_id, run.job, run.started_at, run.source, os.getpid(), socket.gethostname()],
    ).fetchall()


def finish(con: duckdb.DuckDBPyConnection, run: RunRecord, *, status: str | None = None) -> None:
    final = status or run.status
    if final not in STATUSES:
        raise ValueError(final)
    error = "\n".join(run.errors) or None
    con.execute(
        "UPDATE ingest_runs SET finished_at = ?, status = ?, rows_written = ?, error = ?, warnings = ? "
        "WHERE run_id = ?",
        [now_utc(), final, run.rows_written, error, list(run.warnings), run.run_id],
    ).fetchall()


def reap_stale(con: duckdb.DuckDBPyConnection) -> int:
    """Mark 'running' rows of dead processes on this host as 'aborted'."""
    import psutil

    rows = con.execute(
        "SELECT run_id, pid, started_at FROM ingest_runs WHERE status = 'running' AND host = ?",
        [socket.gethostname()],
    ).fetchall()

    def alive(pid: int | None, started: dt.datetime) -> bool:
        # A live pid that was created after the run started is a reused pid.
        try:
            return pid is not None and psutil.Process(pid).create_time() <= started.timestamp() + 1
        except psutil.Error:
            return False

    dead = [run_id for run_id, pid, started in rows if not alive(pid, started)]
    if not dead:
        return 0
    con.execute(
        "UPDATE ingest_runs SET status = 'aborted', finished_at = ?, "
        "error = coalesce(error, 'process ended without finishing the run (killed or crashed)') "
        "WHERE run_id IN (SELECT unnest(?::VARCHAR[]))",
        [now_utc(), dead],
    ).fetchall()
    return len(dead)


def last_runs(con: duckdb.DuckDBPyConnection, jobs: Sequence[str] | None = None) -> list[dict]:
    """The latest run of each job, and its latest successful one."""
    rows = con.execute(
        """
        SELECT job,
               arg_max(started_at, started_at) AS last_started,
               arg_max(status, started_at) AS last_status,
               arg_max(finished_at, started_at) AS last_finished,
               arg_max(rows_written, started_at) AS last_rows,
               arg_max(error, started_at) AS last_error,
               max(finished_at) FILTER (WHERE status IN ('ok', 'partial')) AS last_success
        FROM ingest_runs GROUP BY job ORDER BY job
        """
    ).fetchall()
    names = ["job", "last_started", "last_status", "last_finished", "last_rows", "last_error", "last_success"]
    out = [dict(zip(names, r)) for r in rows]
    return [r for r in out if jobs is None or r["job"] in jobs]
