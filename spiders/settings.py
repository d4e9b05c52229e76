"""Scrapy settings shared by every hkipo spider (news, hkex).

This module holds what is fixed. What the hkipo config decides — politeness
([politeness]) and whether HTTP is live, replayed or recorded — is applied at
crawl start by `spiders.context.HkipoAddon` from `politeness_settings` and
`cassette_settings` below, so a job (`hkipo crawl news`) and `scrapy crawl news`
get the same crawler.

Precedence, lowest first (Scrapy's priorities): Scrapy defaults < this module
< the config (applied later at the same "project" priority) < a spider's
`custom_settings` < `-s NAME=VALUE` on the command line.
"""

from __future__ import annotations

from typing import Any

from hkipo.core.config import PolitenessConfig

# --- project ---------------------------------------------------------------
# Named in logs and in the default User-Agent (the config's user_agent replaces it).
BOT_NAME = "hkipo"
# Spiders live in the `spiders` package (news.py, hkex.py); pages/ holds extraction.
SPIDER_MODULES = ["spiders"]
# Where `scrapy genspider` would put a new spider.
NEWSPIDER_MODULE = "spiders"
# Wires hkipo into every crawl: job context, config-driven settings, cassettes.
ADDONS = {"spiders.context.HkipoAddon": 0}
# Records failed requests and HTTP errors on the run (after retries and redirects,
# hence a low number: it sees responses last and exceptions after RetryMiddleware).
# A host whose DNS lookup failed or that refused the connection is asked once per run
# (just above RetryMiddleware at 550, so such a failure is not retried).
DOWNLOADER_MIDDLEWARES = {"spiders.middlewares.FailureRecorder": 80, "spiders.middlewares.UnreachableHosts": 560}
# Turns the crawl's outcome (errors, time-out, misses) into the run record.
# A progress bar on a terminal (never in logs, JSON logs or the daemon).
EXTENSIONS = {"spiders.context.CrawlOutcome": 0, "spiders.progress.CrawlProgress": 0}
# None here: each spider chooses its pipelines in custom_settings.
ITEM_PIPELINES: dict[str, int] = {}

# --- politeness defaults (the config overrides all of these) ---------------
# Identify ourselves; the config's [politeness] user_agent says how to reach us.
USER_AGENT = PolitenessConfig().user_agent
# Obey robots.txt. In replay the robots.txt files come from the cassette too.
ROBOTSTXT_OBEY = True
# Adapt the delay to each server's latency.
AUTOTHROTTLE_ENABLED = True
# Seconds between requests to one site before AutoThrottle has a latency sample.
DOWNLOAD_DELAY = 1.0
# Few parallel requests in total and per site.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# A stuck download must not hold a job (or its shutdown) for Scrapy's 180 s default.
DOWNLOAD_TIMEOUT = 30
# A lookup that gets no answer (no network) fails in 10 s, not Scrapy's 60.
DNS_TIMEOUT = 10
# Retry transient failures a bounded number of times.
RETRY_TIMES = 3
# 429 (rate limited) and the usual transient 5xx/gateway codes.
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# Stop a crawl that runs longer than this (seconds); a job has its own kill time-out above it.
CLOSESPIDER_TIMEOUT = 540

# --- fixed -----------------------------------------------------------------
# Stateless requests: cassettes scrub cookies, so neither live nor replayed
# crawls may depend on them.
COOKIES_ENABLED = False
# Ask for Chinese (Hong Kong first) and English, as a reader here would.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-HK,zh-TW;q=0.9,zh-CN;q=0.8,en;q=0.7",
}
# News pages and feeds are small; anything bigger is not an article.
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
# Aggregator links redirect once or twice; more is a loop.
REDIRECT_MAX_TIMES = 8
# Some redirectors answer with <meta http-equiv="refresh">.
METAREFRESH_ENABLED = True
# A job needs no remote console (and must not open a port).
TELNETCONSOLE_ENABLED = False
# Scrapy's own log level when it logs for itself (`scrapy crawl`); jobs use hkipo's logging.
LOG_LEVEL = "INFO"
# Progress line every minute (live crawls are slow on purpose).
LOGSTATS_INTERVAL = 60.0
# Off unless replaying or recording (see cassette_settings).
HTTPCACHE_ENABLED = False
# UTF-8 when someone exports items with -O file.jsonl.
FEED_EXPORT_ENCODING = "utf-8"

# --- hkipo keys (read by spiders.context) ----------------------------------
# Set by spiders.runner.run_crawl: the JobContext and RunRecord objects. When absent
# (`scrapy crawl`), the add-on builds them from the keys below or the environment.
HKIPO_CONTEXT = None
HKIPO_RUN = None
# Config file and database for `scrapy crawl` (else $HKIPO_CONFIG / $HKIPO_DB / defaults).
HKIPO_CONFIG = None
HKIPO_DB = None
# Replay this cassette, or record to this file (else $HKIPO_CASSETTE / $HKIPO_RECORD).
HKIPO_CASSETTE = None
HKIPO_RECORD = None


def politeness_settings(p: PolitenessConfig) -> dict[str, Any]:
    """The [politeness] section as Scrapy settings."""
    return {
        "USER_AGENT": p.user_agent,
        "ROBOTSTXT_OBEY": p.obey_robots_txt,
        "AUTOTHROTTLE_ENABLED": p.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(p.download_delay_seconds, 0.5),
        "AUTOTHROTTLE_MAX_DELAY": p.autothrottle_max_delay_seconds,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": p.autothrottle_target_concurrency,
        "DOWNLOAD_DELAY": p.download_delay_seconds,
        "CONCURRENT_REQUESTS": p.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": p.concurrent_requests_per_domain,
        "DOWNLOAD_TIMEOUT": p.download_timeout_seconds,
        "RETRY_ENABLED": p.retry_times > 0,
        "RETRY_TIMES": p.retry_times,
        "CLOSESPIDER_TIMEOUT": p.crawl_timeout_seconds,
    }


def cassette_settings(*, replay: bool, record: bool) -> dict[str, Any]:
    """HTTP cache settings that make Scrapy replay or record a vcrpy cassette.

    The cache middleware sits next to the downloader, so redirects, retries and
    decompression still run on replayed responses exactly as on live ones.
    """
    if not (replay or record):
        return {"HTTPCACHE_ENABLED": False}
    out: dict[str, Any] = {
        "HTTPCACHE_ENABLED": True,
        "HTTPCACHE_STORAGE": "spiders.cassette_storage.CassetteCacheStorage",
        "HTTPCACHE_POLICY": "spiders.cassette_storage.CassettePolicy",
        # Record (and replay) every status: a 404 or a 503-then-200 retry is part of the story.
        "HTTPCACHE_IGNORE_HTTP_CODES": [],
        # Replay: a request missing from the cassette is dropped, never fetched, and
        # counted (httpcache/miss); the crawl then fails with CassetteMiss.
        "HTTPCACHE_IGNORE_MISSING": replay,
    }
    if replay:
        # Belt and braces: a request that skips the cache (meta dont_cache) must
        # not reach the network either.
        out["DOWNLOAD_HANDLERS"] = {
            "http": "spiders.cassette_storage.ReplayOnlyDownloadHandler",
            "https": "spiders.cassette_storage.ReplayOnlyDownloadHandler",
        }
        # Nothing is downloaded, so there is nothing to be polite to.
        out["AUTOTHROTTLE_ENABLED"] = False
        out["DOWNLOAD_DELAY"] = 0
    return out
