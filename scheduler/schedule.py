"""When each job runs: APScheduler triggers built from `[schedule]`, and whether a job is due.

Triggers are stored (pickled) in the persistent job store, so everything here
is importable and picklable. Each job's `description` says its schedule in
words and doubles as its signature: the daemon re-schedules a stored job only
when the description changes (a config edit), never merely because it started.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from hkipo.core.config import Config

_TICK = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: which hkipo job, when, and how long it may take."""

    job: str  # a name in hkipo.app.jobs.JOBS; also the APScheduler job id
    trigger: BaseTrigger
    description: str
    timeout: float
    period: dt.timedelta | None = None  # fixed-period jobs; None = ask the trigger

    def due(self, last_success: dt.datetime | None, now: dt.datetime) -> bool:
        """Has a run fallen due since the last successful one (or was there none)?"""
        if last_success is None:
            return True
        if self.period is not None:
            return last_success + self.period <= now
        nxt = self.trigger.get_next_fire_time(None, last_success + _TICK)
        return nxt is not None and nxt <= now


class WindowedTrigger(BaseTrigger):
    """Every `interval` inside any of `windows`, and on `outside` (a cron) elsewhere.

    The HKEX job needs this: an allotment announcement appears the evening
    before listing, so around an IPO an hourly search finds it quickly, while
    the rest of the year a daily search is plenty.
    """

    def __init__(self, windows: Sequence[tuple[dt.datetime, dt.datetime]], interval: dt.timedelta,
                 outside: CronTrigger) -> None:
        self.windows = merge_windows(windows)
        self.interval = interval
        self.outside = outside

    def get_next_fire_time(self, previous_fire_time: dt.datetime | None,
                           now: dt.datetime) -> dt.datetime | None:
        # Like CronTrigger: after a previous fire time, enumerate from just after
        # it (even if that is in the past), so missed runs can be counted and
        # coalesced; with none, from now.
        start = previous_fire_time + _TICK if previous_fire_time else now
        candidates = [t for t in (self._next_in_window(start), self._next_outside(start)) if t]
        return min(candidates) if candidates else None

    def _next_in_window(self, start: dt.datetime) -> dt.datetime | None:
        for begin, end in self.windows:
            if end <= start:
                continue
            if start <= begin:
                return begin
            steps = -((begin - start) // self.interval)  # ceil((start - begin) / interval)
            t = begin + steps * self.interval
            if t < end:
                return t
        return None

    def _next_outside(self, start: dt.datetime) -> dt.datetime | None:
        t = self.outside.get_next_fire_time(None, start)
        # Inside a window the interval covers it; skip to the first fire past it.
        for _ in range(len(self.windows) + 1):
            inside = next((w for w in self.windows if t is not None and w[0] <= t < w[1]), None)
            if inside is None:
                return t
            t = self.outside.get_next_fire_time(None, inside[1])
        return t

    def __getstate__(self) -> dict:
        return {"version": 1, "windows": self.windows, "interval": self.interval, "outside": self.outside}

    def __setstate__(self, state: dict) -> None:
        if state.get("version") != 1:
            raise ValueError(f"cannot restore WindowedTrigger state version {state.get('version')}")
        self.windows = state["windows"]
        self.interval = state["interval"]
        self.outside = state["outside"]

    def __str__(self) -> str:
        spans = ", ".join(f"{b:%Y-%m-%d}..{(e - _TICK):%Y-%m-%d}" for b, e in self.windows) or "none"
        return f"every {_minutes(self.interval)} in IPO windows [{spans}], else {self.outside}"

    def __repr__(self) -> str:
        return f"<WindowedTrigger ({self})>"


def merge_windows(windows: Sequence[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime, dt.datetime]]:
    """Sorted, with overlapping or touching windows merged (one hourly grid, not two)."""
    out: list[tuple[dt.datetime, dt.datetime]] = []
    for begin, end in sorted(w for w in windows if w[0] < w[1]):
        if out and begin <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((begin, end))
    return out


def ipo_windows(config: Config) -> list[tuple[dt.datetime, dt.datetime]]:
    """Each watchlist security's IPO window, as local midnights: [listing − before, listing + after + 1 day)."""
    sc = config.schedule
    tz = ZoneInfo(sc.timezone)
    out = []
    for s in config.watchlist:
        if s.listing_date is None:
            continue
        first = s.listing_date - dt.timedelta(days=sc.hkex_window_days_before)
        last = s.listing_date + dt.timedelta(days=sc.hkex_window_days_after + 1)
        out.append((dt.datetime.combine(first, dt.time(), tz), dt.datetime.combine(last, dt.time(), tz)))
    return merge_windows(out)


def _minutes(d: dt.timedelta) -> str:
    s = d.total_seconds()
    return f"{s / 60:g} min" if s >= 60 else f"{s:g} s"


def offer_windows(periods: Sequence[tuple[dt.date, dt.date]], tz: ZoneInfo) -> list[tuple[dt.datetime, dt.datetime]]:
    """Each stored open offer's application period as a window, [opening day, closing day + 1)."""
    return [(dt.datetime.combine(a, dt.time(), tz), dt.datetime.combine(b + dt.timedelta(days=1), dt.time(), tz))
            for a, b in periods if a <= b]


def build_schedule(config: Config, *, open_offers: Sequence[tuple[dt.date, dt.date]] = ()) -> list[JobSpec]:
    """The jobs `[schedule] jobs` asks for, with their triggers and time-outs.

    `open_offers`: (opening, closing) days of offers known from formal notices
    (pipelines.calendar.open_offer_windows); the hkex job also runs every
    hkex_window_interval_minutes while one is open, to catch a new notice or
    a change to it (the daily cron looks for new ones otherwise).
    """
    sc = config.schedule
    tz = ZoneInfo(sc.timezone)
    specs: list[JobSpec] = []
    for job in sc.jobs:
        if job == "prices":
            trigger: BaseTrigger = CronTrigger.from_crontab(sc.prices_cron, timezone=tz)
            specs.append(JobSpec(job, trigger, f"cron '{sc.prices_cron}' {sc.timezone}", sc.prices_timeout_seconds))
        elif job == "news":
            every = dt.timedelta(minutes=sc.news_interval_minutes)
            trigger = IntervalTrigger(seconds=every.total_seconds(), timezone=tz,
                                      jitter=int(sc.news_jitter_seconds) or None)
            specs.append(JobSpec(job, trigger, f"every {_minutes(every)}, jitter {sc.news_jitter_seconds:g} s",
                                 sc.news_timeout_seconds, period=every))
        elif job == "hkex":
            daily = CronTrigger.from_crontab(sc.hkex_daily_cron, timezone=tz)
            windows = ipo_windows(config) + offer_windows(open_offers, tz)
            trigger = WindowedTrigger(windows, dt.timedelta(minutes=sc.hkex_window_interval_minutes), daily)
            desc = str(trigger).replace(str(daily), f"cron '{sc.hkex_daily_cron}' {sc.timezone}")
            specs.append(JobSpec(job, trigger, desc, sc.hkex_timeout_seconds))
        elif job == "stats":
            every = dt.timedelta(minutes=sc.stats_interval_minutes)
            trigger = IntervalTrigger(seconds=every.total_seconds(), timezone=tz)
            specs.append(JobSpec(job, trigger, f"every {_minutes(every)}", sc.stats_timeout_seconds, period=every))
        elif job == "discovery":
            disc = config.discovery
            trigger = CronTrigger.from_crontab(disc.cron, timezone=tz)
            specs.append(JobSpec(job, trigger, f"cron '{disc.cron}' {sc.timezone}, then prices for new listings",
                                 disc.timeout_seconds))
        else:  # the config's Literal type rules this out; a new job needs a trigger here
            raise ValueError(f"no schedule defined for job {job!r}")
    return specs
