"""Market-wide HKEXnews title search: which answers are complete, which rows are new listings.

The per-stock search (hkex_search.py) asks about one issuer; discovery asks
across all stocks (`stockId=-1`) for the titles of an IPO's life, in English
and Chinese, window by window. Three quirks of the real endpoint decide the
shape of this module:

- the body is JSON whose `result` is a JSON *string* of rows (decode twice),
  with `recordCnt` / `TOTAL_COUNT` saying how many rows matched;
- a window with more rows than `rowRange` is cut without an error, so an
  answer of exactly `rowRange` rows, or one whose own total exceeds its rows,
  is *truncated* and the caller must split the window;
- a stock with two counters comes as `09988<br/>89988`: the first is the
  listing, the others are its other counters (stripping the tag would make
  the code 0998889988, which does not exist).

A row that cannot be a new listing (no code, a derivative or debt code, a
placing by a listed company, a row without a document) is returned as a
`SkippedRow` with the reason, never as a listing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode, urljoin
from zoneinfo import ZoneInfo

from hkipo.core.listing import GEM, MAIN_BOARD, DiscoveredListing, ListingDocument, SkippedRow

HK = ZoneInfo("Asia/Hong_Kong")
SOURCE = "hkexnews:title_search"

# Titles of the documents discovery looks for (lower-cased substrings). Chinese titles come
# in Traditional script on HKEXnews; 配售結果 is a GEM placing's allotment results.
ALLOTMENT_TITLES = ("allotment results", "配發結果", "分配結果", "配售結果")
FORMAL_NOTICE_TITLES = ("formal notice", "正式通告")
# Titles that share those words but belong to listed companies' capital raisings, not IPOs.
NOT_IPO_TITLES = (
    "rights issue", "open offer", "general mandate", "specific mandate", "top-up", "top up", "bonus",
    "warrant", "convertible", "notes", "bonds", "scrip", "share award", "share option", "subscription of new",
    "供股", "公開發售股份", "一般授權", "特別授權", "先舊後新", "紅股", "認股權證", "可換股", "票據", "債券",
    "以股代息", "股份獎勵",
)


class ListingSearchError(ValueError):
    """A search answer that is not what HKEXnews sends (an HTML error page, a changed format)."""


@dataclass(frozen=True)
class Row:
    news_id: str
    title: str
    file_link: str
    file_type: str
    published_at: dt.datetime | None
    codes: tuple[str, ...]  # as given, each normalised to 5 digits where possible
    raw_code: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class ListingSearchPage:
    rows: tuple[Row, ...]
    skipped: tuple[SkippedRow, ...]  # rows that are not rows (no document, no id)
    row_count: int  # rows in the answer, including unusable ones
    total: int | None  # the answer's own count of matches (recordCnt, TOTAL_COUNT), when it gives one
    has_next: bool

    def truncated(self, row_range: int) -> bool:
        """Cut at rowRange? HKEXnews does not say so; exactly rowRange rows, or fewer than its own total, is."""
        return (self.row_count >= row_range or self.has_next
                or (self.total is not None and self.total > self.row_count))


def discovery_search_url(search_url: str, *, from_date: dt.date, to_date: dt.date, title: str, lang: str,
                         row_range: int) -> str:
    """Title search across every stock (stockId=-1) for a phrase in a date window (both ends inclusive).

    searchType=1 is the title search, as public scrapers of the live endpoint ask it across all
    stocks; the per-stock search keeps the form it was recorded with."""
    query = urlencode([
        ("sortDir", "0"), ("sortByOptions", "DateTime"), ("category", "0"), ("market", "SEHK"),
        ("stockId", "-1"), ("documentType", "-1"), ("fromDate", from_date.strftime("%Y%m%d")),
        ("toDate", to_date.strftime("%Y%m%d")), ("title", title), ("searchType", "1"), ("t1code", "-2"),
        ("t2Gcode", "-2"), ("t2code", "-2"), ("rowRange", str(row_range)), ("lang", lang),
    ])
    return f"{search_url}?{query}"


def windows(since: dt.date, until: dt.date, days: int) -> list[tuple[dt.date, dt.date]]:
    """[since, until] cut into consecutive windows of at most `days` days."""
    if until < since:
        return []
    out, start = [], since
    while start <= until:
        end = min(until, start + dt.timedelta(days=days - 1))
        out.append((start, end))
        start = end + dt.timedelta(days=1)
    return out


def split_window(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Two halves of a window of two days or more; [] for a single day (it cannot be split)."""
    if end <= start:
        return []
    mid = start + dt.timedelta(days=(end - start).days // 2)
    return [(start, mid), (mid + dt.timedelta(days=1), end)]


def _text(v: object) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<br\s*/?>", " ", str(v or ""), flags=re.I)).strip()


def _parts(v: object) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"<br\s*/?>", str(v or ""), flags=re.I) if p.strip())


