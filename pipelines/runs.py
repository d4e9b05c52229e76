"""How a job's run opens, writes and closes in the warehouse.

`begin_run` before any job: reap runs of dead processes, refuse to mix live
and replayed data, sync the watchlist, record the run as 'running'. `write`
for every batch: one short writer session and one transaction, so the file is
never held between batches and a kill loses at most the batch in flight.
`end_run` after any job: rebuild the statistics and finish the run record in
one transaction (and, for runs no job runner wraps — `scrapy crawl`, `hkipo
ingest` — save a recording or fail the run on cassette misses first), then
publish the analysts' copy if the data changed (`warehouse.publish`).
Every write that changed rows bumps the data generation in its own
transaction, so a run killed before `end_run` is published by the next one.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import duckdb

from hkipo.core.context import JobContext
from hkipo.core.errors import CassetteMiss
from hkipo.core.runs import RunRecord
from pipelines.reconcile import rebuild_ipo_stats
from pipelines.watchlist import sync_watchlist
from warehouse import db, publish, runs

if TYPE_CHECKING:  # vcrpy costs 0.3 s to import; a job that neither replays nor records must not pay it
    from hkipo.core.cassette import Recorder, Replayer

log = logging.getLogger(__name__)

# Jobs that fetch nothing: they may run on a live or a replayed warehouse alike.
DERIVED_JOBS = frozenset({"stats"})


def on_reactor_thread() -> bool:
    """Is this the thread of a running Twisted reactor (a crawl's), where nothing may block?"""
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is None or not getattr(reactor, "running", False):
        return False
    from twisted.python import threadable

    return threadable.isInIOThread()


def write(ctx: JobContext, run: RunRecord, fn: Callable[[duckdb.DuckDBPyConnection], int]) -> int:
    """Open, write one transaction, close; count the rows against the run.

    Refuses to run on a crawl's reactor thread: opening may wait for another
    writer's lock with back-off sleeps, which would stall every download
    (crawl pipelines write from their writer thread, pipelines/crawl.py).
    """
    if on_reactor_thread():
        raise RuntimeError("a warehouse write on the reactor thread: run it on the crawl's writer thread")
    with db.writer(ctx.db_path, lock_timeout=ctx.lock_timeout) as con:
        with db.transaction(con):
            n = fn(con)
            if n:
                publish.mark_changed(con)
    run.rows_written += n
    return n


def run_stats_job(ctx: JobContext, run: RunRecord) -> None:
    """The `stats` job: rebuild the reconciled statistics on their own."""
    write(ctx, run, rebuild_ipo_stats)


def begin_run(ctx: JobContext, job: str) -> RunRecord:
    """Record the run as 'running' (after reaping dead runs, the origin check and the watchlist sync)."""
    run = RunRecord(job=job, source=ctx.source_label)
    if ctx.run_id:
        run.run_id = ctx.run_id
    with db.writer(ctx.db_path, lock_timeout=ctx.lock_timeout) as con, db.transaction(con):
        runs.reap_stale(con)
        if job not in DERIVED_JOBS:
            db.claim_origin(con, ctx.origin, path=str(ctx.db_path))
        if sync_watchlist(con, ctx.config):
            rebuild_ipo_stats(con)  # the config's listing dates and offer prices are evidence too
            publish.mark_changed(con)
        runs.start(con, run)
    return run


def end_run(ctx: JobContext, run: RunRecord, *, status: str | None = None, replayer: Replayer | None = None,
            recorder: Recorder | None = None) -> None:
    """Rebuild the statistics and finish the run record, in one transaction.

    The rebuild runs whether or not this run wrote rows: a run killed between
    its last batch and its rebuild leaves data the statistics have not seen,
    and the next run must catch up. It is cheap, and writes nothing when
    nothing changed.
    """
    if recorder is not None:
        log.info("recorded %d HTTP exchanges to %s", recorder.save(), recorder.path)
    if replayer is not None:
        try:
            replayer.check()
        except CassetteMiss as e:
            log.error("%s", e)
            run.fail(str(e))
    with db.writer(ctx.db_path, lock_timeout=ctx.lock_timeout) as con:
        with db.transaction(con):
            if rebuild_ipo_stats(con):
                publish.mark_changed(con)
            runs.finish(con, run, status=status)
        publish_analysts_copy(con, ctx, force=run.rows_written > 0)
    level = logging.INFO if (status or run.status) == "ok" else logging.WARNING
    log.log(level, "job %s finished: %s, %d rows written%s", run.job, status or run.status, run.rows_written,
            f"; {run.errors[0]}" if run.errors else "")


def publish_analysts_copy(con: duckdb.DuckDBPyConnection, ctx: JobContext, *, force: bool = False) -> None:
    """Replace the analysts' copy if the data changed; a failure is a warning, never a failed job.

    The live file already holds the run's data; the next writer retries the copy.
    """
    try:
        publish.publish(con, ctx.db_path, force=force)
    except publish.PublishError as e:
        log.warning("%s; the next job tries again", e)
