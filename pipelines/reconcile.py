"""Reconciliation: from every claim to the one value per (security, metric) to believe.

THE RULE — the one place it is written down (views and README refer here).

For each security and metric, claims are ranked; the first key that tells
two claims apart decides:

  1. unit: a figure in the metric's own unit (HKD for money) beats one in
     another currency — nothing is converted at a guessed rate;
  2. source: an HKEX announcement beats news; news beats price data and the
     config;
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
*disagrees* with the winner; when every claim agrees it says so.

AGREEMENT — two claims agree when they have the same unit and their ranges
overlap. A figure's range is its value ± the larger of 1% (2% when stated as
approximate) and one unit in the last digit it was stated with, so "42%"
agrees with 42.67%, "37x" with 36.76x and "HK$4.3bn" with HK$4,348.1m, while
HK$131.50 and HK$125.70 disagree. "Over X" is open above, "under X" (nearly,
不足) open below. `v_claim_conflicts` lists every metric whose claims do not
all agree (warehouse/views/41_v_claim_conflicts.sql computes the same
ranges in SQL; tests check the two give the same answer). Intraday snapshots
never conflict with final figures (they are different moments), and market
caps are only compared at the same moment (open, intraday, close).

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


@dataclass(frozen=True)
class Choice:
    winner: Evidence
    n_sources: int  # independent sources agreeing with the winner
    n_claims: int
    rule: str


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
    if len({c.value_text for c in claims if c.value is None}) > 1:
        return True
    if len(numeric) < 2:
        return False
    ranges = [interval(c.value, c.qualifier) for c in numeric]
    return max(lo for lo, _ in ranges) > min(hi for _, hi in ranges)


def _canonical_unit(metric: str) -> str | None:
    return "HKD" if metric in MONEY_METRICS else None


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


def choose(claims: Sequence[Evidence]) -> Choice:
    """Rank one security-metric's claims by THE RULE and say why the winner won."""
    intervals = _IntervalCache()
    supports = {c.claim_id: s for c, s in zip(claims, _supports(claims, intervals))}

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
    groups = {c.source_group for c in same_unit}
    if rival is None:
        if len(groups) > 1:
            rule = f"all {len(groups)} sources agree"
        elif len(same_unit) < len(claims):
            rule = _RULE_NAMES[0]
        else:
            rule = "only claim" if len(claims) == 1 else "only source"
    else:
        kb, kr = key(best), key(rival)
        i = next(i for i in range(len(kb)) if kb[i] != kr[i])
        rule = _RULE_NAMES[i].format(loser_basis=rival.basis.replace("_", " "), n=supports[best.claim_id],
                                     m=supports[rival.claim_id], loser_qualifier=rival.qualifier)
        if i == 1 and rival.source_kind != "article":
            rule = f"{best.source_kind} beats {rival.source_kind}"
    return Choice(best, supports[best.claim_id], len(claims), rule)


_EVIDENCE_SQL = """
    SELECT c.claim_id, c.hkex_code, c.metric, c.value, c.value_text, c.unit, c.qualifier, c.basis,
           c.source_kind, c.source_id, coalesce(c.source_url, a.canonical_url, n.url),
           CASE WHEN c.source_kind = 'announcement' THEN 'HKEXnews:' || c.hkex_code
                WHEN c.source_kind = 'article' THEN coalesce(a.site, c.source_id)
                ELSE c.source_kind || ':' || c.source_id END,
           c.quote, coalesce(a.published_at, n.published_at, c.extracted_at)
    FROM claims c
    LEFT JOIN articles a ON c.source_kind = 'article' AND a.article_id = c.source_id
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
])


def load_evidence(con: duckdb.DuckDBPyConnection) -> list[Evidence]:
    rows = con.execute(_EVIDENCE_SQL, [sorted(TABLE_METRICS)]).fetchall()
    return [Evidence(*r) for r in rows]


def rebuild_ipo_stats(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute ipo_stats from claims; returns rows inserted, changed or deleted."""
    groups: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for e in load_evidence(con):
        groups[(e.hkex_code, e.metric)].append(e)
    now = dt.datetime.now(dt.timezone.utc)
    out: dict[str, list] = defaultdict(list)
    for (code, metric), claims in sorted(groups.items()):
        choice = choose(claims)
        w = choice.winner
        for col, val in (
            ("hkex_code", code), ("metric", metric), ("value", w.value), ("value_text", w.value_text),
            ("unit", w.unit), ("qualifier", w.qualifier), ("basis", w.basis), ("source_kind", w.source_kind),
            ("source_id", w.source_id), ("source_url", w.source_url), ("quote", w.quote),
            ("n_sources", choice.n_sources), ("n_claims", choice.n_claims), ("rule", choice.rule),
            ("computed_at", now),
        ):
            out[col].append(val)
    table = pa.table({f.name: pa.array(out[f.name], type=f.type) for f in STATS_SCHEMA}, schema=STATS_SCHEMA)
    return sync_scope(con, "ipo_stats", table, ["hkex_code", "metric"], scope_sql="TRUE")