def _code(part: str) -> str | None:
    digits = part.strip()
    if re.fullmatch(r"\d{1,5}", digits) and int(digits) > 0:
        return f"{int(digits):05d}"
    return None


def _time(v: object) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(str(v).strip(), "%d/%m/%Y %H:%M").replace(tzinfo=HK)
    except ValueError:
        return None


def _int(v: object) -> int | None:
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return None


def parse_listing_search(body: bytes) -> ListingSearchPage:
    """The rows of a market-wide title-search answer, with what says whether it is complete."""
    text = body.decode("utf-8", errors="replace").strip()
    if text[:1] in ("<", ""):
        raise ListingSearchError("title search answered HTML (or nothing), not JSON: an error page?")
    try:
        outer = json.loads(text)
    except json.JSONDecodeError as e:
        raise ListingSearchError(f"title search answer is not JSON: {e.msg}") from None
    if not isinstance(outer, dict) or "result" not in outer:
        raise ListingSearchError("title search answer has no 'result' field")
    result = outer["result"]
    if result in (None, "", "null", "[]"):
        raw: object = []
    elif isinstance(result, str):
        try:
            raw = json.loads(result)
        except json.JSONDecodeError as e:
            raise ListingSearchError(f"title search 'result' is not JSON: {e.msg}") from None
    else:
        raw = result
    if not isinstance(raw, list):
        raise ListingSearchError("title search 'result' is not a list of rows")
    rows: list[Row] = []
    skipped: list[SkippedRow] = []
    totals = [t for t in (_int(outer.get("recordCnt")),) if t is not None]
    for r in raw:
        if not isinstance(r, dict):
            skipped.append(SkippedRow("", "", "", "a row that is not an object", ""))
            continue
        t = _int(r.get("TOTAL_COUNT"))
        if t is not None:
            totals.append(t)
        news_id, title = str(r.get("NEWS_ID", "")).strip(), _text(r.get("TITLE"))
        link, raw_code = str(r.get("FILE_LINK") or "").strip(), str(r.get("STOCK_CODE") or "")
        if not link or not news_id:
            skipped.append(SkippedRow(news_id, _text(raw_code), title, "row without a document link or NEWS_ID", link))
            continue
        parts = _parts(raw_code)
        codes = tuple(c for c in (_code(p) for p in parts) if c)
        rows.append(Row(news_id=news_id, title=title, file_link=link, file_type=str(r.get("FILE_TYPE", "")).upper(),
                        published_at=_time(r.get("DATE_TIME")), codes=codes, raw_code=_text(raw_code),
                        names=_parts(r.get("STOCK_NAME"))))
    return ListingSearchPage(tuple(rows), tuple(skipped), len(raw), max(totals) if totals else None,
                             str(outer.get("hasNextRow", "")).lower() in ("true", "1"))


def market_of(code: str) -> str | None:
    """Main Board or GEM for an equity code; None for codes that are not shares (debt, ETFs, derivatives).

    HKEX allots code ranges by kind: 08000-08999 GEM; 04000-05999 and 06750-06799 debt
    securities; 02800-02849, 03000-03199 and 09000-09199 exchange-traded funds; 07200-07599
    leveraged and inverse products; 10000 and above derivative warrants, CBBCs and other
    counters. Everything else under 10000 is a Main Board share.
    """
    n = int(code)
    if 8000 <= n <= 8999:
        return GEM
    if (n >= 10000 or 4000 <= n <= 5999 or 6750 <= n <= 6799 or 2800 <= n <= 2849 or 3000 <= n <= 3199
            or 9000 <= n <= 9199 or 7200 <= n <= 7599):
        return None
    return MAIN_BOARD


