"""refresh, demo, job and record: running jobs, live or from cassettes."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from hkipo.app.commands._common import App, common_options
from hkipo.core.errors import UserError

DEMO_DB = "data/demo.duckdb"


def _parse_only(only: str | None) -> tuple[str, ...]:
    from hkipo.app.jobs import JOBS, REFRESH_ORDER

    if not only:
        return REFRESH_ORDER
    wanted = tuple(j.strip() for j in only.split(",") if j.strip())
    unknown = [j for j in wanted if j not in JOBS]
    if unknown:
        raise click.BadParameter(f"unknown job(s) {', '.join(unknown)}; choose from {', '.join(JOBS)}",
                                 param_hint="--only")
    return wanted


def bundled_cassette_dir() -> Path:
    """./cassettes, else the cassettes/ folder of the source checkout hkipo runs from."""
    here = Path.cwd() / "cassettes"
    if here.is_dir():
        return here
    import hkipo

    repo = Path(hkipo.__file__).resolve().parent.parent / "cassettes"
    return repo


def _cassette_for(job: str, cassette: str | None, cassette_dir: str | None, n_jobs: int) -> Path | None:
    if cassette:
        if n_jobs != 1:
            raise click.UsageError("--cassette replays one job; use --only JOB, or --cassette-dir for several")
        p = Path(cassette)
    elif cassette_dir:
        p = Path(cassette_dir) / f"{job}.yaml"
    else:
        return None
    if not p.is_file():
        raise UserError(f"cassette not found: {p}")
    return p


def run_jobs(
    app: App,
    db_path: Path,
    jobs: tuple[str, ...],
    *,
    cassette: str | None = None,
    cassette_dir: str | None = None,
    since: dt.date | None = None,
    codes: tuple[str, ...] = (),
    extra_args: dict[str, tuple[str, ...]] | None = None,
    timeouts_override: dict[str, float] | None = None,
) -> list[dict]:
    """Launch each job in its own process, one after another; return their run records.

    `extra_args` adds command-line options for a job's child (e.g. discovery's --until);
    `timeouts_override` replaces a job's [schedule] time-out (a back-fill runs longer).
    """
    from scheduler.launcher import launch
    from warehouse import db

    timeouts = app.config.schedule
    plan = [(job, _cassette_for(job, cassette, cassette_dir, len(jobs))) for job in jobs]
    results = []
    for job, cas in plan:
        click.echo(f"hkipo: {job}: {'replaying ' + str(cas) if cas else 'fetching live'} ...", err=True)
        res = launch(
            job,
            config_path=app.config_path,
            db_path=db_path,
            timeout=(timeouts_override or {}).get(job, getattr(timeouts, f"{job}_timeout_seconds", 600)),
            cassette=cas,
            since=since,
            codes=codes,
            lock_timeout=app.config.database.lock_timeout_seconds,
            extra_args=(extra_args or {}).get(job, ()),
        )
        if res.returncode in (2, 3) and not res.timed_out:
            # The child already printed the user error; don't run on into the same mistake.
            sys.exit(res.returncode)
        results.append(res)
    with db.reader(db_path, lock_timeout=app.config.database.lock_timeout_seconds) as con:
        rows = con.execute(
            "SELECT job, status, rows_written, error, warnings FROM ingest_runs "
            "WHERE run_id IN (SELECT unnest(?::VARCHAR[]))",
            [[r.run_id for r in results]],
        ).fetchall()
    by_job = {r[0]: r for r in rows}
    out = []
    for res in results:
        row = by_job.get(res.job)
        out.append({
            "job": res.job,
            "status": row[1] if row else ("failed" if not res.ok else "unknown"),
            "rows": row[2] if row else 0,
            "error": (row[3] if row else None) or (f"exit code {res.returncode}" if not res.ok else None),
            "warnings": list(row[4] or []) if row else [],
            "seconds": res.seconds,
        })
    return out


def print_summary(results: list[dict]) -> None:
    for r in results:
        line = f"{r['job']:<7} {r['status']:<8} {r['rows']:>7} rows  {r['seconds']:6.1f}s"
        if r["error"]:
            line += f"  {r['error'].splitlines()[0][:160]}"
        click.echo(line)
        for w in r["warnings"][:5]:
            click.echo(f"        warning: {w[:160]}")


@click.command()
@click.option("--only", default=None, metavar="JOBS", help="Comma-separated jobs: prices,hkex,news (default: all).")
@click.option("--cassette", type=click.Path(dir_okay=False), default=None,
              help="Replay this vcrpy cassette instead of the network (one job).")
@click.option("--cassette-dir", type=click.Path(file_okay=False), default=None,
              help="Replay DIR/<job>.yaml for each job instead of the network.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Prices: re-fetch from this date (YYYY-MM-DD).")
@click.option("--code", "codes", multiple=True, help="Only this watchlist code (repeatable).")
@common_options
def refresh(app: App, only: str | None, cassette: str | None, cassette_dir: str | None,
            since: dt.datetime | None, codes: tuple[str, ...]) -> None:
    """Fetch prices, HKEX announcements and news for the watchlist; rebuild statistics.

    Live by default: needs HTTPS access to query1/query2.finance.yahoo.com,
    www1.hkexnews.hk and the configured news feeds. With --cassette or
    --cassette-dir it replays recorded HTTP instead (the warehouse is then
    marked as replay data and refuses live data, and vice versa).
    """
    from hkipo.app.jobs import looks_offline

    jobs = _parse_only(only)
    for c in codes:
        app.config.security(c)
    if not (cassette or cassette_dir):
        _fail_fast_if_offline(app, jobs)
    results = run_jobs(app, app.db_path, jobs, cassette=cassette, cassette_dir=cassette_dir,
                       since=since.date() if since else None, codes=codes)
    print_summary(results)
    failed = [r for r in results if r["status"] not in ("ok",)]
    if failed and not (cassette or cassette_dir) and all(looks_offline(r["error"]) for r in failed):
        _offline_hint()
    if failed:
        sys.exit(1)


def _offline_hint() -> None:
    click.echo(
        "\nhkipo: the live sources could not be reached from this machine (see the errors above).\n"
        "Nothing was mixed into the warehouse. To see hkipo work offline, run the demo, which\n"
        "replays the bundled cassettes into a separate database:\n\n"
        "    hkipo demo        (or ./dev demo from a fresh checkout)\n",
        err=True,
    )


def _fail_fast_if_offline(app: App, jobs: tuple[str, ...]) -> None:
    """No host of any job resolves: say so now (seconds), run nothing, exit 1."""
    import time

    from hkipo.app.preflight import job_hosts, unresolvable

    t0 = time.monotonic()
    by_job = {job: job_hosts(app.config, job) for job in jobs}
    hosts = sorted({h for hs in by_job.values() for h in hs})
    if not hosts or any(not hs for hs in by_job.values()):  # a job that needs no network can still run
        return
    reasons = unresolvable(hosts)
    if reasons is None:
        return
    took = time.monotonic() - t0
    for job, hs in by_job.items():
        first = hs[0]
        more = f" (and {len(hs) - 1} more host(s))" if len(hs) > 1 else ""
        click.echo(f"{job:<7} {'skipped':<8} {0:>7} rows  {took:6.1f}s  {first} unreachable: "
                   f"{reasons.get(first, '?')[:120]}{more}")
    click.echo(f"\nhkipo: none of the {len(hosts)} source host(s) resolves (DNS lookup failed for every one): "
               "no network on this machine, or DNS is blocked. No job was started.", err=True)
    _offline_hint()
    sys.exit(1)


@click.command()
@click.option("--cassette-dir", type=click.Path(file_okay=False), default=None,
              help="Cassettes to replay (default: the bundled cassettes/).")
@click.option("--report-dir", type=click.Path(file_okay=False), default="reports/demo", show_default=True,
              help="Where to write the HTML report.")
@common_options
def demo(app: App, cassette_dir: str | None, report_dir: str) -> None:
    """Replay the bundled cassettes into a separate demo DB, print the statistics, write the report.

    Uses data/demo.duckdb unless --db is given; never $HKIPO_DB or the
    configured warehouse, so replayed data cannot mix with live data.
    """
    from hkipo.app.commands.core import format_table, run_readonly_query

    db_path = Path(app.db_override or DEMO_DB)
    demo_app = App(config=app.config, config_path=app.config_path, db_path=db_path, db_override=str(db_path))
    cdir = Path(cassette_dir) if cassette_dir else bundled_cassette_dir()
    if not cdir.is_dir():
        raise UserError(f"cassette folder not found: {cdir} (run from the hkipo checkout, or pass --cassette-dir)")
    from hkipo.app.jobs import REFRESH_ORDER

    jobs = tuple(j for j in REFRESH_ORDER if (cdir / f"{j}.yaml").is_file())
    if not jobs:
        raise UserError(f"no cassettes (prices.yaml, hkex.yaml, news.yaml) in {cdir}")
    results = run_jobs(demo_app, db_path, jobs, cassette_dir=str(cdir))
    print_summary(results)
    for title, query in (
        ("First-day performance", "SELECT hkex_code, name_en, listing_date, offer_price, first_day_open, "
         "first_day_close, round(open_return, 4) AS open_return, round(close_return, 4) AS close_return, "
         "figures_source FROM v_first_day_performance ORDER BY hkex_code"),
        ("Subscription statistics", "SELECT hkex_code, public_multiple, international_multiple, "
         "international_ex_cornerstone_multiple, valid_applications, one_lot_success_rate, "
         "round(cornerstone_share_of_offer, 4) AS cornerstone_share, gross_proceeds "
         "FROM v_subscription_stats ORDER BY hkex_code"),
    ):
        cols, rows = run_readonly_query(demo_app, query)
        click.echo(f"\n{title} ({db_path}):")
        click.echo(format_table(cols, rows))
    from hkipo.app.commands.backfill import market_demo

    results += market_demo(demo_app, db_path, cdir)  # every IPO: cassettes/discovery/, if bundled
    try:
        from hkipo.app.commands.report import write_report
    except ImportError:
        return
    out = write_report(demo_app, Path(report_dir))
    click.echo(f"\nreport: {out}")
    if any(r["status"] != "ok" for r in results):
        sys.exit(1)


@click.command()
@click.argument("name")
@click.option("--cassette", type=click.Path(dir_okay=False), default=None, help="Replay this cassette.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Prices: re-fetch from DATE.")
@click.option("--code", "codes", multiple=True, help="Only this watchlist code (repeatable).")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Discovery: last day searched (default: today).")
@click.option("--market", is_flag=True, help="Prices: also every discovered listing and the benchmark (^HSI).")
@click.option("--run-id", default=None, help="Run id to record under (set by launchers).")
@common_options
def job(app: App, name: str, cassette: str | None, since: dt.datetime | None, codes: tuple[str, ...],
        until: dt.datetime | None, market: bool, run_id: str | None) -> None:
    """Run one job (prices, hkex, news, stats) in this process and record the run."""
    from hkipo.app.jobs import run_job
    from hkipo.core.context import JobContext

    if cassette and not Path(cassette).is_file():
        raise UserError(f"cassette not found: {cassette}")
    ctx = JobContext(config=app.config, db_path=app.db_path, cassette=Path(cassette) if cassette else None,
                     since=since.date() if since else None, codes=tuple(codes), run_id=run_id,
                     extra={**({"until": until.date().isoformat()} if until else {}),
                            **({"market": "1"} if market else {})})
    run = run_job(name, ctx)
    if run.status != "ok":
        sys.exit(1)


@click.command()
@click.argument("name")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="Cassette file to write.")
@click.option("--code", "codes", multiple=True, help="Only this watchlist code (repeatable).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Prices: fetch from DATE.")
@common_options
def record(app: App, name: str, out: str, codes: tuple[str, ...], since: dt.datetime | None) -> None:
    """Run one job live and write every HTTP exchange to a vcrpy cassette (secrets scrubbed).

    Needs internet access. The data also lands in the warehouse (as live data).
    """
    from hkipo.app.jobs import run_job
    from hkipo.core.context import JobContext

    ctx = JobContext(config=app.config, db_path=app.db_path, record=Path(out),
                     since=since.date() if since else None, codes=tuple(codes))
    run = run_job(name, ctx)
    click.echo(f"recorded {name} to {out}: {run.status}, {run.rows_written} rows")
    if run.status != "ok":
        sys.exit(1)
