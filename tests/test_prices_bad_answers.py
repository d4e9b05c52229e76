"""Yahoo answers the prices job must trim per security, never letting them fail the run:
a value prices_daily cannot hold (the bar is skipped)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hkipo.config import load_config
from hkipo.jobs import JobContext, run_job
from test_reliability import synth
from warehouse import db

D = dt.date
LAST_DAY = D(2026, 4, 15)


@pytest.fixture
def config(config_file):  # noqa: ANN001, ANN201
    return load_config(config_file)


def cassette(path: Path, edit_minimax: Any = None) -> Path:
    """Both listings answered as in the bundled cassette; `edit_minimax(body)` changes 0100.HK's answer."""
    b = synth._yahoo_builder()
    minimax, zhipu = b.LISTINGS
    body = b.chart_body(minimax, b.series(minimax))
    if edit_minimax is not None:
        edit_minimax(body)
    c = b.Cassette(path)
    c.chart_ok(minimax, body)
    c.chart_ok(zhipu, b.chart_body(zhipu, b.series(zhipu)))
    c.rec.save()
    return path


def good(tmp_path: Path) -> Path:
    return cassette(tmp_path / "good.yaml")


def huge_last_close(body: dict) -> None:
    quote = body["chart"]["result"][0]["indicators"]["quote"][0]
    quote["high"][-1] = quote["close"][-1] = 1e300


def run_prices(config, db_path: Path, path: Path, **kw: Any):  # noqa: ANN001, ANN201
    return run_job("prices", JobContext(config=config, db_path=db_path, cassette=path, **kw))


def stored(db_path: Path, symbol: str) -> list[tuple]:
    with db.reader(db_path) as con:
        return con.execute("SELECT * EXCLUDE (fetched_at) FROM prices_daily WHERE symbol = ? ORDER BY trade_date",
                           [symbol]).fetchall()


# ---------------------------------------------------------------------------
# a value beyond the table's precision
# ---------------------------------------------------------------------------

def test_a_bar_beyond_the_decimal_precision_is_skipped_and_the_next_security_loads(config, tmp_db, tmp_path):
    run = run_prices(config, tmp_db, cassette(tmp_path / "huge.yaml", huge_last_close))
    assert run.status == "ok" and run.errors == []
    assert any(w.startswith("0100.HK: 1 bar(s) with a value out of range") and w.endswith("not stored: 2026-04-15")
               for w in run.warnings), run.warnings
    assert not any("trading day(s) without a bar" in w for w in run.warnings)  # reported once, as out of range
    mm = [r[1] for r in stored(tmp_db, "0100.HK")]
    assert mm[0] == D(2026, 1, 9) and mm[-1] == D(2026, 4, 14) and LAST_DAY not in mm
    assert stored(tmp_db, "2513.HK")[-1][1] == LAST_DAY  # fetched after 0100.HK, still loaded


def test_a_huge_value_in_a_refetch_leaves_the_stored_bar_as_it_was(config, tmp_db, tmp_path):
    assert run_prices(config, tmp_db, good(tmp_path)).status == "ok"
    before = stored(tmp_db, "0100.HK")
    run = run_prices(config, tmp_db, cassette(tmp_path / "huge.yaml", huge_last_close))
    assert run.status == "ok" and run.rows_written == 0
    assert stored(tmp_db, "0100.HK") == before and before[-1][5] == Decimal("847.5000")
