"""Reconciliation: from all the evidence to the one value per (security, metric) to believe.

THE RULE — the one place it is written down (views and README refer here).

The evidence for each security and metric is every claim (HKEX announcements
and news), the listing-day price bar (for the first-day open, high, low and
close) and the watchlist config (offer price, listing date, board lot). It is ranked;
the first key that tells two pieces apart decides:

  1. unit: a figure in the metric's own unit (HKD for money) beats one in
     another currency — nothing is converted at a guessed rate;
  2. source: the metric's own precedence (hkipo/core/metrics.py): for most
     an HKEX announcement beats news; the listing-day bar beats any report
     of the first day; the config is believed only when nobody states the
     figure;
  3. basis: a final figure beats a hypothetical one (`full_over_allotment`),
     which beats a snapshot (`at_open`, `intraday`), which beats a
     pre-allotment estimate (`at_close_of_applications`);
  4. agreement: the value more independent sources agree with wins (a site
     is one source however many of its articles repeat a figure; an
     announcement in English and in Chinese is one source);
  5. exactness: a figure stated exactly beats one stated as approximate,
     "over" or "under";
  6. precision: 1,837.17 beats 1,837 (more significant digits);
  7. recency: the later report, then the claim id (a stable last tie-break).

`ipo_stats.rule` says which key decided against the best claim that
*disagrees* with the winner; when every claim agrees it says so. Agreement is
counted among claims only: the config is the user's own figure, never
corroboration, and a bar does not change which claim is best. When a bar or
the config wins, `ipo_stats.claimed_value` keeps what the best claim said and
`claim_disagrees` whether it differs by more than `[prices]
first_day_tolerance` (an intraday snapshot never does). The listing date
decided here picks the bar: terms are reconciled before first-day figures.

AGREEMENT — two claims agree when they have the same unit and their ranges
overlap. A figure's range is its value ± the larger of 1% (2% when stated as
approximate) and one unit in the last digit it was stated with, so "42%"
agrees with 42.67%, "37x" with 36.76x and "HK$4.3bn" with HK$4,348.1m, while
HK$131.50 and HK$125.70 disagree. "Over X" is open above, "under X" (nearly,
不足) open below. The rebuild stores in `claim_conflicts` every group of
claims (one security, metric, unit) that do not share a value;
`v_claim_conflicts` only selects them. Intraday snapshots never conflict with
final figures (they are different moments), and market caps are only
compared at the same moment (open, intraday, close).

DERIVED — a share that no source states (the clawback: public offer shares
over offer shares; the cornerstones' share) is derived here from the two
believed figures when they share a basis (source kind 'derived', the rule
names the ratio), so views select it instead of computing a fallback.

Rows of a table (`allocation_band`) are not reconciled: there is no single
value to believe.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from hkipo.core import metrics
from hkipo.core.numbers import significant_step
from warehouse.load import sync_scope

# Source precedence, basis order, canonical units and table metrics are the registry's (hkipo/core/metrics.py).
SOURCE_RANK = {kind: i for i, kind in enumerate(metrics.ALL_SOURCES)}  # for unregistered metrics; see Metric.sources
BASIS_RANK = {basis: i for i, basis in enumerate(metrics.BASES)}
MONEY_METRICS = frozenset(m.name for m in metrics.METRICS if m.kind in ("price", "money"))
TABLE_METRICS = metrics.TABLE_METRICS
REL_TOL = 0.01
APPROX_TOL = 0.02


@dataclass(frozen=True)
class Evidence:
    """One claim as reconciliation sees it."""

    claim_id: str
    hkex_code: str
    metric: str
    value: float | None
    value_text: str | None
    unit: str
    qualifier: str | None
    basis: str
    source_kind: str
    source_id: str
    source_url: str | None
    source_group: str  # what counts as one independent source: a site, or HKEXnews for a security
    quote: str
    reported_at: dt.datetime | None
    as_of: dt.date | None = None

    @property
    def is_claim(self) -> bool:
        """A report (announcement or news), as opposed to the price bar or the config."""
        return self.source_kind in metrics.CLAIM_SOURCES


@dataclass(frozen=True)
class Choice:
    winner: Evidence
    n_sources: int  # independent sources agreeing with the winner
    n_claims: int
    rule: str
    claimed: Evidence | None = None  # the best claim, when the winner is not one (a bar, the config)
    claim_disagrees: bool | None = None  # ... and whether it differs beyond the tolerance


def tolerance(value: float, qualifier: str | None) -> float:
    """Half-width of a figure's range: relative tolerance or one unit in its last digit."""
    rel = APPROX_TOL if qualifier == "approx" else REL_TOL
    return max(rel * abs(value), significant_step(value))


