"""A bounded APScheduler executor whose queued work is dropped, not run, at shutdown.

APScheduler's own ThreadPoolExecutor keeps running jobs that were queued
behind a busy worker after `shutdown(wait=False)`, and its non-daemon threads
hold the interpreter open until they finish. A daemon told to stop must not
start another child process, and must exit within its bound whatever a worker
is still waiting for; so: a queue, N daemon threads, and a closed flag.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.job import Job


class BoundedExecutor(BaseExecutor):
    """Run due jobs in at most `max_workers` threads; on shutdown, drop what has not started."""

    def __init__(self, max_workers: int, on_change: Callable[[], None] | None = None) -> None:
        """`on_change` is called whenever a job starts or stops running (to refresh a status file)."""
        super().__init__()
        self._max_workers = max_workers
        self._on_change = on_change
        self._queue: queue.Queue[tuple[Job, list] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._closed = threading.Event()
        self._busy_lock = threading.Lock()
        self._busy: dict[str, str] = {}  # job id -> when its run started (ISO, UTC)

    def start(self, scheduler, alias):  # noqa: ANN001, ANN201 - APScheduler's signature
        super().start(scheduler, alias)
        for i in range(self._max_workers):
            t = threading.Thread(target=self._work, name=f"job-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def _do_submit_job(self, job: Job, run_times: list) -> None:
        self._queue.put((job, run_times))

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            job, run_times = item
            if self._closed.is_set():  # queued before shutdown: drop it
                self._run_job_success(job.id, [])
                continue
            try:
                with self._running(job.id):
                    events = run_job(job, job._jobstore_alias, run_times, self._logger.name)
            except BaseException as e:  # run_job catches the job's own errors; this is ours
                self._run_job_error(job.id, e, e.__traceback__)
            else:
                self._run_job_success(job.id, events)

    @contextmanager
    def _running(self, job_id: str) -> Iterator[None]:
        with self._busy_lock:
            self._busy[job_id] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        self._changed()
        try:
            yield
        finally:
            with self._busy_lock:
                self._busy.pop(job_id, None)
            self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            try:
                self._on_change()
            except Exception:  # a status report must never stop a job
                self._logger.exception("status callback failed")

    def running(self) -> list[str]:
        """Ids of the jobs a worker is executing right now."""
        with self._busy_lock:
            return sorted(self._busy)

    def running_since(self) -> dict[str, str]:
        with self._busy_lock:
            return dict(self._busy)

    def shutdown(self, wait: bool = True) -> None:
        self._closed.set()
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            self.join(None)

    def join(self, timeout: float | None) -> bool:
        """Wait for the workers to finish what they are running; True if they all did."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in self._threads:
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)
