"""CPU work off Scrapy's reactor: a pool of worker processes for parsing, awaited from the reactor's loop.

A crawl's reactor thread only moves bytes and schedules; parsing a page or a
PDF (trafilatura, pypdfium2, claims extraction) takes 10-30 ms of CPU that,
done in a callback, stalls every download in flight and leaves the second
core idle. `run(fn, ...)` sends the call to a worker process and returns an
awaitable for the reactor's asyncio loop (Scrapy's default reactor), so
callbacks and item pipelines write `value = await offload.run(fn, arg)`.

One pool per process (a job runs in its own process), created on first use
and shut down by `shutdown()` when the crawl ends. The first
`PROCESSES_AFTER` calls run on one worker thread in this process: a small
crawl (the demo's 27 pages, two PDFs) is over before worker processes could
have started, and starting them costs more than it saves. From then on calls
go to worker processes forked from a forkserver that imported `preload`
once, so each costs a fork, not an import of trafilatura; the parent's
threads and reactor are never forked. `[crawl] workers` / HKIPO_WORKERS
chooses how many: 0 = one per core; 1 = the thread only (machines with one
core, tests that patch functions). Functions and arguments must pickle
(module-level functions, dataclasses, plain containers).
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import multiprocessing as mp
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
WORKERS_ENV = "HKIPO_WORKERS"

PROCESSES_AFTER = 32

_lock = threading.Lock()
_pool: _Pool | None = None
_size = 0


class _Pool:
    """A worker thread for the first calls, then worker processes fed by dispatcher threads.

    `ProcessPoolExecutor.submit` itself can block: it takes a lock the
    executor's manager thread holds while it pickles calls, and writes to a
    wake-up pipe that fills while that thread is busy. Measured on the
    2,000-page crawl it cost the reactor 8 ms a call, more than the parse it
    handed over; so the reactor only queues the call for a dispatcher thread
    (a queue put), and the dispatcher submits it and waits for its result.
    """

    def __init__(self, processes: int, preload: Sequence[str]) -> None:
        self.processes = processes
        self.preload = list(preload)
        self.thread = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="hkipo-work")
        self.pool: cf.ProcessPoolExecutor | None = None
        self.dispatch: cf.ThreadPoolExecutor | None = None
        self.calls = 0

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> cf.Future[T]:
        self.calls += 1
        if self.pool is None and self.processes > 1 and self.calls > PROCESSES_AFTER:
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload(self.preload)
            self.pool = cf.ProcessPoolExecutor(max_workers=self.processes, mp_context=ctx)
            # Two calls in flight per worker: one running, one pickled and waiting.
            self.dispatch = cf.ThreadPoolExecutor(max_workers=2 * self.processes, thread_name_prefix="hkipo-dispatch")
        if self.pool is None or self.dispatch is None:
            return self.thread.submit(fn, *args, **kwargs)
        pool = self.pool
        return self.dispatch.submit(lambda: pool.submit(fn, *args, **kwargs).result())

    def shutdown(self) -> None:
        self.thread.shutdown(wait=True, cancel_futures=True)
        if self.dispatch is not None:
            self.dispatch.shutdown(wait=True, cancel_futures=True)
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def worker_count(configured: int = 0) -> int:
    """How many workers: HKIPO_WORKERS, else the configured number, else one per core."""
    env = os.environ.get(WORKERS_ENV, "").strip()
    n = int(env) if env.isdigit() else configured
    return n if n > 0 else (os.cpu_count() or 1)


def start(workers: int = 0, *, preload: Sequence[str] = ()) -> int:
    """Create the pool now (its processes start while the crawl opens); returns the number of workers."""
    global _pool, _size
    with _lock:
        if _pool is None:
            _size = worker_count(workers)
            _pool = _Pool(_size, preload)
        return _size


def submit(fn: Callable[..., T], *args: Any, **kwargs: Any) -> cf.Future[T]:
    """fn(*args, **kwargs) in the pool (started with the defaults if nobody started it).

    Call from one thread (the reactor's): the switch to processes is not locked.
    """
    if _pool is None:
        start()
    assert _pool is not None
    return _pool.submit(fn, *args, **kwargs)


async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Await fn(*args, **kwargs) run in the pool, from the running asyncio loop."""
    return await asyncio.wrap_future(submit(fn, *args, **kwargs))


def shutdown() -> None:
    """Stop the workers (waiting for calls in flight). The next `start` makes a new pool."""
    global _pool, _size
    with _lock:
        pool, _pool, _size = _pool, None, 0
    if pool is not None:
        pool.shutdown()