def interval(value: float, qualifier: str | None) -> tuple[float, float]:
    """The values a stated figure is consistent with."""
    u = tolerance(value, qualifier)
    lo = -math.inf if qualifier == "under" else value - u
    hi = math.inf if qualifier == "over" else value + u
    return lo, hi


def agree(a: Evidence, b: Evidence) -> bool:
    if a.unit != b.unit:
        return False
    if a.value is None or b.value is None:
        return a.value is None and b.value is None and a.value_text == b.value_text
    alo, ahi = interval(a.value, a.qualifier)
    blo, bhi = interval(b.value, b.qualifier)
    return alo <= bhi and blo <= ahi


def in_conflict(claims: Sequence[Evidence]) -> bool:
    """Do these claims (one metric, one unit, comparable moments) fail to share a value?"""
    numeric = [c for c in claims if c.value is not None]
    if len({c.value_text for c in claims if c.value is None and c.value_text is not None}) > 1:
        return True
    if len(numeric) < 2:
        return False
    ranges = [interval(c.value, c.qualifier) for c in numeric]
    return max(lo for lo, _ in ranges) > min(hi for _, hi in ranges)


def _canonical_unit(metric: str) -> str | None:
    return "HKD" if metric in MONEY_METRICS else None


_SOURCE_NAMES = {"announcement": "official announcement", "article": "news",
                 "prices": "the listing-day price bar", "config": "the watchlist config",
                 "discovery": "HKEXnews discovery (expected date)"}


def _source_rank(metric: str, source_kind: str) -> int:
    m = metrics.BY_NAME.get(metric)
    return m.source_rank(source_kind) if m is not None else SOURCE_RANK.get(source_kind, 9)


_RULE_NAMES = (
    "a figure in HKD beats one in another currency",
    "official announcement beats news",
    "final figure beats {loser_basis}",
    "agreed by {n} independent sources against {m}",
    "exact figure beats one stated as {loser_qualifier}",
    "more precise figure",
    "latest report",
    "stable tie-break",
)


class _IntervalCache(dict):
    """interval() of each distinct stated figure, computed once per reconciliation."""

    def __missing__(self, key: tuple[float, str | None]) -> tuple[float, float]:
        self[key] = iv = interval(*key)
        return iv


def _agree(a: Evidence, b: Evidence, intervals: _IntervalCache) -> bool:
    """agree(a, b), with the intervals taken from the cache."""
    if a.unit != b.unit:
        return False
    if a.value is None or b.value is None:
        return a.value is None and b.value is None and a.value_text == b.value_text
    alo, ahi = intervals[(a.value, a.qualifier)]
    blo, bhi = intervals[(b.value, b.qualifier)]
    return alo <= bhi and blo <= ahi


