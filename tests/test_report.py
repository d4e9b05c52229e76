"""The HTML report: content, escaping, empty and partial warehouses, bad --out, atomic writes.

The warehouse is filled through the project's own loaders (watchlist sync,
`warehouse.load.merge`, `write_claims`, `rebuild_ipo_stats`, run records).
Figures marked REAL come from the HKEX allotment announcements and coverage
of January 2026; everything else (later prices, intraday highs and lows,
article titles and sites under example.*) is SYNTHETIC.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
import re
import warnings
from html import escape as html_escape
from pathlib import Path

import pyarrow as pa
import pytest

from hkipo.core.config import load_config
from hkipo.core.items import Claim
from warehouse.claims import write_claims
from pipelines.reconcile import rebuild_ipo_stats
from pipelines.watchlist import sync_watchlist
from warehouse import db, runs
from warehouse.load import merge

UTC = dt.timezone.utc
HOSTILE_TITLE = '<script>alert("x")</script> MiniMax & Zhipu "quoted" <b>bold</b>'


# ---------------------------------------------------------------------------
# Building a warehouse through the project's loaders
# ---------------------------------------------------------------------------

def _trading_days(start: dt.date, end: dt.date) -> list[dt.date]:
    days, d = [], start
    while d <= end:
        if d.weekday() < 5:
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def _price_rows(symbol: str, first: tuple[float, float, float, float], day2_close: float | None,
                listing: dt.date, last_close: float, end: dt.date) -> list[dict]:
    """First bar REAL (open/close; high/low partly synthetic), later bars SYNTHETIC, ending on a REAL close."""
    days = _trading_days(listing, end)
    o, h, lo, c = first
    rows = [dict(trade_date=days[0], open=o, high=h, low=lo, close=c)]
    start = day2_close or c
    n = len(days) - 1
    for i, d in enumerate(days[1:], start=1):
        if i == 1 and day2_close:
            close = day2_close
        else:  # geometric path to the real last close, with a deterministic wiggle
            close = start * (last_close / start) ** ((i - 1) / max(1, n - 1)) * (1 + 0.04 * math.sin(i / 3))
        if i == n:
            close = last_close
        rows.append(dict(trade_date=d, open=close * 0.99, high=close * 1.02, low=close * 0.97, close=close))
    fetched = dt.datetime(2026, 4, 15, 9, 0, tzinfo=UTC)
    return [dict(symbol=symbol, volume=1_000_000 + i * 1000, adj_close=r["close"], currency="HKD",
                 source="synthetic", fetched_at=fetched, **{k: round(v, 2) if isinstance(v, float) else v
                                                            for k, v in r.items()})
            for i, r in enumerate(rows)]


def _table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


PRICE_SCHEMA = pa.schema([
    ("symbol", pa.string()), ("trade_date", pa.date32()), ("open", pa.float64()), ("high", pa.float64()),
    ("low", pa.float64()), ("close", pa.float64()), ("adj_close", pa.float64()), ("volume", pa.int64()),
    ("currency", pa.string()), ("source", pa.string()), ("fetched_at", pa.timestamp("us", tz="UTC")),
])
ARTICLE_SCHEMA = pa.schema([
    ("article_id", pa.string()), ("canonical_url", pa.string()), ("title", pa.string()), ("site", pa.string()),
    ("published_at", pa.timestamp("us", tz="UTC")), ("language", pa.string()), ("script", pa.string()),
    ("text", pa.string()), ("fingerprint", pa.string()), ("extractor_version", pa.string()),
    ("fetched_at", pa.timestamp("us", tz="UTC")),
])
MENTION_SCHEMA = pa.schema([
    ("article_id", pa.string()), ("hkex_code", pa.string()), ("methods", pa.list_(pa.string())),
    ("mentions", pa.int32()), ("in_title", pa.bool_()), ("score", pa.float64()),
])
ANNOUNCEMENT_SCHEMA = pa.schema([
    ("announcement_id", pa.string()), ("hkex_code", pa.string()), ("title", pa.string()), ("kind", pa.string()),
    ("language", pa.string()), ("published_at", pa.timestamp("us", tz="UTC")), ("url", pa.string()),
    ("fetched_at", pa.timestamp("us", tz="UTC")),
])

ANNOUNCEMENTS = [  # REAL ids and figures (facts.md); the claims below quote them in our own words
    dict(announcement_id="2026010801342-en", hkex_code="00100", kind="allotment_results", language="en",
         title="MiniMax: announcement of allotment results",
         url="https://www1.hkexnews.hk/listedco/listconews/sehk/2026/0108/2026010801342.pdf",
         published_at=dt.datetime(2026, 1, 8, 14, 0, tzinfo=UTC)),
    dict(announcement_id="2026010701798-en", hkex_code="02513", kind="allotment_results", language="en",
         title="Knowledge Atlas: announcement of allotment results",
         url="https://www1.hkexnews.hk/listedco/listconews/sehk/2026/0107/2026010701798.pdf",
         published_at=dt.datetime(2026, 1, 7, 14, 0, tzinfo=UTC)),
]
ANNOUNCEMENT_CLAIMS = {
    "2026010801342-en": [
        Claim("00100", "offer_price", 165.0, "HKD", "final offer price HK$165.00 per share"),
        Claim("00100", "public_subscription_multiple", 1837.17, "times", "subscribed about 1,837.17 times"),
        Claim("00100", "international_subscription_multiple", 36.76, "times", "international 36.76 times"),
        Claim("00100", "valid_applications", 417646, "count", "417,646 valid applications"),
        Claim("00100", "successful_applications", 104901, "count", "104,901 successful applications"),
        Claim("00100", "one_lot_success_rate", 0.0281, "fraction", "3,911 of 139,314 applicants (2.81%)"),
        Claim("00100", "gross_proceeds", 4817.6e6, "HKD", "gross proceeds HK$4,817.6 million"),
    ],
    "2026010701798-en": [
        Claim("02513", "offer_price", 116.2, "HKD", "offer price HK$116.20 per H share"),
        Claim("02513", "public_subscription_multiple", 1159.46, "times", "1,159.46 times subscribed"),
        Claim("02513", "international_subscription_multiple", 15.28, "times", "international 15.28 times"),
        Claim("02513", "valid_applications", 204871, "count", "204,871 valid applications"),
        Claim("02513", "one_lot_success_rate", 0.05, "fraction", "4,643 of 92,859 applicants (5.00%)"),
    ],
}

ARTICLES = [  # SYNTHETIC titles and sites; the figures they state are REAL reported ones
    dict(article_id="a1", site="news.example.com", script="zh-Hans", language="zh",
         title="稀宇科技首日收涨109%", published_at=dt.datetime(2026, 1, 9, 8, 30, tzinfo=UTC),
         codes=["00100"], claims=[Claim("00100", "first_day_close", 345.0, "HKD", "收报345港元")]),
    dict(article_id="a2", site="hk.example.org", script="zh-Hant", language="zh",
         title="稀宇科技公開發售超額認購", published_at=dt.datetime(2026, 1, 7, 2, 0, tzinfo=UTC),
         codes=["00100"], claims=[Claim("00100", "public_subscription_multiple", 1209, "times", "截至截止認購超購1209倍",
                                        basis="at_close_of_applications")]),
    dict(article_id="a3", site="markets.example.net", script="en", language="en",
         title=HOSTILE_TITLE, published_at=dt.datetime(2026, 1, 8, 9, 0, tzinfo=UTC),
         codes=["00100", "02513"],
         claims=[Claim("02513", "first_day_close", 125.70, "HKD", 'closed at "HK$125.70" <per share>')],
         source_url="javascript:alert(1)"),
    dict(article_id="a4", site="news.example.com", script="zh-Hans", language="zh",
         title="智谱首日收涨13%", published_at=dt.datetime(2026, 1, 8, 8, 15, tzinfo=UTC),
         codes=["02513"], claims=[Claim("02513", "first_day_close", 131.50, "HKD", "收报131.5港元")]),
    dict(article_id="a5", site="hk.example.org", script="zh-Hant", language="zh",
         title="智譜次日再漲", published_at=dt.datetime(2026, 1, 9, 8, 15, tzinfo=UTC),
         codes=["02513"], claims=[]),
]


def build_warehouse(path: Path, *, prices: bool = True, hkex: bool = True, news: bool = True,
                    record_runs: bool = True) -> Path:
    config = load_config(None)
    with db.writer(path) as con, db.transaction(con):
        db.claim_origin(con, "replay")
        sync_watchlist(con, config)
        if prices:
            rows = _price_rows("0100.HK", (235.40, 360.00, 231.00, 345.00), None, dt.date(2026, 1, 9),
                               847.50, dt.date(2026, 4, 15))
            rows += _price_rows("2513.HK", (120.00, 131.50, 116.10, 131.50), 158.60, dt.date(2026, 1, 8),
                                976.00, dt.date(2026, 4, 15))
            merge(con, "prices_daily", _table(rows, PRICE_SCHEMA), ["symbol", "trade_date"])
        if hkex:
            fetched = dt.datetime(2026, 1, 8, 12, 0, tzinfo=UTC)
            merge(con, "announcements", _table([{**a, "fetched_at": fetched} for a in ANNOUNCEMENTS],
                                               ANNOUNCEMENT_SCHEMA), ["announcement_id"])
            for a in ANNOUNCEMENTS:
                write_claims(con, ANNOUNCEMENT_CLAIMS[a["announcement_id"]], source_kind="announcement",
                             source_id=a["announcement_id"], source_url=a["url"], extractor_version="test")
        if news:
            fetched = dt.datetime(2026, 1, 10, 1, 0, tzinfo=UTC)
            arts = [dict(article_id=a["article_id"], canonical_url=f"https://{a['site']}/story/{a['article_id']}",
                         title=a["title"], site=a["site"], published_at=a["published_at"], language=a["language"],
                         script=a["script"], text="synthetic body", fingerprint=a["article_id"],
                         extractor_version="test", fetched_at=fetched) for a in ARTICLES]
            merge(con, "articles", _table(arts, ARTICLE_SCHEMA), ["article_id"])
            mentions = [dict(article_id=a["article_id"], hkex_code=c, methods=["alias:test"], mentions=1,
                             in_title=True, score=1.0) for a in ARTICLES for c in a["codes"]]
            merge(con, "article_mentions", _table(mentions, MENTION_SCHEMA), ["article_id", "hkex_code"])
            for a in ARTICLES:
                write_claims(con, a["claims"], source_kind="article", source_id=a["article_id"],
                             source_url=a.get("source_url", f"https://{a['site']}/story/{a['article_id']}"),
                             extractor_version="test")
        rebuild_ipo_stats(con)
        if record_runs:
            for job, rows_written, error in (("prices", 140, None), ("hkex", 12, None),
                                             ("news", 5, "feed https://feeds.example.com/rss: HTTP 503")):
                run = runs.RunRecord(job=job, source="cassette:test")
                run.rows_written = rows_written
                if error:
                    run.fail(error)
                runs.start(con, run)
                runs.finish(con, run)
    return path


@pytest.fixture
def full_db(tmp_path: Path) -> Path:
    return build_warehouse(tmp_path / "full.duckdb")


@pytest.fixture(scope="module")
def full_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The full warehouse and its report, rendered once for the tests that only read it."""
    tmp = tmp_path_factory.mktemp("full")
    db_path = build_warehouse(tmp / "full.duckdb")
    return db_path, _write(db_path, tmp / "out")


