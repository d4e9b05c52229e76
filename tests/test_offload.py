"""Parsing runs in worker processes and writes never block the reactor thread."""

from __future__ import annotations

import asyncio
import os
import sys
import types
from pathlib import Path

import pytest

from hkipo.core import offload
from hkipo.core.config import load_config
from hkipo.core.context import JobContext
from hkipo.core.runs import RunRecord
from pipelines import runs


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


@pytest.mark.parametrize("workers", [1, 2])
def test_run_awaits_the_call_in_the_pool(workers: int) -> None:
    n = offload.PROCESSES_AFTER + 6
    offload.start(workers)
    try:
        async def main() -> list[tuple[int, int]]:
            return await asyncio.gather(*(offload.run(_pid_and_square, i) for i in range(n)))

        out = asyncio.run(main())
    finally:
        offload.shutdown()
    assert [sq for _, sq in out] == [i * i for i in range(n)]
    first, rest = {pid for pid, _ in out[:offload.PROCESSES_AFTER]}, {pid for pid, _ in out[offload.PROCESSES_AFTER:]}
    assert first == {os.getpid()}  # a small crawl's calls: one thread here, no processes started
    assert (rest == {os.getpid()}) is (workers == 1)  # then worker processes, unless one worker was asked for


def test_worker_count_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(offload.WORKERS_ENV, "3")
    assert offload.worker_count(1) == 3
    monkeypatch.setenv(offload.WORKERS_ENV, "")
    assert offload.worker_count(1) == 1 and offload.worker_count(0) == (os.cpu_count() or 1)


def test_a_write_on_the_reactor_thread_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from twisted.python import threadable

    monkeypatch.setitem(sys.modules, "twisted.internet.reactor", types.SimpleNamespace(running=True))
    monkeypatch.setattr(threadable, "ioThread", threadable.getThreadID())
    ctx = JobContext(config=load_config(None), db_path=tmp_path / "w.duckdb")
    with pytest.raises(RuntimeError, match="reactor thread"):
        runs.write(ctx, RunRecord(job="news", source="test"), lambda con: 0)
    assert not (tmp_path / "w.duckdb").exists()  # refused before opening anything
    monkeypatch.setattr(threadable, "ioThread", None)
    assert not runs.on_reactor_thread()
