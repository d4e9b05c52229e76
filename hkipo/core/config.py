"""The one TOML config: loading, validation, and errors that point at a line.

Every section is a pydantic model with `extra="forbid"`, so a misspelt key is
an error naming the file, line and key rather than a silently ignored setting.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from hkipo.core.codes import InvalidCode, code_to_yahoo, normalize_code, yahoo_to_code
from hkipo.core.errors import ConfigError

ENV_CONFIG = "HKIPO_CONFIG"
ENV_DB = "HKIPO_DB"
LOCAL_CONFIG_NAME = "hkipo.toml"
PACKAGED_DEFAULT = "<packaged default hkipo/core/default.toml>"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Security(_Section):
    """One watchlist entry. The names feed text matching and search feeds."""

    code: str
    yahoo_symbol: str = ""
    name_en: str
    name_zh_hans: str = ""
    name_zh_hant: str = ""
    aliases: tuple[str, ...] = ()
    board_lot: int | None = Field(default=None, gt=0)
    listing_date: dt.date | None = None
    offer_price: float | None = Field(default=None, gt=0)

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, v: Any) -> str:
        try:
            return normalize_code(v)
        except InvalidCode as e:
            raise ValueError(str(e)) from None

    @model_validator(mode="after")
    def _symbol(self) -> "Security":
        if not self.yahoo_symbol:
            object.__setattr__(self, "yahoo_symbol", code_to_yahoo(self.code))
        else:
            try:
                if yahoo_to_code(self.yahoo_symbol) != self.code:
                    raise ValueError(
                        f"yahoo_symbol {self.yahoo_symbol!r} does not belong to code {self.code}"
                    )
            except InvalidCode as e:
                raise ValueError(str(e)) from None
            object.__setattr__(self, "yahoo_symbol", self.yahoo_symbol.upper())
        return self

    @property
    def names(self) -> tuple[str, ...]:
        """Every non-empty name and alias, de-duplicated, in config order."""
        seen: dict[str, None] = {}
        for n in (self.name_en, self.name_zh_hans, self.name_zh_hant, *self.aliases):
            if n and n.strip():
                seen.setdefault(n.strip(), None)
        return tuple(seen)


class DatabaseConfig(_Section):
    path: str = "data/hkipo.duckdb"
    lock_timeout_seconds: float = Field(default=30.0, ge=0)


class PricesConfig(_Section):
    overlap_days: int = Field(default=7, ge=0, le=365)
    max_attempts: int = Field(default=4, ge=1, le=20)
    backoff_initial_seconds: float = Field(default=2.0, ge=0)
    backoff_max_seconds: float = Field(default=60.0, ge=0)
    request_timeout_seconds: float = Field(default=20.0, gt=0)
    first_day_tolerance: float = Field(default=0.01, ge=0, le=1)


class FeedConfig(_Section):
    name: str
    url: str
    kind: Literal["feed", "listing"] = "feed"

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://", v):
            raise ValueError(f"feed url must start with http:// or https://, got {v!r}")
        return v


class NewsConfig(_Section):
    search_feeds: tuple[str, ...] = ()
    search_codes: bool = True  # also search each security's code spellings (00100.HK, 0100.HK)
    max_items_per_feed: int = Field(default=50, ge=1)
    max_age_days: int = Field(default=0, ge=0)
    feeds: tuple[FeedConfig, ...] = ()
    refetch_known_urls: bool = False  # re-download articles already stored (normally skipped)
    min_text_chars: int = Field(default=80, ge=0)  # shorter main text: not an article
    batch_size: int = Field(default=200, ge=1)  # articles per warehouse transaction

    @field_validator("search_feeds")
    @classmethod
    def _templates(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for t in v:
            if "{query}" not in t:
                raise ValueError(f"search feed template lacks {{query}}: {t!r}")
        return v


class HkexConfig(_Section):
    search_url: str = "https://www1.hkexnews.hk/search/titleSearchServlet.do"
    base_url: str = "https://www1.hkexnews.hk"
    title_keywords: tuple[str, ...] = ("Allotment Results",)
    # Post-listing over-allotment / stabilisation announcements (issue 12): one title search per phrase; empty = off.
    over_allotment_keywords: tuple[str, ...] = ()
    fetch_chinese: bool = False
    search_days_before: int = Field(default=30, ge=0)
    search_days_after: int = Field(default=30, ge=0)
    refetch_known_pdfs: bool = False  # re-download PDFs already parsed by this parser version (normally skipped)


class DiscoveryConfig(_Section):
    """Market-wide discovery of new listings on HKEXnews (spiders/listings.py)."""

    since: dt.date | None = None  # first day searched; None: the last `default_days` days
    default_days: int = Field(default=365, ge=1, le=3660)
    markets: tuple[Literal["Main Board", "GEM"], ...] = ("Main Board", "GEM")
    languages: tuple[Literal["en", "zh"], ...] = ("en", "zh")
    window_days: int = Field(default=7, ge=1, le=92)  # split further whenever an answer is truncated
    row_range: int = Field(default=100, ge=10, le=1000)  # rows asked per search; an answer this long is cut
    max_row_range: int = Field(default=800, ge=10, le=5000)  # a single truncated day is asked again up to this
    allotment_titles_en: tuple[str, ...] = ("Allotment Results",)
    allotment_titles_zh: tuple[str, ...] = ("配發結果", "分配結果")
    formal_notice_titles_en: tuple[str, ...] = ("Formal Notice",)
    formal_notice_titles_zh: tuple[str, ...] = ("正式通告",)
    research_days: int = Field(default=3, ge=0)  # windows ending this recently are searched again
    benchmark_symbol: str = "^HSI"  # fetched with every listing's prices, for excess returns
    cron: str = "30 17 * * *"  # the daemon's discovery time ([schedule] timezone)
    prices: bool = True  # after the daemon's discovery: prices of every listing and the benchmark
    timeout_seconds: float = Field(default=1800, gt=0)  # the daemon's discovery job
    backfill_timeout_seconds: float = Field(default=21600, gt=0)  # each job of `hkipo backfill`

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        if len(v.split()) != 5:
            raise ValueError(f"expected a 5-field crontab expression, got {v!r}")
        return v

    def start(self, today: dt.date) -> dt.date:
        return self.since or today - dt.timedelta(days=self.default_days)


class ScheduleConfig(_Section):
    """When the daemon runs each job. Periods are plain numbers, so fractions work too."""

    timezone: str = "Asia/Hong_Kong"
    jobs: tuple[Literal["prices", "hkex", "news", "stats", "discovery"], ...] = ("prices", "hkex", "news")
    prices_cron: str = "30 16 * * mon-fri"
    news_interval_minutes: float = Field(default=30, gt=0)
    news_jitter_seconds: float = Field(default=120, ge=0)
    hkex_window_days_before: int = Field(default=14, ge=0)
    hkex_window_days_after: int = Field(default=7, ge=0)
    hkex_window_interval_minutes: float = Field(default=60, gt=0)
    hkex_daily_cron: str = "0 20 * * *"
    stats_interval_minutes: float = Field(default=1440, gt=0)
    misfire_grace_seconds: int = Field(default=21600, ge=1)
    max_parallel_jobs: int = Field(default=2, ge=1, le=8)
    wakeup_seconds: float = Field(default=60, gt=0)
    prices_timeout_seconds: float = Field(default=600, gt=0)
    news_timeout_seconds: float = Field(default=1800, gt=0)
    hkex_timeout_seconds: float = Field(default=600, gt=0)
    stats_timeout_seconds: float = Field(default=300, gt=0)
    kill_grace_seconds: float = Field(default=10, gt=0)
    shutdown_timeout_seconds: float = Field(default=15, gt=0)

    @field_validator("jobs")
    @classmethod
    def _jobs(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError(f"a job is listed twice: {list(v)}")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v

    @field_validator("prices_cron", "hkex_daily_cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        if len(v.split()) != 5:
            raise ValueError(f"expected a 5-field crontab expression, got {v!r}")
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(v)
        except ValueError as e:
            raise ValueError(f"invalid crontab expression {v!r}: {e}") from None
        return v


class PolitenessConfig(_Section):
    user_agent: str = "hkipo/0.1 (+https://example.org/hkipo; IPO research crawler)"
    obey_robots_txt: bool = True
    autothrottle: bool = True
    download_delay_seconds: float = Field(default=1.0, ge=0)
    concurrent_requests_per_domain: int = Field(default=2, ge=1)
    download_timeout_seconds: float = Field(default=30, gt=0)
    retry_times: int = Field(default=3, ge=0)
    concurrent_requests: int = Field(default=8, ge=1)
    autothrottle_target_concurrency: float = Field(default=1.0, gt=0)
    autothrottle_max_delay_seconds: float = Field(default=30.0, gt=0)
    crawl_timeout_seconds: float = Field(default=540, ge=0)  # 0 = no limit


class CrawlConfig(_Section):
    # Processes that parse pages and PDFs off the crawl's reactor (hkipo/core/offload.py): 0 = one per core,
    # 1 = one worker thread in the crawl's own process.
    workers: int = Field(default=0, ge=0, le=64)


class LoggingConfig(_Section):
    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    file: str = ""
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    backup_count: int = Field(default=5, ge=0)


class CalendarConfig(_Section):
    """The IPO calendar: application costs (v_ipo_calendar's entry fee) and what counts as "soon"."""

    brokerage_rate: float = Field(default=0.01, ge=0, le=0.1)  # 1%
    sfc_levy_rate: float = Field(default=0.000027, ge=0, le=0.01)  # 0.0027%
    trading_fee_rate: float = Field(default=0.0000565, ge=0, le=0.01)  # 0.00565%
    afrc_levy_rate: float = Field(default=0.0000015, ge=0, le=0.01)  # 0.00015%
    closing_soon_hours: float = Field(default=24, gt=0)
    listing_soon_days: int = Field(default=7, ge=0)
    lockup_horizon_days: int = Field(default=90, ge=0)
    formal_notice_keywords: tuple[str, ...] = ("Formal Notice",)  # HKEXnews title search, beside allotment results


class Config(_Section):
    database: DatabaseConfig = DatabaseConfig()
    watchlist: tuple[Security, ...] = Field(min_length=1)
    prices: PricesConfig = PricesConfig()
    news: NewsConfig = NewsConfig()
    hkex: HkexConfig = HkexConfig()
    discovery: DiscoveryConfig = DiscoveryConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    politeness: PolitenessConfig = PolitenessConfig()
    crawl: CrawlConfig = CrawlConfig()
    logging: LoggingConfig = LoggingConfig()
    calendar: CalendarConfig = CalendarConfig()
    # Where this config came from (a path, or PACKAGED_DEFAULT); not a TOML key.
    _source: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        return self._source

    @field_validator("watchlist")
    @classmethod
    def _unique(cls, v: tuple[Security, ...]) -> tuple[Security, ...]:
        codes = [s.code for s in v]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"duplicate watchlist code(s): {', '.join(dupes)}")
        return v

    def security(self, code: str) -> Security:
        """The watchlist entry for a code in any spelling, or a ConfigError."""
        wanted = normalize_code(code)
        for s in self.watchlist:
            if s.code == wanted:
                return s
        raise ConfigError(f"{wanted} is not on the watchlist in {self.source}")

    def db_path(self, override: str | os.PathLike[str] | None = None) -> Path:
        """--db beats $HKIPO_DB beats [database] path."""
        chosen = override or os.environ.get(ENV_DB) or self.database.path
        return Path(chosen).expanduser()


