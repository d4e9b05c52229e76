"""Write the fault-injection cassettes in cassettes/faults/ (hand-authored, deterministic).

    python cassettes/faults/build.py [OUT_DIR]

Transport failures that a cassette cannot hold as an answer (a reset
connection, a read time-out) are marked `X-Hkipo-Fault: connection-reset |
timeout` with status 599; `cassettes/faults/sitecustomize.py` turns them into
the exceptions the real transports raise (see cassettes/README.md, "Faults").
HTTP failures (429, 503) are ordinary recorded answers. Repeated identical
requests replay in recorded order, so each file is a scripted sequence of
attempts.

The Yahoo exchanges come from cassettes/build/prices.py (the same yfinance
request sequence and chart answers as cassettes/prices.yaml); the news pages
are synthetic (benchmarks/synth.py), on reserved .example hosts.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import synth  # noqa: E402
from hkipo.core.cassette import Recorder  # noqa: E402

FAULT_HEADER = "X-Hkipo-Fault"
FAULT_STATUS = 599


def _prices_builder():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("hkipo_cassette_build_prices", ROOT / "cassettes/build/prices.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def build_prices(out: Path) -> None:
    b = _prices_builder()
    minimax, zhipu = b.LISTINGS
    ok = {lst.symbol: b.chart_body(lst, b.series(lst)) for lst in b.LISTINGS}

    def fault(c, listing, kind: str) -> None:  # noqa: ANN001
        c.cookie_and_crumb()
        c._chart(listing, FAULT_STATUS, f"hkipo fault: {kind}", b"", {**b.TEXT_HEADERS, FAULT_HEADER: kind})

    # 0100.HK: reset, time-out, 429 (and yfinance's own repeat), then the answer on the 4th attempt;
    # 2513.HK: 503 once, then the answer. The run succeeds, with the retries in its warnings.
    c = b.Cassette(out / "prices_recovers.yaml")
    fault(c, minimax, "connection-reset")
    fault(c, minimax, "timeout")
    c.chart(minimax, 429, "Too Many Requests", b.TOO_MANY, b.TEXT_HEADERS)
    c.chart_ok(minimax, ok[minimax.symbol])
    c.chart(zhipu, 503, "Service Unavailable", b.DOWN_PAGE, b.HTML_HEADERS)
    c.chart_ok(zhipu, ok[zhipu.symbol])
    c.save()

    # 0100.HK fails every attempt (reset, time-out, reset, time-out); 2513.HK is fine: status partial.
    c = b.Cassette(out / "prices_one_down.yaml")
    for kind in ("connection-reset", "timeout", "connection-reset", "timeout"):
        fault(c, minimax, kind)
    c.chart_ok(zhipu, ok[zhipu.symbol])
    c.save()

    # Yahoo unreachable: every chart request of both symbols resets. Status failed, nothing stored.
    c = b.Cassette(out / "prices_down.yaml")
    for listing in (minimax, zhipu):
        for _ in range(b.MAX_ATTEMPTS):
            fault(c, listing, "connection-reset")
    c.save()


REQ = {"User-Agent": ["hkipo fault cassette"], "Accept": ["*/*"]}
HTML = {"Content-Type": ["text/html; charset=utf-8"], "Date": [synth.DATE]}
HOST = "faults.bench.example"
FEED = f"https://{HOST}/feeds/ipo.xml"


def _fault_headers(kind: str) -> dict[str, list[str]]:
    return {"Content-Type": ["text/plain"], FAULT_HEADER: [kind]}


def build_news(out: Path) -> None:
    wl = synth.default_watchlist()
    pages = [synth.article(i, wl[i % 2], host=HOST, site="Synthetic Faults Daily", seed=99) for i in range(4)]

    # Page 0 answers; page 1 resets once; page 2 times out on every attempt (Scrapy's RETRY_TIMES = 3:
    # 4 attempts); page 3 answers 429, then 503, then the page. Three stories stored, one failure reported.
    rec = Recorder(out / "news_flaky.yaml")
    rec.add("GET", f"https://{HOST}/robots.txt", REQ, None, 200, "OK", {"Content-Type": ["text/plain"]},
            b"User-agent: *\nAllow: /\n")
    rec.add("GET", FEED, REQ, None, 200, "OK", {"Content-Type": ["application/rss+xml"]},
            synth.rss(FEED, pages, title="Synthetic fault feed"))
    p0, p1, p2, p3 = pages
    rec.add("GET", p0.url, REQ, None, 200, "OK", HTML, synth.article_html(p0))
    rec.add("GET", p1.url, REQ, None, FAULT_STATUS, "hkipo fault", _fault_headers("connection-reset"), b"")
    rec.add("GET", p1.url, REQ, None, 200, "OK", HTML, synth.article_html(p1))
    for _ in range(4):
        rec.add("GET", p2.url, REQ, None, FAULT_STATUS, "hkipo fault", _fault_headers("timeout"), b"")
    rec.add("GET", p3.url, REQ, None, 429, "Too Many Requests", {"Content-Type": ["text/plain"], "Retry-After": ["5"]},
            b"Too Many Requests\n")
    rec.add("GET", p3.url, REQ, None, 503, "Service Unavailable", HTML, b"<html><body>Back soon</body></html>")
    rec.add("GET", p3.url, REQ, None, 200, "OK", HTML, synth.article_html(p3))
    rec.save()

    # The site is down: robots.txt and the feed reset on every attempt. Nothing fetched: the run fails.
    rec = Recorder(out / "news_down.yaml")
    for url in (f"https://{HOST}/robots.txt", FEED):
        for _ in range(4):
            rec.add("GET", url, REQ, None, FAULT_STATUS, "hkipo fault", _fault_headers("connection-reset"), b"")
    rec.save()


def news_config_sections() -> dict:
    """The [news] settings the news fault cassettes are crawled with (one feed, no searches)."""
    return {"news": {"search_feeds": [], "search_codes": False},
            "news.feeds": [{"name": "faults", "url": FEED, "kind": "feed"}]}


def build(out: Path = HERE) -> None:
    out.mkdir(parents=True, exist_ok=True)
    build_prices(out)
    build_news(out)


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
