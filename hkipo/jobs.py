"""Jobs: what `refresh`, `crawl`, `record` and the daemon run, and how a run is recorded.

A job is a function `(ctx, run) -> None` that fetches, then writes through
`ctx.write(run, fn)`: one short writer session and one transaction per batch,
so the file is never held between batches and a kill loses at most the batch
in flight. `run_job` wraps every job the same way: sync the watchlist, record
the run, run, rebuild statistics if anything was written, finish the record.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import duckdb

from hkipo.config import Config, Security
from hkipo.errors import CassetteMiss, UserError
from warehouse import db, runs
from warehouse.runs import RunRecord

log = logging.getLogger(__name__)

# name -> "module:function". Imported lazily: `hkipo --help` must stay fast.
JOBS: dict[str, str] = {
    "prices": "pipelines.prices:run_prices_job",
    "hkex": "spiders.run:run_hkex_job",
    "news": "spiders.run:run_news_job",
    "stats": "pipelines.reconcile:run_stats_job",
}
# Jobs that fetch nothing: they may run on a live or a replayed warehouse alike.
DERIVED_JOBS = frozenset({"stats"})
# The order `hkipo refresh` runs them in: announcements before news, so news
# claims reconcile against official figures in the same refresh.
REFRESH_ORDER = ("prices", "hkex", "news")


@dataclass(frozen=True)
class JobContext:
    config: Config
    db_path: Path
    cassette: Path | None = None  # replay every HTTP exchange from this file
    record: Path | None = None  # fetch live and write the exchanges here
    since: dt.date | None = None  # re-fetch from this date (prices)
    codes: tuple[str, ...] = ()  # restrict to these watchlist codes; () = all
    run_id: str | None = None  # given by a launcher, so it can find the record
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return "replay" if self.cassette else "live"

    @property
    def source_label(self) -> str:
        if self.cassette:
            return f"cassette:{self.cassette}"
        if self.record:
            return f"live (recording to {self.record})"
        return "live"

    def securities(self) -> list[Security]:
        if not self.codes:
            return list(self.config.watchlist)
        return [self.config.security(c) for c in self.codes]

    def write(self, run: RunRecord, fn: Callable[[duckdb.DuckDBPyConnection], int]) -> int:
        """Open, write one transaction, close; count the rows against the run."""
        with db.writer(self.db_path, lock_timeout=self.config.database.lock_timeout_seconds) as con:
            with db.transaction(con):
                n = fn(con)
        run.rows_written += n
        return n


def resolve(name: str) -> Callable[[JobContext, RunRecord], None]:
    if name not in JOBS:
        raise UserError(f"unknown job {name!r}; known jobs: {', '.join(JOBS)}")
    module, func = JOBS[name].split(":")
    return getattr(importlib.import_module(module), func)


class Terminated(BaseException):
    """SIGTERM turned into an exception, so open transactions roll back."""

    exit_code = 143  # 128 + SIGTERM, as a shell reports a process ended by it


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(f"stopped by signal {signal.Signals(signum).name}")


def begin_run(ctx: JobContext, job: str) -> RunRecord:
    """Before any job: reap runs of dead processes, refuse to mix live and
    replayed data, sync the watchlist, and record the run as 'running'."""
    from pipelines.watchlist import sync_watchlist

    run = RunRecord(job=job, source=ctx.source_label)
    if ctx.run_id:
        run.run_id = ctx.run_id
    with db.writer(ctx.db_path, lock_timeout=ctx.config.database.lock_timeout_seconds) as con, \
            db.transaction(con):
        runs.reap_stale(con)
        if job not in DERIVED_JOBS:
            db.claim_origin(con, ctx.origin, path=str(ctx.db_path))
        sync_watchlist(con, ctx.config)
        runs.start(con, run)
    return run


def end_run(ctx: JobContext, run: RunRecord, *, status: str | None = None) -> None:
    """After any job: rebuild the statistics and finish the run record, in one transaction.

    The rebuild runs whether or not this run wrote rows: a run killed between
    its last batch and its rebuild leaves data the statistics have not seen,
    and the next run must catch up. It is cheap, and writes nothing when
    nothing changed.
    """
    from pipelines.reconcile import rebuild_ipo_stats

    with db.writer(ctx.db_path, lock_timeout=ctx.config.database.lock_timeout_seconds) as con, \
            db.transaction(con):
        rebuild_ipo_stats(con)
        runs.finish(con, run, status=status)
    level = logging.INFO if (status or run.status) == "ok" else logging.WARNING
    log.log(level, "job %s finished: %s, %d rows written%s", run.job, status or run.status, run.rows_written,
            f"; {run.errors[0]}" if run.errors else "")


def run_job(name: str, ctx: JobContext) -> RunRecord:
    """Run one job in this process and record it in `ingest_runs`.

    User errors (bad cassette, bad config) are recorded and re-raised; other
    failures are recorded on the run, whose status says how it ended.
    """
    fn = resolve(name)
    run = begin_run(ctx, name)

    previous = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread (e.g. inside a test runner thread)
        previous = None
    raised: BaseException | None = None
    status: str | None = None
    try:
        fn(ctx, run)
    except (UserError, CassetteMiss) as e:
        run.fail(str(e))
        raised = e
    except (Terminated, KeyboardInterrupt) as e:
        run.fail(f"interrupted: {e or type(e).__name__}")
        status = "aborted"
        raised = e
    except Exception as e:  # a job's own bug or an unexpected source failure
        log.exception("job %s failed", name)
        run.fail(f"{type(e).__name__}: {e}")
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)

    end_run(ctx, run, status=status)
    if raised is not None:
        raise raised
    return run


_OFFLINE_PATTERNS = re.compile(
    r"(NameResolution|Name or service not known|Temporary failure in name resolution|"
    r"Could not resolve host|getaddrinfo|Failed to establish a new connection|Connection refused|"
    r"Network is unreachable|No route to host|DNSLookupError|CannotResolveHostError|DNS lookup failed|"
    r"ConnectError|TCPTimedOutError|"
    r"network access blocked|Couldn't connect|Connection timed out|timed out)",
    re.IGNORECASE,
)


def looks_offline(error_text: str | None) -> bool:
    """Does a run's error say the network could not be reached (not that a source misbehaved)?"""
    return bool(error_text and _OFFLINE_PATTERNS.search(error_text))
