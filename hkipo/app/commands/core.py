"""Commands that touch only config and the warehouse: sql, config, migrate."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from hkipo.app.commands._common import App, common_options
from hkipo.core.errors import UserError


# ---------------------------------------------------------------------------
# hkipo sql
# ---------------------------------------------------------------------------

def _cell(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return str(v)
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.6g}" if abs(v) < 1e6 else f"{v:,.2f}"
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    return str(v)


def _width(s: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _clip(s: str, max_width: int) -> str:
    if _width(s) <= max_width:
        return s
    out, w = [], 0
    for c in s:
        cw = _width(c)
        if w + cw > max_width - 1:
            break
        out.append(c)
        w += cw
    return "".join(out) + "…"


def _pad(s: str, width: int, right: bool) -> str:
    gap = " " * (width - _width(s))
    return gap + s if right else s + gap


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, max_width: int = 60) -> str:
    cells = [[_clip(_cell(v), max_width) for v in r] for r in rows]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(columns)]
    out = [" | ".join(_pad(c, w, False) for c, w in zip(columns, widths)), "-+-".join("-" * w for w in widths)]
    for r in cells:
        out.append(" | ".join(_pad(c, w, _numeric(c)) for c, w in zip(r, widths)))
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def _numeric(s: str) -> bool:
    try:
        float(s.replace(",", ""))
        return True
    except ValueError:
        return False


def _json_default(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime, dt.time)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    return str(v)


def resolve_read_path(app: App, *, live: bool) -> tuple[Path, bool]:
    """Which file a read goes to, and whether it is the live one (that queues behind writers).

    By default the analysts' copy, which no one writes in place; the live file
    with --live, or when no copy has been published yet (said on stderr).
    A missing file is exit 2 naming the path: a reader never creates one.
    """
    from hkipo.core.errors import DatabaseError
    from warehouse.publish import analyst_path, is_analyst_path

    if is_analyst_path(app.db_path):
        if live:
            raise UserError(f"--live reads the live warehouse, but --db names an analysts' copy: {app.db_path}")
        if not app.db_path.exists():
            raise DatabaseError(f"no analysts' copy at {app.db_path}: no such file")
        return app.db_path, False
    if not app.db_path.exists():
        raise DatabaseError(f"no warehouse at {app.db_path}: no such file (check --db / $HKIPO_DB; "
                            "`hkipo migrate` creates an empty one)")
    if app.db_path.is_dir():
        raise DatabaseError(f"database path is a directory, not a file: {app.db_path}")
    copy = analyst_path(app.db_path)
    if live:
        return app.db_path, True
    if not copy.exists():
        click.echo(f"hkipo: no analysts' copy yet ({copy}); reading the live file "
                   "(`hkipo migrate` publishes the copy)", err=True)
        return app.db_path, True
    return copy, False


def run_readonly_query(app: App, query: str, *, wait: float | None = None,
                       live: bool = False) -> tuple[list[str], list[tuple]]:
    import duckdb

    from warehouse import db

    path, is_live = resolve_read_path(app, live=live)
    timeout = app.config.database.lock_timeout_seconds if wait is None else wait
    with db.reader(path, lock_timeout=timeout, on_wait=lambda m: click.echo(f"hkipo: {m}", err=True),
                   turnstile=is_live) as con:
        try:
            result = con.execute(query)
            columns = [d[0] for d in result.description] if result.description else []
            rows = result.fetchall() if result.description else []
        except duckdb.Error as e:
            msg = str(e).strip()
            if "read-only" in msg or "file system operations are disabled" in msg:
                raise UserError(f"hkipo sql is read-only: {msg.splitlines()[0]}") from None
            raise UserError(f"SQL error: {msg}") from None
    return columns, rows


@click.command()
@click.argument("query", required=False)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="Output format.")
@click.option("--live", is_flag=True,
              help="Read the live file instead of the analysts' copy (the newest data; waits while a job writes).")
@click.option("--wait", type=float, default=None,
              help="With --live: seconds to wait while a writer holds the file "
                   "(default: [database] lock_timeout_seconds).")
@common_options
def sql(app: App, query: str | None, fmt: str, live: bool, wait: float | None) -> None:
    """Run read-only SQL against the warehouse (QUERY, or stdin when QUERY is - or absent).

    Reads the analysts' copy (<db stem>.read.duckdb), which every job that
    changed data replaces: a query never waits for the daemon and the daemon
    never waits for it. --live reads the live file instead: the run in
    progress included, waiting briefly while a job writes. Either way the
    connection is read-only and cannot touch other files.

    \b
    Examples:
      hkipo sql "select * from v_first_day_performance"
      echo "select * from v_subscription_stats" | hkipo sql --format csv
      hkipo sql --live "select job, status from ingest_runs order by started_at desc limit 5"
    """
    if query is None or query == "-":
        if sys.stdin.isatty():
            raise click.UsageError("give a query as an argument, or pipe one on stdin")
        query = sys.stdin.read()
    if not query.strip():
        raise UserError("empty query")
    columns, rows = run_readonly_query(app, query, wait=wait, live=live)
    if fmt == "json":
        click.echo(json.dumps([dict(zip(columns, r)) for r in rows], ensure_ascii=False, indent=2,
                              default=_json_default))
    elif fmt == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if v is None else (_json_default(v) if not isinstance(v, (str, int, float)) else v)
                        for v in r])
    else:
        click.echo(format_table(columns, rows) if columns else "OK")


# ---------------------------------------------------------------------------
# hkipo config
# ---------------------------------------------------------------------------

@click.group()
def config() -> None:
    """Show, check or write the configuration."""


@config.command("show")
@common_options
def config_show(app: App) -> None:
    """Print the config in effect (as JSON) and the file it came from."""
    click.echo(f"# config: {app.config.source}", err=True)
    click.echo(f"# database: {app.db_path}", err=True)
    click.echo(json.dumps(app.config.model_dump(mode="json"), ensure_ascii=False, indent=2))


@config.command("check")
@common_options
def config_check(app: App) -> None:
    """Validate the config; exit 2 with file, line and key if it is invalid."""
    codes = ", ".join(f"{s.code} ({s.yahoo_symbol}, {s.name_en})" for s in app.config.watchlist)
    click.echo(f"{app.config.source}: OK — watchlist: {codes}; database: {app.db_path}")


@config.command("init")
@click.option("--path", "target", type=click.Path(dir_okay=False), default="hkipo.toml", show_default=True)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def config_init(target: str, force: bool) -> None:
    """Write the documented default config to a file for editing."""
    from hkipo.core.config import default_config_text

    p = Path(target)
    if p.exists() and not force:
        raise UserError(f"{p} exists; use --force to overwrite it")
    p.write_text(default_config_text(), encoding="utf-8")
    click.echo(f"wrote {p}")


# ---------------------------------------------------------------------------
# hkipo migrate
# ---------------------------------------------------------------------------

@click.command()
@common_options
def migrate(app: App) -> None:
    """Create the warehouse or upgrade its schema (also done by every job), then publish the analysts' copy."""
    from warehouse import db, publish

    with db.writer(app.db_path, lock_timeout=app.config.database.lock_timeout_seconds) as con:
        version = db.current_version(con)
        try:
            done = publish.publish(con, app.db_path, force=True)
        except publish.PublishError as e:
            raise UserError(str(e)) from None
    click.echo(f"{app.db_path}: schema version {version}")
    if done:
        click.echo(f"analysts' copy: {done.path} ({done.size_bytes / 1e6:.1f} MB, {done.seconds:.2f}s)")
