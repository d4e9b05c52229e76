"""Reconciliation, case by case: which value to believe and why, and what counts as a conflict.

Each case names the rule it checks (pipelines/reconcile.py, "THE RULE").
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from hkipo.core.config import load_config
from hkipo.core.items import Announcement, ParsedAnnouncement
from pipelines.announcements import write_announcement
from hkipo.core.items import Claim
from warehouse.claims import write_claims
from pipelines.reconcile import Evidence, agree, choose, in_conflict, rebuild_ipo_stats
from pipelines.watchlist import sync_watchlist
from warehouse import db

_ids = itertools.count()
T0 = dt.datetime(2026, 1, 9, 12, 0, tzinfo=dt.timezone.utc)


def ev(value: float | None, *, kind: str = "article", site: str | None = None, basis: str = "final",
       qualifier: str | None = None, unit: str = "times", metric: str = "public_subscription_multiple",
       hours: int = 0, text: str | None = None) -> Evidence:
    n = next(_ids)
    group = f"HKEXnews:00100" if kind == "announcement" else (site or f"site{n}")
    return Evidence(claim_id=f"c{n:04d}", hkex_code="00100", metric=metric, value=value, value_text=text, unit=unit,
                    qualifier=qualifier, basis=basis, source_kind=kind, source_id=f"s{n}", source_url=None,
                    source_group=group, quote=f"quote {n}", reported_at=T0 + dt.timedelta(hours=hours))


# --- the rule, one key at a time ----------------------------------------------

def test_the_listing_day_bar_beats_news_and_keeps_the_best_claim() -> None:
    bar = ev(131.5, kind="prices", site="prices:2513.HK", unit="HKD", metric="first_day_close")
    news = [ev(125.7, site="a.example", unit="HKD", metric="first_day_close"),
            ev(125.7, site="b.example", unit="HKD", metric="first_day_close")]
    c = choose([*news, bar])
    assert c.winner is bar and c.rule == "the listing-day price bar beats news" and c.n_claims == 2
    assert c.claimed.value == 125.7 and c.claim_disagrees is True
    # Without the bar the two sites decide, as before.
    assert choose(news).winner.value == 125.7


def test_an_intraday_snapshot_is_no_disagreement_with_the_bar() -> None:
    bar = ev(352.0, kind="prices", site="prices:0100.HK", unit="HKD", metric="first_day_high")
    snap = ev(267.8, site="a.example", unit="HKD", metric="first_day_high", basis="intraday")
    c = choose([snap, bar])
    assert c.winner is bar and c.claimed is snap and c.claim_disagrees is False


def test_the_config_counts_only_when_nobody_states_the_figure() -> None:
    config = ev(150.5, kind="config", site="config:00100", unit="HKD", metric="offer_price")
    alone = choose([config])
    assert alone.winner is config and alone.rule == "only the watchlist config" and alone.n_claims == 0
    reported = ev(165.0, kind="announcement", unit="HKD", metric="offer_price")
    c = choose([config, reported])
    assert c.winner is reported and c.rule == "official announcement beats the watchlist config"
    assert c.n_sources == 1 and c.n_claims == 1  # the config corroborates nothing, and is no claim
    agreeing = ev(165.0, kind="config", site="config:00100", unit="HKD", metric="offer_price")
    assert choose([agreeing, reported]).rule == "only claim"


def test_official_announcement_beats_news() -> None:
    official = ev(1837.17, kind="announcement")
    choice = choose([ev(1209, site="a", basis="at_close_of_applications"), official, ev(1209, site="b"),
                     ev(1209, site="c")])
    assert choice.winner is official
    assert choice.rule == "official announcement beats news"


def test_final_figure_beats_estimate_even_against_more_sources() -> None:
    final = ev(1837, site="a")
    choice = choose([ev(1209, site="b", basis="at_close_of_applications"),
                     ev(1209, site="c", basis="at_close_of_applications"), final])
    assert choice.winner is final
    assert choice.rule == "final figure beats at close of applications"


def test_final_beats_a_full_over_allotment_hypothesis() -> None:
    final = ev(4.8176e9, unit="HKD", metric="gross_proceeds", site="a")
    choice = choose([ev(5.54e9, unit="HKD", metric="gross_proceeds", basis="full_over_allotment", site="b"),
                     ev(5.54e9, unit="HKD", metric="gross_proceeds", basis="full_over_allotment", site="c"), final])
    assert choice.winner is final and choice.rule == "final figure beats full over allotment"


def test_more_independent_sources_win_among_news() -> None:
    choice = choose([ev(125.70, site="x", unit="HKD", metric="first_day_close"),
                     ev(131.50, site="a", unit="HKD", metric="first_day_close"),
                     ev(131.5, site="b", unit="HKD", metric="first_day_close")])
    assert choice.winner.value == 131.50
    assert choice.n_sources == 2
    assert choice.rule == "agreed by 2 independent sources against 1"


def test_one_site_repeating_itself_is_one_source() -> None:
    earlier = ev(125.70, site="x", unit="HKD", metric="first_day_close", hours=0)
    again = ev(125.70, site="x", unit="HKD", metric="first_day_close", hours=1)
    later = ev(131.50, site="a", unit="HKD", metric="first_day_close", hours=5)
    choice = choose([earlier, again, later])
    assert choice.winner is later  # 1 source each: the later report decides
    assert choice.rule == "latest report"


def test_exact_beats_approximate() -> None:
    exact = ev(36.76, site="a")
    choice = choose([ev(45, site="b", qualifier="approx"), exact])
    assert choice.winner is exact and choice.rule == "exact figure beats one stated as approx"


def test_agreeing_figures_keep_the_most_precise() -> None:
    precise = ev(1837.17, site="b")
    choice = choose([ev(1837, site="a"), precise, ev(1800, site="c", qualifier="over")])
    assert choice.winner is precise
    assert (choice.n_sources, choice.rule) == (3, "all 3 sources agree")


def test_hkd_beats_another_currency() -> None:
    hkd = ev(4.82e9, unit="HKD", metric="gross_proceeds", site="a")
    choice = choose([ev(6.19e8, unit="USD", metric="gross_proceeds", site="b"),
                     ev(6.19e8, unit="USD", metric="gross_proceeds", site="c"), hkd])
    assert choice.winner is hkd and choice.rule == "a figure in HKD beats one in another currency"


def test_single_claims_and_bilingual_announcements() -> None:
    only = ev(376, kind="announcement", unit="count", metric="placees")
    assert choose([only]).rule == "only claim"
    en, zh = ev(221, kind="announcement", unit="count", metric="placees"), \
        ev(221, kind="announcement", unit="count", metric="placees")
    choice = choose([en, zh])
    assert (choice.n_sources, choice.rule) == (1, "only source")


# --- agreement: rounding is not disagreement ------------------------------------

@pytest.mark.parametrize(("a", "b", "same"), [
    ((0.42, None), (0.4267, None), True),          # "涨 42%" vs +42.67%
    ((37, None), (36.76, None), True),             # "37x" vs 36.76 times
    ((4.3e9, "approx"), (4.3481e9, None), True),   # "~HK$4.3bn" vs HK$4,348.1m
    ((420_000, "over"), (417_646, None), True),    # "over 420,000 applicants" vs 417,646
    ((80, "under"), (79, None), True),             # "nearly 80 times" vs 79
    ((1837, None), (1837.17, None), True),
    ((131.50, None), (125.70, None), False),       # the real first-day close conflict
    ((1209, None), (1837.17, None), False),        # estimate vs final
    ((5.54e9, "approx"), (4.8176e9, None), False),  # full over-allotment vs actual
    ((80, "under"), (95, None), False),            # "80" is stated to the ten: 85 would still agree
    ((0.0281, "approx"), (0.028073, None), True),
])
def test_agreement(a: tuple, b: tuple, same: bool) -> None:
    x, y = ev(a[0], qualifier=a[1]), ev(b[0], qualifier=b[1])
    assert agree(x, y) is same and agree(y, x) is same
    assert in_conflict([x, y]) is (not same)


def test_different_units_never_agree() -> None:
    assert not agree(ev(6.19e8, unit="USD"), ev(6.19e8, unit="HKD"))


# --- in the warehouse: SQL view and Python agree ---------------------------------

def _claim(metric: str, value: float | None, unit: str, **kw: object) -> Claim:
    return Claim(hkex_code=kw.pop("code", "00100"), metric=metric, value=value, unit=unit,
                 quote=kw.pop("quote", f"{metric} {value}"), **kw)


def _article(con, article_id: str, site: str, hours: int) -> None:  # noqa: ANN001
    con.execute(
        "INSERT INTO articles (article_id, canonical_url, title, site, published_at, language, script, text, "
        "fingerprint, extractor_version, fetched_at) VALUES (?, ?, ?, ?, ?, 'zh', 'zh-Hans', 'text', 'fp', 't', ?)",
        [article_id, f"https://{site}/{article_id}", f"title {article_id}", site, T0 + dt.timedelta(hours=hours),
         T0]).fetchall()


@pytest.fixture
def warehouse(tmp_db: Path) -> Path:
    config = load_config(None)
    with db.writer(tmp_db) as con, db.transaction(con):
        sync_watchlist(con, config)
        ann = Announcement("11873452-en", "00100", "ALLOTMENT RESULTS ANNOUNCEMENT", "en",
                           "https://www1.hkexnews.hk/listedco/listconews/sehk/2026/0108/2026010801342.pdf",
                           T0 - dt.timedelta(days=1), "allotment/1")
        write_announcement(con, ParsedAnnouncement(ann, (
            _claim("public_subscription_multiple", 1837.17, "times", page=3),
            _claim("gross_proceeds", 4.8176e9, "HKD", page=1),
            _claim("valid_applications", 417_646, "count", page=3),
            _claim("one_lot_success_rate", 0.028073, "fraction", page=6),
            _claim("public_offer_share_of_offer", 0.1739, "fraction", page=3),
            _claim("cornerstone_share_of_offer", 0.5653, "fraction", page=4),
            _claim("offer_price", 165.0, "HKD", page=1),
        )))
        for aid, site, hours in (("a1", "a.example", 1), ("a2", "b.example", 2), ("a3", "c.example", 3),
                                 ("a4", "c.example", 4)):
            _article(con, aid, site, hours)
        news = {
            "a1": [_claim("public_subscription_multiple", 1209, "times", basis="at_close_of_applications"),
                   _claim("first_day_close", 131.5, "HKD", code="02513", position=10),
                   _claim("gross_proceeds", 5.54e9, "HKD", qualifier="approx", basis="full_over_allotment"),
                   _claim("valid_applications", 420_000, "count", qualifier="over"),
                   _claim("international_ex_cornerstone_multiple", 79, "times", qualifier="approx")],
            "a2": [_claim("public_subscription_multiple", 1837, "times"),
                   _claim("first_day_close", 131.5, "HKD", code="02513"),
                   _claim("gross_proceeds", 6.19e8, "USD")],
            "a3": [_claim("first_day_close", 125.7, "HKD", code="02513"),
                   _claim("market_cap", 7.2e10, "HKD", basis="at_open", as_of=dt.date(2026, 1, 9)),
                   _claim("market_cap", 1.067e11, "HKD", as_of=dt.date(2026, 1, 9)),
                   _claim("first_day_high", 267.8, "HKD", basis="intraday")],
            "a4": [_claim("first_day_close", 125.7, "HKD", code="02513"),
                   _claim("first_day_high", 352.0, "HKD")],
        }
        for aid, claims in news.items():
            write_claims(con, claims, source_kind="article", source_id=aid, source_url=None, extractor_version="t")
        rebuild_ipo_stats(con)
    return tmp_db


def _rows(path: Path, sql: str) -> list[tuple]:
    with db.reader(path) as con:
        return con.execute(sql).fetchall()


def test_ipo_stats_in_the_warehouse(warehouse: Path) -> None:
    stats = {(c, m): (v, u, k, n, r) for c, m, v, u, k, n, r in _rows(
        warehouse, "SELECT hkex_code, metric, value, unit, source_kind, n_sources, rule FROM v_ipo_stats")}
    assert stats[("00100", "public_subscription_multiple")] == (
        1837.17, "times", "announcement", 2, "official announcement beats news")
    assert stats[("00100", "gross_proceeds")][:3] == (4.8176e9, "HKD", "announcement")
    # 131.50 from two sites beats 125.70 from one site that said it twice.
    assert stats[("02513", "first_day_close")] == (
        131.5, "HKD", "article", 2, "agreed by 2 independent sources against 1")
    assert stats[("00100", "market_cap")][2] == "article"
    assert stats[("00100", "first_day_high")][0] == 352.0  # final beats the intraday snapshot


def test_conflicts_view_lists_the_known_disagreements(warehouse: Path) -> None:
    rows = _rows(warehouse, "SELECT hkex_code, metric, unit, min_value, max_value, n_claims, believed_value, "
                            "list_transform(claims, lambda c: c.basis) FROM v_claim_conflicts ORDER BY 1, 2")
    found = {(r[0], r[1], r[2]): r for r in rows}
    assert set(found) == {
        ("00100", "public_subscription_multiple", "times"),  # 1,837x final vs 1,209x at close of applications
        ("00100", "gross_proceeds", "HKD"),                  # HK$5.54bn (full over-allotment) vs HK$4,817.6m
        ("02513", "first_day_close", "HKD"),                 # HK$131.50 vs HK$125.70
    }
    subs = found[("00100", "public_subscription_multiple", "times")]
    assert (subs[3], subs[4], subs[5], subs[6]) == (1209, 1837.17, 3, 1837.17)
    assert sorted(subs[7]) == ["at_close_of_applications", "final", "final"]
    close = found[("02513", "first_day_close", "HKD")]
    assert (close[3], close[4], close[5]) == (125.7, 131.5, 4)
    # Rounded and qualified figures are not conflicts: "over 420,000" vs 417,646; two market caps at two moments;
    # an intraday high vs the day's high; USD is not compared with HKD.


def test_stored_conflicts_are_the_agreement_rule_on_every_pair(tmp_db: Path) -> None:
    """The rebuild stores exactly the pairs `in_conflict` flags (the view has no rule of its own)."""
    values = [(0.42, None), (0.4267, None), (37, None), (36.76, None), (4.3e9, "approx"), (4.3481e9, None),
              (420_000, "over"), (417_646, None), (80, "under"), (79, None), (131.5, None), (125.7, None),
              (1209, None), (1837.17, None), (5.54e9, "approx"), (4.8176e9, None), (0.0281, "approx"),
              (0.028073, None), (1837, None), (95, None)]
    pairs = list(itertools.combinations(values, 2))
    with db.writer(tmp_db) as con, db.transaction(con):
        sync_watchlist(con, load_config(None))
        claims = [c for i, (a, b) in enumerate(pairs)
                  for c in (_claim(f"m{i}", a[0], "x", qualifier=a[1], position=1),
                            _claim(f"m{i}", b[0], "x", qualifier=b[1], position=2))]
        write_claims(con, claims, source_kind="article", source_id="pairs", source_url=None, extractor_version="t")
        rebuild_ipo_stats(con)
    flagged = {r[0] for r in _rows(tmp_db, "SELECT metric FROM v_claim_conflicts")}
    for i, (a, b) in enumerate(pairs):
        python = in_conflict([ev(a[0], qualifier=a[1]), ev(b[0], qualifier=b[1])])
        assert (f"m{i}" in flagged) is python, (a, b)


def test_rebuild_is_idempotent(warehouse: Path) -> None:
    with db.writer(warehouse) as con, db.transaction(con):
        assert rebuild_ipo_stats(con) == 0


def test_subscription_stats_one_row_per_ipo(warehouse: Path) -> None:
    rows = _rows(warehouse, "SELECT hkex_code, public_multiple, valid_applications, one_lot_success_rate, "
                            "clawback_pct, cornerstone_share_of_offer, gross_proceeds, "
                            "international_ex_cornerstone_multiple, figures_from_announcement "
                            "FROM v_subscription_stats ORDER BY hkex_code")
    assert [r[0] for r in rows] == ["00100", "02513"]
    assert rows[0][1:] == (1837.17, 417_646, 0.028073, 0.1739, 0.5653, 4.8176e9, 79.0, 7)
    assert rows[1][1] is None


def test_a_non_finite_claim_is_ignored_not_fatal(warehouse: Path) -> None:
    """A NaN or infinite value written by any writer must not stop the rebuild (choose() counts digits)."""
    with db.writer(warehouse) as con, db.transaction(con):
        _article(con, "a5", "d.example", 5)
        write_claims(con, [_claim("first_day_close", float("nan"), "HKD", code="02513"),
                           _claim("first_day_open", float("inf"), "HKD", code="02513")],
                     source_kind="article", source_id="a5", source_url=None, extractor_version="t")
        rebuild_ipo_stats(con)
    stats = {(c, m): (v, n) for c, m, v, n in _rows(
        warehouse, "SELECT hkex_code, metric, value, n_sources FROM v_ipo_stats WHERE hkex_code = '02513'")}
    assert stats[("02513", "first_day_close")] == (131.5, 2)
    assert ("02513", "first_day_open") not in stats


def test_a_share_nobody_states_is_derived_from_believed_figures_of_one_basis(tmp_db: Path) -> None:
    """The clawback and cornerstone share come from reconciliation (source 'derived'), never a view's fallback."""
    with db.writer(tmp_db) as con, db.transaction(con):
        sync_watchlist(con, load_config(None))
        _article(con, "d1", "a.example", 1)
        write_claims(con, [
            _claim("public_offer_shares", 2_000_000, "shares", position=1),
            _claim("shares_offered", 8_000_000, "shares", position=2),
            _claim("cornerstone_shares", 3_000_000, "shares", basis="full_over_allotment", position=3),
            # 02513: a stated share is believed as stated, even beside figures it could be derived from
            _claim("public_offer_shares", 1_000_000, "shares", code="02513", position=4),
            _claim("shares_offered", 4_000_000, "shares", code="02513", position=5),
            _claim("public_offer_share_of_offer", 0.3, "fraction", code="02513", position=6),
        ], source_kind="article", source_id="d1", source_url=None, extractor_version="t")
        rebuild_ipo_stats(con)
        assert rebuild_ipo_stats(con) == 0  # derived rows are as idempotent as the rest
    rows = {(c, m): (v, k, r) for c, m, v, k, r in _rows(
        tmp_db, "SELECT hkex_code, metric, value, source_kind, rule FROM ipo_stats "
                "WHERE metric LIKE '%share_of_offer'")}
    assert rows[("00100", "public_offer_share_of_offer")] == (
        0.25, "derived", "derived: public_offer_shares / shares_offered (no source states it)")
    # cornerstone shares on another basis than the offer size: no ratio (it would mix two offer sizes)
    assert ("00100", "cornerstone_share_of_offer") not in rows
    assert rows[("02513", "public_offer_share_of_offer")][:2] == (0.3, "article")
    clawback = dict(_rows(tmp_db, "SELECT hkex_code, clawback_pct FROM v_subscription_stats"))
    assert clawback == {"00100": 0.25, "02513": 0.3}


def test_the_watchlist_board_lot_is_believed_only_when_nobody_states_one(tmp_db: Path) -> None:
    with db.writer(tmp_db) as con, db.transaction(con):
        sync_watchlist(con, load_config(None))  # the default watchlist: 00100 trades in lots of 20
        rebuild_ipo_stats(con)
        first = con.execute("SELECT value, source_kind FROM ipo_stats WHERE metric = 'board_lot' "
                            "AND hkex_code = '00100'").fetchall()
        _article(con, "b1", "a.example", 1)
        write_claims(con, [_claim("board_lot", 200, "shares")], source_kind="article", source_id="b1",
                     source_url=None, extractor_version="t")
        rebuild_ipo_stats(con)
        second = con.execute("SELECT value, source_kind, rule FROM ipo_stats WHERE metric = 'board_lot' "
                             "AND hkex_code = '00100'").fetchall()
        lot = con.execute("SELECT board_lot, board_lot_source FROM v_ipo_cohort WHERE hkex_code = '00100'").fetchall()
    assert first == [(20.0, "config")]
    assert second == [(200.0, "article", "news beats the watchlist config")]
    assert lot == [(200, "ipo_stats")]