def _supports(claims: Sequence[Evidence], intervals: _IntervalCache) -> list[int]:
    """For each claim, the number of distinct source groups among the claims that agree with it.

    Comparing every pair made the rebuild quadratic (a big IPO has thousands
    of news claims per metric). Claims of different units never agree; a
    figure without a value agrees with the same text only; numeric figures
    are counted by `_overlapping_groups` in O(n log n).
    """
    out = [0] * len(claims)
    by_unit: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(claims):
        by_unit[c.unit].append(i)
    for members in by_unit.values():
        texts: dict[str | None, list[int]] = defaultdict(list)
        numeric: list[int] = []
        for i in members:
            (numeric if claims[i].value is not None else texts[claims[i].value_text]).append(i)
        for same_text in texts.values():
            n = len({claims[i].source_group for i in same_text})
            for i in same_text:
                out[i] = n
        ivs = [intervals[(claims[i].value, claims[i].qualifier)] for i in numeric]
        counts = _overlapping_groups(ivs, [claims[i].source_group for i in numeric])
        for i, n in zip(numeric, counts):
            out[i] = n
    return out


def _overlapping_groups(ivs: list[tuple[float, float]], groups: list[str]) -> list[int]:
    """For each closed interval, how many distinct groups have an interval overlapping it.

    Each group's intervals are merged into disjoint segments; a group overlaps
    a query Q iff one of its segments does, and the segments of one group that
    overlap Q are consecutive, so

        groups overlapping Q = segments overlapping Q
                               − gaps between a group's consecutive segments lying inside Q

    Segments overlapping Q come from two bisections (all, minus those ending
    before Q, minus those starting after it); gaps inside Q from one sweep
    over Q's right end with a Fenwick tree over the gaps' left ends. Distinct
    intervals are answered once. O(n log n). An interval with a NaN end
    (an infinite or NaN value) overlaps nothing, not even itself — as
    `agree` compares.
    """
    by_group: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for iv, g in zip(ivs, groups):
        if not (math.isnan(iv[0]) or math.isnan(iv[1])):
            by_group[g].append(iv)
    seg_lo: list[float] = []
    seg_hi: list[float] = []
    gaps: list[tuple[float, float]] = []  # (left end, right end) of the space between two segments of one group
    for members in by_group.values():
        members.sort()
        lo, hi = members[0]
        for a, b in members[1:]:
            if a <= hi:
                hi = max(hi, b)
                continue
            seg_lo.append(lo)
            seg_hi.append(hi)
            gaps.append((hi, a))
            lo, hi = a, b
        seg_lo.append(lo)
        seg_hi.append(hi)
    seg_lo.sort()
    seg_hi.sort()
    n_seg = len(seg_lo)

    queries = sorted({iv for iv in ivs if not (math.isnan(iv[0]) or math.isnan(iv[1]))}, key=lambda q: q[1])
    inside: dict[tuple[float, float], int] = {}
    if gaps:
        gaps.sort(key=lambda g: g[1])
        lefts = sorted(g[0] for g in gaps)
        tree = [0] * (len(lefts) + 1)  # Fenwick tree: how many swept gaps have each left end
        added = 0
        j = 0
        for q in queries:
            while j < len(gaps) and gaps[j][1] <= q[1]:
                k = bisect.bisect_left(lefts, gaps[j][0]) + 1
                while k <= len(lefts):
                    tree[k] += 1
                    k += k & -k
                added += 1
                j += 1
            k = bisect.bisect_left(lefts, q[0])  # swept gaps starting before Q are not inside it
            before = 0
            while k > 0:
                before += tree[k]
                k -= k & -k
            inside[q] = added - before
    counts: dict[tuple[float, float], int] = {}
    for q in queries:
        ending_before = bisect.bisect_left(seg_hi, q[0])
        starting_after = n_seg - bisect.bisect_right(seg_lo, q[1])
        counts[q] = n_seg - ending_before - starting_after - inside.get(q, 0)
    return [counts.get(iv, 0) for iv in ivs]


