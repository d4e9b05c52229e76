"""What HKEXnews answers mean: stock-id look-up, title search, announcement PDFs.

Plain typed functions of a response body, testable without a crawler; the
spider (spiders/hkex.py) only decides where to go.

HKEXnews's title search filters by `stockId`, an internal id, not the stock
code. Its own search page resolves a code the way `stock_id_url` does: the
"prefix" (partial search) endpoint answers JSONP such as

    callback({"more":"0","stockInfo":[{"stockId":1234567,"code":"00100","name":"MINIMAX-W"}]});

The title search answers JSON whose `result` field is itself a JSON string
of rows (or the string "null" when nothing matches), each with NEWS_ID,
TITLE, DATE_TIME ("08/01/2026 22:45", Hong Kong time), STOCK_CODE,
STOCK_NAME, SHORT_TEXT, FILE_LINK, FILE_TYPE, FILE_INFO. A document about
several issuers lists their codes separated by `<br/>`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin
from zoneinfo import ZoneInfo

from hkipo.core.codes import InvalidCode, normalize_code
from hkipo.extract.allotment import PARSER_VERSION, parse_allotment_pdf
from hkipo.core.items import Announcement, ParsedAnnouncement

HK = ZoneInfo("Asia/Hong_Kong")


class HkexFormatError(ValueError):
    """HKEXnews answered something this code does not understand (the site changed?)."""


@dataclass(frozen=True)
class SearchRow:
    news_id: str
    title: str
    file_link: str
    published_at: dt.datetime | None
    stock_codes: tuple[str, ...]
    stock_names: tuple[str, ...]
    short_text: str
    file_type: str
    file_info: str


@dataclass(frozen=True)
class SearchPage:
    rows: tuple[SearchRow, ...]
    has_more: bool  # HKEXnews had more rows than rowRange


def stock_id_url(base_url: str, code: str, *, lang: str = "EN") -> str:
    """The partial-search URL that maps a stock code to HKEXnews's stockId."""
    query = urlencode([("callback", "callback"), ("lang", lang), ("type", "A"), ("name", code), ("market", "SEHK")])
    return f"{base_url.rstrip('/')}/search/prefix.do?{query}"


def parse_stock_id(body: bytes, code: str) -> int | None:
    """The stockId of `code` in a prefix.do answer; None if HKEXnews does not know the code."""
    text = body.decode("utf-8", errors="replace").strip()
    m = re.fullmatch(r"[\w$.]*\s*\((.*)\)\s*;?", text, flags=re.DOTALL)
    payload = m.group(1) if m else text
    try:
        data = json.loads(payload)
    except json.JSONDecodeError as e:
        raise HkexFormatError(f"stock look-up answer is not JSON(P): {e.msg}") from None
    infos = data.get("stockInfo") if isinstance(data, dict) else None
    if not isinstance(infos, list):
        raise HkexFormatError("stock look-up answer has no stockInfo list")
    wanted = normalize_code(code)
    for info in infos:
        try:
            if normalize_code(str(info.get("code", ""))) == wanted:
                return int(info["stockId"])
        except (InvalidCode, KeyError, TypeError, ValueError):
            continue
    return None


def title_search_url(search_url: str, *, stock_id: int, from_date: dt.date, to_date: dt.date, title: str,
                     lang: str = "EN", row_range: int = 100) -> str:
    """HKEXnews title search for one issuer, a date window and a title phrase (parameters as its page sends)."""
    query = urlencode([
        ("sortDir", "0"), ("sortByOptions", "DateTime"), ("category", "0"), ("market", "SEHK"),
        ("stockId", str(stock_id)), ("documentType", "-1"), ("fromDate", from_date.strftime("%Y%m%d")),
        ("toDate", to_date.strftime("%Y%m%d")), ("title", title), ("searchType", "0"), ("t1code", "-2"),
        ("t2Gcode", "-2"), ("t2code", "-2"), ("rowRange", str(row_range)), ("lang", lang),
    ])
    return f"{search_url}?{query}"


