"""Claims in the warehouse: the Arrow shape of the `claims` table and the per-source writer.

A claim is one figure one source states about one security, with its quote
(`hkipo.core.items.Claim`).

Claims are never merged or overwritten by other sources; reconciliation
(pipelines/reconcile.py) decides which to believe. Re-extracting a source
replaces that source's claims as a set (`write_claims`), so a re-crawl or
a better extractor never leaves stale figures behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pyarrow as pa

from hkipo.core.items import Claim
from warehouse.load import sync_scope

CLAIM_SCHEMA = pa.schema([
    ("claim_id", pa.string()), ("hkex_code", pa.string()), ("metric", pa.string()), ("value", pa.float64()),
    ("value_text", pa.string()), ("unit", pa.string()), ("qualifier", pa.string()), ("basis", pa.string()),
    ("as_of", pa.date32()), ("source_kind", pa.string()), ("source_id", pa.string()), ("source_url", pa.string()),
    ("quote", pa.string()), ("position", pa.int32()), ("page", pa.int32()), ("extractor_version", pa.string()),
    ("extracted_at", pa.timestamp("us", tz="UTC")), ("broker", pa.string()),
])


def claims_table(claims: Sequence[Claim], *, source_kind: str, source_id: str, source_url: str | None,
                 extractor_version: str) -> pa.Table:
    now = dt.datetime.now(dt.timezone.utc)
    rows = {name: [] for name in CLAIM_SCHEMA.names}
    for c in claims:
        for name, val in (
            ("claim_id", c.claim_id(source_kind, source_id)), ("hkex_code", c.hkex_code), ("metric", c.metric),
            ("value", c.value), ("value_text", c.value_text), ("unit", c.unit), ("qualifier", c.qualifier),
            ("basis", c.basis), ("as_of", c.as_of), ("source_kind", source_kind), ("source_id", source_id),
            ("source_url", source_url), ("quote", c.quote), ("position", c.position), ("page", c.page),
            ("extractor_version", extractor_version), ("extracted_at", now), ("broker", c.broker),
        ):
            rows[name].append(val)
    return pa.table({f.name: pa.array(rows[f.name], type=f.type) for f in CLAIM_SCHEMA}, schema=CLAIM_SCHEMA)


def write_claims(con: duckdb.DuckDBPyConnection, claims: Sequence[Claim], *, source_kind: str, source_id: str,
                 source_url: str | None, extractor_version: str) -> int:
    """Make the stored claims of this one source exactly `claims`; returns rows changed."""
    table = claims_table(claims, source_kind=source_kind, source_id=source_id, source_url=source_url,
                         extractor_version=extractor_version)
    return sync_scope(con, "claims", table, ["claim_id"], scope_sql="source_kind = ? AND source_id = ?",
                      params=[source_kind, source_id])