def choose(claims: Sequence[Evidence], *, claim_tolerance: float = 0.01) -> Choice:
    """Rank one security-metric's evidence by THE RULE and say why the winner won.

    `claim_tolerance` (relative) is how far the best claim may differ from a
    winner that is not a claim before `claim_disagrees` says so.
    """
    intervals = _IntervalCache()
    reports = [c for c in claims if c.is_claim]
    supports = {c.claim_id: s for c, s in zip(reports, _supports(reports, intervals))}
    for c in claims:
        if not c.is_claim:  # itself, and the claims' sources that agree with it
            supports[c.claim_id] = 1 + len({r.source_group for r in reports if _agree(c, r, intervals)})

    def key(c: Evidence) -> tuple:
        canonical = _canonical_unit(c.metric)
        digits = math.floor(math.log10(abs(c.value) / significant_step(c.value))) + 1 if c.value else 0
        return (
            0 if canonical is None or c.unit == canonical else 1,
            _source_rank(c.metric, c.source_kind),
            BASIS_RANK.get(c.basis, len(BASIS_RANK)),
            -supports[c.claim_id],
            0 if c.qualifier is None else 1,
            -digits,
            -(c.reported_at.timestamp() if c.reported_at else 0.0),
            c.claim_id,
        )

    ranked = sorted(claims, key=key)
    best = ranked[0]
    # A figure in another currency is not compared (no guessed exchange rate): it can lose, never disagree.
    same_unit = [c for c in ranked if c.unit == best.unit]
    rival = next((c for c in same_unit[1:] if not _agree(c, best, intervals)), None)
    corroborating = [c for c in claims if c.source_kind != "config"]
    groups = {c.source_group for c in same_unit if c.source_kind != "config"}
    if rival is None:
        if len(groups) > 1:
            rule = f"all {len(groups)} sources agree"
        elif len([c for c in same_unit if c.source_kind != "config"]) < len(corroborating):
            rule = _RULE_NAMES[0]
        elif not reports:
            rule = f"only {_SOURCE_NAMES.get(best.source_kind, best.source_kind)}"
        else:
            rule = "only claim" if len(corroborating) == 1 else "only source"
    else:
        kb, kr = key(best), key(rival)
        i = next(i for i in range(len(kb)) if kb[i] != kr[i])
        rule = _RULE_NAMES[i].format(loser_basis=rival.basis.replace("_", " "), n=supports[best.claim_id],
                                     m=supports[rival.claim_id], loser_qualifier=rival.qualifier)
        if i == 1:
            rule = (f"{_SOURCE_NAMES.get(best.source_kind, best.source_kind)} beats "
                    f"{_SOURCE_NAMES.get(rival.source_kind, rival.source_kind)}")
    claimed = disagrees = None
    if not best.is_claim:
        claimed = next((c for c in ranked if c.is_claim), None)
        if claimed is not None and claimed.value and best.value is not None:
            # An intraday snapshot is another moment, not a different account of the day (THE RULE).
            disagrees = claimed.basis != "intraday" and abs(best.value / claimed.value - 1) > claim_tolerance
    return Choice(best, supports[best.claim_id], len(reports), rule, claimed, disagrees)


_EVIDENCE_SQL = """
    SELECT c.claim_id, c.hkex_code, c.metric, c.value, c.value_text, c.unit, c.qualifier, c.basis,
           c.source_kind, c.source_id, coalesce(c.source_url, a.canonical_url, n.url),
           CASE WHEN c.source_kind = 'announcement' THEN 'HKEXnews:' || c.hkex_code
                WHEN c.source_kind = 'article' THEN coalesce(u.site, a.site, c.source_id)
                ELSE c.source_kind || ':' || c.source_id END,
           c.quote, coalesce(a.published_at, n.published_at, c.extracted_at), c.as_of
    FROM claims c
    LEFT JOIN articles a ON c.source_kind = 'article' AND a.article_id = c.source_id
    -- A syndicated copy's own claims (source_url = the copy's URL) count as the copy's site, as in v_claims.
    LEFT JOIN article_urls u ON c.source_kind = 'article' AND u.url = c.source_url AND u.article_id = c.source_id
    LEFT JOIN announcements n ON c.source_kind = 'announcement' AND n.announcement_id = c.source_id
    WHERE NOT list_contains(?::VARCHAR[], c.metric)
      AND (c.value IS NULL OR isfinite(c.value))  -- NaN or infinity is no figure to believe
    ORDER BY c.claim_id
"""

