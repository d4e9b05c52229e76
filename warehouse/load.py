"""Set-based loads: an Arrow table in, one MERGE out.

Every loader in the project ends here. A batch is staged as an Arrow table,
de-duplicated on its key (last row wins), and merged in one statement. Rows
whose content did not change are not touched, so loading the same batch twice
changes nothing, not even `fetched_at`, and the returned count is the number
of rows really inserted or changed.

MERGE rather than `INSERT … ON CONFLICT DO UPDATE`: the two give the same
result, and DuckDB's MERGE is several times faster for wide rows (2 KB article
texts); see BENCHMARKS.md.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import duckdb
import pyarrow as pa

from warehouse.db import fetch_one

# Columns that record when we saw a row rather than what it says: never a
# reason to rewrite a row.
BOOKKEEPING_COLUMNS = frozenset({"fetched_at", "updated_at", "extracted_at", "computed_at", "first_seen_at"})

_counter = itertools.count()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    if not rows:
        raise ValueError(f"no such table: {table}")
    return [r[0] for r in rows]


def merge(
    con: duckdb.DuckDBPyConnection,
    table: str,
    data: pa.Table,
    key: Sequence[str],
    *,
    update: bool = True,
    compare_exclude: Sequence[str] = (),
) -> int:
    """Upsert `data` into `table` on `key`; return rows inserted or changed.

    `update=False` keeps existing rows as they are (first write wins), for
    facts that must not move once recorded, such as `article_urls`.
    Columns absent from `data` keep their defaults on insert and are left
    alone on update. Runs inside the caller's transaction, if any.
    """
    if data.num_rows == 0:
        return 0
    cols = list(data.column_names)
    known = table_columns(con, table)
    unknown = [c for c in cols if c not in known]
    if unknown:
        raise ValueError(f"columns not in {table}: {unknown}")
    missing_key = [k for k in key if k not in cols]
    if missing_key:
        raise ValueError(f"batch for {table} lacks key column(s) {missing_key}")

    name = f"_stage_{table}_{next(_counter)}"
    con.register(name, data)
    try:
        keys_sql = ", ".join(_quote(k) for k in key)
        source = name
        dupes = fetch_one(con, f"SELECT count(*) - count(DISTINCT ({keys_sql})) FROM {_quote(name)}")
        if dupes and dupes[0]:
            # Last occurrence of a key wins, as if the rows had been applied in order.
            source = (
                f"(SELECT * EXCLUDE (_ord) FROM (SELECT *, row_number() OVER () AS _ord FROM {_quote(name)}) "
                f"QUALIFY row_number() OVER (PARTITION BY {keys_sql} ORDER BY _ord DESC) = 1)"
            )
        else:
            source = _quote(name)
        on = " AND ".join(f"t.{_quote(k)} = s.{_quote(k)}" for k in key)
        insert_cols = ", ".join(_quote(c) for c in cols)
        insert_vals = ", ".join(f"s.{_quote(c)}" for c in cols)
        sql = f"MERGE INTO {_quote(table)} AS t USING {source} AS s ON ({on}) "
        value_cols = [c for c in cols if c not in key]
        compared = [c for c in value_cols if c not in BOOKKEEPING_COLUMNS and c not in compare_exclude]
        if update and value_cols and compared:
            changed = " OR ".join(f"t.{_quote(c)} IS DISTINCT FROM s.{_quote(c)}" for c in compared)
            sets = ", ".join(f"{_quote(c)} = s.{_quote(c)}" for c in value_cols)
            sql += f"WHEN MATCHED AND ({changed}) THEN UPDATE SET {sets} "
        sql += f"WHEN NOT MATCHED THEN INSERT ({insert_cols}) VALUES ({insert_vals})"
        row = fetch_one(con, sql)
        return int(row[0]) if row else 0
    finally:
        con.unregister(name)


def sync_scope(
    con: duckdb.DuckDBPyConnection,
    table: str,
    data: pa.Table,
    key: Sequence[str],
    *,
    scope_sql: str,
    params: Sequence[object] = (),
) -> int:
    """Make the slice of `table` selected by `scope_sql` equal to `data`.

    Merges `data`, then deletes rows in the scope whose key is not in `data`:
    for sets that are re-derived as a whole (a source's claims, ipo_stats).
    Unchanged rows are untouched, so the count (inserted + changed + deleted)
    is 0 when nothing changed. Call inside a transaction.
    """
    written = merge(con, table, data, key) if data.num_rows else 0
    keys_sql = ", ".join(_quote(k) for k in key)
    if data.num_rows:
        name = f"_keys_{table}_{next(_counter)}"
        con.register(name, data.select(list(key)))
        try:
            row = fetch_one(
                con,
                f"DELETE FROM {_quote(table)} WHERE ({scope_sql}) AND ({keys_sql}) NOT IN "
                f"(SELECT ({keys_sql}) FROM {_quote(name)})",
                list(params),
            )
        finally:
            con.unregister(name)
    else:
        row = fetch_one(con, f"DELETE FROM {_quote(table)} WHERE {scope_sql}", list(params))
    return written + (int(row[0]) if row else 0)
