"""`hkipo export`: every table and `v_` view as Parquet or CSV files, from the analysts' copy."""

from __future__ import annotations

from pathlib import Path

import click

from hkipo.app.commands._common import App, common_options
from hkipo.core.errors import DatabaseError, UserError


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True,
              help="Parquet (zstd) for pandas, polars, Spark, any DuckDB; CSV for Excel and everything else.")
@click.option("--tables", default="", help="Comma-separated tables/views to export (default: all tables and v_ views).")
@common_options
def export(app: App, out_dir: str, fmt: str, tables: str) -> None:
    """Write every table and v_ view to OUT_DIR as NAME.parquet or NAME.csv, plus schema.json.

    Read from the analysts' copy, so it never waits for the daemon (published
    first if there is none yet). Each file appears complete or not at all
    (written to a temporary name, then renamed). schema.json lists every
    file with its rows, columns, types and descriptions.

    \b
    Examples:
      hkipo export exports/
      hkipo export --format csv exports/ --tables prices_daily,v_first_day_performance
      python -c "import pandas as pd; print(pd.read_parquet('exports/v_ipo_stats.parquet'))"
      python -c "import polars as pl; print(pl.read_parquet('exports/prices_daily.parquet'))"
    """
    from hkipo.core.progress import progress_bar
    from warehouse import db, publish
    from warehouse.export import ExportError
    from warehouse.export import export as run_export

    source = _source(app, db, publish)
    wanted = [t.strip() for t in tables.split(",") if t.strip()] or None
    out = Path(out_dir)
    with progress_bar(f"export {fmt}", unit="table") as b:
        def started(n: int) -> None:
            b.reset(total=n)

        def done(item) -> None:  # noqa: ANN001
            b.set_postfix_str(item.name)
            b.update()

        try:
            files = run_export(source, out, fmt, tables=wanted, on_start=started, on_done=done)
        except ExportError as e:
            raise UserError(str(e)) from None
    rows = sum(f.rows for f in files)
    size = sum(f.bytes for f in files)
    click.echo(f"exported {len(files)} tables and views ({rows:,} rows, {size / 1e6:.1f} MB {fmt}) "
               f"from {source} to {out}/ (schema.json describes them)")


def _source(app: App, db, publish) -> Path:  # noqa: ANN001
    """The analysts' copy of --db; published now if the live file has none yet."""
    if publish.is_analyst_path(app.db_path):
        if not app.db_path.exists():
            raise DatabaseError(f"no analysts' copy at {app.db_path}: no such file")
        return app.db_path
    if not app.db_path.exists():
        raise DatabaseError(f"no warehouse at {app.db_path}: no such file (check --db / $HKIPO_DB)")
    copy = publish.analyst_path(app.db_path)
    if not copy.exists():
        click.echo(f"hkipo: no analysts' copy yet; publishing {copy} first", err=True)
        with db.writer(app.db_path, lock_timeout=app.config.database.lock_timeout_seconds) as con:
            try:
                publish.publish(con, app.db_path, force=True)
            except publish.PublishError as e:
                raise UserError(str(e)) from None
    return copy
