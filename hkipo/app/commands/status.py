"""`hkipo status`: the truth about runs, schedule, data and the daemon."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import click

from hkipo.app.commands._common import App, common_options
from hkipo.app.commands.core import _json_default, format_table

TABLES = ("securities", "ipos", "prices_daily", "articles", "article_urls", "article_mentions",
          "announcements", "claims", "ipo_stats", "ingest_runs")


def _hk(ts: dt.datetime | None, tz: ZoneInfo) -> str:
    return ts.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


def collect_status(app: App) -> dict:
    from scheduler.state import read_state
    from warehouse import db, publish, runs

    tz = ZoneInfo(app.config.schedule.timezone)
    daemon = read_state(app.db_path)
    out: dict = {"database": str(app.db_path), "config": app.config.source,
                 "daemon": {"running": daemon.running, "pid": daemon.pid, "started_at": daemon.started_at,
                            "stopping": daemon.stopping, "cassette_dir": daemon.cassette_dir,
                            "schedule": daemon.schedule}}
    copy = publish.info(app.db_path)
    out["analyst_db"] = copy["path"]
    out["analyst_db_info"] = copy
    if not app.db_path.exists():
        out["exists"] = False
        out["jobs"] = []
        out["tables"] = {}
        return out
    with db.reader(app.db_path, lock_timeout=app.config.database.lock_timeout_seconds,
                   on_wait=lambda m: click.echo(f"hkipo: {m}", err=True)) as con:
        out["exists"] = True
        out["schema_version"] = db.current_version(con)
        origin = db.fetch_one(con, "SELECT value FROM warehouse_meta WHERE key = 'data_origin'")
        out["data_origin"] = origin[0] if origin else "empty"
        out["tables"] = {t: db.fetch_one(con, f'SELECT count(*) FROM "{t}"')[0] for t in TABLES}
        live_gen = publish.generation(con)
        copy["current"] = copy["exists"] and copy["generation"] == live_gen
        last = {r["job"]: r for r in runs.last_runs(con)}
        from hkipo.app.calendar_summary import calendar_summary

        out["calendar"] = calendar_summary(con)
    out["size_bytes"] = app.db_path.stat().st_size
    from hkipo.app.jobs import JOBS

    jobs = []
    for job in JOBS:
        r = last.get(job, {})
        nxt = daemon.next_runs.get(job)
        if job in daemon.active:
            next_run = f"running since {_hk(dt.datetime.fromisoformat(daemon.active[job]), tz)}"
        elif nxt:
            next_run = _hk(dt.datetime.fromisoformat(nxt), tz)
        elif daemon.stopping:
            next_run = "daemon stopping"
        else:
            next_run = "-" if not daemon.running else "not scheduled"
        launched = daemon.last.get(job, {})
        error = (r.get("last_error") or "").splitlines()[0][:80] if r.get("last_error") else ""
        if launched and launched.get("outcome") not in (None, "ok") and not error:
            error = f"daemon: {launched['outcome']}"[:80]
        jobs.append({
            "job": job,
            "schedule": daemon.schedule.get(job, ""),
            "last_run": _hk(r.get("last_started"), tz),
            "status": r.get("last_status") or "never run",
            "rows": r.get("last_rows") if r else None,
            "last_success": _hk(r.get("last_success"), tz),
            "next_run": next_run,
            "error": error,
        })
    out["jobs"] = jobs
    return out


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@common_options
def status(app: App, as_json: bool) -> None:
    """Show the last and next run of each job, row counts, and whether a daemon is running."""
    st = collect_status(app)
    if as_json:
        click.echo(json.dumps(st, indent=2, default=_json_default, ensure_ascii=False))
        return
    d = st["daemon"]
    click.echo(f"database: {st['database']}" + (
        f" ({st['size_bytes'] / 1e6:.1f} MB, schema v{st['schema_version']}, {st['data_origin']} data)"
        if st.get("exists") else " (not created yet)"))
    click.echo(f"config:   {st['config']}")
    a = st["analyst_db_info"]
    if a["exists"]:
        fresh = "" if a.get("current", True) else "; a newer one is due after the next job"
        click.echo(f"analysts: {a['path']} (read-only copy, published {a['published_at'] or '?'}, "
                   f"{a['size_bytes'] / 1e6:.1f} MB{fresh}) — open it from notebooks, the DuckDB CLI, BI tools")
    else:
        click.echo(f"analysts: {a['path']} (not published yet: the next job that writes, or `hkipo migrate`)")
    if d["running"]:
        how = f"replaying {d['cassette_dir']}" if d["cassette_dir"] else "live"
        click.echo(f"daemon:   {'stopping' if d['stopping'] else 'running'} (pid {d['pid']}, since "
                   f"{d['started_at']}, {how})")
        for job, when in d["schedule"].items():
            click.echo(f"          {job}: {when}")
    else:
        click.echo("daemon:   not running")
    tz = app.config.schedule.timezone
    if st["jobs"]:
        click.echo(f"\njobs (times in {tz}):")
        cols = ["job", "last_run", "status", "rows", "last_success", "next_run", "error"]
        click.echo(format_table(cols, [["-" if j[c] is None else j[c] for c in cols] for j in st["jobs"]]))
    if st["tables"]:
        click.echo("\nrows: " + ", ".join(f"{k} {v}" for k, v in st["tables"].items()))
    cal = st.get("calendar") or {}
    if cal.get("offers"):
        click.echo("\noffers (IPO calendar, from formal notices):")
        cols = ["hkex_code", "name", "stage", "offer_close", "listing_date", "price", "board_lot", "entry_fee_hkd"]
        rows = [[("-" if o[c] is None else o[c]) if c != "stage" else o["stage"] + (" (closing soon)" if o["closing_soon"]
                 else "") for c in cols] for o in cal["offers"]]
        click.echo(format_table(cols, rows))
    if cal.get("lockups"):
        click.echo("\nupcoming lock-up expiries:")
        cols = ["hkex_code", "holder", "holder_kind", "expiry_date", "expiry_basis", "shares_locked"]
        click.echo(format_table(cols, [["-" if lk[c] is None else lk[c] for c in cols] for lk in cal["lockups"]]))
