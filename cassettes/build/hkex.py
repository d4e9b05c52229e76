"""Write the hand-authored HKEXnews cassettes: cassettes/hkex.yaml and cassettes/hkex/failures.yaml.

There is no internet where these were made, so they are authored, not
recorded. `hkex.yaml` holds exactly the exchanges a crawl with the packaged
default config makes (`spiders.hkex`: robots.txt, the stock-id look-up per
watchlist code, the title search in the window around each listing date,
each announcement PDF), plus the Chinese PDF of 02513 for crawls with
`[hkex] fetch_chinese = true`. The PDFs are the hand-written fixtures in
tests/fixtures/hkex/ (see make_fixtures.py there for which figures are real).

`hkex/failures.yaml` holds what goes wrong: a code HKEXnews does not know,
a title search with no results, a search answer that is not JSON, and a PDF
link that serves an HTML error page.

    python cassettes/build/hkex.py [OUTDIR]    # default: cassettes/; deterministic
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "hkex"
sys.path.insert(0, str(ROOT))

from hkipo.core.cassette import Recorder  # noqa: E402
from hkipo.core.config import default_config_text, parse_config  # noqa: E402
from spiders.hkex import search_window  # noqa: E402
from hkipo.extract.hkex_search import pdf_url, stock_id_url, title_search_url  # noqa: E402

DATE = "Wed, 15 Apr 2026 10:30:00 GMT"  # when the synthetic crawl was "recorded"

# Real: file ids, publication days (reference facts). Synthetic: stockIds, NEWS_IDs, times of day, file sizes.
ANNOUNCEMENTS = {
    "00100": {
        "stock_id": 1_000_123_401, "name": "MINIMAX-W", "news_id": "11873452",
        "file_link": "/listedco/listconews/sehk/2026/0108/2026010801342.pdf", "date_time": "08/01/2026 22:58",
        "title": "ALLOTMENT RESULTS ANNOUNCEMENT", "pdf": "00100_allotment_results.pdf", "pdf_c": None,
    },
    "02513": {
        "stock_id": 1_000_123_377, "name": "KNOWLEDGE ATLAS", "news_id": "11871190",
        "file_link": "/listedco/listconews/sehk/2026/0107/2026010701798.pdf", "date_time": "07/01/2026 23:05",
        "title": "ANNOUNCEMENT OF ALLOTMENT RESULTS", "pdf": "02513_allotment_results_bilingual.pdf",
        "pdf_c": "02513_allotment_results_c.pdf",
    },
}
ROBOTS = b"User-agent: *\nDisallow: /ncms/\nDisallow: /app/\n"


def request_headers(config) -> dict[str, list[str]]:  # noqa: ANN001
    return {
        "User-Agent": [config.politeness.user_agent],
        "Accept": ["text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml;q=0.9,*/*;q=0.8"],
        "Accept-Language": ["zh-HK,zh-TW;q=0.9,zh-CN;q=0.8,en;q=0.7"],
        "Accept-Encoding": ["gzip, deflate"],
    }


def response_headers(content_type: str, **extra: str) -> dict[str, list[str]]:
    out = {"Content-Type": [content_type], "Date": [DATE], "Server": ["Apache"]}
    out.update({k.replace("_", "-"): [v] for k, v in extra.items()})
    return out


def prefix_body(code: str, stock_id: int | None, name: str) -> bytes:
    info = [] if stock_id is None else [{"stockId": stock_id, "code": code, "name": name}]
    return f"callback({json.dumps({'more': '0', 'stockInfo': info}, separators=(',', ':'))});\n".encode()


def search_body(code: str, a: dict | None) -> bytes:
    rows = []
    if a is not None:
        size = (FIXTURES / a["pdf"]).stat().st_size
        rows.append({
            "FILE_INFO": f"{round(size / 1024)}KB", "NEWS_ID": a["news_id"],
            "SHORT_TEXT": "Announcements and Notices - [Allotment Results]", "TOTAL_COUNT": "1",
            "DOD_WEB_PATH": "", "STOCK_NAME": a["name"], "TITLE": a["title"], "FILE_TYPE": "PDF",
            "DATE_TIME": a["date_time"], "LONG_TEXT": "Announcements and Notices - [Allotment Results]",
            "STOCK_CODE": code, "FILE_LINK": a["file_link"],
        })
    result = json.dumps(rows, ensure_ascii=False, separators=(",", ":")) if rows else "null"
    outer = {"result": result, "hasNextRow": False, "rowRange": 100, "loadedRecord": len(rows),
             "recordCnt": len(rows)}
    return json.dumps(outer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def build_main(out: Path) -> Recorder:
    config = parse_config(default_config_text(), "<default>")
    hkex = config.hkex
    headers = request_headers(config)
    rec = Recorder(out)
    rec.add("GET", f"{hkex.base_url}/robots.txt", headers, None, 200, "OK", response_headers("text/plain"), ROBOTS)
    for sec in config.watchlist:
        a = ANNOUNCEMENTS[sec.code]
        rec.add("GET", stock_id_url(hkex.base_url, sec.code), headers, None, 200, "OK",
                response_headers("text/javascript;charset=UTF-8"), prefix_body(sec.code, a["stock_id"], a["name"]))
        start, end = search_window(sec, hkex, since=None, today=dt.date(2026, 4, 15))
        for keyword in hkex.title_keywords:
            url = title_search_url(hkex.search_url, stock_id=a["stock_id"], from_date=start, to_date=end,
                                   title=keyword)
            rec.add("GET", url, headers, None, 200, "OK", response_headers("application/json;charset=UTF-8"),
                    search_body(sec.code, a))
        add_formal_notice_searches(rec, config, a["stock_id"], start, end, headers)
        rec.add("GET", pdf_url(hkex.base_url, a["file_link"]), headers, None, 200, "OK",
                response_headers("application/pdf", Last_Modified="Thu, 08 Jan 2026 14:58:00 GMT"),
                (FIXTURES / a["pdf"]).read_bytes())
        if a["pdf_c"]:
            rec.add("GET", pdf_url(hkex.base_url, a["file_link"], chinese=True), headers, None, 200, "OK",
                    response_headers("application/pdf"), (FIXTURES / a["pdf_c"]).read_bytes())
    return rec


def add_formal_notice_searches(rec: Recorder, config, stock_id: int, start: dt.date, end: dt.date,  # noqa: ANN001
                               headers: dict, answer: bytes | None = None) -> None:
    """The calendar's formal notice title searches (issue 17): no rows unless an answer is given."""
    for keyword in config.calendar.formal_notice_keywords:
        url = title_search_url(config.hkex.search_url, stock_id=stock_id, from_date=start, to_date=end, title=keyword)
        rec.add("GET", url, headers, None, 200, "OK", response_headers("application/json;charset=UTF-8"),
                answer or search_body("", None))