def default_config_text() -> str:
    return resources.files("hkipo.core").joinpath("default.toml").read_text(encoding="utf-8")


def find_config_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """--config, then $HKIPO_CONFIG, then ./hkipo.toml; None means the packaged default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    local = Path.cwd() / LOCAL_CONFIG_NAME
    return local if local.is_file() else None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load and validate the config; every failure is a ConfigError naming file, line and key."""
    found = find_config_path(path)
    if found is None:
        return parse_config(default_config_text(), PACKAGED_DEFAULT)
    try:
        text = found.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {found}") from None
    except IsADirectoryError:
        raise ConfigError(f"config path is a directory, not a file: {found}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{found}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise ConfigError(f"cannot read config file {found}: {e.strerror}") from None
    return parse_config(text, str(found))


def parse_config(text: str, source: str) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: invalid TOML: {e}") from None
    try:
        config = Config.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_describe(e, text, source)) from None
    config._source = source
    return config


def _describe(err: ValidationError, text: str, source: str) -> str:
    lines = []
    for item in err.errors():
        loc = tuple(item["loc"])
        key = _dotted(loc)
        line = locate_key(text, loc)
        where = f"{source}:{line}" if line else source
        msg = item["msg"]
        if item["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling against the documented defaults)"
        elif item["type"] == "missing":
            msg = "required key is missing"
        lines.append(f"{where}: {key}: {msg}")
    head = "invalid config" if len(lines) == 1 else f"invalid config ({len(lines)} problems)"
    return head + "\n  " + "\n  ".join(lines)


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"']+)\s*=")


