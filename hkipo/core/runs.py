"""What a job run reports about itself while it runs (`RunRecord`).

Every layer that does work for a job adds to it (a spider's warning, a
loader's row count); warehouse/runs.py persists it in `ingest_runs`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

STATUSES = ("running", "ok", "partial", "failed", "aborted")


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class RunRecord:
    """What a job reports about itself; `finish` writes it."""

    job: str
    source: str = "live"
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: dt.datetime = field(default_factory=now_utc)
    rows_written: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def fail(self, message: str) -> None:
        self.errors.append(message)

    @property
    def status(self) -> str:
        if not self.errors:
            return "ok"
        return "partial" if self.rows_written else "failed"
