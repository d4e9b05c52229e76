"""Recording a run that no job runner wraps: `scrapy crawl news` and `hkipo ingest`.

The same steps as `hkipo.jobs.run_job` before and after a job (watchlist sync,
data origin, `ingest_runs` row, statistics rebuild), for code paths that
cannot hand their work to `run_job` as one function. No Scrapy here: ingest
must not pay for importing it.
"""

from __future__ import annotations

import logging

from hkipo.cassette import Recorder, Replayer
from hkipo.errors import CassetteMiss
from hkipo.jobs import JobContext
from warehouse.runs import RunRecord

log = logging.getLogger(__name__)


def begin_run(ctx: JobContext, job: str) -> RunRecord:
    """Refuse mixing live and replayed data, sync the watchlist, record the run as running."""
    from pipelines.watchlist import sync_watchlist
    from warehouse import db, runs

    run = RunRecord(job=job, source=ctx.source_label)
    with db.writer(ctx.db_path, lock_timeout=ctx.config.database.lock_timeout_seconds) as con, \
            db.transaction(con):
        runs.reap_stale(con)
        db.claim_origin(con, ctx.origin, path=str(ctx.db_path))
        sync_watchlist(con, ctx.config)
        runs.start(con, run)
    return run


def end_run(ctx: JobContext, run: RunRecord, *, replayer: Replayer | None = None,
            recorder: Recorder | None = None) -> None:
    """Save a recording, fail the run on cassette misses, rebuild statistics, finish the record."""
    from pipelines.reconcile import rebuild_ipo_stats
    from warehouse import db, runs

    if recorder is not None:
        log.info("recorded %d HTTP exchanges to %s", recorder.save(), recorder.path)
    if replayer is not None:
        try:
            replayer.check()
        except CassetteMiss as e:
            log.error("%s", e)
            run.fail(str(e))
    with db.writer(ctx.db_path, lock_timeout=ctx.config.database.lock_timeout_seconds) as con, \
            db.transaction(con):
        if run.rows_written:
            rebuild_ipo_stats(con)
        runs.finish(con, run)
    log.log(logging.INFO if run.status == "ok" else logging.WARNING, "%s run %s: %s, %d rows written",
            run.job, run.run_id, run.status, run.rows_written)