def parse_title_search(body: bytes) -> SearchPage:
    """Rows of a title-search answer (the `result` field is JSON inside JSON)."""
    try:
        outer = json.loads(body.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as e:
        raise HkexFormatError(f"title search answer is not JSON: {e.msg}") from None
    if not isinstance(outer, dict) or "result" not in outer:
        raise HkexFormatError("title search answer has no 'result' field")
    result = outer["result"]
    if result in (None, "", "null"):
        rows_raw: list = []
    elif isinstance(result, str):
        try:
            rows_raw = json.loads(result)
        except json.JSONDecodeError as e:
            raise HkexFormatError(f"title search 'result' is not JSON: {e.msg}") from None
    else:
        rows_raw = result
    if not isinstance(rows_raw, list):
        raise HkexFormatError("title search 'result' is not a list of rows")
    rows = []
    for r in rows_raw:
        if not isinstance(r, dict) or not r.get("FILE_LINK"):
            continue
        rows.append(SearchRow(
            news_id=str(r.get("NEWS_ID", "")).strip(),
            title=_clean(r.get("TITLE", "")),
            file_link=str(r["FILE_LINK"]).strip(),
            published_at=_hk_time(r.get("DATE_TIME")),
            stock_codes=tuple(_codes(r.get("STOCK_CODE", ""))),
            stock_names=tuple(_split(r.get("STOCK_NAME", ""))),
            short_text=_clean(r.get("SHORT_TEXT", "")),
            file_type=str(r.get("FILE_TYPE", "")),
            file_info=str(r.get("FILE_INFO", "")),
        ))
    return SearchPage(tuple(rows), bool(outer.get("hasNextRow")))


def _clean(s: object) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<br\s*/?>", " ", str(s or ""))).strip()


def _split(s: object) -> list[str]:
    return [p.strip() for p in re.split(r"<br\s*/?>", str(s or "")) if p.strip()]


def _codes(s: object) -> list[str]:
    out = []
    for p in _split(s):
        try:
            out.append(normalize_code(p))
        except InvalidCode:
            continue
    return out


def _hk_time(s: object) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(str(s).strip(), "%d/%m/%Y %H:%M").replace(tzinfo=HK)
    except ValueError:
        return None


def is_allotment_results(row: SearchRow, keywords: tuple[str, ...]) -> bool:
    """An allotment results announcement by title (or HKEXnews's category text), as a PDF."""
    hay = f"{row.title} {row.short_text}".lower()
    return row.file_type.upper() in ("PDF", "") and any(k.lower() in hay for k in keywords)


def pdf_url(base_url: str, file_link: str, *, chinese: bool = False) -> str:
    """The English PDF, or its Chinese version (`<id>_c.pdf`)."""
    url = urljoin(base_url.rstrip("/") + "/", file_link.lstrip("/"))
    if chinese:
        url = re.sub(r"(?<!_c)\.pdf$", "_c.pdf", url, flags=re.IGNORECASE)
    return url


def announcement_from_pdf(body: bytes, url: str, row: SearchRow, *, code: str, language: str) -> ParsedAnnouncement:
    """Parse one downloaded announcement PDF (UserError subclasses if it is not a readable allotment PDF)."""
    parsed = parse_allotment_pdf(body, code=code, name=url)
    ann = Announcement(
        announcement_id=f"{row.news_id or hashlib.sha1(url.encode()).hexdigest()[:12]}-{language}",
        hkex_code=parsed.hkex_code or normalize_code(code), title=row.title or "Allotment Results", language=language,
        url=url, published_at=row.published_at, pdf_sha256=hashlib.sha256(body).hexdigest(), pages=parsed.pages,
        text=parsed.text, parser_version=PARSER_VERSION,
    )
    return ParsedAnnouncement(ann, tuple(parsed.claims), tuple(parsed.warnings), tuple(parsed.cornerstones),
                              tuple(parsed.allocation))
