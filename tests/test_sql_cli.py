"""`hkipo sql`: reads the analysts' copy (or --live), read-only, three formats, clear errors,
never creates a file, waits for writers only with --live."""

import csv
import io
import json
import subprocess
import sys

import pytest

from helpers import run_hkipo


@pytest.fixture
def db(tmp_path):
    p = tmp_path / "wh.duckdb"
    r = run_hkipo("job", "stats", "--db", str(p), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return p


def test_views_query_on_a_migrated_db(tmp_path):
    fresh = tmp_path / "fresh.duckdb"
    m = run_hkipo("migrate", "--db", str(fresh), cwd=tmp_path)
    assert m.returncode == 0, m.stderr
    assert (tmp_path / "fresh.read.duckdb").exists(), "migrate publishes the analysts' copy"
    for extra in ([], ["--live"]):
        r = run_hkipo("sql", "select * from v_first_day_performance", "--db", str(fresh), *extra, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert "hkex_code" in r.stdout and "(0 rows)" in r.stdout


def test_a_missing_db_is_exit_2_and_nothing_is_created(tmp_path):
    typo = tmp_path / "typo" / "x.duckdb"
    for extra in ([], ["--live"]):
        r = run_hkipo("sql", "select 1", "--db", str(typo), *extra, cwd=tmp_path)
        assert r.returncode == 2, r.stdout + r.stderr
        assert str(typo) in r.stderr and "no such file" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "typo").exists()


def test_reads_the_analysts_copy_by_default(db, tmp_path):
    copy = tmp_path / "wh.read.duckdb"
    assert copy.exists(), "the job published the copy"
    # A row only the live file has: the copy is what a default query answers from.
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("insert into warehouse_meta (key, value) values ('only_live', 'yes')")
    con.close()
    q = "select count(*) from warehouse_meta where key = 'only_live'"
    assert run_hkipo("sql", q, "--db", str(db), "--format", "csv", cwd=tmp_path).stdout.splitlines()[-1] == "0"
    assert run_hkipo("sql", q, "--db", str(db), "--live", "--format", "csv",
                     cwd=tmp_path).stdout.splitlines()[-1] == "1"
    # The copy itself can be named, and is read-only too.
    r = run_hkipo("sql", "delete from securities", "--db", str(copy), cwd=tmp_path)
    assert r.returncode == 2 and "read-only" in r.stderr


def test_without_a_copy_it_reads_the_live_file_and_says_so(db, tmp_path):
    (tmp_path / "wh.read.duckdb").unlink()
    r = run_hkipo("sql", "select count(*) from securities", "--db", str(db), "--format", "csv", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.splitlines()[-1] == "2"
    assert "no analysts' copy yet" in r.stderr


def test_formats(db, tmp_path):
    q = "select hkex_code, yahoo_symbol, board_lot from securities order by 1"
    t = run_hkipo("sql", q, "--db", str(db), cwd=tmp_path)
    assert t.returncode == 0 and "00100" in t.stdout and "(2 rows)" in t.stdout
    c = run_hkipo("sql", q, "--db", str(db), "--format", "csv", cwd=tmp_path)
    rows = list(csv.reader(io.StringIO(c.stdout)))
    assert rows == [["hkex_code", "yahoo_symbol", "board_lot"], ["00100", "0100.HK", "20"], ["02513", "2513.HK", "100"]]
    j = run_hkipo("sql", q, "--db", str(db), "--format", "json", cwd=tmp_path)
    assert json.loads(j.stdout)[1] == {"hkex_code": "02513", "yahoo_symbol": "2513.HK", "board_lot": 100}


def test_query_from_stdin(db, tmp_path):
    r = run_hkipo("sql", "--db", str(db), "--format", "csv", input="select 41 + 1 as answer", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.splitlines() == ["answer", "42"]


@pytest.mark.parametrize("q", [
    "insert into warehouse_meta values ('k', 'v', now())",
    "delete from securities",
    "drop table claims",
    "copy securities to 'out.csv'",
    "attach 'other.duckdb' as o",
])
def test_cannot_modify(db, tmp_path, q):
    before = run_hkipo("sql", "select count(*) from securities", "--db", str(db), "--format", "csv", cwd=tmp_path)
    r = run_hkipo("sql", q, "--db", str(db), cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "read-only" in r.stderr and "Traceback" not in r.stderr
    after = run_hkipo("sql", "select count(*) from securities", "--db", str(db), "--format", "csv", cwd=tmp_path)
    assert before.stdout == after.stdout
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "other.duckdb").exists()


def test_bad_sql_is_exit_2_with_message(db, tmp_path):
    r = run_hkipo("sql", "selec 1", "--db", str(db), cwd=tmp_path)
    assert r.returncode == 2 and "SQL error" in r.stderr and "Traceback" not in r.stderr
    r = run_hkipo("sql", "select * from no_such_table", "--db", str(db), cwd=tmp_path)
    assert r.returncode == 2 and "no_such_table" in r.stderr


def test_bad_db_paths(tmp_path):
    notdb = tmp_path / "x.duckdb"
    notdb.write_bytes(b"\x00garbage" * 1000)
    r = run_hkipo("sql", "select 1", "--db", str(notdb), cwd=tmp_path)
    assert r.returncode == 2 and "not a DuckDB database file" in r.stderr and "Traceback" not in r.stderr
    r = run_hkipo("sql", "select 1", "--db", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 2 and "directory" in r.stderr


def test_default_reader_does_not_wait_for_a_writer(db, tmp_path):
    """A session holding the live file does not delay a query on the analysts' copy."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys; c = duckdb.connect({str(db)!r}); print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        r = run_hkipo("sql", "select count(*) from securities", "--db", str(db), "--format", "csv", "--wait", "0",
                      cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines()[-1] == "2" and "waiting" not in r.stderr
    finally:
        holder.kill()
        holder.wait()


def test_live_reader_waits_for_writer_and_says_so(db, tmp_path):
    # The holder keeps the file locked until we tell it (close its stdin), so
    # the test does not depend on how fast this machine starts processes.
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys; c = duckdb.connect({str(db)!r}); print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    reader = None
    try:
        assert holder.stdout.readline().strip() == "held"
        reader = subprocess.Popen(
            [sys.executable, "-m", "hkipo", "sql", "select count(*) from securities", "--db", str(db),
             "--live", "--format", "csv"],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = reader.stderr.readline()
        assert "waiting for process" in first, first
        holder.stdin.close()
        out, err = reader.communicate(timeout=60)
        assert reader.returncode == 0, err
        assert out.splitlines()[-1] == "2"
    finally:
        holder.kill()
        holder.wait()
        if reader and reader.poll() is None:
            reader.kill()
