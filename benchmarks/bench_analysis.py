"""5. Analysis: the two headline views over 2,000 synthetic IPOs with 5 years of prices each.

The warehouse is filled through the project's loaders: the watchlist (2,000
synthetic listings, 2019–2021) by `pipelines.watchlist.sync_watchlist`, daily
bars (5 years each, ≈2.5 million rows) and one announcement's worth of
claims per IPO (subscription multiples, applications, one-lot success rate,
shares, cornerstones, proceeds) by `warehouse.load.merge`, then `ipo_stats` by
`pipelines.reconcile.rebuild_ipo_stats`. Latency is the time to run the view
and fetch every row on an open read-only connection (the file opened as
`hkipo sql` opens it), and `hkipo sql` end to end. The baseline is a full
scan aggregate of `prices_daily` on the same connection.
"""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa

from benchmarks import synth
from benchmarks.harness import Options, Ratio, Section, time_runs

UTC = dt.timezone.utc
QUERIES = {
    "v_first_day_performance": "SELECT * FROM v_first_day_performance",
    "v_subscription_stats": "SELECT * FROM v_subscription_stats",
}
BASELINE = "SELECT count(*), min(close), max(close), avg(volume) FROM prices_daily"


def _claims(sec: synth.SynthSecurity, rng: random.Random) -> list:
    from hkipo.core.items import Claim

    shares = rng.randint(20, 400) * 1_000_000
    public = shares // 10
    mult = round(rng.uniform(0.5, 3000), 2)
    figures = [
        ("offer_price", sec.offer_price, "HKD"), ("shares_offered", shares, "shares"),
        ("public_offer_shares", public * (5 if mult > 100 else 1), "shares"),
        ("public_subscription_multiple", mult, "times"),
        ("international_subscription_multiple", round(rng.uniform(0.8, 40), 2), "times"),
        ("valid_applications", rng.randint(1_000, 500_000), "count"),
        ("one_lot_success_rate", round(rng.uniform(0.01, 1), 4), "fraction"),
        ("cornerstone_count", rng.randint(0, 20), "count"),
        ("cornerstone_shares", shares * rng.randint(0, 50) // 100, "shares"),
        ("gross_proceeds", round(shares * sec.offer_price, -4), "HKD"),
    ]
    return [Claim(sec.code, m, float(v), u, f"synthetic announcement figure {m}", position=i, page=1)
            for i, (m, v, u) in enumerate(figures)]


def _build(path: Path, n: int, years: int) -> tuple[int, int]:
    from hkipo.core.config import parse_config
    from warehouse.claims import claims_table
    from pipelines.reconcile import rebuild_ipo_stats
    from pipelines.watchlist import sync_watchlist
    from warehouse import db
    from warehouse.load import merge

    for suffix in ("", ".wal", ".lock"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    secs = synth.securities(n, listing_from=dt.date(2019, 1, 2), listing_to=dt.date(2021, 6, 30))
    config = parse_config(synth.config_text(secs), "<synthetic analysis config>")
    rng = random.Random(5)
    fetched = dt.datetime.now(UTC)
    end = dt.date(2026, 11, 20)
    all_days = synth.trading_days(dt.date(2019, 1, 2), end)
    rows = 0
    with db.writer(path) as con:
        with db.transaction(con):
            db.claim_origin(con, "replay", path=str(path))
            sync_watchlist(con, config)
        for start in range(0, n, 200):
            chunk = secs[start:start + 200]
            batch = []
            for i, s in enumerate(chunk):
                first = next(k for k, d in enumerate(all_days) if d >= s.listing_date)
                days = all_days[first:first + years * 247]
                batch.append((s.yahoo_symbol, synth.series(days, start_price=s.offer_price, seed=start + i)))
            table = synth.prices_arrow(batch, fetched_at=fetched)
            rows += table.num_rows
            with db.transaction(con):
                merge(con, "prices_daily", table, ["symbol", "trade_date"])
        claims = pa.concat_tables([
            claims_table(_claims(s, rng), source_kind="announcement", source_id=f"SYN{s.code}-en",
                         source_url=f"https://hkexnews.bench.example/{s.code}.pdf", extractor_version="bench")
            for s in secs])
        with db.transaction(con):
            merge(con, "claims", claims, ["claim_id"])
            rebuild_ipo_stats(con)
        con.execute("CHECKPOINT").fetchall()
    return rows, claims.num_rows


def run(opts: Options) -> Section:
    from warehouse import db

    t0 = time.perf_counter()
    section = Section(key="analysis", title="5. Analysis", command="python -m benchmarks --only analysis",
                      what=(__doc__ or "").split("\n\n", 1)[1].strip())
    n, years = (200, 5) if opts.quick else (2000, 5)
    work = opts.work / "analysis"
    work.mkdir(parents=True, exist_ok=True)
    path = work / "analysis.duckdb"
    tb = time.perf_counter()
    rows, claims = _build(path, n, years)
    build_s = time.perf_counter() - tb
    section.row("IPOs × bars", f"{n:,} × ~{years * 247:,}",
                f"{rows:,} price rows, {claims:,} claims; built through the loaders in {build_s:.0f} s")
    runs = max(5, opts.runs)
    timings = {}
    with db.reader(path) as con:
        def query(sql: str) -> None:
            con.sql(sql).fetchall()

        n_rows = {name: len(con.sql(sql).fetchall()) for name, sql in QUERIES.items()}  # warm-up, and a check
        base = time_runs("full scan aggregate of prices_daily (baseline)", lambda: query(BASELINE), runs)
        for name, sql in QUERIES.items():
            timings[name] = time_runs(f"{name}: all {n_rows[name]:,} rows", lambda sql=sql: query(sql), runs)
    section.timing_row(base)
    for name, t in timings.items():
        section.timing_row(t)
        section.ratios.append(Ratio(f"analysis: {name} latency ÷ full-scan baseline", t.median / base.median))
    for name, sql in QUERIES.items():
        cli = []
        for _ in range(3):
            ts = time.perf_counter()
            res = subprocess.run([sys.executable, "-m", "hkipo", "sql", "--db", str(path), "--format", "csv", sql],
                                 cwd=work, capture_output=True, text=True, timeout=300)
            cli.append(time.perf_counter() - ts)
            if res.returncode != 0:
                raise RuntimeError(f"hkipo sql failed: {res.stderr[-2000:]}")
        cli.sort()
        section.row(f"`hkipo sql --format csv` {name} (wall)", f"{cli[1]:.2f} s",
                    "median of 3; start-up, open, query, CSV output")
    mismatch = [k for k, v in n_rows.items() if v != n]
    if mismatch:
        section.notes.append(f"**Check**: {mismatch} returned a row count other than {n}.")
    section.seconds = time.perf_counter() - t0
    return section
