"""Progress bars on a terminal only: quiet in logs, pipes, cron mail and under --log-format json."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hkipo.core.logs import JsonFormatter


def enabled() -> bool:
    """A bar when stderr is a terminal, logs are text, and HKIPO_PROGRESS is not 0."""
    wanted = os.environ.get("HKIPO_PROGRESS", "")
    if wanted == "0":
        return False
    if any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers):
        return False
    return wanted == "1" or sys.stderr.isatty()


class _Quiet:
    """The bar's interface, doing nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass

    def reset(self, total: int | None = None) -> None:
        pass

    total: int | None = None


@contextmanager
def bar(desc: str, total: int | None = None, unit: str = "it") -> Iterator[Any]:
    """`with bar("export", total=n) as b: ... b.update()`; a no-op where bars are not wanted."""
    if not enabled():
        yield _Quiet()
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True) as b:
        yield b