def document_kind(title: str) -> str | None:
    """'allotment_results' or 'formal_notice' for an IPO's document by its title; None otherwise."""
    low = title.lower()
    if any(w in low for w in NOT_IPO_TITLES):
        return None
    if any(w in low for w in ALLOTMENT_TITLES):
        return "allotment_results"
    if any(w in low for w in FORMAL_NOTICE_TITLES):
        return "formal_notice"
    return None


def chinese_url(url: str) -> str:
    return re.sub(r"(?<!_c)\.pdf$", "_c.pdf", url, flags=re.IGNORECASE)


@lru_cache(maxsize=16)
def _holidays(year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.financial_holidays("XHKG", years=year))


def next_trading_day(day: dt.date) -> dt.date:
    """The first HKEX trading day after `day` (dealings start the day after allotment results)."""
    d = day + dt.timedelta(days=1)
    while d.weekday() >= 5 or d in _holidays(d.year):
        d += dt.timedelta(days=1)
    return d


@dataclass(frozen=True)
class _Seen:
    row: Row
    language: str


def listings_from_rows(rows: Iterable[tuple[Row, str]], *, base_url: str,
                       markets: Sequence[str] = (MAIN_BOARD, GEM)
                       ) -> tuple[list[DiscoveredListing], list[ListingDocument], list[SkippedRow]]:
    """Group one answer's rows (each with its search language) into listings, and say what was skipped.

    Returns the listings, the formal notices of codes with no allotment results
    among these rows (offers still open: documents, not yet listings), and the
    rows skipped with their reasons.

    A listing needs an allotment results row with a share code of a wanted
    market. Names come from the English and the Chinese rows of the same
    document; the PDF of a document is its English file if English rows
    name it, else the Chinese one.
    """
    by_code: dict[str, list[_Seen]] = {}
    skipped: list[SkippedRow] = []
    for row, lang in rows:
        url = urljoin(base_url.rstrip("/") + "/", row.file_link.lstrip("/"))
        kind = document_kind(row.title)
        if kind is None:
            skipped.append(SkippedRow(row.news_id, row.raw_code, row.title, "title is not an IPO document", url))
            continue
        if row.file_type not in ("PDF", ""):
            skipped.append(SkippedRow(row.news_id, row.raw_code, row.title, f"document is {row.file_type}, not a PDF",
                                      url))
            continue
        if not row.codes:
            skipped.append(SkippedRow(row.news_id, row.raw_code, row.title, "row without a stock code", url))
            continue
        code = row.codes[0]
        market = market_of(code)
        if market is None:
            skipped.append(SkippedRow(row.news_id, code, row.title, "code is not a share listing (debt, fund or "
                                      "derivative range)", url))
            continue
        if market not in markets:
            skipped.append(SkippedRow(row.news_id, code, row.title, f"{market} is not in [discovery] markets", url))
            continue
        by_code.setdefault(code, []).append(_Seen(row, lang))
    out, notices = [], []
    for code, seen in sorted(by_code.items()):
        docs: dict[str, ListingDocument] = {}
        for s in sorted(seen, key=lambda s: s.language != "en"):  # English rows first: their file wins
            if s.row.news_id in docs:
                continue
            url = urljoin(base_url.rstrip("/") + "/", s.row.file_link.lstrip("/"))
            docs[s.row.news_id] = ListingDocument(
                news_id=s.row.news_id, hkex_code=code, kind=document_kind(s.row.title) or "", language=s.language,
                title=s.row.title, url=url, published_at=s.row.published_at)
        if not any(d.kind == "allotment_results" for d in docs.values()):
            notices.extend(docs.values())  # a formal notice alone: the offer is open, the listing not yet certain
            continue
        name_en = next((s.row.names[0] for s in seen if s.language == "en" and s.row.names), None)
        name_zh = next((s.row.names[0] for s in seen if s.language == "zh" and s.row.names), None)
        others = sorted({c for s in seen for c in s.row.codes[1:] if c != code})
        allot = [d.published_at for d in docs.values() if d.kind == "allotment_results" and d.published_at]
        published = min(allot).date() if allot else None
        out.append(DiscoveredListing(
            hkex_code=code, market=market_of(code) or MAIN_BOARD, name_en=name_en, name_zh=name_zh,
            other_codes=tuple(others), allotment_published=published,
            expected_listing_date=next_trading_day(published) if published else None,
            documents=tuple(docs.values()), source=SOURCE))
    return out, notices, skipped
