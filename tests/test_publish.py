"""warehouse.publish: the analysts' copy is whole, read-only, replaced only when the data changed,
and a failed publication never fails a job (the next one retries)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import duckdb
import pytest

from helpers import run_hkipo
from warehouse import db, publish


def counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_name <> 'warehouse_meta'").fetchall()]
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchall()[0][0] for n in names}
    finally:
        con.close()


def test_copy_is_whole_read_only_and_replaced_only_after_a_change(tmp_path: Path) -> None:
    live = tmp_path / "wh.duckdb"
    copy = tmp_path / "wh.read.duckdb"
    assert publish.analyst_path(live) == copy and publish.analyst_path(copy) == copy
    with db.writer(live) as con:
        assert publish.publish(con, live) is not None  # a new file: never published
        assert publish.publish(con, live) is None  # nothing changed since
        with db.transaction(con):
            con.execute("INSERT INTO prices_daily (symbol, trade_date, source, fetched_at) "
                        "VALUES ('0100.HK', DATE '2026-01-09', 'test', now())").fetchall()
            publish.mark_changed(con)
        assert not publish.is_current(con, live)
        done = publish.publish(con, live)
        assert done is not None and done.method == "file-copy" and done.path == copy
    assert counts(copy) == counts(live) and counts(copy)["prices_daily"] == 1
    assert not stat.S_IMODE(copy.stat().st_mode) & 0o222, "the copy is read-only"
    # views query the same on the copy
    q = "SELECT count(*) FROM v_price_history"
    a = duckdb.connect(str(copy), read_only=True)
    b = duckdb.connect(str(live), read_only=True)
    try:
        assert a.execute(q).fetchall() == b.execute(q).fetchall()
    finally:
        a.close()
        b.close()


def test_leftovers_are_swept_and_a_stale_log_is_not_replayed(tmp_path: Path) -> None:
    live = tmp_path / "wh.duckdb"
    copy = publish.analyst_path(live)
    dead = tmp_path / f"{copy.name}.publishing-999999999"
    dead.write_bytes(b"half a copy")
    stale_wal = Path(str(copy) + ".wal")
    stale_wal.write_bytes(b"someone wrote to the old copy")
    with db.writer(live) as con:
        publish.publish(con, live, force=True)
    assert not dead.exists() and not stale_wal.exists()
    assert counts(copy) == counts(live)


def test_a_failed_publication_is_retried_by_the_next_writer(tmp_path: Path) -> None:
    live = tmp_path / "wh.duckdb"
    copy = publish.analyst_path(live)
    copy.mkdir()  # something in the way: the rename cannot replace a directory
    with db.writer(live) as con:
        with pytest.raises(publish.PublishError, match="analysts' copy"):
            publish.publish(con, live, force=True)
        assert not publish.is_current(con, live)
        assert not list(tmp_path.glob("*.publishing-*"))
    copy.rmdir()
    with db.writer(live) as con:
        assert publish.publish(con, live) is not None  # due, because the last one failed
    assert counts(copy) == counts(live)


def test_a_job_whose_publication_fails_still_succeeds(tmp_path: Path) -> None:
    live = tmp_path / "wh.duckdb"
    (tmp_path / "wh.read.duckdb").mkdir()
    r = run_hkipo("job", "stats", "--db", str(live), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "cannot write the analysts' copy" in r.stderr and "the next job tries again" in r.stderr
    (tmp_path / "wh.read.duckdb").rmdir()
    r = run_hkipo("job", "stats", "--db", str(live), cwd=tmp_path)
    assert r.returncode == 0 and (tmp_path / "wh.read.duckdb").is_file()
    assert os.access(tmp_path / "wh.read.duckdb", os.R_OK)


def test_status_names_the_copy(tmp_path: Path) -> None:
    import json

    live = tmp_path / "wh.duckdb"
    r = run_hkipo("status", "--db", str(live), "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["analyst_db"] == str(tmp_path / "wh.read.duckdb") and st["analyst_db_info"]["exists"] is False
    assert run_hkipo("job", "stats", "--db", str(live), cwd=tmp_path).returncode == 0
    st = json.loads(run_hkipo("status", "--db", str(live), "--json", cwd=tmp_path).stdout)
    info = st["analyst_db_info"]
    assert info["exists"] and info["current"] and info["published_at"] and info["generation"] >= 1
    text = run_hkipo("status", "--db", str(live), cwd=tmp_path).stdout
    assert f"analysts: {tmp_path / 'wh.read.duckdb'} (read-only copy, published" in text
