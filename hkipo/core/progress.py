"""Progress bars for long work (back-fills, crawls, exports), on a terminal only.

A bar is drawn when stderr is a terminal and logs are text: never into a
pipe, a log file, cron mail, under --log-format json or for a job the
daemon runs (its output is a pipe). HKIPO_PROGRESS=0 turns bars off;
`hkipo backfill` sets HKIPO_PROGRESS=1 for its jobs when its own stderr is a
terminal; HKIPO_PROGRESS=force draws one without a terminal (tests).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

ENV = "HKIPO_PROGRESS"
T = TypeVar("T")


class _Quiet:
    """What a bar does when none is shown: nothing."""

    total: int | float | None = None
    n = 0

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix_str(self, s: str) -> None:
        pass

    def refresh(self) -> None:
        pass

    def reset(self, total: int | float | None = None) -> None:
        self.n = 0
        self.total = total

    def close(self) -> None:
        pass


def _json_logs() -> bool:
    from hkipo.core.logs import JsonFormatter

    return any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers)


def wanted() -> bool:
    """A bar on a terminal with text logs, unless HKIPO_PROGRESS=0; HKIPO_PROGRESS=force: always (tests)."""
    value = os.environ.get(ENV, "")
    if value == "0" or _json_logs():
        return False
    return value == "force" or sys.stderr.isatty()


def bar(total: int | None, desc: str, unit: str = "it") -> Any:
    """A tqdm bar on stderr when wanted(), else an object with the same few methods that draws nothing."""
    if not wanted():
        return _Quiet()
    import shutil

    from tqdm import tqdm

    # A terminal that reports no width (a pty without a size) would get a bar of width 0: nothing.
    cols = shutil.get_terminal_size(fallback=(100, 24)).columns or 100
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, ncols=min(cols, 120), leave=True)


@contextmanager
def progress_bar(desc: str, total: int | None = None, unit: str = "it") -> Iterator[Any]:
    """`with progress_bar("export", total=n) as b: ... b.update()`; log lines print above the bar."""
    b = bar(total, desc, unit)
    if isinstance(b, _Quiet):
        yield b
        return
    from tqdm.contrib.logging import logging_redirect_tqdm

    try:
        with logging_redirect_tqdm(loggers=[logging.getLogger()]):
            yield b
    finally:
        b.close()


def progress_over(items: Sequence[T], desc: str, unit: str = "it") -> Iterator[T]:
    """Iterate `items` with a bar (where bars are wanted); leaving the loop early closes it."""
    with progress_bar(desc, total=len(items), unit=unit) as b:
        for item in items:
            yield item
            b.update()
