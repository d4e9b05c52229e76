"""Options every sub-command shares, and the objects they resolve to."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from hkipo.core.config import Config, load_config
from hkipo.core.logs import setup_logging


@dataclass(frozen=True)
class App:
    config: Config
    config_path: str | None  # None: the packaged default
    db_path: Path
    db_override: str | None = None  # --db as given, if it was


def common_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add --config, --db, --log-format, --log-file and -v; pass `app` to the command."""

    @click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                  help="Config file (default: $HKIPO_CONFIG, ./hkipo.toml, or the packaged defaults).")
    @click.option("--db", "db_override", type=click.Path(dir_okay=False), default=None,
                  help="DuckDB file (default: $HKIPO_DB or [database] path in the config).")
    @click.option("--log-format", type=click.Choice(["text", "json"]), default=None,
                  help="Log format (default: [logging] format).")
    @click.option("--log-file", type=click.Path(dir_okay=False), default=None,
                  help="Also log to this file, rotating (default: [logging] file).")
    @click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
    @functools.wraps(fn)
    def wrapper(*args: Any, config_path: str | None, db_override: str | None, log_format: str | None,
                log_file: str | None, verbose: bool, **kwargs: Any) -> Any:
        config = load_config(config_path)
        lc = config.logging
        setup_logging(
            fmt=log_format or lc.format,
            level="DEBUG" if verbose else lc.level,
            file=log_file or lc.file or None,
            max_bytes=lc.max_bytes,
            backup_count=lc.backup_count,
        )
        chosen = config_path or (config.source if config.source and not config.source.startswith("<") else None)
        app = App(config=config, config_path=chosen, db_path=config.db_path(db_override), db_override=db_override)
        return fn(*args, app=app, **kwargs)

    return wrapper