# A formal notice crawl (tests/test_calendar_crawl.py): watchlist 03999, our synthetic Chinese notice.
FORMAL_NOTICE = {"code": "03999", "stock_id": 1_000_139_990, "name": "AUSPICIOUS CLOUD", "news_id": "12000001",
                 "file_link": "/listedco/listconews/sehk/2026/0302/2026030200011.pdf", "date_time": "02/03/2026 06:00",
                 "title": "FORMAL NOTICE", "pdf": "formal_notice/zh_range.pdf", "listing_date": dt.date(2026, 3, 10)}


def build_formal_notice(out: Path) -> Recorder:
    config = parse_config(default_config_text(), "<default>")
    hkex = config.hkex
    headers = request_headers(config)
    rec = Recorder(out)
    fn = FORMAL_NOTICE
    rec.add("GET", f"{hkex.base_url}/robots.txt", headers, None, 200, "OK", response_headers("text/plain"), ROBOTS)
    rec.add("GET", stock_id_url(hkex.base_url, fn["code"]), headers, None, 200, "OK",
            response_headers("text/javascript;charset=UTF-8"), prefix_body(fn["code"], fn["stock_id"], fn["name"]))
    start = fn["listing_date"] - dt.timedelta(days=hkex.search_days_before)
    end = fn["listing_date"] + dt.timedelta(days=hkex.search_days_after)
    for keyword in hkex.title_keywords:  # no allotment results yet
        rec.add("GET", title_search_url(hkex.search_url, stock_id=fn["stock_id"], from_date=start, to_date=end,
                                        title=keyword), headers, None, 200, "OK",
                response_headers("application/json;charset=UTF-8"), search_body(fn["code"], None))
    body = search_body(fn["code"], fn).replace(b"[Allotment Results]", b"[Formal Notice]")
    add_formal_notice_searches(rec, config, fn["stock_id"], start, end, headers, answer=body)
    rec.add("GET", pdf_url(hkex.base_url, fn["file_link"]), headers, None, 200, "OK",
            response_headers("application/pdf"), (FIXTURES / fn["pdf"]).read_bytes())
    return rec


