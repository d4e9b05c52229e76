"""Migrations, set-based idempotent loads and clear errors for bad files."""

import datetime as dt
import subprocess
import sys

import duckdb
import pyarrow as pa
import pytest

from hkipo.core.errors import DatabaseError
from warehouse import db
from warehouse.load import merge, sync_scope

ANALYST_TABLES = {"securities", "ipos", "prices_daily", "articles", "article_mentions", "claims", "ingest_runs"}
ANALYST_VIEWS = {"v_first_day_performance", "v_subscription_stats", "v_claims", "v_claim_conflicts",
                 "v_news_coverage_daily", "v_price_history", "v_ipo_stats"}


def test_fresh_database_gets_every_migration_and_view(tmp_db):
    with db.writer(tmp_db) as con:
        assert db.current_version(con) == db.latest_version()
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        versions = con.execute("select version from schema_version order by version").fetchall()
    assert ANALYST_TABLES <= tables
    assert ANALYST_VIEWS <= tables
    assert [v[0] for v in versions] == sorted(v[0] for v in versions)


def test_migrate_is_idempotent(tmp_db):
    with db.writer(tmp_db) as con:
        assert db.migrate(con) == []
        n = con.execute("select count(*) from schema_version").fetchone()[0]
    with db.writer(tmp_db) as con:
        assert con.execute("select count(*) from schema_version").fetchone()[0] == n


def test_upgrade_applies_only_missing_migrations(tmp_db):
    with db.writer(tmp_db) as con:
        con.execute("DELETE FROM schema_version WHERE version > 0")
        con.execute("INSERT INTO schema_version (version, name) VALUES (0, 'pretend-old')")
    # Pretend the file is at version 0 with tables present: applying 0001 again
    # must fail loudly rather than skip silently.
    with pytest.raises(duckdb.CatalogException):
        with db.writer(tmp_db):
            pass


