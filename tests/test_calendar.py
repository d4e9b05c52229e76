"""The IPO calendar in the warehouse: offers from the fixture formal notices, lock-ups, sponsors, and the
three views (v_ipo_calendar, v_lockup_calendar, v_sponsor_record), with hand-checked values."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from helpers import FIXTURES
from hkipo.core.config import CalendarConfig
from hkipo.core.items import Announcement, Claim, ParsedAnnouncement
from hkipo.core.sponsors import sponsor_key
from hkipo.extract.formal_notice import FormalNotice, Value, parse_formal_notice_pdf
from pipelines.announcements import write_announcement
from pipelines.calendar import Lockup, add_months, lockup_expiry, write_formal_notice, write_lockups, write_sponsors
from pipelines.reconcile import rebuild_ipo_stats
from warehouse import db

HKEX = FIXTURES / "hkex"
FN = HKEX / "formal_notice"
HK = ZoneInfo("Asia/Hong_Kong")


def _ann(code: str, kind: str = "formal_notice", n: int = 1) -> Announcement:
    return Announcement(f"9000{n}{code}-zh", code, "Formal Notice" if kind == "formal_notice" else "Allotment Results",
                        "zh", f"https://example.org/{code}/{kind}/{n}.pdf", dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
                        "formal_notice/1" if kind == "formal_notice" else "allotment/1", kind=kind)


def _security(con, code: str, symbol: str, *, listing: dt.date | None = None, price: float | None = None) -> None:  # noqa: ANN001
    now = dt.datetime.now(dt.timezone.utc)
    con.execute("INSERT INTO securities (hkex_code, yahoo_symbol, name_en, aliases, updated_at) VALUES (?, ?, ?, [], ?)",
                [code, symbol, f"Test {code}", now]).fetchall()
    if listing:
        con.execute("INSERT INTO ipos (hkex_code, listing_date, offer_price, source, updated_at) "
                    "VALUES (?, ?, ?, 'config', ?)", [code, listing, price, now]).fetchall()


def _bar(con, symbol: str, day: dt.date, close: float) -> None:  # noqa: ANN001
    con.execute("INSERT INTO prices_daily (symbol, trade_date, open, high, low, close, source, fetched_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 'test', now())", [symbol, day, close, close, close, close]).fetchall()


def _moved(notice: FormalNotice, code: str, **when: dt.datetime | dt.date) -> FormalNotice:
    """The notice for another code with its timetable moved (the fixtures' dates are fixed; the views use now)."""
    fields = dict(notice.fields)
    fields["stock_code"] = dataclasses.replace(fields["stock_code"], text=code)
    for name, value in when.items():
        text = value.strftime("%Y-%m-%dT%H:%M") if isinstance(value, dt.datetime) else value.isoformat()
        fields[name] = Value(None, text, "datetime" if isinstance(value, dt.datetime) else "date", 4, text)
    return dataclasses.replace(notice, hkex_code=code, fields=fields)


def test_sponsor_keys_across_languages_and_suffixes() -> None:
    assert sponsor_key("Morgan Stanley Asia Limited") == sponsor_key("摩根士丹利亞洲有限公司") == "morgan stanley"
    assert sponsor_key("China International Capital Corporation Hong Kong Securities Limited") == "cicc"
    assert sponsor_key("中國國際金融香港證券有限公司") == sponsor_key("CICC") == "cicc"
    assert sponsor_key("Goldman Sachs (Asia) L.L.C.") == sponsor_key("高盛（亞洲）有限責任公司") == "goldman sachs"
    assert sponsor_key("CITIC Securities") == "citic securities" and sponsor_key("Citigroup") == "citigroup"
    assert sponsor_key("Harbour Crest Capital Limited") == "harbour crest"  # unknown: its own key


def test_lockup_expiry_stated_derived_or_unknown() -> None:
    listing = dt.date(2026, 3, 10)
    assert lockup_expiry(Lockup("A", "cornerstone", 1.0, lockup_months=6), listing) == (dt.date(2026, 9, 9), "derived")
    assert lockup_expiry(Lockup("B", "pre_ipo", 1.0, lockup_months=6, expiry_date=dt.date(2026, 9, 30)), listing) \
        == (dt.date(2026, 9, 30), "stated")
    assert lockup_expiry(Lockup("C", "other", 1.0), listing) == (None, "unknown")
    assert lockup_expiry(Lockup("D", "cornerstone", 1.0, lockup_months=6), None) == (None, "unknown")
    assert add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)


