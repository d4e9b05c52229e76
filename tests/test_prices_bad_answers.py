"""Yahoo answers the prices job must refuse or trim per security, never letting them fail the run:
a value prices_daily cannot hold (the bar is skipped), a currency other than the stored bars'
(the security is refused, nothing of it stored)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hkipo.core.config import load_config
from hkipo.app.jobs import run_job
from hkipo.core.context import JobContext
from pipelines.prices import StoredState, plan_fetches, stored_state
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


def in_usd(body: dict) -> None:
    body["chart"]["result"][0]["meta"]["currency"] = "USD"


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


# ---------------------------------------------------------------------------
# a currency other than the stored bars'
# ---------------------------------------------------------------------------

def test_a_currency_change_is_refused_and_nothing_of_the_security_is_stored(config, tmp_db, tmp_path):
    assert run_prices(config, tmp_db, good(tmp_path)).status == "ok"
    before = {s: stored(tmp_db, s) for s in ("0100.HK", "2513.HK")}
    with db.writer(tmp_db) as con:  # 2513.HK must still load: make one of its overlap bars need a repair
        con.execute("UPDATE prices_daily SET close = close + 1 WHERE symbol = '2513.HK' AND trade_date = ?",
                    [LAST_DAY])
    run = run_prices(config, tmp_db, cassette(tmp_path / "usd.yaml", in_usd))
    assert run.errors == ["0100.HK: Yahoo reports prices in USD, but the stored bars are in HKD; nothing stored "
                          "(the stored bars would be relabelled)"]
    assert run.status == "partial" and run.rows_written == 1
    assert stored(tmp_db, "0100.HK") == before["0100.HK"]
    assert {r[8] for r in stored(tmp_db, "0100.HK")} == {"HKD"}
    assert stored(tmp_db, "2513.HK") == before["2513.HK"]  # repaired


def test_a_currency_change_is_refused_under_since_too(config, tmp_db, tmp_path):
    run_prices(config, tmp_db, good(tmp_path))
    before = stored(tmp_db, "0100.HK")
    run = run_prices(config, tmp_db, cassette(tmp_path / "usd.yaml", in_usd), since=D(2026, 1, 9))
    assert run.status == "failed" and len(run.errors) == 1 and "stored bars are in HKD" in run.errors[0]
    assert stored(tmp_db, "0100.HK") == before


def test_without_stored_bars_another_currency_is_a_warning_and_stored_as_sent(config, tmp_db, tmp_path):
    run = run_prices(config, tmp_db, cassette(tmp_path / "usd.yaml", in_usd))
    assert run.status == "ok" and run.errors == []
    assert "0100.HK: prices are in USD, not HKD" in run.warnings
    assert {r[8] for r in stored(tmp_db, "0100.HK")} == {"USD"}
    # Once stored in USD, USD is the series' currency: the next run loads it, HKD would be refused.
    assert run_prices(config, tmp_db, cassette(tmp_path / "usd2.yaml", in_usd)).status == "ok"
    back = run_prices(config, tmp_db, good(tmp_path))
    assert back.errors == ["0100.HK: Yahoo reports prices in HKD, but the stored bars are in USD; nothing stored "
                           "(the stored bars would be relabelled)"]


def test_stored_state_gives_the_last_stored_bars_currency_and_plans_carry_it(config, tmp_db, tmp_path):
    run_prices(config, tmp_db, good(tmp_path), codes=("00100",))
    with db.writer(tmp_db) as con:
        con.execute("UPDATE prices_daily SET currency = 'USD' WHERE symbol = '0100.HK' AND trade_date = ?",
                    [LAST_DAY])
    with db.reader(tmp_db) as con:
        state = stored_state(con, ["00100", "02513"])
    assert state["00100"] == StoredState(D(2026, 1, 9), LAST_DAY, "USD")
    assert state["02513"] == StoredState(D(2026, 1, 8), None, None)
    plans = plan_fetches(state, config.watchlist, overlap_days=7)
    assert [(p.symbol, p.stored_currency) for p in plans] == [("0100.HK", "USD"), ("2513.HK", None)]
    assert plan_fetches({"00100": (D(2026, 1, 9), None)}, config.watchlist[:1], overlap_days=7)[0].stored_currency is None



# ---------------------------------------------------------------------------
# an answer that cannot be dated
# ---------------------------------------------------------------------------

def test_an_answer_that_cannot_be_dated_fails_that_security_only() -> None:
    """yfinance merges same-day rows itself today; if an answer ever slips through, bars_table's
    refusal must stay with its security instead of ending the run."""
    import numpy as np
    import pandas as pd

    from pipelines.prices import HK_TZ, Fetched, FetchPlan, _normalise_one
    from hkipo.core.runs import RunRecord

    twice = pd.DatetimeIndex([pd.Timestamp("2026-01-09 09:30", tz=HK_TZ), pd.Timestamp("2026-01-09 16:00", tz=HK_TZ)])
    v = np.array([10.0, 11.0])
    frame = pd.DataFrame({"Open": v, "High": v, "Low": v, "Close": v, "Adj Close": v, "Volume": v}, index=twice)
    plan = FetchPlan("00100", "0100.HK", D(2026, 1, 9), None, D(2026, 1, 9), "back-fill")
    run = RunRecord("prices")
    assert _normalise_one(run, plan, Fetched(frame, "HKD", HK_TZ, 1)) is None
    assert run.errors == ["0100.HK: two bars for one Hong Kong trading date; nothing stored"]
    naive = RunRecord("prices")
    assert _normalise_one(naive, plan, Fetched(frame.tz_localize(None), "HKD", HK_TZ, 1)) is None
    assert naive.errors == ["0100.HK: bar index has no time zone: cannot tell which Hong Kong day a bar "
                            "belongs to; nothing stored"]