@pytest.fixture(scope="module")
def full_html(full_report: tuple[Path, str]) -> str:
    return full_report[1]


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def _colours(png: bytes) -> int:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        return len(im.convert("RGB").getcolors(maxcolors=1 << 20) or [])


def _app(db_path: Path):  # noqa: ANN202
    from hkipo.app.commands._common import App

    return App(config=load_config(None), config_path=None, db_path=db_path, db_override=str(db_path))


def _write(db_path: Path, out: Path) -> str:
    from hkipo.app.commands.report import write_report

    path = write_report(_app(db_path), out)
    assert path == out / "index.html"
    return path.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# Content
# ---------------------------------------------------------------------------

def test_full_report_shows_every_section_with_its_figures(full_report: tuple[Path, str]) -> None:
    db_path, html = full_report

    # per IPO (2 × price since listing + first day), subscription, market (every IPO: 2), coverage
    charts = re.findall(r'data-chart="([^"]+)"', html)
    assert len(charts) == 8, charts
    assert "First-day return against the public book" in charts and "IPOs per month" in charts
    assert sum("price since listing" in c for c in charts) == 2
    assert sum("first day vs offer" in c for c in charts) == 2
    for png in _images(html):
        assert png.startswith(b"\x89PNG"), "not a PNG"
        assert _colours(png) > 50, "chart looks blank"

    # first day vs offer (REAL figures), subscription, one-lot success rate, applications
    assert "last close <b>HK$847.50</b> on 2026-04-15" in html  # REAL close of 2026-04-15
    for text in ("HK$165.00", "HK$235.40", "HK$345.00", "+42.67%", "+109.09%", "HK$116.20", "+13.17%",
                 "1,837.17×", "36.76×", "1,159.46×", "15.28×", "2.81%", "5.00%", "417,646", "204,871"):
        assert text in html, text
    # conflicts with every value and its source
    conflicts = html[html.index('id="conflicts"'):html.index('id="figures"')]
    assert "public subscription multiple" in conflicts and "1,209×" in conflicts and "at close of applications" in conflicts
    assert "HK$125.70" in conflicts and "HK$131.50" in conflicts
    # reconciled figures link to the announcement they came from, with the rule and the quote
    figures = html[html.index('id="figures"'):html.index('id="freshness"')]
    assert 'href="https://www1.hkexnews.hk/listedco/listconews/sehk/2026/0108/2026010801342.pdf"' in figures
    with db.reader(db_path) as con:
        rule = con.execute("SELECT rule FROM ipo_stats WHERE hkex_code = '00100' "
                           "AND metric = 'public_subscription_multiple'").fetchall()[0][0]
    assert html_escape(rule, quote=True) in figures and "subscribed about 1,837.17 times" in figures
    # coverage by site and script
    coverage = html[html.index('id="coverage"'):html.index('id="conflicts"')]
    assert "news.example.com" in coverage and "Traditional" in coverage and "3 articles over 3 days" in coverage
    # when each figure was refreshed: job runs (with the failure), data newest rows
    fresh = html[html.index('id="freshness"'):]
    assert "partial" in fresh and "HTTP 503" in fresh and "prices 0100.HK" in fresh
    assert "trading days 2026-01-09 to 2026-04-15" in fresh
    assert "demo data replayed from recorded cassettes" in html