def test_notice_stored_as_offer_claims_and_sponsors(tmp_db: Path) -> None:
    notice = parse_formal_notice_pdf(FN / "en_fixed.pdf")
    with db.writer(tmp_db) as con, db.transaction(con):
        first = write_formal_notice(con, notice, _ann("02998"), calendar=CalendarConfig())
    with db.writer(tmp_db) as con, db.transaction(con):
        again = write_formal_notice(con, notice, _ann("02998"), calendar=CalendarConfig())
    with db.reader(tmp_db) as con:
        offer = con.execute("SELECT board_lot, offer_price, offer_price_high, offer_open_date, offer_open_time, "
                            "offer_close_time, listing_date, sponsor_kind, sponsors FROM offers").fetchall()
        bases = con.execute("SELECT DISTINCT basis, source_kind FROM claims").fetchall()
        n_claims = con.execute("SELECT count(*) FROM claims").fetchall()[0][0]
        sponsors = con.execute("SELECT role, sponsor_key, name FROM ipo_sponsors ORDER BY role").fetchall()
        cal = con.execute("SELECT entry_fee_hkd, stage FROM v_ipo_calendar").fetchall()
    assert offer == [(1000, 5.6, None, dt.date(2026, 4, 13), dt.time(9, 0), dt.time(12, 0), dt.date(2026, 4, 20),
                      "sole", ["Goldman Sachs"])]
    assert bases == [("formal_notice", "announcement")]
    # offer_price, 3 share counts, board lot, 4 dates (a fixed price has no range and no price determination date)
    assert n_claims == 9
    assert sponsors == [("overall_coordinator", "goldman sachs", "Goldman Sachs"),
                        ("sponsor", "goldman sachs", "Goldman Sachs")]
    # 1,000 x HK$5.60 x 1.010085 = 5,656.476 (listed: 20 April 2026 is before the machine's today)
    assert cal == [(5656.48, "listed")]
    assert first > 0 and again == 0


def test_calendar_stages_closing_soon_and_entry_fee(tmp_db: Path) -> None:
    zh = parse_formal_notice_pdf(FN / "zh_range.pdf")
    now = dt.datetime.now(HK).replace(tzinfo=None, second=0, microsecond=0)
    day = dt.timedelta(days=1)
    h = dt.timedelta(hours=1)
    cases = {
        "09001": dict(offer_open=now + 2 * day, offer_close=now + 5 * day, allotment_results_date=(now + 8 * day).date(),
                      listing_date=now + 9 * day),
        "09002": dict(offer_open=now - day, offer_close=now + 3 * h, allotment_results_date=(now + 3 * day).date(),
                      listing_date=now + 4 * day),
        "09003": dict(offer_open=now - day, offer_close=now + 3 * day, allotment_results_date=(now + 5 * day).date(),
                      listing_date=now + 20 * day),
        "09004": dict(offer_open=now - 4 * day, offer_close=now - h, allotment_results_date=(now + 2 * day).date(),
                      listing_date=now + 3 * day),
        "09005": dict(offer_open=now - 6 * day, offer_close=now - 3 * day, allotment_results_date=(now - day).date(),
                      listing_date=now + 2 * day),
        "09006": dict(offer_open=now - 20 * day, offer_close=now - 17 * day, allotment_results_date=(now - 15 * day).date(),
                      listing_date=now - 14 * day),
    }
    with db.writer(tmp_db) as con, db.transaction(con):
        for i, (code, when) in enumerate(cases.items()):
            write_formal_notice(con, _moved(zh, code, **when), _ann(code, n=i))
    with db.reader(tmp_db) as con:
        rows = con.execute("SELECT hkex_code, stage, closing_soon, listing_soon, entry_fee_hkd FROM v_ipo_calendar "
                           "ORDER BY hkex_code").fetchall()
    assert rows == [
        ("09001", "upcoming", False, False, 5151.43),  # 500 x HK$10.20 x 1.010085 = 5,151.43
        ("09002", "open", True, True, 5151.43),
        ("09003", "open", False, False, 5151.43),
        ("09004", "awaiting_allotment", False, True, 5151.43),
        ("09005", "listing_soon", False, True, 5151.43),
        ("09006", "listed", False, False, 5151.43),
    ]


