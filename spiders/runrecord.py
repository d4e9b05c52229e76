"""Closing a run that no job runner wraps: `scrapy crawl news` and `hkipo ingest`.

They open with `hkipo.jobs.begin_run` and close here: the cassette
bookkeeping a crawl needs, then `hkipo.jobs.end_run`. No Scrapy here: ingest must not pay for importing it.
"""

from __future__ import annotations

import logging

from hkipo import jobs
from hkipo.cassette import Recorder, Replayer
from hkipo.errors import CassetteMiss
from hkipo.jobs import JobContext
from warehouse.runs import RunRecord

log = logging.getLogger(__name__)


def end_run(ctx: JobContext, run: RunRecord, *, replayer: Replayer | None = None,
            recorder: Recorder | None = None) -> None:
    """Save a recording, fail the run on cassette misses, then the job runner's closing steps."""
    if recorder is not None:
        log.info("recorded %d HTTP exchanges to %s", recorder.save(), recorder.path)
    if replayer is not None:
        try:
            replayer.check()
        except CassetteMiss as e:
            log.error("%s", e)
            run.fail(str(e))
    jobs.end_run(ctx, run)