def test_text_from_the_warehouse_is_escaped_and_only_web_links_are_linked(full_html: str) -> None:
    html = full_html
    assert "<script" not in html.lower()
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; MiniMax &amp; Zhipu &#34;quoted&#34;" in html
    assert "closed at &#34;HK$125.70&#34; &lt;per share&gt;" in html
    # the claim whose source URL is javascript: is shown, not linked
    assert not re.search(r'href="\s*javascript:', html, re.IGNORECASE)
    assert "javascript:alert(1)" in html
    assert all(h.startswith(("https://", "http://", "#")) for h in re.findall(r'href="([^"]*)"', html))


def test_report_is_self_contained(full_html: str) -> None:
    html = full_html
    assert all(src.startswith("data:image/png;base64,") for src in re.findall(r'\ssrc="([^"]*)"', html))
    for needle in ("<link", "@import", "url(", "<script", "<iframe", "<object", "@font-face"):
        assert needle not in html.lower(), needle
    assert "default-src 'none'; img-src data:" in html


def test_empty_warehouse_says_no_data_yet_in_every_section(tmp_path: Path) -> None:
    html = _write(tmp_path / "missing.duckdb", tmp_path / "out")
    assert "<img" not in html
    assert html.count('class="empty"') >= 4
    for text in ("No securities in the warehouse yet", "No subscription figures", "No news articles yet",
                 "No conflicting claims (no claims stored yet)", "No reconciled figures yet", "No job runs yet"):
        assert text in html, text
    assert "empty warehouse" in html


