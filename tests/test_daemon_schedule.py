"""The schedule built from [schedule]: which times each trigger picks, and when a job is due."""

from __future__ import annotations

import datetime as dt
import pickle
from zoneinfo import ZoneInfo

import pytest

from hkipo.core.config import parse_config
from hkipo.core.errors import ConfigError
from scheduler.daemon import ClockWatch
from scheduler.schedule import JobSpec, WindowedTrigger, build_schedule, ipo_windows, merge_windows

HK = ZoneInfo("Asia/Hong_Kong")
WATCHLIST = """
[[watchlist]]
code = "00100"
name_en = "MiniMax"
listing_date = 2026-01-09

[[watchlist]]
code = "02513"
name_en = "Zhipu"
listing_date = 2026-01-08
"""


def hk(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=HK)


def config(schedule: str = "") -> object:
    return parse_config(WATCHLIST + "\n[schedule]\n" + schedule, "test.toml")


def specs(schedule: str = "") -> dict[str, JobSpec]:
    return {s.job: s for s in build_schedule(config(schedule))}


def test_defaults_schedule_prices_news_and_hkex_only():
    assert list(specs()) == ["prices", "hkex", "news"]


def test_prices_run_after_the_close_on_weekdays():
    prices = specs()["prices"]
    # Friday after the close -> Monday 16:30 Hong Kong time, not Saturday.
    assert prices.trigger.get_next_fire_time(None, hk(2026, 1, 9, 17, 0)) == hk(2026, 1, 12, 16, 30)
    assert prices.trigger.get_next_fire_time(None, hk(2026, 1, 12, 9, 0)) == hk(2026, 1, 12, 16, 30)


def test_hkex_is_hourly_in_the_ipo_window_and_daily_outside():
    hkex = specs()["hkex"].trigger
    # The two windows (listing 01-08 and 01-09, 14 days before, 7 after) merge into one.
    assert ipo_windows(config()) == [(hk(2025, 12, 25), hk(2026, 1, 17))]
    assert hkex.get_next_fire_time(None, hk(2026, 1, 5, 10, 10)) == hk(2026, 1, 5, 11, 0)
    assert hkex.get_next_fire_time(None, hk(2026, 3, 1, 10, 0)) == hk(2026, 3, 1, 20, 0)
    # Just before the window: the window's first hour comes before the daily run.
    assert hkex.get_next_fire_time(None, hk(2025, 12, 24, 21, 0)) == hk(2025, 12, 25, 0, 0)
    # Last hour of the window, then the next daily run outside it.
    assert hkex.get_next_fire_time(None, hk(2026, 1, 16, 23, 30)) == hk(2026, 1, 17, 20, 0)
    # After a previous fire time, the next one strictly follows it.
    assert hkex.get_next_fire_time(hk(2026, 1, 5, 11, 0), hk(2026, 1, 5, 11, 0)) == hk(2026, 1, 5, 12, 0)


def test_windowed_trigger_enumerates_missed_runs_like_cron():
    trig = specs()["hkex"].trigger
    now = hk(2026, 1, 5, 15, 30)
    prev = hk(2026, 1, 5, 11, 0)
    missed = []
    while (prev := trig.get_next_fire_time(prev, now)) <= now:
        missed.append(prev.hour)
    assert missed == [12, 13, 14, 15]


def test_windowed_trigger_survives_the_job_store():
    trig = specs()["hkex"].trigger
    back = pickle.loads(pickle.dumps(trig))
    assert isinstance(back, WindowedTrigger)
    assert back.get_next_fire_time(None, hk(2026, 1, 5, 10, 10)) == hk(2026, 1, 5, 11, 0)
    assert str(back) == str(trig)


def test_a_watchlist_without_listing_dates_has_only_the_daily_run():
    cfg = parse_config('[[watchlist]]\ncode = "1"\nname_en = "X"\n', "t.toml")
    trig = build_schedule(cfg)[1].trigger
    assert trig.windows == []
    assert trig.get_next_fire_time(None, hk(2026, 1, 5, 10, 10)) == hk(2026, 1, 5, 20, 0)


def test_merge_windows():
    a, b, c = hk(2026, 1, 1), hk(2026, 1, 5), hk(2026, 1, 10)
    assert merge_windows([(b, c), (a, b)]) == [(a, c)]
    assert merge_windows([(a, b), (c, c + dt.timedelta(days=1))]) == [(a, b), (c, c + dt.timedelta(days=1))]
    assert merge_windows([(b, a)]) == []


def test_due_for_a_cron_job_means_a_fire_time_passed_since_the_last_success():
    prices = specs()["prices"]
    friday_run = hk(2026, 1, 9, 16, 31)
    assert not prices.due(friday_run, hk(2026, 1, 12, 9, 0))  # the weekend owes nothing
    assert prices.due(friday_run, hk(2026, 1, 12, 16, 31))
    assert prices.due(None, hk(2026, 1, 12, 9, 0))  # never ran: due at once


def test_due_for_an_interval_job_means_older_than_the_period():
    news = specs("news_interval_minutes = 30")["news"]
    last = hk(2026, 1, 9, 10, 0)
    assert not news.due(last, hk(2026, 1, 9, 10, 29))
    assert news.due(last, hk(2026, 1, 9, 10, 30))


def test_descriptions_change_when_the_schedule_does():
    a, b = specs()["news"], specs("news_interval_minutes = 5")["news"]
    assert a.description != b.description
    assert specs()["news"].description == a.description  # stable across builds: no spurious re-schedule


def test_stats_can_be_scheduled_with_seconds_level_periods():
    stats = specs('jobs = ["stats"]\nstats_interval_minutes = 0.05')["stats"]
    assert stats.period == dt.timedelta(seconds=3)
    assert stats.description == "every 3 s"


@pytest.mark.parametrize("bad, where", [
    ('prices_cron = "61 16 * * mon-fri"', "schedule.prices_cron"),
    ('prices_cron = "30 16 * *"', "schedule.prices_cron"),
    ('jobs = ["prices", "weather"]', "schedule.jobs"),
    ('jobs = ["news", "news"]', "schedule.jobs"),
    ('news_interval_minutes = 0', "schedule.news_interval_minutes"),
])
def test_bad_schedule_config_names_the_key(bad, where):
    with pytest.raises(ConfigError) as e:
        config(bad)
    assert where in str(e.value)


def test_clock_watch_notices_a_sleep_but_not_a_busy_wait():
    wall, mono = [1000.0], [50.0]
    watch = ClockWatch(threshold=30, wall=lambda: wall[0], mono=lambda: mono[0])
    wall[0] += 60
    mono[0] += 60  # a normal minute
    assert watch.jumped() == 0
    wall[0] += 8 * 3600  # suspended overnight: the monotonic clock stood still
    mono[0] += 5
    assert watch.jumped() == pytest.approx(8 * 3600 - 5)
    assert watch.jumped() == 0


def test_discovery_runs_daily_at_its_cron_when_asked_for():
    disc = specs('jobs = ["discovery"]')["discovery"]
    # Default [discovery] cron: 17:30 Hong Kong time, every day.
    assert disc.trigger.get_next_fire_time(None, hk(2026, 1, 9, 18, 0)) == hk(2026, 1, 10, 17, 30)
    assert disc.timeout == 1800
