"""`hkipo daemon`: run the scheduler in the foreground (systemd, a terminal, a container)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from hkipo.app.commands._common import App, common_options
from hkipo.core.errors import UserError


@click.command()
@click.option("--cassette-dir", type=click.Path(file_okay=False), default=None,
              help="Replay DIR/prices.yaml, DIR/hkex.yaml, DIR/news.yaml instead of the network "
                   "(a job without its cassette is not scheduled). Use a separate --db.")
@click.option("--once", is_flag=True, help="Run each scheduled job once, one after another, and exit.")
@common_options
def daemon(app: App, cassette_dir: str | None, once: bool) -> None:
    """Keep the warehouse current: prices after the close, news every few minutes, HKEX announcements.

    Runs in the foreground until SIGTERM or Ctrl-C, then stops within
    [schedule] shutdown_timeout_seconds and exits 0. Each job runs in its own
    process; the schedule (when each job runs next) survives restarts in
    <db>.schedule.sqlite. One daemon per database: a second one exits with
    code 2. `hkipo status` shows what it is doing.
    """
    from scheduler.daemon import Daemon

    cdir = Path(cassette_dir) if cassette_dir else None
    if cdir is not None and not cdir.is_dir():
        raise UserError(f"cassette folder not found: {cdir}")
    child_args: tuple[str, ...] = ()
    if app.config.logging.file:
        # The daemon writes the log file; children's records reach it through the pipe.
        child_args += ("--log-file", os.devnull)
    if logging.getLogger().isEnabledFor(logging.DEBUG):
        child_args += ("-v",)
    d = Daemon(app.config, db_path=app.db_path, config_path=app.config_path, cassette_dir=cdir,
               child_args=child_args)
    sys.exit(d.run_once() if once else d.run())