def test_partial_warehouse_draws_what_it_has(tmp_path: Path) -> None:
    db_path = build_warehouse(tmp_path / "prices.duckdb", hkex=False, news=False, record_runs=False)
    html = _write(db_path, tmp_path / "out")
    charts = re.findall(r'data-chart="([^"]+)"', html)
    # price and first day per IPO (offer price from the watchlist config), and the market's IPOs per month
    # (no public multiple without announcements: no market scatter)
    assert len(charts) == 5 and "IPOs per month" in charts, charts
    assert "No subscription figures" in html and "No news articles yet" in html and "No job runs yet" in html
    assert "HK$345.00" in html and '<span class="tag">config</span>' in html

    db_path = build_warehouse(tmp_path / "news.duckdb", prices=False, hkex=False, record_runs=False)
    html = _write(db_path, tmp_path / "out2")
    charts = re.findall(r'data-chart="([^"]+)"', html)
    # news only: coverage; the first-day close claims from articles still give a first-day chart each
    assert "News coverage per day" in charts and "No daily prices for 00100 yet" in html
    assert any("first day vs offer" in c for c in charts)
    assert "figures reported by sources" in html or "claims" in html


def test_report_overwrites_the_previous_one(full_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(tmp_path / "empty.duckdb", out)
    html = _write(full_db, out)
    assert "HK$345.00" in html
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]


