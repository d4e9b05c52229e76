"""`hkipo export`: every table and v_ view as Parquet (zstd) or CSV, from the analysts' copy,
readable by pandas and polars, described by schema.json, each file complete or absent."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from helpers import REPO, run_hkipo

PRICES = REPO / "cassettes" / "prices.yaml"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("export")
    db_path = tmp / "wh.duckdb"
    r = run_hkipo("job", "prices", "--cassette", str(PRICES), "--db", str(db_path), cwd=tmp)
    assert r.returncode == 0, r.stderr
    return db_path


def _objects(db_path: Path) -> dict[str, int]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND (table_type = 'BASE TABLE' OR table_name LIKE 'v\\_%' ESCAPE '\\')").fetchall()]
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchall()[0][0] for n in names}
    finally:
        con.close()


def test_parquet_export_opens_in_pandas_and_polars(warehouse: Path, tmp_path: Path) -> None:
    polars = pytest.importorskip("polars")
    out = tmp_path / "out"
    r = run_hkipo("export", "--format", "parquet", str(out), "--db", str(warehouse), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    expected = _objects(warehouse)
    assert expected["prices_daily"] > 0 and any(n.startswith("v_") for n in expected)
    files = {p.stem: p for p in out.glob("*.parquet")}
    assert set(files) == set(expected)
    for name, rows in expected.items():
        assert len(pd.read_parquet(files[name])) == rows, name
        assert polars.read_parquet(files[name]).height == rows, name
        meta = pq.ParquetFile(files[name]).metadata
        if meta.num_row_groups:
            assert meta.row_group(0).column(0).compression == "ZSTD", name
    # the same values as the warehouse, not just the same row count
    df = polars.read_parquet(files["v_first_day_performance"]).sort("hkex_code")
    con = duckdb.connect(str(warehouse), read_only=True)
    want = con.execute("SELECT hkex_code, close_return FROM v_first_day_performance ORDER BY 1").fetchall()
    con.close()
    assert [(a, b) for a, b in zip(df["hkex_code"], df["close_return"])] == want
    schema = json.loads((out / "schema.json").read_text(encoding="utf-8"))
    by_name = {t["name"]: t for t in schema["tables"]}
    assert set(by_name) == set(expected)
    prices = by_name["prices_daily"]
    assert prices["rows"] == expected["prices_daily"] and prices["kind"] == "table"
    cols = {c["name"]: c for c in prices["columns"]}
    assert cols["trade_date"]["type"] == "DATE" and "trading date" in cols["trade_date"]["description"]
    assert "Hong Kong trading date" in prices["description"]
    assert by_name["v_first_day_performance"]["kind"] == "view"
    assert by_name["v_first_day_performance"]["description"].startswith("v_first_day_performance")
    assert not [p for p in out.iterdir() if ".tmp-" in p.name]


def test_csv_export_of_chosen_tables(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    r = run_hkipo("export", "--format", "csv", str(out), "--tables", "securities,v_first_day_performance",
                  "--db", str(warehouse), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["schema.json", "securities.csv", "v_first_day_performance.csv"]
    sec = pd.read_csv(out / "securities.csv", dtype={"hkex_code": str})
    assert sorted(sec["hkex_code"]) == ["00100", "02513"]
    # a second export replaces the files in place
    again = run_hkipo("export", "--format", "csv", str(out), "--tables", "securities", "--db", str(warehouse),
                      cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(pd.read_csv(out / "securities.csv")) == 2


def test_bad_export_input_is_exit_2(warehouse: Path, tmp_path: Path) -> None:
    r = run_hkipo("export", str(tmp_path / "o"), "--tables", "no_such_table", "--db", str(warehouse), cwd=tmp_path)
    assert r.returncode == 2 and "no_such_table" in r.stderr and "Traceback" not in r.stderr
    missing = tmp_path / "typo" / "x.duckdb"
    r = run_hkipo("export", str(tmp_path / "o"), "--db", str(missing), cwd=tmp_path)
    assert r.returncode == 2 and str(missing) in r.stderr and not missing.parent.exists()
    afile = tmp_path / "afile"
    afile.write_text("x")
    r = run_hkipo("export", str(afile), "--db", str(warehouse), cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_export_reads_the_copy_and_never_waits_for_a_writer(warehouse: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys; c = duckdb.connect({str(warehouse)!r}); print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        r = run_hkipo("export", str(tmp_path / "o"), "--tables", "prices_daily", "--db", str(warehouse),
                      cwd=tmp_path, timeout=30)
        assert r.returncode == 0, r.stderr
        assert "waiting" not in r.stderr
    finally:
        holder.kill()
        holder.wait()
