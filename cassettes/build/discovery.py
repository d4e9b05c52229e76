"""Write the hand-authored discovery cassettes: cassettes/discovery/{discovery,prices}.yaml and their PDFs.

There is no internet where these were made, so they are authored. They hold
exactly the exchanges `hkipo backfill --since 2025-03-03 --until 2025-03-30`
makes with the packaged default config: HKEXnews robots.txt, the market-wide
title search (stockId=-1) for every [discovery] phrase and language in each
7-day window (plus the two half windows of the one answer that is cut short),
each allotment results PDF, and Yahoo's daily bars for every listing found
and for ^HSI. EVERY listing, name, figure, NEWS_ID and price here is
synthetic (see cassettes/README.md, "Discovery"); the answers' shape and
quirks follow ../shared/reference/facts.md ("HKEXnews title search").

    python cassettes/build/discovery.py [OUTDIR [PDFDIR]]   # default: cassettes/discovery/,
                                                            # tests/fixtures/discovery/; deterministic
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "discovery"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import prices as yahoo  # noqa: E402  (cassettes/build/prices.py: yfinance's exchanges, chart bodies)
from hkex import ROBOTS, request_headers, response_headers  # noqa: E402

from hkipo.core.cassette import Recorder  # noqa: E402
from hkipo.core.config import default_config_text, parse_config  # noqa: E402
from hkipo.extract.hkex_listings import discovery_search_url, split_window, windows  # noqa: E402

SINCE, UNTIL = dt.date(2025, 3, 3), dt.date(2025, 3, 30)
BASE = "https://www1.hkexnews.hk"


@dataclass(frozen=True)
class Ipo:
    """One synthetic IPO: what its search rows, its PDF and its bars say."""

    code: str
    stock_code_field: str  # as HKEXnews writes it (a second counter after <br/>)
    name_en: str
    name_zh: str
    news_id: str
    published: str  # DATE_TIME, HK time
    listing: dt.date
    board_lot: int
    offer_price: str
    shares_offered: int
    public_initial: int
    public_final: int
    valid_apps: int
    successful_apps: int
    public_multiple: str
    intl_multiple: str
    placees: int
    cornerstone_shares: int
    cornerstone_pct: str
    gross_m: str
    net_m: str
    first_open: str
    first_close: str
    day5_close: str
    gem: bool = False
    pdf_ok: bool = True


IPOS = (
    Ipo("09901", "09901<br/>89901", "ALPHA ROBOTICS-W", "阿爾法機器人－Ｗ", "90000101", "04/03/2025 22:45",
        dt.date(2025, 3, 5), 500, "10.00", 50_000_000, 5_000_000, 25_000_000, 200_000, 20_000, "1,500.00",
        "20.00", 150, 20_000_000, "40.00%", "500.0", "460.0", "14.00", "15.00", "12.00"),
    Ipo("06601", "06601", "BETA BIO-B", "貝塔生物－Ｂ", "90000102", "11/03/2025 23:02",
        dt.date(2025, 3, 12), 200, "20.00", 50_000_000, 5_000_000, 5_000_000, 30_000, 12_000, "45.00",
        "3.10", 90, 10_000_000, "20.00%", "1,000.0", "950.0", "19.00", "18.00", "18.50"),
    Ipo("08601", "08601", "GAMMA TECH", "伽瑪科技", "90000103", "18/03/2025 22:30",
        dt.date(2025, 3, 19), 5000, "0.50", 100_000_000, 10_000_000, 10_000_000, 1_200, 900, "8.50",
        "1.50", 60, 0, "0.00%", "50.0", "38.0", "0.52", "0.55", "0.56", gem=True),
    Ipo("03601", "03601", "DELTA FOODS", "德爾塔食品", "90000104", "25/03/2025 22:50",
        dt.date(2025, 3, 26), 1000, "5.00", 80_000_000, 8_000_000, 24_000_000, 80_000, 16_000, "350.00",
        "8.00", 120, 32_000_000, "40.00%", "400.0", "370.0", "5.40", "5.60", "5.20", pdf_ok=False),
)
HSI = {"base_day": dt.date(2025, 2, 28), "base": Decimal("23000.00")}


# ---------------------------------------------------------------------------
# PDFs: one page of text in the standard allotment-results layout, our own words
# ---------------------------------------------------------------------------

def _pdf_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def tiny_pdf(lines: list[str]) -> bytes:
    """A valid one-font PDF whose text layer is `lines` (Helvetica, ASCII), split over pages of 60 lines."""
    pages = [lines[i:i + 60] for i in range(0, len(lines), 60)] or [[]]
    objs: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, page in enumerate(pages):
        stream = "BT /F1 9 Tf 11 TL 40 800 Td " + " ".join(f"({_pdf_escape(t)}) Tj T*" for t in page) + " ET"
        content = stream.encode("latin-1")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                    f"/Contents {5 + 2 * i} 0 R >>".encode())
        objs.append(b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _n(x: int) -> str:
    return f"{x:,}"


def announcement_lines(ipo: Ipo) -> list[str]:
    day = ipo.listing
    intl = ipo.shares_offered - ipo.public_final
    pct_public = f"{100 * ipo.public_final / ipo.shares_offered:.2f}%"
    pct_intl = f"{100 * intl / ipo.shares_offered:.2f}%"
    lines = [
        "SYNTHETIC TEST ANNOUNCEMENT written for hkipo: not a real issuer, every figure invented.",
        f"{ipo.name_en.title()} Holdings Limited (synthetic)",
        f"(Stock Code: {int(ipo.code):04d})",
        "ALLOTMENT RESULTS ANNOUNCEMENT",
        "SUMMARY",
        "Stock code", f"{int(ipo.code):04d}",
        "Stock short name", ipo.name_en,
        "Dealings commencement date", f"{day.day} {day.strftime('%B %Y')}",
        "Board lot size", f"{_n(ipo.board_lot)} Shares",
        "Final Offer Price", f"HK${ipo.offer_price} per Offer Share",
        "Number of Offer Shares", _n(ipo.shares_offered),
        "Gross proceeds (Note)", f"HK${ipo.gross_m} million",
        "Net proceeds", f"HK${ipo.net_m} million",
        "ALLOTMENT RESULTS DETAILS",
        "HONG KONG PUBLIC OFFERING",
        "No. of valid applications", _n(ipo.valid_apps),
        "No. of successful applications", _n(ipo.successful_apps),
        "Subscription level", f"{ipo.public_multiple} times",
        "No. of Offer Shares initially available under the Hong Kong Public Offering", _n(ipo.public_initial),
        "Final no. of Offer Shares under the Hong Kong Public Offering", _n(ipo.public_final),
        "% of Offer Shares under the Hong Kong Public Offering to the Global Offering", pct_public,
        "INTERNATIONAL OFFERING",
        "No. of placees", _n(ipo.placees),
        "Subscription level", f"{ipo.intl_multiple} times",
        "Final no. of Offer Shares under the International Offering", _n(intl),
        "% of Offer Shares under the International Offering to the Global Offering", pct_intl,
    ]
    if ipo.cornerstone_shares:
        # One table row per line: investor, shares, % of the offer (the parser reads rows, not cells).
        lines += ["CORNERSTONE INVESTORS", "Investor Number of Offer Shares allocated % of Offer Shares",
                  f"Cornerstone Investor A (synthetic) {_n(ipo.cornerstone_shares)} {ipo.cornerstone_pct}",
                  f"Total {_n(ipo.cornerstone_shares)} {ipo.cornerstone_pct}"]
    lines += ["Every name and figure in this document is synthetic (hkipo test fixture)."]
    return lines


def pdf_bytes(ipo: Ipo) -> bytes:
    if not ipo.pdf_ok:  # the link serves an error page instead of the PDF: refused, recorded
        return b"<html><body><h1>404 Not Found</h1><p>The document requested is not available.</p></body></html>"
    return tiny_pdf(announcement_lines(ipo))


def file_link(ipo: Ipo, chinese: bool = False) -> str:
    d = dt.datetime.strptime(ipo.published, "%d/%m/%Y %H:%M")
    return f"/listedco/listconews/sehk/{d:%Y}/{d:%m%d}/{d:%Y%m%d}{ipo.news_id[-5:]}{'_c' if chinese else ''}.pdf"


# ---------------------------------------------------------------------------
# HKEXnews answers
# ---------------------------------------------------------------------------

def row(ipo: Ipo | None, *, lang: str, title: str, code_field: str | None = None, name: str | None = None,
        news_id: str | None = None, published: str | None = None, link: str | None = None) -> dict:
    chinese = lang == "zh"
    return {
        "FILE_INFO": "120KB", "NEWS_ID": news_id or (ipo.news_id if ipo else ""),
        "SHORT_TEXT": "公告及通告 - [配發結果]" if chinese else "Announcements and Notices - [Allotment Results]",
        "TOTAL_COUNT": "", "DATE_TIME": published or (ipo.published if ipo else "01/03/2025 22:00"),
        "FILE_TYPE": "PDF", "STOCK_NAME": name if name is not None else (
            (ipo.name_zh if chinese else ipo.name_en) + ("<br/>" + (ipo.name_zh if chinese else ipo.name_en) + "-R"
                                                         if ipo and "<br/>" in ipo.stock_code_field else "")),
        "LONG_TEXT": "", "STOCK_CODE": code_field if code_field is not None else ipo.stock_code_field,
        "TITLE": title, "FILE_LINK": link if link is not None else file_link(ipo, chinese),
    }


def answer(rows: list[dict], *, total: int | None = None) -> bytes:
    n = len(rows) if total is None else total
    for r in rows:
        r["TOTAL_COUNT"] = str(n)
    return json.dumps({"result": json.dumps(rows, ensure_ascii=False) if rows else "null",
                       "hasNextRow": False, "loadedRecord": len(rows), "recordCnt": n},
                      ensure_ascii=False, separators=(",", ":")).encode()


ERROR_PAGE = (b"<!DOCTYPE html><html><head><title>HKEXnews - System Maintenance</title></head>"
              b"<body><p>The service is temporarily unavailable. Please try again later.</p></body></html>")


def search_answers() -> dict[tuple[dt.date, dt.date, str, str], tuple[int, str, bytes]]:
    """Every search the back-fill asks, keyed by (from, to, language, title): (status, content type, body)."""
    a, b, g, d = IPOS
    by_window: dict[tuple[dt.date, dt.date, str, str], list[dict] | bytes] = {}
    en_ar, en_fn = "Allotment Results", "Formal Notice"
    zh_ar1, zh_ar2, zh_fn = "配發結果", "分配結果", "正式通告"
    w = windows(SINCE, UNTIL, 7)
    # Window 1: 09901 (two counters) in both languages; an ETF code under an allotment title (skipped);
    # the formal notice of 06601 (an offer open, not yet a listing); the Chinese formal-notice search fails.
    by_window[(*w[0], "en", en_ar)] = [
        row(a, lang="en", title="ALLOTMENT RESULTS ANNOUNCEMENT"),
        row(None, lang="en", title="Announcement of Allotment Results", code_field="02841", name="SYNTH ETF",
            news_id="90000191", link="/listedco/listconews/sehk/2025/0305/2025030590191.pdf")]
    by_window[(*w[0], "zh", zh_ar1)] = [row(a, lang="zh", title="配發結果公告")]
    by_window[(*w[0], "en", en_fn)] = [row(b, lang="en", title="FORMAL NOTICE", news_id="90000092",
                                           published="05/03/2025 07:00",
                                           link="/listedco/listconews/sehk/2025/0305/2025030500092.pdf")]
    by_window[(*w[0], "zh", zh_fn)] = ERROR_PAGE
    # Window 2: the English answer is cut short (its own total says 3, it holds 2): split in two halves.
    by_window[(*w[1], "en", en_ar)] = ([row(b, lang="en", title="ALLOTMENT RESULTS ANNOUNCEMENT"),
                                        row(None, lang="en", title="Allotment Results Announcement", code_field="",
                                            name="", news_id="90000192",
                                            link="/listedco/listconews/sehk/2025/0311/2025031190192.pdf")], 3)
    first, second = split_window(*w[1])
    by_window[(*first, "en", en_ar)] = [
        row(b, lang="en", title="ALLOTMENT RESULTS ANNOUNCEMENT"),
        row(None, lang="en", title="Allotment Results Announcement", code_field="", name="", news_id="90000192",
            link="/listedco/listconews/sehk/2025/0311/2025031190192.pdf"),
        row(None, lang="en", title="Allotment Results of Top-up Placing under General Mandate", code_field="00700",
            name="SYNTH LISTED CO", news_id="90000193", link="/listedco/listconews/sehk/2025/0312/2025031290193.pdf")]
    by_window[(*second, "en", en_ar)] = []
    by_window[(*w[1], "zh", zh_ar1)] = [row(b, lang="zh", title="最終發售價及配發結果公告")]
    # Window 3: a GEM listing, found in Chinese under the second phrase.
    by_window[(*w[2], "en", en_ar)] = [row(g, lang="en", title="ANNOUNCEMENT OF FINAL OFFER PRICE AND ALLOTMENT RESULTS")]
    by_window[(*w[2], "zh", zh_ar2)] = [row(g, lang="zh", title="分配結果公告")]
    # Window 4: a listing whose PDF link serves an error page (refused with the reason, still a listing).
    by_window[(*w[3], "en", en_ar)] = [row(d, lang="en", title="ALLOTMENT RESULTS ANNOUNCEMENT")]
    by_window[(*w[3], "zh", zh_ar1)] = [row(d, lang="zh", title="配發結果公告")]
    out = {}
    for start, end in w + [first, second]:
        for lang, title in (("en", en_ar), ("en", en_fn), ("zh", zh_ar1), ("zh", zh_ar2), ("zh", zh_fn)):
            key = (start, end, lang, title)
            if (start, end) in (first, second) and (lang, title) != ("en", en_ar):
                continue
            got = by_window.get(key, [])
            if isinstance(got, bytes):
                out[key] = (200, "text/html; charset=utf-8", got)
            elif isinstance(got, tuple):
                out[key] = (200, "application/json;charset=utf-8", answer(got[0], total=got[1]))
            else:
                out[key] = (200, "application/json;charset=utf-8", answer(got))
    return out


# ---------------------------------------------------------------------------
# Yahoo bars
# ---------------------------------------------------------------------------

def yahoo_listing(ipo: Ipo, seed: int) -> yahoo.Listing:
    days = yahoo.trading_days(ipo.listing, yahoo.LAST_DAY)
    o, c = Decimal(ipo.first_open), Decimal(ipo.first_close)
    first = yahoo.Bar(ipo.listing, o, max(o, c) * Decimal("1.02"), min(o, c) * Decimal("0.98"), c, 1_000_000)
    first = yahoo.Bar(ipo.listing, o, yahoo.tick_round(first.high), yahoo.tick_round(first.low), c, 1_000_000)
    return yahoo.Listing(symbol=f"{int(ipo.code):04d}.HK", long_name=f"{ipo.name_en.title()} (synthetic)",
                         short_name=ipo.name_en, listing=ipo.listing, first_bar=first,
                         anchors={days[4]: Decimal(ipo.day5_close), yahoo.LAST_DAY: Decimal(ipo.day5_close)},
                         board_lot=ipo.board_lot, seed=seed, day1_volume=1_000_000)


def hsi_listing() -> yahoo.Listing:
    start = dt.date(2025, 2, 14)
    base = HSI["base"]
    return yahoo.Listing(symbol="^HSI", long_name="HANG SENG INDEX (synthetic series)", short_name="^HSI",
                         listing=start, first_bar=yahoo.Bar(start, base, base, base, base, 0),
                         anchors={HSI["base_day"]: base, yahoo.LAST_DAY: Decimal("24500.00")},
                         board_lot=1, seed=3, day1_volume=0)


def build(out: Path, fixtures: Path = FIXTURES) -> None:
    config = parse_config(default_config_text(), "<default>")
    fixtures.mkdir(parents=True, exist_ok=True)
    rec = Recorder(out / "discovery.yaml")
    headers = request_headers(config)
    rec.add("GET", f"{BASE}/robots.txt", headers, None, 200, "OK", response_headers("text/plain"), ROBOTS)
    for (start, end, lang, title), (status, ctype, body) in search_answers().items():
        url = discovery_search_url(config.hkex.search_url, from_date=start, to_date=end, title=title,
                                   lang=lang.upper(), row_range=config.discovery.row_range)
        rec.add("GET", url, headers, None, status, "OK", response_headers(ctype), body)
    for ipo in IPOS:
        body = pdf_bytes(ipo)
        (fixtures / f"{ipo.code}_allotment_results{'' if ipo.pdf_ok else '_error_page'}.pdf").write_bytes(body)
        ctype = "application/pdf" if ipo.pdf_ok else "text/html"
        rec.add("GET", BASE + file_link(ipo), headers, None, 200, "OK", response_headers(ctype), body)
    print(f"wrote {rec.path} ({rec.save()} exchanges)")

    c = yahoo.Cassette(out / "prices.yaml")
    for lst in yahoo.LISTINGS:  # the watchlist's two securities: the prices job covers them too
        c.chart_ok(lst, yahoo.chart_body(lst, yahoo.series(lst)))
    for i, ipo in enumerate(IPOS):
        lst = yahoo_listing(ipo, seed=1600 + i)
        c.chart_ok(lst, yahoo.chart_body(lst, yahoo.series(lst)))
    hsi = hsi_listing()
    body = yahoo.chart_body(hsi, yahoo.series(hsi))
    body["chart"]["result"][0]["meta"]["instrumentType"] = "INDEX"
    # yfinance asks for the index with its caret percent-encoded (/chart/%5EHSI).
    c.chart_ok(replace(hsi, symbol="%5EHSI"), body)
    c.save()


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "cassettes" / "discovery",
          Path(sys.argv[2]) if len(sys.argv) > 2 else FIXTURES)