def test_a_failed_write_keeps_the_previous_report_whole(full_db: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from hkipo.core.errors import UserError

    out = tmp_path / "out"
    good = _write(full_db, out)

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("hkipo.app.commands.report.os.fsync", disk_full)
    with pytest.raises(UserError, match="No space left on device"):
        _write(tmp_path / "empty.duckdb", out)
    assert (out / "index.html").read_text(encoding="utf-8") == good
    assert sorted(p.name for p in out.iterdir()) == ["index.html"], "temp file left behind"


# ---------------------------------------------------------------------------
# The command: bad --out is a user error (exit 2, one line, no traceback)
# ---------------------------------------------------------------------------

def test_cli_writes_the_report_and_prints_its_path(full_db: Path, tmp_path: Path, hkipo_cli) -> None:  # noqa: ANN001
    res = hkipo_cli("report", "--out", "rep", "--db", str(full_db))
    assert res.returncode == 0, res.stderr
    assert Path(res.stdout.strip()) == Path("rep/index.html")
    assert (tmp_path / "rep" / "index.html").stat().st_size > 10_000


@pytest.mark.parametrize("make_out, message", [
    (lambda tmp: tmp.joinpath("afile").write_text("x") and tmp / "afile", "is a file"),
    (lambda tmp: tmp.joinpath("afile").write_text("x") and tmp / "afile" / "sub", "cannot create the report directory"),
    (lambda tmp: Path("/proc/hkipo-report"), "cannot create the report directory"),
])
def test_cli_bad_out_is_a_clear_error(make_out, message: str, tmp_path: Path, hkipo_cli) -> None:  # noqa: ANN001
    out = make_out(tmp_path)
    res = hkipo_cli("report", "--out", str(out), "--db", str(tmp_path / "wh.duckdb"))
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert message in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "wh.duckdb").exists(), "checked --out before opening the warehouse"


# ---------------------------------------------------------------------------
# Fonts and formatting
# ---------------------------------------------------------------------------