def build_failures(out: Path) -> Recorder:
    """For a config whose watchlist is 00100, 02513, 09999 and 01234 (see tests/test_hkex_crawl.py)."""
    config = parse_config(default_config_text(), "<default>")
    hkex = config.hkex
    headers = request_headers(config)
    rec = Recorder(out)
    rec.add("GET", f"{hkex.base_url}/robots.txt", headers, None, 404, "Not Found", response_headers("text/html"),
            b"<html><body>Not Found</body></html>")
    listing = {"00100": dt.date(2026, 1, 9), "02513": dt.date(2026, 1, 8), "09999": dt.date(2026, 1, 9),
               "01234": dt.date(2026, 1, 9)}

    def window(code: str) -> tuple[dt.date, dt.date]:
        d = listing[code]
        return d - dt.timedelta(days=hkex.search_days_before), d + dt.timedelta(days=hkex.search_days_after)

    # 09999: HKEXnews does not know the code.
    rec.add("GET", stock_id_url(hkex.base_url, "09999"), headers, None, 200, "OK",
            response_headers("text/javascript;charset=UTF-8"), prefix_body("09999", None, ""))
    # 01234: known, but nothing in the window.
    rec.add("GET", stock_id_url(hkex.base_url, "01234"), headers, None, 200, "OK",
            response_headers("text/javascript;charset=UTF-8"), prefix_body("01234", 1_000_000_777, "SYNTHETIC"))
    s, e = window("01234")
    rec.add("GET", title_search_url(hkex.search_url, stock_id=1_000_000_777, from_date=s, to_date=e,
                                    title="Allotment Results"), headers, None, 200, "OK",
            response_headers("application/json;charset=UTF-8"), search_body("01234", None))
    add_formal_notice_searches(rec, config, 1_000_000_777, s, e, headers)
    # 00100: the search answers an HTML maintenance page instead of JSON.
    a = ANNOUNCEMENTS["00100"]
    rec.add("GET", stock_id_url(hkex.base_url, "00100"), headers, None, 200, "OK",
            response_headers("text/javascript;charset=UTF-8"), prefix_body("00100", a["stock_id"], a["name"]))
    s, e = window("00100")
    rec.add("GET", title_search_url(hkex.search_url, stock_id=a["stock_id"], from_date=s, to_date=e,
                                    title="Allotment Results"), headers, None, 200, "OK",
            response_headers("text/html"), b"<html><body>System maintenance in progress</body></html>")
    add_formal_notice_searches(rec, config, a["stock_id"], s, e, headers)
    # 02513: the search finds the announcement, but its link serves an HTML error page.
    a = ANNOUNCEMENTS["02513"]
    rec.add("GET", stock_id_url(hkex.base_url, "02513"), headers, None, 200, "OK",
            response_headers("text/javascript;charset=UTF-8"), prefix_body("02513", a["stock_id"], a["name"]))
    s, e = window("02513")
    rec.add("GET", title_search_url(hkex.search_url, stock_id=a["stock_id"], from_date=s, to_date=e,
                                    title="Allotment Results"), headers, None, 200, "OK",
            response_headers("application/json;charset=UTF-8"), search_body("02513", a))
    add_formal_notice_searches(rec, config, a["stock_id"], s, e, headers)
    rec.add("GET", pdf_url(hkex.base_url, a["file_link"]), headers, None, 200, "OK",
            response_headers("text/html"), b"<html><body><h1>The document is temporarily unavailable</h1></body></html>")
    return rec


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "cassettes"
    for build, path in ((build_main, out / "hkex.yaml"), (build_failures, out / "hkex" / "failures.yaml"),
                        (build_formal_notice, out / "hkex" / "formal_notice.yaml")):
        rec = build(path)
        print(f"{path}: {rec.save()} interactions")


if __name__ == "__main__":
    main()
