"""Reconciliation: from every claim to the one value per (security, metric) to believe.

The rule, in order (first difference decides):
  1. source kind: an HKEX announcement beats news; news beats the config;
  2. basis: a final figure beats an estimate (e.g. "at close of applications");
  3. agreement: the value stated by more independent sources (sites) wins;
  4. exactness: an exact figure beats one stated as approximate;
  5. recency: the later extraction wins (a stable last tie-break).
The chosen row records which rule decided it, in `ipo_stats.rule`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from warehouse.load import sync_scope

SOURCE_RANK = {"announcement": 0, "article": 1, "prices": 2, "config": 3}
FINAL_BASES = {"final", "full_over_allotment"}
AGREE_TOLERANCE = 0.005  # relative: 1,837.17 and "1837" agree


@dataclass
class _Claim:
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
    site: str | None
    quote: str
    extracted_at: dt.datetime


def _agree(a: _Claim, b: _Claim) -> bool:
    if a.value is None or b.value is None:
        return a.value_text == b.value_text
    if a.value == b.value:
        return True
    return abs(a.value - b.value) <= AGREE_TOLERANCE * max(abs(a.value), abs(b.value))


def choose(claims: list[_Claim]) -> tuple[_Claim, int, str]:
    """Return (winner, independent sources agreeing with it, the rule that decided)."""

    def support(c: _Claim) -> int:
        return len({(o.source_kind, o.site or o.source_id) for o in claims if _agree(o, c)})

    def key(c: _Claim) -> tuple:
        return (
            SOURCE_RANK.get(c.source_kind, 9),
            0 if c.basis in FINAL_BASES else 1,
            -support(c),
            0 if c.qualifier is None else 1,
            -c.extracted_at.timestamp(),
        )

    ranked = sorted(claims, key=key)
    best = ranked[0]
    rule = "only claim"
    if len(ranked) > 1:
        names = ["official source beats news", "final figure beats estimate",
                 "more independent sources agree", "exact beats approximate", "latest extraction"]
        k0, k1 = key(best), key(ranked[1])
        rule = "all sources agree"
        for i, name in enumerate(names):
            if k0[i] != k1[i]:
                rule = name
                break
        if all(_agree(best, c) for c in ranked):
            rule = "all sources agree"
    return best, support(best), rule


def rebuild_ipo_stats(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute ipo_stats from claims; returns rows inserted, changed or deleted."""
    rows = con.execute(
        """
        SELECT c.hkex_code, c.metric, c.value, c.value_text, c.unit, c.qualifier, c.basis,
               c.source_kind, c.source_id, coalesce(c.source_url, a.canonical_url, n.url),
               coalesce(a.site, n.url), c.quote, c.extracted_at
        FROM claims c
        LEFT JOIN articles a ON c.source_kind = 'article' AND a.article_id = c.source_id
        LEFT JOIN announcements n ON c.source_kind = 'announcement' AND n.announcement_id = c.source_id
        ORDER BY c.claim_id
        """
    ).fetchall()
    groups: dict[tuple[str, str], list[_Claim]] = defaultdict(list)
    for r in rows:
        c = _Claim(*r)
        groups[(c.hkex_code, c.metric)].append(c)
    now = dt.datetime.now(dt.timezone.utc)
    out: dict[str, list] = defaultdict(list)
    for (code, metric), claims in sorted(groups.items()):
        best, n_sources, rule = choose(claims)
        for col, val in (
            ("hkex_code", code), ("metric", metric), ("value", best.value), ("value_text", best.value_text),
            ("unit", best.unit), ("qualifier", best.qualifier), ("basis", best.basis),
            ("source_kind", best.source_kind), ("source_id", best.source_id), ("source_url", best.source_url),
            ("quote", best.quote), ("n_sources", n_sources), ("n_claims", len(claims)), ("rule", rule),
            ("computed_at", now),
        ):
            out[col].append(val)
    schema = pa.schema([
        ("hkex_code", pa.string()), ("metric", pa.string()), ("value", pa.float64()), ("value_text", pa.string()),
        ("unit", pa.string()), ("qualifier", pa.string()), ("basis", pa.string()), ("source_kind", pa.string()),
        ("source_id", pa.string()), ("source_url", pa.string()), ("quote", pa.string()),
        ("n_sources", pa.int32()), ("n_claims", pa.int32()), ("rule", pa.string()),
        ("computed_at", pa.timestamp("us", tz="UTC")),
    ])
    table = pa.table({f.name: pa.array(out[f.name], type=f.type) for f in schema}, schema=schema)
    return sync_scope(con, "ipo_stats", table, ["hkex_code", "metric"], scope_sql="TRUE")


def run_stats_job(ctx, run) -> None:  # noqa: ANN001 - JobContext/RunRecord, imported lazily
    """The `stats` job: rebuild the reconciled statistics on their own."""
    ctx.write(run, rebuild_ipo_stats)