def _chart_warnings(style) -> list[str]:  # noqa: ANN001
    from hkipo.app.report import charts
    from hkipo.app.report.data import Security, Subscription

    sec = Security("02513", "2513.HK", "Knowledge Atlas", "智谱", "智譜", 100, dt.date(2026, 1, 8), "config",
                   116.2, "config")
    sub = Subscription("02513", 1159.46, 15.28, None, 204871, None, 0.05, 0.1317)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert charts.subscription_chart(style, [sub], {"02513": sec}) is not None
    return [str(w.message) for w in caught]


def test_charts_never_draw_tofu_without_a_cjk_font() -> None:
    from hkipo.app.report.charts import Style
    from hkipo.app.report.data import Security

    latin = Style(cjk=None)
    sec = Security("02513", "2513.HK", "Knowledge Atlas", "智谱", "智譜", 100, None, None, None, None)
    assert latin.label(sec, "02513") == "02513 Knowledge Atlas"
    assert not [w for w in _chart_warnings(latin) if "Glyph" in w]


def test_charts_draw_chinese_names_when_a_cjk_font_is_installed() -> None:
    from hkipo.app.report.charts import Style
    from hkipo.app.report.data import Security

    style = Style.detect()
    if style.cjk is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")
    sec = Security("02513", "2513.HK", "Knowledge Atlas", "智谱", "智譜", 100, None, None, None, None)
    assert style.label(sec, "02513") == "02513 Knowledge Atlas 智譜"
    assert not [w for w in _chart_warnings(style) if "Glyph" in w]


def test_figures_read_with_their_units() -> None:
    from hkipo.app.report import fmt

    assert fmt.hkd(165) == "HK$165.00"
    assert fmt.money(4817.6e6) == "HK$4.82bn" and fmt.money(619e6, "USD") == "US$619.0m"
    assert fmt.times(1837.17) == "1,837.17×" and fmt.times(1837.0) == "1,837×" and fmt.times(36.8) == "36.8×"
    assert fmt.times(25_000) == "25,000×"
    assert fmt.pct(0.0281) == "2.81%" and fmt.signed_pct(1.0909) == "+109.09%" and fmt.signed_pct(-0.0009) == "-0.09%"
    assert fmt.value(0.4267, "fraction", metric="first_day_open_return") == "+42.67%"
    assert fmt.value(345.0, "HKD", metric="first_day_close") == "HK$345.00"
    assert fmt.value(29197600, "shares") == "29,197,600 shares"
    assert fmt.value(None, "date", "2026-01-09") == "2026-01-09"
    assert fmt.hkt(dt.datetime(2026, 1, 9, 1, 30, tzinfo=UTC)) == "2026-01-09 09:30 HKT"
    assert fmt.safe_url("https://www1.hkexnews.hk/a.pdf") == "https://www1.hkexnews.hk/a.pdf"
    for bad in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "//evil", "", None):
        assert fmt.safe_url(bad) is None, bad


def test_coverage_chart_stays_readable_for_many_securities_and_long_spans() -> None:
    from hkipo.app.report import charts
    from hkipo.app.report.data import CoverageDay

    days = [CoverageDay(f"{9000 + i:05d}", dt.date(2025, 1, 1) + dt.timedelta(days=d), 1 + i, i, 1, 0)
            for i in range(9) for d in range(0, 300, 5)]  # SYNTHETIC: 9 securities over 300 days
    chart = charts.coverage_chart(charts.Style(cjk=None), days, {})
    assert chart is not None
    assert chart.title == "News coverage per week"
    assert "6 most covered" in chart.note and "3 more" in chart.note and "per week" in chart.note
    # the most covered are drawn, the least covered left to the tables
    assert "09008: " in chart.alt and "09000: " not in chart.alt
    assert _colours(base64.b64decode(chart.uri.split(",", 1)[1])) > 50