def test_price_fixed_below_range_and_planned_figures_as_claims(tmp_db: Path) -> None:
    notice = parse_formal_notice_pdf(FN / "zh_range.pdf")
    final = [Claim("03999", "offer_price", 8.50, "HKD", "最終發售價：每股H股8.50港元", page=1),
             Claim("03999", "shares_offered", 57_500_000, "shares", "發售股份數目：57,500,000股H股", page=1),
             Claim("03999", "listing_date", None, "date", "開始買賣日期：2026年3月12日", value_text="2026-03-12", page=1)]
    with db.writer(tmp_db) as con, db.transaction(con):
        _security(con, "03999", "3999.HK")
        write_formal_notice(con, notice, _ann("03999"))
        write_announcement(con, ParsedAnnouncement(_ann("03999", "allotment_results", n=2), tuple(final)))
        rebuild_ipo_stats(con)
    with db.reader(tmp_db) as con:
        cal = con.execute("SELECT final_offer_price, price_vs_range, stage FROM v_ipo_calendar").fetchall()
        conflicts = con.execute("SELECT metric, value_texts, believed_rule FROM v_claim_conflicts "
                                "ORDER BY metric").fetchall()
        believed = dict(con.execute("SELECT metric, basis FROM ipo_stats WHERE metric IN "
                                    "('shares_offered', 'offer_price_low', 'listing_date')").fetchall())
    assert cal == [(8.50, "below range", "listed")]
    # the listing postponed from 10 to 12 March: a conflict, the final date believed. Planned 50,000,000 shares
    # and the final 57,500,000 agree under the rule (a round 50,000,000 stands for 40-60 million).
    assert conflicts == [("listing_date", ["2026-03-10", "2026-03-12"], "final figure beats formal notice")]
    assert believed == {"shares_offered": "final", "offer_price_low": "formal_notice", "listing_date": "final"}


def test_lockup_calendar_free_float_and_price_move(tmp_db: Path) -> None:
    today = dt.datetime.now(HK).date()
    listing = today - dt.timedelta(days=200)
    locks = [Lockup("Cornerstone Fund A", "cornerstone", 1_000_000, 0.005, lockup_months=6),
             Lockup("Founder Holdings", "controlling_shareholder", 100_000_000, 0.5, lockup_months=12),
             Lockup("Early Investor B", "pre_ipo", 2_000_000, 0.01, expiry_date=today + dt.timedelta(days=30))]
    cs_expiry = add_months(listing, 6) - dt.timedelta(days=1)
    with db.writer(tmp_db) as con, db.transaction(con):
        _security(con, "03999", "3999.HK")
        write_announcement(con, ParsedAnnouncement(_ann("03999", "allotment_results"), (
            Claim("03999", "shares_outstanding", 200_000_000, "shares", "上市時已發行股份數目：200,000,000股"),)))
        rebuild_ipo_stats(con)
        write_lockups(con, "03999", locks, listing_date=listing, source_kind="announcement", source_id="90001")
        # weekday bars around the cornerstone expiry: close = 10 + k on the k-th bar from the anchor
        # (the last bar on or before the expiry is k = 0), so 5 bars before: 5, 5 bars after: 15
        days = [cs_expiry + dt.timedelta(days=i) for i in range(-15, 16)]
        days = [d for d in days if d.weekday() < 5]
        anchor = max(i for i, d in enumerate(days) if d <= cs_expiry)
        for i, d in enumerate(days):
            _bar(con, "3999.HK", d, 10.0 + (i - anchor))
    with db.reader(tmp_db) as con:
        rows = con.execute("SELECT holder, expiry_date, expiry_basis, upcoming, share_of_free_float, price_before, "
                           "price_after, move_5d FROM v_lockup_calendar ORDER BY expiry_date").fetchall()
    assert rows[0][:3] == ("Cornerstone Fund A", cs_expiry, "derived")
    assert rows[0][3] is False
    # float before the cornerstone expiry: 200m - (1m + 2m + 100m still locked) = 97m; 1m / 97m
    assert rows[0][4] == pytest.approx(1_000_000 / 97_000_000)
    assert rows[0][5:] == (5.0, 15.0, pytest.approx(2.0))
    assert rows[1][:4] == ("Early Investor B", today + dt.timedelta(days=30), "stated", True)
    assert rows[1][4] == pytest.approx(2_000_000 / 98_000_000)  # float before: 200m - (2m + 100m) = 98m
    assert rows[1][5:] == (None, None, None)  # not expired yet
    assert rows[2][:4] == ("Founder Holdings", add_months(listing, 12) - dt.timedelta(days=1), "derived",
                           (add_months(listing, 12) - dt.timedelta(days=1) - today).days <= 90)
    assert rows[2][4] == pytest.approx(1.0)  # the last lock-up: the float before it is 100m


