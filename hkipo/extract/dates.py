"""Publication times as pages state them, made time-zone aware.

A page's own machine-readable statement wins over anything visible, and
visible bylines over a guess from the whole page:

1. meta tags (`article:published_time`, `og:published_time`, `pubdate`, ...,
   `itemprop=datePublished`);
2. JSON-LD `datePublished` of an Article/NewsArticle;
3. `<time datetime>` (the first inside <article>, else the first on the page);
4. a date written in a byline-like element (class or id mentioning date,
   time, publish, byline, meta, info): `2026 年 1 月 9 日 10:35`,
   `2026-01-09 10:35`, `9 January 2026`, `Jan 9, 2026 5:30 pm HKT`;
5. htmldate's quick search (markup it knows, dates in the URL; a date only).

A time without an offset is taken as Hong Kong time (Asia/Hong_Kong): the
sites covering HKEX listings write local time. A statement the page makes
but that cannot be read (2026-02-30, an offset of +25:00, 9999-12-31) leaves
the time unknown: htmldate's guess would read the same bad statement and
invent a date from it (2026-02-30 becomes 2026-02-01). `PublishedTime.tz_assumed`
says when that happened, and a date without a time is midnight in Hong Kong.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from lxml import html as lxml_html

HK = ZoneInfo("Asia/Hong_Kong")

META_NAMES = (
    "article:published_time", "og:article:published_time", "og:published_time", "article:published",
    "published_time", "publishdate", "publish_date", "publish-date", "pubdate", "datepublished",
    "dc.date.issued", "dc.date", "dcterms.created", "dcterms.issued", "sailthru.date", "parsely-pub-date",
    "date", "weibo:article:create_at",
)
BYLINE_HINT = re.compile(r"date|time|publish|pubtime|byline|post-?meta|article-?(info|meta)|info|source", re.I)
# English month names and abbreviations -> 1..12; the one table (claims/dates.py and formal_notice.py use it).
MONTHS = {m: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for m in names}
_TIME = r"(?:\s*,?\s*(?:T|\s)?\s*(?P<h>\d{1,2})\s*[:：時时]\s*(?P<mi>\d{2})(?:\s*[:：]\s*(?P<s>\d{2}))?\s*(?:分)?\s*(?P<ampm>[ap]\.?m\.?)?)?"
_WEEKDAY = r"(?:\s*[（(]?(?:星期|周|週|禮拜|礼拜)[一二三四五六日天][）)]?)?"
_ZONE = r"(?:\s*(?P<zone>Z|[+-]\d{2}:?\d{2}|HKT|GMT|UTC|CST|北京時間|北京时间|香港時間|香港时间))?"
PATTERNS = (
    re.compile(r"(?P<y>20\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号號]" + _WEEKDAY + _TIME + _ZONE,
               re.I),
    re.compile(r"(?P<y>20\d{2})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?![\d])" + _WEEKDAY + _TIME + _ZONE, re.I),
    re.compile(r"(?P<d>\d{1,2})\s+(?P<mon>[A-Za-z]{3,9})\.?,?\s+(?P<y>20\d{2})" + _TIME + _ZONE, re.I),
    re.compile(r"(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>20\d{2})" + _TIME + _ZONE, re.I),
)
# A publication time at or after this is a placeholder (9999-12-31), not a date; a fixed bound rather
# than one relative to the clock, so a replay reads a page the same way on any day.
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)
ZONES = {"HKT": HK, "香港時間": HK, "香港时间": HK, "CST": HK, "北京時間": HK, "北京时间": HK,
         "GMT": dt.timezone.utc, "UTC": dt.timezone.utc, "Z": dt.timezone.utc}


@dataclass(frozen=True)
class PublishedTime:
    at: dt.datetime  # always tz-aware
    source: str  # 'meta' | 'json-ld' | 'time' | 'byline' | 'htmldate'
    tz_assumed: bool  # True: the page gave no offset; Asia/Hong_Kong was assumed


def _aware(value: dt.datetime) -> tuple[dt.datetime, bool] | None:
    """(aware datetime, tz_assumed), or None for a date too far ahead to be a publication time."""
    value, assumed = (value.replace(tzinfo=HK), True) if value.tzinfo is None else (value, False)
    if value >= LATEST:
        return None
    return value, assumed


def parse_machine_date(value: str) -> tuple[dt.datetime, bool] | None:
    """ISO 8601 (with or without offset), RFC 2822, or a written date; (aware datetime, tz_assumed)."""
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    try:
        iso = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", text) else text)
        return _aware(iso)
    except ValueError:
        pass
    try:
        return _aware(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    return parse_written_date(text)


def parse_written_date(text: str) -> tuple[dt.datetime, bool] | None:
    """The first date written in `text` (Chinese or English forms), as (aware datetime, tz_assumed)."""
    text = unicodedata.normalize("NFKC", text)
    for pattern in PATTERNS:
        for m in pattern.finditer(text):
            g = m.groupdict()
            try:
                month = int(g["m"]) if g.get("m") else MONTHS.get((g.get("mon") or "").lower().rstrip("."))
                if not month:
                    continue
                hour = int(g["h"]) if g.get("h") else 0
                if g.get("ampm") and g["ampm"].lower().startswith("p") and hour < 12:
                    hour += 12
                if g.get("ampm") and g["ampm"].lower().startswith("a") and hour == 12:
                    hour = 0
                value = dt.datetime(int(g["y"]), month, int(g["d"]), hour, int(g.get("mi") or 0),
                                    int(g.get("s") or 0))
            except ValueError:
                continue
            zone = g.get("zone")
            if zone:
                tz = ZONES.get(zone.upper()) or ZONES.get(zone)
                if tz is None:
                    sign = 1 if zone[0] == "+" else -1
                    digits = zone[1:].replace(":", "")
                    try:  # an offset of 24 h or more is no time zone
                        tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
                    except ValueError:
                        continue
                value = value.replace(tzinfo=tz)
            return _aware(value)
    return None


def _meta_dates(tree: lxml_html.HtmlElement) -> list[str]:
    out = []
    wanted = set(META_NAMES)
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        if key in wanted and meta.get("content"):
            out.append((META_NAMES.index(key), meta.get("content")))
    for el in tree.xpath('//*[@itemprop="datePublished"]'):
        value = el.get("content") or el.get("datetime")
        if value:
            out.append((len(META_NAMES), value))
    return [v for _, v in sorted(out, key=lambda x: x[0])]


def _json_ld_dates(tree: lxml_html.HtmlElement) -> list[str]:
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            kind = node.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if node.get("datePublished") and any(
                    isinstance(k, str) and ("Article" in k or k in ("BlogPosting", "ReportageNews", "WebPage"))
                    for k in kinds):
                out.append(str(node["datePublished"]))
            for key in ("@graph", "mainEntity", "mainEntityOfPage"):
                if key in node:
                    walk(node[key])

    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            walk(json.loads(script.text_content() or ""))
        except (json.JSONDecodeError, ValueError):
            continue
    return out


def _time_elements(tree: lxml_html.HtmlElement) -> list[str]:
    inside = tree.xpath("//article//time[@datetime]")
    anywhere = tree.xpath("//time[@datetime]")
    return [t.get("datetime") for t in (inside or anywhere)]


def _byline_texts(tree: lxml_html.HtmlElement) -> list[str]:
    """Short byline-like texts after the headline (a top bar showing today's date comes before it)."""
    out = []
    seen_headline = not tree.xpath("//h1")
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "a", "li"):
            continue
        if el.tag == "h1":
            seen_headline = True
            continue
        if not seen_headline:
            continue
        hint = f"{el.get('class', '')} {el.get('id', '')}"
        if hint.strip() and BYLINE_HINT.search(hint):
            # Bylines are short; a whole sidebar or article is not a byline.
            text = " ".join(el.text_content().split())
            if 0 < len(text) <= 160:
                out.append(text)
    return out


