"""hkipo report: write the self-contained HTML report."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

import click

from hkipo.app.commands._common import App, common_options
from hkipo.core.errors import UserError

REPORT_NAME = "index.html"
log = logging.getLogger(__name__)


def _check_out_dir(out_dir: Path) -> None:
    """Fail before any work if the report cannot be written there."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out must be a directory, but {out_dir} is a file")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create the report directory {out_dir}: {e.strerror or e}") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UserError(f"cannot write to the report directory {out_dir}: permission denied")


def write_atomic(path: Path, text: str) -> None:
    """Write to a temp file beside `path`, fsync, then rename over it.

    A crash or a full disk leaves the previous report as it was, never half a page.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def write_report(app: App, out_dir: Path) -> Path:
    """Read the warehouse, draw the charts, write OUT_DIR/index.html atomically; return its path."""
    from hkipo.app.report.data import load_report_data
    from hkipo.app.report.render import render_html
    from warehouse import db

    out_dir = Path(out_dir)
    _check_out_dir(out_dir)
    t0 = time.perf_counter()
    if not app.db_path.exists():
        # Nothing fetched yet: an empty report says so, and no file is created for it.
        import duckdb

        click.echo(f"hkipo: no warehouse at {app.db_path} yet; the report is empty", err=True)
        con = duckdb.connect(":memory:")
        try:
            db.migrate(con)
            data = load_report_data(con)
        finally:
            con.close()
    else:
        with db.reader(app.db_path, lock_timeout=app.config.database.lock_timeout_seconds,
                       on_wait=lambda m: click.echo(f"hkipo: {m}", err=True)) as con:
            data = load_report_data(con)
    t1 = time.perf_counter()
    html = render_html(data)
    t2 = time.perf_counter()
    path = out_dir / REPORT_NAME
    try:
        write_atomic(path, html)
    except OSError as e:
        raise UserError(f"cannot write the report {path}: {e.strerror or e}") from None
    log.info("report %s: %d bytes; read %.2fs, charts and HTML %.2fs, write %.2fs", path, len(html.encode()),
             t1 - t0, t2 - t1, time.perf_counter() - t2)
    return path


@click.command()
@click.option("--out", "out_dir", type=click.Path(), default="reports/latest", show_default=True,
              help="Directory to write index.html into (created if missing).")
@common_options
def report(app: App, out_dir: str) -> None:
    """Write a self-contained HTML report (charts embedded; opens without network).

    Per IPO: price since listing against the offer price and the first day;
    subscription multiples, one-lot success rate and valid applications;
    news coverage per day by site and script; conflicting claims and the
    reconciled figures with their sources; when each was last refreshed.
    Works on an empty or partial warehouse (sections say "no data yet").

    \b
    Examples:
      hkipo report --out reports/today
      hkipo report --db data/demo.duckdb --out reports/demo
    """
    path = write_report(app, Path(out_dir))
    click.echo(str(path))