def test_sponsor_record_across_names(tmp_db: Path) -> None:
    a_list, b_list = dt.date(2026, 3, 2), dt.date(2026, 3, 9)  # Mondays
    with db.writer(tmp_db) as con, db.transaction(con):
        _security(con, "09011", "9011.HK", listing=a_list, price=10.0)
        _security(con, "09012", "9012.HK", listing=b_list, price=5.0)
        write_sponsors(con, "09011", [("sponsor", "Goldman Sachs (Asia) L.L.C."), ("sponsor", "CICC")],
                       source_kind="announcement", source_id="n1")
        write_sponsors(con, "09012", [("sponsor", "高盛（亞洲）有限責任公司")], source_kind="announcement", source_id="n2")
        # 09011: first day 12.0 (+20%), day 20 close 11.0 (+10%); the index 20,000 -> 21,000 (+5%): excess +5%
        days = [a_list + dt.timedelta(days=i) for i in range(0, 40) if (a_list + dt.timedelta(days=i)).weekday() < 5]
        for i, d in enumerate(days[:20]):
            _bar(con, "9011.HK", d, 12.0 if i == 0 else (11.0 if i == 19 else 11.5))
        _bar(con, "^HSI", a_list - dt.timedelta(days=3), 20_000.0)
        _bar(con, "^HSI", days[19], 21_000.0)
        # 09012: first day 4.5 (-10%), no 20th day yet
        _bar(con, "9012.HK", b_list, 4.5)
        rebuild_ipo_stats(con)  # the watchlist's offer price and listing date reach v_ipo_terms through ipo_stats
    with db.reader(tmp_db) as con:
        rows = con.execute("SELECT sponsor_key, names, ipos, codes, median_first_day_return, broke_issue_share, "
                           "ipos_with_20d, median_excess_20d FROM v_sponsor_record ORDER BY sponsor_key").fetchall()
    assert rows[0][:4] == ("cicc", ["CICC"], 1, ["09011"])
    gs = rows[1]
    assert gs[:4] == ("goldman sachs", ["Goldman Sachs (Asia) L.L.C.", "高盛（亞洲）有限責任公司"], 2, ["09011", "09012"])
    assert gs[4] == pytest.approx((0.2 - 0.1) / 2) and gs[5] == pytest.approx(0.5)
    assert gs[6] == 1 and gs[7] == pytest.approx(0.10 - 0.05)


def test_the_hkex_job_runs_hourly_while_an_offer_is_open() -> None:
    from hkipo.core.config import default_config_text, parse_config
    from scheduler.schedule import build_schedule

    config = parse_config(default_config_text(), "<default>")
    tz = ZoneInfo(config.schedule.timezone)
    plain = next(s for s in build_schedule(config) if s.job == "hkex")
    spec = next(s for s in build_schedule(config, open_offers=[(dt.date(2026, 5, 4), dt.date(2026, 5, 7))])
                if s.job == "hkex")
    assert "2026-05-04..2026-05-07" in spec.description and "2026-05-04" not in plain.description
    start = dt.datetime(2026, 5, 5, 10, 30, tzinfo=tz)  # inside the offer period: the next run within the hour
    fire = spec.trigger.get_next_fire_time(None, start)
    assert start < fire <= start + dt.timedelta(hours=1)
    after = dt.datetime(2026, 5, 8, 10, 30, tzinfo=tz)  # closed: back to the daily cron (20:00)
    assert spec.trigger.get_next_fire_time(None, after) == dt.datetime(2026, 5, 8, 20, 0, tzinfo=tz)


