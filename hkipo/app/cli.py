"""The `hkipo` command. Sub-commands load lazily so `hkipo --help` stays fast.

Exit codes: 0 success; 1 a job failed (network, source); 2 bad input (config,
arguments, SQL, files); 3 a request missing from a replayed cassette;
130 interrupted.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import click

from hkipo import __version__

# name -> (module, attribute, one-line help shown by `hkipo --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "refresh": ("hkipo.app.commands.refresh", "refresh", "Fetch prices, HKEX announcements and news; rebuild statistics."),
    "demo": ("hkipo.app.commands.refresh", "demo", "Replay the bundled cassettes into a separate demo DB and show the results."),
    "backfill": ("hkipo.app.commands.backfill", "backfill",
                 "Find every HK IPO since a date on HKEXnews; parse, fetch prices and the Hang Seng Index."),
    "job": ("hkipo.app.commands.refresh", "job", "Run one job in this process (what refresh and the daemon launch)."),
    "record": ("hkipo.app.commands.refresh", "record", "Run one job live and write its HTTP exchanges to a cassette."),
    "crawl": ("hkipo.app.commands.news", "crawl", "Run a Scrapy crawl (news or hkex) into the warehouse."),
    "ingest": ("hkipo.app.commands.news", "ingest", "Run saved HTML pages through extraction and the pipeline."),
    "parse-allotment": ("hkipo.app.commands.facts", "parse_allotment", "Parse an HKEX allotment results PDF and print its figures as JSON."),
    "parse-formal-notice": ("hkipo.app.commands.calendar", "parse_formal_notice", "Parse an HKEX formal notice PDF and print the offer's planned terms."),
    "sql": ("hkipo.app.commands.core", "sql", "Run read-only SQL against the warehouse."),
    "export": ("hkipo.app.commands.export", "export", "Write every table and v_ view as Parquet or CSV files (from the analysts' copy)."),
    "status": ("hkipo.app.commands.status", "status", "Show runs, next runs, row counts and whether a daemon is running."),
    "config": ("hkipo.app.commands.core", "config", "Show, check or write the configuration."),
    "migrate": ("hkipo.app.commands.core", "migrate", "Create or upgrade the warehouse schema."),
    "daemon": ("hkipo.app.commands.daemon", "daemon", "Run the scheduler: keep the warehouse current."),
    "report": ("hkipo.app.commands.report", "report", "Write a self-contained HTML report with charts."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help without importing every command module.
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="hkipo")
def cli() -> None:
    """hkipo: Hong Kong IPO prices, news, HKEX disclosures and statistics in DuckDB.

    Configuration: --config FILE, $HKIPO_CONFIG, ./hkipo.toml, or the packaged
    defaults (`hkipo config show`). Database: --db, $HKIPO_DB, or [database] path.
    """


def main(argv: list[str] | None = None) -> int:
    from hkipo.core import netguard
    from hkipo.core.errors import UserError

    netguard.install_if_requested()
    debug = os.environ.get("HKIPO_DEBUG") == "1"
    # Most specific first: `except BaseException` used to come before BrokenPipeError and
    # Exception, so a bug printed a raw traceback instead of the message below.
    try:
        cli.main(args=argv, prog_name="hkipo", standalone_mode=False)
        return 0
    except click.exceptions.Abort:
        click.echo("hkipo: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except UserError as e:
        click.echo(f"hkipo: error: {e}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("hkipo: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:  # `hkipo sql ... | head`: the reader left; not an error
        _silence_stdout()
        sys.exit(0)
    except Exception as e:  # a bug: say so plainly; the traceback goes to a file
        if debug:
            raise
        where = _save_traceback(e, argv)
        logging.getLogger("hkipo").debug("unexpected error", exc_info=True)
        click.echo(
            f"hkipo: unexpected error: {type(e).__name__}: {e}\n"
            "This is a bug in hkipo, not something you did wrong. "
            + (f"The traceback is in {where};\nplease attach that file when you report it. " if where else "")
            + "Re-run with HKIPO_DEBUG=1 to see the traceback here.",
            err=True,
        )
        sys.exit(1)
    except BaseException as e:  # SystemExit passes through; SIGTERM in a job is already recorded
        from hkipo.app.jobs import Terminated

        if isinstance(e, Terminated):  # the run is already recorded as aborted
            click.echo(f"hkipo: {e}", err=True)
            sys.exit(Terminated.exit_code)
        raise


def _save_traceback(e: BaseException, argv: list[str] | None) -> str | None:
    """Write the traceback, version and command line to a file; return its path (None if impossible)."""
    import datetime as dt
    import tempfile
    import traceback

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = os.environ.get("HKIPO_ERROR_DIR") or tempfile.gettempdir()
    path = os.path.join(folder, f"hkipo-error-{stamp}-{os.getpid()}.log")
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"hkipo {__version__}, Python {sys.version.split()[0]}\n")
            f.write(f"command: hkipo {' '.join(argv if argv is not None else sys.argv[1:])}\n\n")
            f.write("".join(traceback.format_exception(e)))
    except OSError:
        return None
    return path


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so Python's exit flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
