"""Jobs: what `refresh`, `crawl`, `record` and the daemon run, and how a run is recorded.

A job is a function `(ctx, run) -> None` in the pipelines layer that fetches,
then writes through `pipelines.runs.write(ctx, run, fn)`: one short writer
session and one transaction per batch. `run_job` wraps every job the same
way: record the run (`pipelines.runs.begin_run`), run, then rebuild the
statistics and finish the record (`end_run`).
"""

from __future__ import annotations

import importlib
import logging
import re
import signal
from collections.abc import Callable
from types import FrameType

from hkipo.core.context import JobContext
from hkipo.core.errors import CassetteMiss, UserError
from hkipo.core.runs import RunRecord
from pipelines.runs import begin_run, end_run

__all__ = ["JOBS", "REFRESH_ORDER", "JobContext", "Terminated", "looks_offline", "resolve", "run_job"]

log = logging.getLogger(__name__)

MARKET_KEY = "market"  # JobContext.extra: the prices job covers every discovered listing and the benchmark

# name -> "module:function". Imported lazily: `hkipo --help` must stay fast.
JOBS: dict[str, str] = {
    "prices": "pipelines.prices:run_prices_job",
    "hkex": "pipelines.crawl:run_hkex_job",
    "news": "pipelines.crawl:run_news_job",
    "stats": "pipelines.runs:run_stats_job",
    "discovery": "pipelines.listings:run_discovery_job",
}
# The order `hkipo refresh` runs them in: announcements before news, so news
# claims reconcile against official figures in the same refresh.
REFRESH_ORDER = ("prices", "hkex", "news")


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


def run_job(name: str, ctx: JobContext) -> RunRecord:
    """Run one job in this process and record it in `ingest_runs`.

    User errors (bad cassette, bad config) are recorded and re-raised; other
    failures are recorded on the run, whose status says how it ended.
    """
    fn = resolve(name)
    run = begin_run(ctx, name)
    if name == "prices" and ctx.extra.get(MARKET_KEY):
        # Every discovered listing, and the benchmark index, beside the watchlist (backfill, and the
        # daemon's prices after discovery). Plain refreshes stay on the watchlist.
        from dataclasses import replace

        from pipelines.listings import discovered_securities

        ctx = replace(ctx, discovered=discovered_securities(ctx), benchmark=ctx.config.discovery.benchmark_symbol)

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