STATS_SCHEMA = pa.schema([
    ("hkex_code", pa.string()), ("metric", pa.string()), ("value", pa.float64()), ("value_text", pa.string()),
    ("unit", pa.string()), ("qualifier", pa.string()), ("basis", pa.string()), ("source_kind", pa.string()),
    ("source_id", pa.string()), ("source_url", pa.string()), ("quote", pa.string()),
    ("n_sources", pa.int32()), ("n_claims", pa.int32()), ("rule", pa.string()),
    ("computed_at", pa.timestamp("us", tz="UTC")),
    ("claimed_value", pa.float64()), ("claimed_source_kind", pa.string()), ("claim_disagrees", pa.bool_()),
])
CONFLICTS_SCHEMA = pa.schema([
    ("hkex_code", pa.string()), ("metric", pa.string()), ("unit", pa.string()), ("moment", pa.string()),
    ("min_value", pa.float64()), ("max_value", pa.float64()), ("n_claims", pa.int64()), ("n_sources", pa.int64()),
    ("claim_ids", pa.list_(pa.string())), ("computed_at", pa.timestamp("us", tz="UTC")),
])
TOLERANCE_META_KEY = "prices.first_day_tolerance"  # written by the prices job from [prices] first_day_tolerance


def _is_iso_date(text: str | None) -> bool:
    try:
        dt.date.fromisoformat(text or "")
    except ValueError:
        return False
    return True


def load_evidence(con: duckdb.DuckDBPyConnection) -> list[Evidence]:
    """Every claim that can be believed: table rows, non-finite figures and unreadable dates left out."""
    rows = con.execute(_EVIDENCE_SQL, [sorted(TABLE_METRICS)]).fetchall()
    out = [Evidence(*r) for r in rows]
    dates = {m.name for m in metrics.METRICS if m.kind == "date"}
    return [e for e in out if e.metric not in dates or _is_iso_date(e.value_text)]


def _config_evidence(con: duckdb.DuckDBPyConnection) -> list[Evidence]:
    """The watchlist's own offer price and listing date (table `ipos`), for the metrics that take the config."""
    out = []
    if "config" in metrics.get("board_lot").sources:
        for code, lot, updated, origin in con.execute(
                "SELECT hkex_code, board_lot, updated_at, source FROM securities WHERE board_lot IS NOT NULL "
                "ORDER BY hkex_code").fetchall():
            kind = "config" if origin in (None, "config") else origin
            out.append(Evidence(f"{kind}:{code}:board_lot", code, "board_lot", float(lot), None, "shares", None,
                                "final", kind, code, None, f"{kind}:{code}", f"{kind}: board_lot = {lot}", updated))
    for code, listing, price, currency, updated, origin in con.execute(
            "SELECT hkex_code, listing_date, CAST(offer_price AS DOUBLE), currency, updated_at, source FROM ipos "
            "ORDER BY hkex_code").fetchall():
        # Rows market-wide discovery wrote (issue 16) are its expected dates, not the watchlist's: they keep
        # their own source kind (ranked after every registered one) and say where they came from.
        kind = "config" if origin in (None, "config") else origin
        for metric, value, text, unit in (("offer_price", price, None, currency or "HKD"),
                                          ("listing_date", None, listing.isoformat() if listing else None, "date")):
            if (value is None and text is None) or "config" not in metrics.get(metric).sources:
                continue
            if value is not None and not math.isfinite(value):
                continue
            what = ("watchlist config" if kind == "config"
                    else f"{kind}: expected from the allotment results announcement (next trading day)")
            out.append(Evidence(f"{kind}:{code}:{metric}", code, metric, value, text, unit, None, "final", kind,
                                code, None, f"{kind}:{code}", f"{what}: {metric} = {value if text is None else text}",
                                updated))
    return out