def locate_key(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort 1-based line of a validation error's key path in TOML text.

    Walks table headers (counting ``[[array]]`` entries) and key assignments;
    falls back to the enclosing table's header line.
    """
    if not loc:
        return None
    names = [p for p in loc if isinstance(p, str)]
    # Table path = every str before the last key, with array indexes kept.
    table: list[Any] = list(loc[:-1]) if not isinstance(loc[-1], int) else list(loc)
    key = loc[-1] if isinstance(loc[-1], str) else None
    counts: dict[str, int] = {}
    current: list[Any] = []
    header_line: int | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        m = _HEADER.match(raw)
        if m and not _KEY.match(raw):
            dotted = m.group(2).replace('"', "").replace("'", "")
            parts: list[Any] = dotted.split(".")
            if m.group(1) == "[[":
                counts[dotted] = counts.get(dotted, -1) + 1
                parts = parts + [counts[dotted]]
            current = parts
            if current == table:
                header_line = lineno
            continue
        km = _KEY.match(raw)
        if km and key is not None and current == table[: len(current)]:
            k = km.group(1).strip("\"'")
            if current == table and k == key:
                return lineno
            # Inline arrays of tables / top-level keys: match the first name after the table.
            rest = table[len(current):]
            if rest and k == rest[0] and key in names:
                return lineno
    return header_line