def test_odd_rows_render_without_crashing() -> None:
    """No offer price or listing date, a lone bar with gaps, claims in mixed units, untitled articles."""
    from hkipo.app.report.data import (Article, Bar, Conflict, ConflictClaim, CoverageDay, FirstDay, ReportData,
                                   Security, SiteCount, Subscription)
    from hkipo.app.report.render import render_html
    from hkipo.app.report.charts import Style

    sec = Security("09999", "9999.HK", "Synthetic Unpriced Ltd", None, None, None, None, None, None, None)
    data = ReportData(generated_at=dt.datetime(2026, 1, 9, tzinfo=UTC), data_origin="live", securities=[sec])
    data.prices = {"09999": [Bar(dt.date(2026, 1, 9), None, None, None, 12.5, None)]}
    unlisted = Security("09998", "9998.HK", "Synthetic Gappy Ltd", None, None, None, dt.date(2026, 1, 8), "config",
                        10.0, "config")
    data.securities.append(unlisted)  # the listing-day bar has no close: no first-day marker, no crash
    data.prices["09998"] = [Bar(dt.date(2026, 1, 8), 10.2, None, None, None, None),
                            Bar(dt.date(2026, 1, 9), 10.5, 11.0, 10.1, 10.8, 1000)]
    data.first_day = {"09999": FirstDay("09999", None, None, 12.0, 13.0, None, 12.5, None, None, None,
                                        "prices_daily", "listing date unknown", False)}
    data.subscription = [Subscription("09999", 12.0, None, None, None, None, None, None)]
    data.coverage = [CoverageDay("09999", dt.date(2026, 1, 9), 1, 0, 0, 0)]
    data.site_counts = [SiteCount("09999", "(unknown site)", "other", 1)]
    data.recent_articles = [Article("09999", None, None, None, None, "https://news.example.com/x")]
    data.conflicts = [
        Conflict("09999", "gross_proceeds", "USD", None, 600e6, 619e6, 2, None, None, (
            ConflictClaim(600e6, "USD", "approx", "final", "article", None, "US$600m"),
            ConflictClaim(619e6, "USD", None, "final", "article", "https://www1.hkexnews.hk/x.pdf", "q"))),
        Conflict("09999", "listing_date", "date", None, None, None, 2, None, "only claim", (
            ConflictClaim(None, "date", None, "final", "article", None, "9 Jan", "2026-01-09"),
            ConflictClaim(None, "date", None, "final", "article", None, "10 Jan", "2026-01-10"))),
    ]
    html = render_html(data, Style(cjk=None))
    assert "listing date unknown" in html and "texts differ" in html and "2026-01-10" in html
    assert "US$600.0m" in html and "US$619.0m" in html
    assert "https://news.example.com/x" in html  # untitled article: its URL stands in
    charts = re.findall(r'data-chart="([^"]+)"', html)
    assert any("price since listing" in c for c in charts)  # one close is enough for a chart
    assert not any("first day vs offer" in c for c in charts)  # nothing to compare against


def test_coverage_chart_draws_the_busy_month_when_news_bunches_around_a_listing() -> None:
    from hkipo.app.report import charts
    from hkipo.app.report.data import CoverageDay

    # SYNTHETIC counts shaped like the bundled news: a burst around the listing, one story months later
    days = [CoverageDay("00100", dt.date(2026, 1, d), n, n, 0, 0) for d, n in ((7, 2), (8, 3), (9, 6), (15, 1))]
    days.append(CoverageDay("00100", dt.date(2026, 4, 15), 1, 0, 0, 1))
    assert charts.focus_window(days) == (dt.date(2026, 1, 7), dt.date(2026, 1, 15))
    chart = charts.coverage_chart(charts.Style(cjk=None), days, {})
    assert chart is not None and chart.title == "News coverage per day"
    assert "Drawn: 07 Jan to 15 Jan 2026" in chart.note and "1 more article between" in chart.note

    spread = [CoverageDay("00100", dt.date(2026, 1, 1) + dt.timedelta(days=d), 1, 1, 0, 0) for d in range(0, 90, 3)]
    assert charts.focus_window(spread) == (dt.date(2026, 1, 1), dt.date(2026, 3, 29))  # no month holds 75%
