"""CPU work off Scrapy's reactor: a pool of worker processes for parsing, awaited from the reactor's loop.

A crawl's reactor thread only moves bytes and schedules; parsing a page or a
PDF (trafilatura, pypdfium2, claims extraction) takes 10-30 ms of CPU that,
done in a callback, stalls every download in flight and leaves the second
core idle. `run(fn, ...)` sends the call to a worker process and returns an
awaitable for the reactor's asyncio loop (Scrapy's default reactor), so
callbacks and item pipelines write `value = await offload.run(fn, arg)`.

One pool per process (a job runs in its own process), created on first use
and shut down by `shutdown()` when the crawl ends. Workers are forked from a
forkserver that imported `preload` once, so starting them costs a fork, not
an import of trafilatura; the parent's threads and reactor are never forked.
`[crawl] workers` / HKIPO_WORKERS chooses how many: 0 = one per core; 1 =
a single worker thread in this process (no processes: small crawls, tests
that patch functions, machines with one core). Functions and arguments must
pickle (module-level functions, dataclasses, plain containers).
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

_lock = threading.Lock()
_pool: cf.Executor | None = None
_size = 0


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
            if _size <= 1:
                _pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="hkipo-work")
            else:
                ctx = mp.get_context("forkserver")
                ctx.set_forkserver_preload(list(preload))
                _pool = cf.ProcessPoolExecutor(max_workers=_size, mp_context=ctx)
        return _size


def submit(fn: Callable[..., T], *args: Any, **kwargs: Any) -> cf.Future[T]:
    """fn(*args, **kwargs) in the pool (started with the defaults if nobody started it)."""
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
        pool.shutdown(wait=True, cancel_futures=True)