def _bar_evidence(con: duckdb.DuckDBPyConnection, listing_dates: dict[str, dt.date]) -> list[Evidence]:
    """The listing-day bar's open, high, low and close, where the bar has all four."""
    if not listing_dates:
        return []
    codes = sorted(listing_dates)
    rows = con.execute("""
        SELECT s.hkex_code, p.symbol, p.trade_date, CAST(p.open AS DOUBLE), CAST(p.high AS DOUBLE),
               CAST(p.low AS DOUBLE), CAST(p.close AS DOUBLE), p.currency, p.fetched_at
        FROM securities s
        JOIN (SELECT unnest(?::VARCHAR[]) AS hkex_code, unnest(?::DATE[]) AS listing_date) l USING (hkex_code)
        JOIN prices_daily p ON p.symbol = s.yahoo_symbol AND p.trade_date = l.listing_date
        WHERE p.open IS NOT NULL AND p.high IS NOT NULL AND p.low IS NOT NULL AND p.close IS NOT NULL
        ORDER BY 1""", [codes, [listing_dates[c] for c in codes]]).fetchall()
    out = []
    for code, symbol, day, o, h, lo, c, currency, fetched in rows:
        bar = {"open": o, "high": h, "low": lo, "close": c}
        quote = f"{symbol} {day.isoformat()}: open {o}, high {h}, low {lo}, close {c}"
        for m in metrics.BAR_METRICS:
            out.append(Evidence(f"prices:{symbol}:{day.isoformat()}:{m.name}", code, m.name, bar[m.bar], None,
                                currency or "HKD", None, "final", "prices", symbol, None, f"prices:{symbol}", quote,
                                fetched, day))
    return out


def _derived(choices: dict[tuple[str, str], Choice]) -> dict[tuple[str, str], Choice]:
    """Shares nobody states, from the believed figures they are a ratio of (the registry's `ratio_of`).

    Only when numerator and denominator are in their own unit, share a basis and the denominator is positive:
    a clawback of final public shares over an offer size after the over-allotment option would be wrong.
    """
    out: dict[tuple[str, str], Choice] = {}
    for code in sorted({c for c, _ in choices}):
        for m in metrics.RATIO_METRICS:
            num_name, den_name = m.ratio_of  # type: ignore[misc]
            num, den = choices.get((code, num_name)), choices.get((code, den_name))
            if (code, m.name) in choices or num is None or den is None:
                continue
            a, b = num.winner, den.winner
            if (a.value is None or b.value is None or not b.value > 0 or a.basis != b.basis
                    or a.unit != metrics.get(num_name).unit or b.unit != metrics.get(den_name).unit):
                continue
            quote = f"{num_name} {a.value:,.10g} / {den_name} {b.value:,.10g}"
            e = Evidence(f"derived:{code}:{m.name}", code, m.name, a.value / b.value, None, m.unit, None, a.basis,
                         "derived", f"{num_name} / {den_name}", None, f"derived:{code}", quote, None)
            out[(code, m.name)] = Choice(e, 0, 0, f"derived: {num_name} / {den_name} (no source states it)")
    return out


def _claim_tolerance(con: duckdb.DuckDBPyConnection) -> float:
    row = con.execute("SELECT max(TRY_CAST(value AS DOUBLE)) FROM warehouse_meta WHERE key = ?",
                      [TOLERANCE_META_KEY]).fetchone()
    return float(row[0]) if row and row[0] is not None else 0.01