def test_open_offer_windows_from_the_warehouse(tmp_db: Path) -> None:
    from pipelines.calendar import open_offer_windows

    zh = parse_formal_notice_pdf(FN / "zh_range.pdf")
    now = dt.datetime.now(HK).replace(tzinfo=None, second=0, microsecond=0)
    with db.writer(tmp_db) as con, db.transaction(con):
        write_formal_notice(con, _moved(zh, "09021", offer_open=now - dt.timedelta(days=1),
                                        offer_close=now + dt.timedelta(days=2)), _ann("09021", n=1))
        write_formal_notice(con, zh, _ann("03999", n=2))  # closed in March 2026
        assert open_offer_windows(con) == [((now - dt.timedelta(days=1)).date(), (now + dt.timedelta(days=2)).date())]


def test_status_shows_open_offers_and_upcoming_lockups(tmp_db: Path, tmp_path: Path) -> None:
    from helpers import run_hkipo

    zh = parse_formal_notice_pdf(FN / "zh_range.pdf")
    now = dt.datetime.now(HK).replace(tzinfo=None, second=0, microsecond=0)
    close = now + dt.timedelta(hours=5)
    today = now.date()
    with db.writer(tmp_db) as con, db.transaction(con):
        write_formal_notice(con, _moved(zh, "09031", offer_open=now - dt.timedelta(days=2), offer_close=close,
                                        allotment_results_date=(now + dt.timedelta(days=4)).date(),
                                        listing_date=now + dt.timedelta(days=5)), _ann("09031"))
        write_lockups(con, "09031", [Lockup("Cornerstone Fund A", "cornerstone", 1_000_000,
                                            expiry_date=today + dt.timedelta(days=10))],
                      listing_date=None, source_kind="announcement", source_id="x")
    proc = run_hkipo("status", "--db", str(tmp_db), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "offers (IPO calendar" in out and "09031" in out and "open (closing soon)" in out
    assert "HK$8.80-10.20" in out and "5151.43" in out and close.strftime("%Y-%m-%d %H:%M") in out
    assert "upcoming lock-up expiries" in out and "Cornerstone Fund A" in out and "stated" in out


def test_report_has_a_calendar_section(tmp_db: Path, tmp_path: Path) -> None:
    from helpers import run_hkipo

    zh = parse_formal_notice_pdf(FN / "zh_range.pdf")
    now = dt.datetime.now(HK).replace(tzinfo=None, second=0, microsecond=0)
    with db.writer(tmp_db) as con, db.transaction(con):
        write_formal_notice(con, _moved(zh, "09041", offer_open=now + dt.timedelta(days=1),
                                        offer_close=now + dt.timedelta(days=4),
                                        allotment_results_date=(now + dt.timedelta(days=7)).date(),
                                        listing_date=now + dt.timedelta(days=8)), _ann("09041"))
        write_lockups(con, "09041", [Lockup("Founder Holdings", "controlling_shareholder", 60_000_000,
                                            expiry_date=now.date() + dt.timedelta(days=20))],
                      listing_date=None, source_kind="announcement", source_id="x")
    out = tmp_path / "rep"
    proc = run_hkipo("report", "--db", str(tmp_db), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    html = (out / "index.html").read_text(encoding="utf-8")
    section = html[html.index('id="calendar"'):html.index('id="ipos"')]
    assert "09041 Auspicious Cloud" in section and "upcoming" in section and "HK$8.80-10.20" in section
    assert "5,151.43" in section and "Founder Holdings" in section and "controlling shareholder" in section
    assert "60,000,000" in section and "stated" in section


def test_cornerstone_rows_become_lockups_without_guessing_the_period() -> None:
    from types import SimpleNamespace

    from pipelines.calendar import lockups_from_cornerstones

    rows = [SimpleNamespace(investor="Fund A", shares=1_200_000, share_of_offer=0.05, lockup_expiry="2026-09-09",
                            page=4, quote="Fund A 1,200,000 5.00% 2026年9月9日"),
            SimpleNamespace(investor="Fund B", shares=800_000, share_of_offer=0.03, lockup_expiry=None, page=4,
                            quote="Fund B 800,000 3.00%")]
    a, b = lockups_from_cornerstones(rows)
    assert (a.holder, a.shares_locked, a.expiry_date) == ("Fund A", 1_200_000, dt.date(2026, 9, 9))
    assert lockup_expiry(a, dt.date(2026, 3, 10)) == (dt.date(2026, 9, 9), "stated")
    assert lockup_expiry(b, dt.date(2026, 3, 10)) == (None, "unknown")


def test_sponsors_named_in_an_allotment_announcement_are_stored(tmp_db: Path) -> None:
    from pipelines.calendar import write_announcement_sponsors

    ann = dataclasses.replace(_ann("09051", "allotment_results"),
                              text="董事確認，摩根士丹利亞洲有限公司及甲乙融資（香港）有限公司擔任聯席保薦人。")
    with db.writer(tmp_db) as con, db.transaction(con):
        assert write_announcement_sponsors(con, ann) == 2
        assert write_announcement_sponsors(con, ann) == 0
        rows = con.execute("SELECT role, sponsor_key, name FROM ipo_sponsors ORDER BY name").fetchall()
    assert rows == [("sponsor", "morgan stanley", "摩根士丹利亞洲有限公司"), ("sponsor", "甲乙", "甲乙融資（香港）有限公司")]


def test_daemon_schedules_hourly_hkex_runs_for_a_stored_open_offer(tmp_db: Path) -> None:
    from hkipo.core.config import default_config_text, parse_config
    from scheduler.daemon import Daemon

    zh = parse_formal_notice_pdf(FN / "zh_range.pdf")
    now = dt.datetime.now(HK).replace(tzinfo=None, second=0, microsecond=0)
    opens, closes = now - dt.timedelta(days=1), now + dt.timedelta(days=2)
    with db.writer(tmp_db) as con, db.transaction(con):
        write_formal_notice(con, _moved(zh, "09061", offer_open=opens, offer_close=closes), _ann("09061"))
    daemon = Daemon(parse_config(default_config_text(), "<default>"), db_path=tmp_db)
    hkex = next(s for s in daemon.specs if s.job == "hkex")
    assert f"{opens:%Y-%m-%d}..{closes:%Y-%m-%d}" in hkex.description


def test_allotment_cornerstones_become_lockup_calendar_rows(tmp_db: Path) -> None:
    from hkipo.core.items import Cornerstone
    from pipelines.calendar import write_announcement_calendar

    parsed = ParsedAnnouncement(
        _ann("09071", "allotment_results"),
        (Claim("09071", "listing_date", None, "date", "開始買賣日期：2026年3月10日", value_text="2026-03-10"),
         Claim("09071", "shares_outstanding", 400_000_000, "shares", "上市時已發行股份數目：400,000,000股")),
        cornerstones=(Cornerstone("Fund A", 4_000_000, 0.08, "2026-09-09", 4, "Fund A 4,000,000 8.00% 2026年9月9日"),
                      Cornerstone("Fund B", 2_000_000, 0.04, None, 4, "Fund B 2,000,000 4.00%")))
    with db.writer(tmp_db) as con, db.transaction(con):
        write_announcement(con, parsed)
        assert write_announcement_calendar(con, parsed) == 2
        rebuild_ipo_stats(con)
    with db.reader(tmp_db) as con:
        rows = con.execute("SELECT holder, holder_kind, shares_locked, expiry_date, expiry_basis, share_of_issue "
                           "FROM v_lockup_calendar ORDER BY holder").fetchall()
    assert rows == [("Fund A", "cornerstone", 4_000_000, dt.date(2026, 9, 9), "stated", 0.01),  # 4m / 400m
                    ("Fund B", "cornerstone", 2_000_000, None, "unknown", 0.005)]