def find_published(tree: lxml_html.HtmlElement, page_html: str, url: str | None = None) -> PublishedTime | None:
    """The page's publication time, by the order of trust in the module docstring."""
    unreadable = False  # the page declared a time we could not read
    for source, values in (("meta", _meta_dates(tree)), ("json-ld", _json_ld_dates(tree)),
                           ("time", _time_elements(tree))):
        for value in values:
            parsed = parse_machine_date(value)
            if parsed:
                found = PublishedTime(parsed[0], source, parsed[1])
                return _with_time(found, tree) if _date_only(value) else found
            unreadable = unreadable or bool(value.strip())
    for text in _byline_texts(tree):
        parsed = parse_written_date(text)
        if parsed:
            return _with_time(PublishedTime(parsed[0], "byline", parsed[1]), tree)
    if unreadable:
        return None
    labelled = _labelled_date(tree)
    if labelled is not None:
        return labelled
    written = _headline_date(tree)
    import htmldate

    try:
        # Not the extensive search: its last resort is dateparser, about 0.5 s a page.
        found = htmldate.find_date(page_html, url=url, extensive_search=False, original_date=True)
    except (ValueError, TypeError):
        found = None
    if found:
        day = dt.date.fromisoformat(found)
        if written is not None and written.at.date() == day:
            return written
        return _with_time(PublishedTime(dt.datetime(day.year, day.month, day.day, tzinfo=HK), "htmldate", True), tree)
    return written


def _date_only(value: str) -> bool:
    """A statement with a day and no time of day ("2026-01-09", "2026年1月9日")."""
    return not re.search(r"\d[:：時时]\d|T\d", unicodedata.normalize("NFKC", value))


def _visible_text(tree: lxml_html.HtmlElement) -> str:
    body = tree.find("body")
    root = body if body is not None else tree
    parts = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "noscript", "option"):
            continue
        if el.text:
            parts.append(el.text)
        for child in el:
            if child.tail:
                parts.append(child.tail)
    return " ".join(" ".join(parts).split())


