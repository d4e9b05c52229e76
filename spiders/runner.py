"""Running a Scrapy crawl in this process.

One crawl per process: Twisted's reactor cannot be restarted, and jobs run
one per process anyway (scheduler/launcher.py), so `CrawlerProcess` is
started exactly once here. Tests and the daemon therefore crawl in child
processes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from scrapy import Spider
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from hkipo.core import offload
from hkipo.core.context import JobContext
from spiders.context import CONTEXT_SETTING, RUN_SETTING, CrawlOutcome, HkipoAddon, Outcome
from hkipo.core.runs import RunRecord

log = logging.getLogger(__name__)


def crawler_settings(module: str = "spiders.settings") -> Settings:
    """A settings module loaded by name: jobs do not depend on the working directory or scrapy.cfg."""
    settings = Settings()
    settings.setmodule(module, priority="project")
    return settings


def run_crawl(spider: str | type[Spider], ctx: JobContext, run: RunRecord, *,
              settings_module: str = "spiders.settings", preload: Sequence[str] = (), **spider_kwargs: Any) -> Outcome:
    """Crawl with `spider` (a name from SPIDER_MODULES, or a class) in this process.

    `settings_module` is spiders/settings.py or a module built on it (the
    pipelines layer adds its item pipelines: pipelines/scrapy_settings.py).
    The context and run go into the crawler's settings (HKIPO_CONTEXT,
    HKIPO_RUN). Afterwards a recording is saved, and in replay any request the
    cassette could not answer raises CassetteMiss: a replay that quietly
    skipped pages would look complete.

    Parsing runs in `hkipo.core.offload`'s workers (`[crawl] workers`),
    started here before the reactor, their imports (`preload`) done once in
    the forkserver; they stop when the crawl has ended.
    """
    _quiet_scrapy()
    settings = crawler_settings(settings_module)
    # hkipo configured logging already; Scrapy logs through it.
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = CrawlerProcess(settings)
    _quiet_scrapy()  # after CrawlerProcess, whose logging set-up resets Scrapy's levels
    crawler = process.create_crawler(spider)
    # Set on the crawler's own settings, after Scrapy copied them: these are
    # shared objects (the run counts rows), and settings copies are deep.
    crawler.settings.set(CONTEXT_SETTING, ctx, priority="cmdline")
    crawler.settings.set(RUN_SETTING, run, priority="cmdline")
    errors: list[BaseException] = []
    offload.start(ctx.config.crawl.workers, preload=preload)
    try:
        deferred = process.crawl(crawler, **spider_kwargs)
        deferred.addErrback(lambda failure: errors.append(failure.value))
        process.start(install_signal_handlers=threading.current_thread() is threading.main_thread())
    finally:
        offload.shutdown()
    if errors:
        raise errors[0]  # the crawl could not start (bad config, database refused, ...)

    addon = crawler.get_addon(HkipoAddon)
    if addon is not None and addon.recorder is not None:
        n = addon.recorder.save()
        log.info("recorded %d HTTP exchanges to %s", n, addon.recorder.path)
    if addon is not None and addon.replayer is not None:
        addon.replayer.check()
    extension = crawler.get_extension(CrawlOutcome)
    if extension is None or extension.outcome is None:
        raise RuntimeError(f"crawl {crawler.spidercls.name} ended without an outcome (was it started?)")
    return extension.outcome


class _BelowLevel(logging.Filter):
    """Drops records under a level. A filter, not a level: CrawlerProcess's
    dictConfig resets child loggers' levels and logs its banner right away."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


class _NoTraceback(logging.Filter):
    """Keeps a record, one line: the exception's type and message instead of its traceback.

    Scrapy's robots.txt middleware logs a failed robots.txt download with the
    whole traceback; the crawl's own outcome already says the site was down.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            msg = record.getMessage()
            record.msg = f"{msg} ({type(exc).__name__})" if str(exc) in msg else f"{msg}: {type(exc).__name__}: {exc}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def _quiet_scrapy() -> None:
    """Scrapy's INFO lines (banner, settings, stats dump) only when hkipo logs at DEBUG."""
    root = logging.getLogger()
    level = logging.INFO if root.getEffectiveLevel() <= logging.DEBUG else logging.WARNING
    for name in ("scrapy.utils.log", "scrapy.crawler", "scrapy.addons", "scrapy.middleware",
                 "scrapy.extensions.telnet", "scrapy.core.engine", "scrapy.statscollectors"):
        logger = logging.getLogger(name)
        for f in [f for f in logger.filters if isinstance(f, _BelowLevel)]:
            logger.removeFilter(f)
        logger.addFilter(_BelowLevel(level))
    robots = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")
    for f in [f for f in robots.filters if isinstance(f, _NoTraceback)]:
        robots.removeFilter(f)
    if level > logging.DEBUG:
        robots.addFilter(_NoTraceback())
    # Children keep their own level when CrawlerProcess re-configures "scrapy" (it logs versions on start).
    for name in ("scrapy", "scrapy.utils.log", "scrapy.crawler", "twisted", "py.warnings"):
        logging.getLogger(name).setLevel(level)
    for name in ("trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(name).setLevel(logging.WARNING)