def conflicts(claims: Sequence[Evidence]) -> list[tuple[tuple[str, str, str, str], list[Evidence]]]:
    """Groups of comparable claims (security, metric, unit, moment) that do not all agree, sorted by key.

    Intraday snapshots are left out; a metric compared per moment (market
    cap) groups by basis and day, as `v_claim_conflicts` shows them.
    """
    groups: dict[tuple[str, str, str, str], list[Evidence]] = defaultdict(list)
    for c in claims:
        if not c.is_claim or c.basis == "intraday" or c.metric in TABLE_METRICS:
            continue
        m = metrics.BY_NAME.get(c.metric)
        moment = f"{c.basis} {c.as_of.isoformat() if c.as_of else ''}" if m is not None and m.by_moment else ""
        groups[(c.hkex_code, c.metric, c.unit, moment)].append(c)
    return [(k, g) for k, g in sorted(groups.items()) if in_conflict(g)]


def rebuild_ipo_stats(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute ipo_stats and claim_conflicts from claims, bars and config; returns rows inserted, changed or deleted."""
    claims = load_evidence(con)
    groups: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for e in [*claims, *_config_evidence(con)]:
        groups[(e.hkex_code, e.metric)].append(e)
    tolerance = _claim_tolerance(con)
    choices: dict[tuple[str, str], Choice] = {}
    # Terms first: the believed listing date says which bar is the first day's.
    for key in sorted(k for k in groups if k[1] == "listing_date"):
        choices[key] = choose(groups[key], claim_tolerance=tolerance)
    listing_dates = {code: dt.date.fromisoformat(c.winner.value_text) for (code, _), c in choices.items()
                     if _is_iso_date(c.winner.value_text)}
    for e in _bar_evidence(con, listing_dates):
        groups[(e.hkex_code, e.metric)].append(e)
    for key, evidence in groups.items():
        if key not in choices:
            choices[key] = choose(evidence, claim_tolerance=tolerance)
    choices.update(_derived(choices))
    now = dt.datetime.now(dt.timezone.utc)
    out: dict[str, list] = defaultdict(list)
    for (code, metric), choice in sorted(choices.items()):
        w, claimed = choice.winner, choice.claimed
        for col, val in (
            ("hkex_code", code), ("metric", metric), ("value", w.value), ("value_text", w.value_text),
            ("unit", w.unit), ("qualifier", w.qualifier), ("basis", w.basis), ("source_kind", w.source_kind),
            ("source_id", w.source_id), ("source_url", w.source_url), ("quote", w.quote),
            ("n_sources", choice.n_sources), ("n_claims", choice.n_claims), ("rule", choice.rule),
            ("computed_at", now), ("claimed_value", claimed.value if claimed else None),
            ("claimed_source_kind", claimed.source_kind if claimed else None),
            ("claim_disagrees", choice.claim_disagrees),
        ):
            out[col].append(val)
    table = pa.table({f.name: pa.array(out[f.name], type=f.type) for f in STATS_SCHEMA}, schema=STATS_SCHEMA)
    n = sync_scope(con, "ipo_stats", table, ["hkex_code", "metric"], scope_sql="TRUE")

    rows: dict[str, list] = defaultdict(list)
    for (code, metric, unit, moment), group in conflicts(claims):
        values = [c.value for c in group if c.value is not None]
        for col, val in (
            ("hkex_code", code), ("metric", metric), ("unit", unit), ("moment", moment),
            ("min_value", min(values) if values else None), ("max_value", max(values) if values else None),
            ("n_claims", len(group)), ("n_sources", len({c.source_group for c in group})),
            ("claim_ids", sorted(c.claim_id for c in group)), ("computed_at", now),
        ):
            rows[col].append(val)
    table = pa.table({f.name: pa.array(rows[f.name], type=f.type) for f in CONFLICTS_SCHEMA}, schema=CONFLICTS_SCHEMA)
    return n + sync_scope(con, "claim_conflicts", table, ["hkex_code", "metric", "unit", "moment"], scope_sql="TRUE")