def test_a_migration_numbered_below_the_newest_applied_is_still_applied(tmp_db, monkeypatch):
    # A file migrated by a build that lacked one migration (branches land in any order) gets it later,
    # although a higher-numbered one is already recorded. The missing one is stood in for by a probe.
    every = db._migration_files()
    gap = every[len(every) // 2][0]
    with db.writer(tmp_db) as con:
        con.execute("DELETE FROM schema_version WHERE version = ?", [gap])
    monkeypatch.setattr(db, "_migration_files", lambda: [
        (v, n, "CREATE TABLE gap_probe (x INTEGER)" if v == gap else sql) for v, n, sql in every])
    with db.writer(tmp_db) as con:
        versions = [r[0] for r in con.execute("select version from schema_version order by version").fetchall()]
        probe = con.execute("select count(*) from information_schema.tables where table_name = 'gap_probe'").fetchone()
    assert versions == [v for v, _, _ in every]
    assert probe == (1,)


def test_refuses_newer_schema(tmp_db):
    with db.writer(tmp_db) as con:
        con.execute("INSERT INTO schema_version (version, name) VALUES (9999, 'from_the_future')")
    with pytest.raises(DatabaseError, match="newer than this hkipo understands"):
        with db.writer(tmp_db):
            pass
    with pytest.raises(DatabaseError, match="newer than this hkipo understands"):
        with db.reader(tmp_db):
            pass


def test_not_a_duckdb_file(tmp_path):
    p = tmp_path / "notes.duckdb"
    p.write_text("this is a text file, not a database\n" * 200)
    with pytest.raises(DatabaseError, match="not a DuckDB database file"):
        with db.writer(p):
            pass
    assert p.read_text().startswith("this is a text file")  # untouched


def test_directory_as_database(tmp_path):
    with pytest.raises(DatabaseError, match="is a directory"):
        with db.writer(tmp_path):
            pass


def _prices(n, offset=0, close=10.0):
    return pa.table({
        "symbol": ["0100.HK"] * n,
        "trade_date": pa.array([dt.date(2026, 1, 9) + dt.timedelta(days=i + offset) for i in range(n)]),
        "open": [close] * n, "high": [close] * n, "low": [close] * n, "close": [close] * n,
        "adj_close": [close] * n, "volume": pa.array([1000] * n, type=pa.int64()),
        "source": ["yahoo"] * n,
        "fetched_at": pa.array([dt.datetime.now(dt.timezone.utc)] * n, type=pa.timestamp("us", tz="UTC")),
    })


def test_merge_twice_changes_nothing(tmp_db):
    with db.writer(tmp_db) as con:
        assert merge(con, "prices_daily", _prices(50), ["symbol", "trade_date"]) == 50
        before = con.execute("select * from prices_daily order by trade_date").fetchall()
        assert merge(con, "prices_daily", _prices(50), ["symbol", "trade_date"]) == 0
        after = con.execute("select * from prices_daily order by trade_date").fetchall()
    assert before == after  # fetched_at included: unchanged rows are not rewritten


def test_merge_overlap_updates_changed_and_inserts_new(tmp_db):
    with db.writer(tmp_db) as con:
        merge(con, "prices_daily", _prices(10), ["symbol", "trade_date"])
        changed = _prices(10, offset=5, close=11.0)  # 5 overlap (changed), 5 new
        assert merge(con, "prices_daily", changed, ["symbol", "trade_date"]) == 10
        assert con.execute("select count(*) from prices_daily").fetchone()[0] == 15
        assert con.execute("select count(*) from prices_daily where close = 11").fetchone()[0] == 10


def test_merge_duplicate_keys_in_batch_last_wins(tmp_db):
    batch = pa.concat_tables([_prices(3, close=1.0), _prices(3, close=2.0)])
    with db.writer(tmp_db) as con:
        assert merge(con, "prices_daily", batch, ["symbol", "trade_date"]) == 3
        assert {r[0] for r in con.execute("select close from prices_daily").fetchall()} == {2}


def test_merge_rejects_unknown_columns(tmp_db):
    with db.writer(tmp_db) as con:
        with pytest.raises(ValueError, match="not in prices_daily"):
            merge(con, "prices_daily", _prices(1).append_column("bogus", pa.array([1])), ["symbol", "trade_date"])


def test_failed_batch_leaves_nothing(tmp_db):
    bad = _prices(5).set_column(2, "open", pa.array(["x"] * 5))  # not a number
    with db.writer(tmp_db) as con:
        with pytest.raises(duckdb.Error):
            with db.transaction(con):
                merge(con, "prices_daily", _prices(5, offset=100), ["symbol", "trade_date"])
                merge(con, "prices_daily", bad, ["symbol", "trade_date"])
        assert con.execute("select count(*) from prices_daily").fetchone()[0] == 0


def test_sync_scope_deletes_what_is_gone_and_counts_nothing_when_same(tmp_db):
    def stats(metrics):
        n = len(metrics)
        return pa.table({
            "hkex_code": ["00100"] * n, "metric": metrics, "value": [1.0] * n, "unit": ["times"] * n,
            "source_kind": ["article"] * n, "n_sources": pa.array([1] * n, pa.int32()),
            "n_claims": pa.array([1] * n, pa.int32()), "rule": ["only claim"] * n,
            "computed_at": pa.array([dt.datetime.now(dt.timezone.utc)] * n, pa.timestamp("us", tz="UTC")),
        })
    with db.writer(tmp_db) as con:
        assert sync_scope(con, "ipo_stats", stats(["a", "b", "c"]), ["hkex_code", "metric"], scope_sql="TRUE") == 3
        assert sync_scope(con, "ipo_stats", stats(["a", "b", "c"]), ["hkex_code", "metric"], scope_sql="TRUE") == 0
        assert sync_scope(con, "ipo_stats", stats(["a", "b"]), ["hkex_code", "metric"], scope_sql="TRUE") == 1
        assert sorted(r[0] for r in con.execute("select metric from ipo_stats").fetchall()) == ["a", "b"]


def test_origin_guard_refuses_to_mix_live_and_replay(tmp_db):
    with db.writer(tmp_db) as con:
        db.claim_origin(con, "replay")
        db.claim_origin(con, "replay")
        with pytest.raises(DatabaseError, match="holds replay data; refusing to add live data"):
            db.claim_origin(con, "live")


def test_writer_waits_for_lock_then_gives_up_clearly(tmp_db):
    with db.writer(tmp_db):
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(tmp_db)!r}); print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        waits = []
        with pytest.raises(DatabaseError, match=r"is locked by process \d+"):
            with db.reader(tmp_db, lock_timeout=0.5, on_wait=waits.append):
                pass
        assert waits and "waiting for process" in waits[0]
    finally:
        holder.kill()
        holder.wait()
