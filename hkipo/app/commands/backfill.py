"""backfill: every Hong Kong IPO since a date, from HKEXnews, with prices and the benchmark."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from hkipo.app.commands._common import App, common_options
from hkipo.core.errors import UserError

BACKFILL_JOBS = ("hkex", "prices", "news")  # what --only names; 'hkex' is market-wide discovery here


def _only(only: str | None) -> tuple[str, ...]:
    if not only:
        return ("hkex", "prices")
    wanted = tuple(dict.fromkeys(j.strip() for j in only.split(",") if j.strip()))
    unknown = [j for j in wanted if j not in BACKFILL_JOBS]
    if unknown or not wanted:
        raise click.BadParameter(f"unknown part(s) {', '.join(unknown) or '(none)'}; choose from "
                                 f"{', '.join(BACKFILL_JOBS)}", param_hint="--only")
    return wanted


def logs_json() -> bool:
    """Does this process log JSON lines (--log-format json or [logging] format)? Then no bar is drawn."""
    import logging

    from hkipo.core.logs import JsonFormatter

    return any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers)


def summary(app: App, db_path: Path, since: dt.date, until: dt.date) -> dict:
    """What the warehouse holds for listings in the window: found, parsed, refused and failed (with reasons)."""
    from warehouse import db

    with db.reader(db_path, lock_timeout=app.config.database.lock_timeout_seconds) as con:
        found = con.execute("SELECT count(*) FROM listings WHERE allotment_published BETWEEN ? AND ?",
                            [since, until]).fetchall()[0][0]
        docs = con.execute(
            "SELECT d.status, coalesce(d.reason, ''), count(*) FROM listing_documents d JOIN listings l USING (hkex_code) "
            "WHERE d.kind = 'allotment_results' AND l.allotment_published BETWEEN ? AND ? GROUP BY ALL ORDER BY 3 DESC",
            [since, until]).fetchall()
        priced = con.execute(
            "SELECT count(DISTINCT l.hkex_code) FROM listings l JOIN securities s USING (hkex_code) "
            "JOIN prices_daily p ON p.symbol = s.yahoo_symbol WHERE l.allotment_published BETWEEN ? AND ?",
            [since, until]).fetchall()[0][0]
        skipped = con.execute("SELECT reason, count(*) FROM discovery_skipped GROUP BY ALL ORDER BY 2 DESC").fetchall()
    by_status: dict[str, list[tuple[str, int]]] = {}
    for status, reason, n in docs:
        by_status.setdefault(status, []).append((reason, n))
    return {"found": found, "priced": priced, "docs": by_status, "skipped_rows": skipped}


def print_backfill_summary(s: dict) -> None:
    docs = s["docs"]
    count = {k: sum(n for _, n in v) for k, v in docs.items()}
    click.echo(f"\nlistings found: {s['found']}   announcements parsed: {count.get('parsed', 0)}   "
               f"refused: {count.get('refused', 0)}   failed: {count.get('failed', 0)}   "
               f"not read yet: {count.get('pending', 0)}   with prices: {s['priced']}")
    for status in ("refused", "failed"):
        for reason, n in docs.get(status, [])[:8]:
            click.echo(f"  {status} ({n}): {reason[:150]}")
    if s["skipped_rows"]:
        click.echo("search rows skipped (not stored as listings):")
        for reason, n in s["skipped_rows"][:8]:
            click.echo(f"  {n:>5}  {reason[:150]}")


@click.command()
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="First day to search HKEXnews (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last day to search (default: today in Hong Kong).")
@click.option("--only", default=None, metavar="PARTS",
              help="Comma-separated: hkex (discover + parse announcements), prices (every listing and the "
                   "benchmark), news (the watchlist's news). Default: hkex,prices.")
@click.option("--cassette-dir", type=click.Path(file_okay=False), default=None,
              help="Replay DIR/discovery.yaml, DIR/prices.yaml, DIR/news.yaml instead of the network.")
@common_options
def backfill(app: App, since: dt.datetime, until: dt.datetime | None, only: str | None,
             cassette_dir: str | None) -> None:
    """Find every Main Board and GEM IPO since --since on HKEXnews and fill the warehouse.

    \b
    1. hkex:   title search across all stocks for allotment results and formal
               notices (English and Chinese), window by window; each listing
               becomes a security; its allotment results PDF is parsed.
    2. prices: daily bars for every listing, and the benchmark ([discovery]
               benchmark_symbol, ^HSI) for excess returns.
    3. news:   the watchlist's news (only with --only ...,news).

    Resumable: run it again after a kill and it continues; windows searched
    completely and PDFs already parsed are not fetched again, prices resume
    from the last stored bar. Polite: [politeness] applies. Ends with a
    summary: listings found, parsed, refused (why), failed (why).
    Results: v_ipo_cohort (one row per IPO), v_ipo_summary (by period/market).

    \b
    Example:  hkipo backfill --since 2025-01-01
              hkipo backfill --since 2025-01-01 --until 2025-06-30 --only hkex
    """
    from hkipo.app.commands.refresh import print_summary, run_jobs
    from hkipo.core.progress import ENV

    parts = _only(only)
    start = since.date()
    from spiders.listings import hk_today

    end = until.date() if until else hk_today()
    if end < start:
        raise click.BadParameter(f"--until {end} is before --since {start}", param_hint="--until")
    if start > hk_today():
        raise click.BadParameter(f"--since {start} is in the future", param_hint="--since")
    jobs = tuple(j for j in ("discovery", "prices", "news")
                 if {"discovery": "hkex", "prices": "prices", "news": "news"}[j] in parts)
    if cassette_dir:
        missing = [f"{j}.yaml" for j in jobs if not (Path(cassette_dir) / f"{j}.yaml").is_file()]
        if missing:
            raise UserError(f"cassette(s) not found in {cassette_dir}: {', '.join(missing)}")
    if sys.stderr.isatty() and not logs_json():  # a bar on a terminal; never in JSON logs or files
        os.environ[ENV] = "1"
    timeout = app.config.discovery.backfill_timeout_seconds
    results = run_jobs(app, app.db_path, jobs, cassette_dir=cassette_dir,
                       extra_args={"discovery": ("--since", start.isoformat(), "--until", end.isoformat()),
                                   "prices": ("--market",)},
                       timeouts_override={j: timeout for j in jobs})
    print_summary(results)
    if "discovery" in jobs or "prices" in jobs:
        print_backfill_summary(summary(app, app.db_path, start, end))
    if any(r["status"] != "ok" for r in results):
        sys.exit(1)


# The days the bundled discovery cassettes cover (cassettes/build/discovery.py: SINCE, UNTIL).
DEMO_WINDOW = ("2025-03-03", "2025-03-30")


def market_demo(app: App, db_path: Path, cassette_root: Path) -> list[dict]:
    """`hkipo demo`'s market part: replay cassettes/discovery/ as a back-fill and print the market views."""
    from hkipo.app.commands.core import format_table, run_readonly_query
    from hkipo.app.commands.refresh import print_summary, run_jobs

    cdir = cassette_root / "discovery"
    if not ((cdir / "discovery.yaml").is_file() and (cdir / "prices.yaml").is_file()):
        return []
    since, until = DEMO_WINDOW
    results = run_jobs(app, db_path, ("discovery", "prices"), cassette_dir=str(cdir),
                       extra_args={"discovery": ("--since", since, "--until", until), "prices": ("--market",)})
    print_summary(results)
    print_backfill_summary(summary(app, db_path, dt.date.fromisoformat(since), dt.date.fromisoformat(until)))
    for title, query in (
        ("Every IPO (v_ipo_cohort)", "SELECT hkex_code, name_en, market, listing_date, offer_price, "
         "round(proceeds / 1e6, 1) AS proceeds_m, public_multiple, round(first_day_close_return, 4) AS day1, "
         "round(return_d20, 4) AS d20, round(excess_return_d20, 4) AS xs_d20, broke_issue_day1, tracked "
         "FROM v_ipo_cohort ORDER BY listing_date"),
        ("By month and market (v_ipo_summary)", "SELECT period, market, ipos, round(proceeds / 1e6, 1) AS proceeds_m, "
         "round(median_first_day_return, 4) AS median_day1, round(share_broke_issue, 3) AS broke, "
         "median_public_multiple FROM v_ipo_summary WHERE period_kind = 'month' ORDER BY period, market"),
    ):
        cols, rows = run_readonly_query(app, query)
        click.echo(f"\n{title} ({db_path}):")
        click.echo(format_table(cols, rows))
    return results
