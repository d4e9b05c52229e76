"""What a job runs with (`JobContext`): the config, the warehouse path, replay or record, scope.

Plain data, made by the application (a CLI command, the launcher) and read by
every layer below it. Writing goes through `pipelines.runs.write(ctx, run, fn)`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from hkipo.core.config import Config, Security


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
    # Listings found by market-wide discovery (not in the watchlist), added by the
    # application for jobs that cover every listing (prices); () = the watchlist only.
    discovered: tuple[Security, ...] = ()
    benchmark: str | None = None  # an index symbol fetched with the securities (e.g. ^HSI)

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

    @property
    def lock_timeout(self) -> float:
        return self.config.database.lock_timeout_seconds

    def securities(self) -> list[Security]:
        known = {s.code for s in self.config.watchlist}
        everything = [*self.config.watchlist, *(s for s in self.discovered if s.code not in known)]
        if not self.codes:
            return everything
        by_code = {s.code: s for s in everything}
        return [by_code[c] if c in by_code else self.config.security(c) for c in self.codes]
