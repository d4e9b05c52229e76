"""A writer process and reader processes on one file: no reader fails."""

import subprocess
import sys
import textwrap
import time

from helpers import run_hkipo

WRITER = textwrap.dedent(
    """
    import datetime as dt, sys, time
    import pyarrow as pa
    from warehouse import db
    from warehouse.load import merge
    path = sys.argv[1]
    for batch in range(40):
        rows = pa.table({
            "symbol": ["0100.HK"] * 50,
            "trade_date": [dt.date(2020, 1, 1) + dt.timedelta(days=batch * 50 + i) for i in range(50)],
            "close": [float(batch)] * 50,
            "source": ["test"] * 50,
            "fetched_at": pa.array([dt.datetime.now(dt.timezone.utc)] * 50, pa.timestamp("us", tz="UTC")),
        })
        with db.writer(path) as con, db.transaction(con):
            merge(con, "prices_daily", rows, ["symbol", "trade_date"])
            time.sleep(0.05)   # hold the lock a while, like a real batch
        time.sleep(0.02)
    print("done")
    """
)


def test_readers_never_fail_while_a_writer_writes(tmp_path):
    db_path = tmp_path / "wh.duckdb"
    assert run_hkipo("migrate", "--db", str(db_path), cwd=tmp_path).returncode == 0
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db_path)], stdout=subprocess.PIPE, text=True)
    readers = []
    try:
        deadline = time.monotonic() + 60
        while writer.poll() is None and time.monotonic() < deadline:
            # Up to four analysts at a time (the machine has two cores).
            while sum(p.poll() is None for p in readers) >= 4:
                time.sleep(0.05)
            readers.append(subprocess.Popen(
                [sys.executable, "-m", "hkipo", "sql", "--live", "--db", str(db_path), "--format", "csv",
                 "select count(*) % 50 from prices_daily"],
                cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
            time.sleep(0.15)
        assert writer.wait(timeout=60) == 0
        results = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in readers]
    finally:
        writer.kill()
        for p in readers:
            p.kill()
    assert len(results) >= 5
    failed = [r for r in results if r[0] != 0]
    assert not failed, failed[:3]
    # Every read saw whole batches only (multiples of 50 rows).
    assert all(r[1].splitlines()[-1] == "0" for r in results)
