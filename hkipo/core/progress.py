"""Progress bars for long runs (a back-fill), on a terminal only.

`hkipo backfill` sets HKIPO_PROGRESS=1 for its jobs when its own stderr is a
terminal and logs are text; a job run by the daemon, with --log-format json,
or into a file never draws one, so logs stay clean.
"""

from __future__ import annotations

import os
import sys
from typing import Any

ENV = "HKIPO_PROGRESS"


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

    def close(self) -> None:
        pass


def wanted() -> bool:
    return os.environ.get(ENV) == "1" and sys.stderr.isatty()


def bar(total: int | None, desc: str, unit: str = "it") -> Any:
    """A tqdm bar on stderr when wanted(), else an object with the same few methods that draws nothing."""
    if not wanted():
        return _Quiet()
    import shutil

    from tqdm import tqdm

    # A terminal that reports no width (a pty without a size) would get a bar of width 0: nothing.
    cols = shutil.get_terminal_size(fallback=(100, 24)).columns or 100
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, ncols=min(cols, 120), leave=True)