_DATE_TIME_PATTERNS = tuple(re.compile(p.pattern.replace(_TIME, _TIME[3:-2]), p.flags) for p in PATTERNS)


def _times_written(tree: lxml_html.HtmlElement, limit: int = 200) -> list[tuple[int, dt.datetime, bool]]:
    """Dates written with a time of day in the page's visible text: (offset, aware datetime, tz_assumed)."""
    text = unicodedata.normalize("NFKC", _visible_text(tree))
    out = []
    for pattern in _DATE_TIME_PATTERNS:
        for m in pattern.finditer(text):
            parsed = parse_written_date(m.group(0))
            if parsed:
                out.append((m.start(), parsed[0], parsed[1]))
            if len(out) >= limit:
                break
    return sorted(out, key=lambda x: x[0])


def _with_time(found: PublishedTime, tree: lxml_html.HtmlElement) -> PublishedTime:
    """A date stated without a time gets the time the page writes for that same day, if it writes one.

    Old Chinese portals put "2005-07-31 12:30" in an unmarked table cell while
    their markup (or the URL) gives the day only: the first time written on
    that day is the publication time; a time on another day says nothing.
    """
    local = found.at.astimezone(HK) if found.at.tzinfo else found.at
    if (local.hour, local.minute, local.second) != (0, 0, 0):
        return found
    for _, at, assumed in _times_written(tree):
        if at.astimezone(HK).date() == local.date():
            return PublishedTime(at, found.source, assumed)
    return found


# "发布时间：2005/03/15 22:36:13", "发布日期： 9/17/2004 5:54:13 AM", "2005年08月16日 来源：新华网":
# a date the page labels as its publication time, or one standing right before the source or author.
_LABEL = r"(?:发布日期|发布时间|发表时间|发表日期|发稿时间|刊登日期|出版日期|更新时间|posted on|published on|published)\s*[:：]?\s*"
_BYLINE_AFTER = r"(?=\s*(?:[（(][^)）]{0,8}[)）])?\s*(?:来源|作者|记者|编辑|出处|稿源)\s*[:：])"
_US_DATE = re.compile(r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>20\d{2})" + _TIME + _ZONE, re.I)
_LABELLED = tuple(re.compile(_LABEL + "(?:" + p.pattern + ")", p.flags) for p in (*PATTERNS, _US_DATE)) + tuple(
    re.compile("(?:" + p.pattern + ")" + _BYLINE_AFTER, p.flags) for p in PATTERNS[:2])


def _labelled_date(tree: lxml_html.HtmlElement) -> PublishedTime | None:
    """The first date the visible text labels as the publication time (or puts before 来源 / 作者)."""
    text = unicodedata.normalize("NFKC", _visible_text(tree))
    best: tuple[int, PublishedTime] | None = None
    for pattern in _LABELLED:
        m = pattern.search(text)
        if not m or (best is not None and m.start() >= best[0]):
            continue
        g = m.groupdict()
        try:
            hour = int(g["h"]) if g.get("h") else 0
            if g.get("ampm") and g["ampm"].lower().startswith("p") and hour < 12:
                hour += 12
            if g.get("ampm") and g["ampm"].lower().startswith("a") and hour == 12:
                hour = 0
            month = int(g["m"]) if g.get("m") else MONTHS.get((g.get("mon") or "").lower().rstrip("."))
            if not month:
                continue
            value = dt.datetime(int(g["y"]), month, int(g["d"]), hour, int(g.get("mi") or 0), int(g.get("s") or 0))
        except ValueError:
            continue
        if g.get("zone"):  # an offset or zone name: the ordinary reader handles those
            parsed = parse_written_date(m.group(0))
            if parsed is None:
                continue
            at, assumed = parsed
        else:
            aware = _aware(value)
            if aware is None:
                continue
            at, assumed = aware
        best = (m.start(), PublishedTime(at, "byline", assumed))
    return best[1] if best else None


def _headline_date(tree: lxml_html.HtmlElement) -> PublishedTime | None:
    """A date with a time written in the visible text after the headline (unmarked bylines), else None.

    Only after the <h1> or the <title>'s text, so a top bar's "today" is not
    taken for the story's date; only with a time, so a date in the story
    ("on 9 January") is not either.
    """
    text = unicodedata.normalize("NFKC", _visible_text(tree))
    start = -1
    h1 = next((" ".join(h.text_content().split()) for h in tree.iter("h1") if h.text_content().strip()), "")
    title = " ".join((tree.findtext(".//title") or "").split())
    for anchor in (h1, title, title[:12]):
        if anchor and len(anchor) >= 4:
            start = text.find(unicodedata.normalize("NFKC", anchor))
            if start >= 0:
                break
    if start < 0:
        return None
    window = text[start:start + 600]
    for pattern in _DATE_TIME_PATTERNS:
        m = pattern.search(window)
        if m:
            parsed = parse_written_date(m.group(0))
            if parsed:
                return PublishedTime(parsed[0], "byline", parsed[1])
    return None
