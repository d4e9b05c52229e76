"""HKEX formal notices (正式通告): the offer's planned terms, from the PDF's bytes.

A formal notice is published when a Hong Kong IPO opens for applications. Its
second page is a summary box (offer shares under the global offering, Hong
Kong / international tranches, maximum or fixed offer price, stock code, the
sponsors' and coordinators' headings with their logos), followed by the
application table, the structure of the offering, pricing (the bottom of the
range), the expected timetable (offer opens, application lists close, price
determination, allotment results, dealings commence) and the closing
sentence with the board lot. Most are Traditional Chinese only; the English
ones use the same order.

How it is read:
- Text comes from pypdfium2 through a small private reader (`read_pdf` below),
  the same text layer as the shared hkipo/extract/pdf.py (`get_text_range`;
  the benchmark gives identical results with either) but able to stop after
  the first pages: what the document is is decided from five pages, so a
  458-page prospectus is refused in ~0.05 s (the shared reader reads every
  page: 2.7 s). Unify once pdf.read_pdf takes a page limit.
- Chinese PDFs space characters out ("全 球 發 售") and wrap dates over lines
  ("2025年12\\n月23日"): spaces between CJK characters are dropped, and each
  page is also kept "flat" (line breaks next to Chinese removed) for the
  sentence patterns; matching runs on `textnorm.fold` (Simplified, half-width,
  lower case) of that.
- Each field is a labelled pattern; every value keeps its page and quote.
- Checks before anything is kept: public + international = total offer
  shares; range bottom ≤ top; the application table's first row (one lot) ≈
  board lot × maximum price × (1 + fees); the timetable in order; the stock
  code stated twice agrees. A field that fails is dropped with the reason in
  `notes`, never guessed.
- Sponsor names are usually logos (images with no text); names are kept only
  when the text under the sponsors' heading splits cleanly into known firms,
  otherwise nothing is stored and `notes` says why. Whether the notice is for a
  sole sponsor or joint sponsors is read from the heading.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hkipo.core.codes import normalize_code, resolve_code
from hkipo.core.errors import UserError
from hkipo.core.items import Announcement, Claim
from hkipo.core.textnorm import fold
from hkipo.extract.dates import MONTHS
from hkipo.extract.pdf import pdf_source

PARSER_VERSION = "formal_notice/1"
BASIS = "formal_notice"
PAGE_BREAK = "\f\n"
CLASSIFY_PAGES = 5  # the decision "is this a formal notice" is made from these
MAX_PAGES = 40  # real formal notices have 9-12 pages; more is a prospectus or a bundle
# Brokerage 1%, SFC levy 0.0027%, trading fee 0.00565%, AFRC levy 0.00015% (the application table's basis).
APPLICATION_FEES = 0.01 + 0.000027 + 0.0000565 + 0.0000015


class NotAPdf(UserError):
    """The file is not a readable PDF."""


class NotAFormalNotice(UserError):
    """A PDF, but not an HKEX formal notice (the reason names what it seems to be)."""


@dataclass(frozen=True)
class Value:
    """One field's value as the notice states it."""

    value: float | None
    text: str | None  # ISO date / datetime, names; None for plain numbers
    unit: str  # HKD | shares | date | datetime | text | flag | count
    page: int
    quote: str


@dataclass
class FormalNotice:
    hkex_code: str | None
    name_en: str | None
    name_zh: str | None
    fields: dict[str, Value]
    sponsors: list[str] = field(default_factory=list)
    overall_coordinators: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # field -> why it is missing / was dropped
    warnings: list[str] = field(default_factory=list)
    pages: int = 0
    language: str = "zh"
    text: str = ""

    def get(self, name: str) -> float | str | None:
        v = self.fields.get(name)
        if v is None:
            return None
        return v.text if v.value is None else v.value

    def claims(self) -> list[Claim]:
        """Planned figures as claims with basis `formal_notice` (reconciliation keeps final figures apart)."""
        out: list[Claim] = []
        code = self.hkex_code or ""
        for name, v in self.fields.items():
            if name not in CLAIM_METRICS:
                continue
            metric = CLAIM_METRICS[name]
            is_date = v.unit in ("date", "datetime")
            # Claims hold the day (ISO, as the allotment parser's dates); the time of day stays in `offers`.
            out.append(Claim(hkex_code=code, metric=metric, value=v.value, unit="date" if is_date else v.unit,
                             quote=v.quote, value_text=(v.text or "")[:10] if is_date else v.text, basis=BASIS,
                             page=v.page))
        return out


# parser field -> claim metric (the metric names the allotment parser and reconciliation already use)
CLAIM_METRICS: dict[str, str] = {
    "offer_price": "offer_price",
    "offer_price_low": "offer_price_low",
    "offer_price_high": "offer_price_high",
    "shares_offered": "shares_offered",
    "public_offer_shares": "public_offer_shares_initial",
    "international_offer_shares": "international_offer_shares_initial",
    "board_lot": "board_lot",
    "listing_date": "listing_date",
    "offer_open": "offer_open_date",
    "offer_close": "offer_close_date",
    "price_determination_date": "price_determination_date",
    "allotment_results_date": "allotment_results_date",
}
FIELD_NAMES: tuple[str, ...] = (
    "stock_code", "name_en", "name_zh", "offer_price", "offer_price_low", "offer_price_high", "shares_offered",
    "public_offer_shares", "international_offer_shares", "board_lot", "offer_open", "offer_close",
    "price_determination_date", "allotment_results_date", "listing_date", "sponsor_kind", "sponsors",
    "overall_coordinators", "cornerstones_mentioned",
)

# ---------------------------------------------------------------------------
# Reading the PDF (private until hkipo/extract/pdf.py lands on main)


def read_pdf(data: bytes, *, label: str = "the file", max_pages: int | None = None) -> tuple[int, list[str]]:
    """(page count, text of the first `max_pages` pages) via pypdfium2; NotAPdf if unreadable."""
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise NotAPdf(f"{label} is not a PDF (it does not start with %PDF)")
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except Exception as e:  # pdfium raises PdfiumError for damaged files
        raise NotAPdf(f"{label} is not a readable PDF: {type(e).__name__}: {str(e)[:200]}") from None
    try:
        n = len(doc)
        texts = []
        for i in range(n if max_pages is None else min(n, max_pages)):
            page = doc[i]
            tp = page.get_textpage()
            texts.append(tp.get_text_range().replace("\r\n", "\n").replace("\r", "\n"))
            tp.close()
            page.close()
        return n, texts
    finally:
        doc.close()


# ---------------------------------------------------------------------------
# Text normalisation

_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\u2018-\u201d"
_SPACED = re.compile(rf"(?<=[{_CJK}])[ \u3000]+(?=[{_CJK}])")
_FLAT_NL = re.compile(rf"(?<=[{_CJK}0-9(])[ \t\u3000]*\n[ \t\u3000]*(?=[{_CJK}0-9(])"
                      rf"|(?<=[{_CJK}])[ \t\u3000]*\n[ \t\u3000]*|[ \t\u3000]*\n[ \t\u3000]*(?=[{_CJK}])")


def _clean(page: str) -> str:
    page = page.replace("\u00a0", " ")
    return _SPACED.sub("", page)


def _flatten(page: str) -> str:
    flat = _FLAT_NL.sub("", page)
    return re.sub(r"[ \t]*\n[ \t]*", " ", flat)


class _Doc:
    def __init__(self, pages: Sequence[str]):
        self.lines_pages = [_clean(p or "") for p in pages]
        self.flat_pages = [_flatten(p) for p in self.lines_pages]
        self.flat = PAGE_BREAK.join(self.flat_pages)
        self.folded = fold(self.flat)
        self.starts: list[int] = []
        pos = 0
        for p in self.flat_pages:
            self.starts.append(pos)
            pos += len(p) + len(PAGE_BREAK)

    def page_of(self, pos: int) -> int:
        return max(i + 1 for i, s in enumerate(self.starts) if s <= pos)

    def quote(self, start: int, end: int) -> str:
        return re.sub(r"\s+", " ", self.flat[max(0, start):end].replace("\f", " ")).strip()[:300]


# ---------------------------------------------------------------------------
# Dates and times

_ZH_NUM = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9, "十": 10}
_DATE_ZH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*[(（]\s*星期.\s*[)）])?")
_TIME_ZH = re.compile(r"\s*(?:[(（]香港时间[)）])?\s*(上午|中午|下午|晚上|凌晨|午夜)?\s*([0-9]{1,2}|[零〇一二两三四五六七八九十]{1,3})\s*时"
                      r"\s*(正|[0-9]{1,2}\s*分|[零〇一二三四五六七八九十]{1,3}\s*分)?")
_WEEKDAY = r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday),?\s+)?"
_DATE_EN = re.compile(_WEEKDAY + r"(january|february|march|april|may|june|july|august|september|october|november"
                      r"|december)\s+(\d{1,2}),?\s+(\d{4})")
_TIME_EN = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*(a\.m\.|p\.m\.|noon|midnight)")


def _zh_int(s: str) -> int | None:
    s = s.strip()
    if s.isdigit():
        return int(s)
    if not s or any(c not in _ZH_NUM for c in s):
        return None
    if "十" not in s:
        return _ZH_NUM[s[0]] if len(s) == 1 else None
    tens, _, ones = s.partition("十")
    return (_ZH_NUM[tens] if tens else 1) * 10 + (_ZH_NUM[ones] if ones else 0)


def _zh_time(m: re.Match[str]) -> dt.time | None:
    ampm, hour_s, minute_s = m.group(1), m.group(2), m.group(3)
    hour = _zh_int(hour_s)
    if hour is None:
        return None
    minute = 0
    if minute_s and minute_s != "正":
        got = _zh_int(minute_s.rstrip("分").strip())
        if got is None:
            return None
        minute = got
    if ampm in ("下午", "晚上") and hour < 12:
        hour += 12
    if ampm == "午夜" and hour == 12:
        hour = 0
    if not (0 <= hour < 24 and 0 <= minute < 60):
        return None
    return dt.time(hour, minute)


def _en_time(m: re.Match[str]) -> dt.time | None:
    hour, minute, mer = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if mer == "p.m." and hour < 12:
        hour += 12
    if mer == "a.m." and hour == 12:
        hour = 0
    if mer == "midnight":
        hour = 0 if hour == 12 else hour
    if not (0 <= hour < 24 and 0 <= minute < 60):
        return None
    return dt.time(hour, minute)


@dataclass(frozen=True)
class _When:
    date: dt.date
    time: dt.time | None
    start: int
    end: int


def _first_when(folded: str, start: int, end: int) -> _When | None:
    """The first date (with its time, if stated next to it) in folded[start:end]."""
    seg = folded[start:end]
    best: _When | None = None
    m = _DATE_ZH.search(seg)
    if m:
        try:
            d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            d = None
        if d:
            t = None
            tm = _TIME_ZH.match(seg, m.end())
            e = m.end()
            if tm and tm.group(2):
                t = _zh_time(tm)
                e = tm.end()
            else:  # "上午9時正至2025年…": the time before the date
                before = list(_TIME_ZH.finditer(seg[max(0, m.start() - 12):m.start()]))
                if before and before[-1].end() == m.start() - max(0, m.start() - 12):
                    t = _zh_time(before[-1])
            best = _When(d, t, start + m.start(), start + e)
    m = _DATE_EN.search(seg)
    if m and (best is None or start + m.start() < best.start):
        try:
            d = dt.date(int(m.group(3)), MONTHS[m.group(1)], int(m.group(2)))
        except ValueError:
            d = None
        if d:
            t = None
            # "9:00 a.m. on Tuesday, February 3, 2026" or "February 3, 2026 at 9:00 a.m."
            before = list(_TIME_EN.finditer(seg[max(0, m.start() - 40):m.start()]))
            if before and re.fullmatch(r"\s*(?:on|of)?\s*", seg[max(0, m.start() - 40) + before[-1].end():m.start()]):
                t = _en_time(before[-1])
            else:
                after = re.match(r",?\s*(?:at\s+)?" + _TIME_EN.pattern, seg[m.end():])
                if after:
                    t = _en_time(_TIME_EN.search(after.group(0)))  # type: ignore[arg-type]
            best = _When(d, t, start + m.start(), start + m.end())
    return best


# ---------------------------------------------------------------------------
# What the document is


def classify(pages: Sequence[str], n_pages: int) -> str | None:
    """None if the first pages read as a formal notice, else a one-line reason naming what it is."""
    doc = _Doc(pages[:CLASSIFY_PAGES])
    f = doc.folded
    if re.search(r"if you are in any doubt about any of the contents of this (?:document|prospectus)"
                 r"|阁下如对本(?:文件|招股章程)的?任何内容有任何疑问|阁下对本(?:文件|招股章程)任何内容如有任何疑问", f) \
            and not re.search(r"本公告并非招股章程|this announcement is not a prospectus", f):
        return f"this is a prospectus ({n_pages} pages), not a formal notice"
    head = _Doc(pages[:2]).folded
    if re.search(r"allotment results announcement|announcement of final offer price and allotment results"
                 r"|(?:配发|分配|配售)结果公告", head) or re.search(r"(?:最终发售价|final offer price)\s*[:：]", f):
        return "this is an allotment results announcement, not a formal notice"
    if re.search(r"next day disclosure return|翌日披露报表", f[:2000]):
        return "this is a Next Day Disclosure Return, not a formal notice"
    if re.search(r"(?:full|partial) exercise of the over-?allotment option|over-?allotment option (?:has )?lapsed"
                 r"|stabili[sz]ing actions? and (?:the )?end of (?:the )?stabili[sz]ation period"
                 r"|end of stabili[sz]ation period|超额配股权(?:获)?(?:悉数|全部|部分)行使|超额配股权失效"
                 r"|稳定价格(?:行动及)?(?:期)?(?:间)?结束", head):
        return "this is an over-allotment option / stabilisation announcement, not a formal notice"
    if n_pages > MAX_PAGES:
        return f"{n_pages} pages: too long for a formal notice (a prospectus or a bundle of documents?)"
    summary = re.search(r"global offering|share offer|全球发售|股份发售", f) and re.search(
        r"number of (?:hong kong )?offer shares|发售股份(?:数目|总数)", f)
    if not summary:
        return "not a formal notice: no Global Offering summary (number of offer shares) on the first pages"
    if not _PRICE_SUMMARY.search(f):
        return "not a formal notice: the Global Offering summary states no maximum or fixed offer price"
    if not re.search(r"全电子化|fully electronic|网上白表|white form|hkscc eipo|申请渠道|application channel"
                     r"|预期时间表|expected timetable", f):
        if re.search(r"最终发售价|final offer price|(?:配发|分配|配售)结果|allotment results", f):
            return "this is an allotment results announcement, not a formal notice"
        return "not a formal notice: no application channels or expected timetable on the first pages"
    return None


# ---------------------------------------------------------------------------
# Fields

_SHARES_AFTER = re.compile(r"[:：]?\s*([\d,]{3,})\s*(?:股|h\s*shares|shares|offer shares)")
_LABELS_SHARES = {  # GEM share offers: public offer + placing instead of Hong Kong + international
    "shares_offered": r"(?:(?:全球|股份)发售(?:项下)?的?发售股份(?:数目|总数))"
                      r"|(?:number of offer shares under\s+the (?:global|share) offer(?:ing)?)",
    "public_offer_shares": r"(?:香港发售股份数目|公开发售股份数目)|(?:number of (?:hong kong|public) offer shares)",
    "international_offer_shares": r"(?:国际(?:发售|配售)股份数目|(?<!国际)配售股份数目)"
                                  r"|(?:number of (?:international (?:offer|placing)|placing) shares)",
}
_PRICE_SUMMARY = re.compile(
    r"(?P<max>最高(?:公开)?|maximum (?:public )?)?(?:发售价|offer price)\s*[:：]?\s*"
    r"(?:每股(?:h股|发售股份|股份)?\s*(?P<zh>\d+(?:\.\d+)?)\s*港元|hk\$\s*(?P<en>\d+(?:\.\d+)?)\s*per)")
_PRICE_LOW = re.compile(r"(?:(?:预期)?不(?:会)?低于每股(?:h股|发售股份|股份)?\s*(\d+(?:\.\d+)?)\s*港元)"
                        r"|(?:not (?:be )?less than hk\$\s*(\d+(?:\.\d+)?))")
_PRICE_RANGE_EN = re.compile(r"offer price range[^\d]{0,40}hk\$\s*(\d+(?:\.\d+)?)\s*(?:to|-|–)\s*hk\$\s*(\d+(?:\.\d+)?)")
_CODE = re.compile(r"(?:股份代号|stock code)\s*[:：]?\s*(\d{4,5})(?!\d)")
_CODE_END = re.compile(r"(?:股份代号(?:将)?为|stock code of (?:the|our) (?:h )?shares (?:will be|is))\s*(\d{4,5})(?!\d)")
_LOT = (re.compile(r"每手(?:买卖单位)?\s*([\d,]+)\s*股"),
        re.compile(r"以\s*([\d,]+)\s*股(?:h股|股份)?为(?:一手|每手)?买卖单位"),
        re.compile(r"board lots? (?:size )?of\s+([\d,]+)\s+(?:h\s+)?shares"),
        re.compile(r"board lot size[^\d]{0,20}([\d,]+)"))
_TIMETABLE_HEAD = re.compile(r"预期时间表|expected timetable")
_ENTRIES: dict[str, tuple[str, ...]] = {
    "offer_open": (r"(?:香港)?公开发售(?:及优先发售)?开始", r"(?:hong kong )?public offer(?:ing)? commences"),
    "offer_close": (r"截止办理(?:香港公开发售(?:及优先发售)?的?)?(?:认购)?申请登记", r"application lists close"),
    "price_determination_date": (r"预期定价日", r"expected price determination date"),
    "allotment_results_date": (r"分配(?:香港发售股份的)?基准(?:的公告|刊[登发]公告)?", r"basis of allo(?:c|t)(?:ation|ment)s? of (?:the )?hong kong offer shares"),
    "listing_date": (r"(?:预期|预计)?h?股(?:份)?(?:将)?(?:开始)?(?:于|在)?(?:香港时间)?(?:上午[^\s.]{1,6})?(?:开始)?(?:于|在)"
                     r"(?:香港)?联交所(?:主板)?(?:开始)?买卖",
                     r"dealings in (?:our |the )?(?:h )?shares on the (?:hong kong )?stock exchange (?:are )?expected"
                     r" to commence"),
}
_LISTING_SENTENCE = (
    re.compile(r"预期h?股(?:份)?将于"),
    re.compile(r"dealings in (?:our |the )?(?:h )?shares (?:on the (?:hong kong )?stock exchange )?(?:are expected to|will)"
               r" commence"),
)
_OPEN_SENTENCE = (re.compile(r"香港公开发售(?:期间)?将于"), re.compile(r"application period[^.]{0,40}will commence"))
_ROLE = re.compile(r"保荐人|整体协调人|全球协调人|账簿管理人|牵头经办人|资本市场中介人|sponsor|coordinator|bookrunner|lead manager"
                   r"|按英文字母顺序|排名不分先后|in alphabetical order|in no particular order")
_KNOWN_FIRMS = (
    "Morgan Stanley", "Goldman Sachs", "J.P. Morgan", "JPMorgan", "UBS", "HSBC", "Citigroup", "Citi", "BofA Securities",
    "Merrill Lynch", "Jefferies", "Deutsche Bank", "Credit Suisse", "Barclays", "BNP Paribas", "Nomura", "Macquarie",
    "CITIC Securities", "CLSA", "CLSA Limited", "CICC", "China International Capital Corporation", "Huatai", "HTSC",
    "Huatai International", "CMBI", "CMB International", "CCBI", "CCB International", "ICBCI", "ICBC International",
    "BOCI", "BOC International", "ABCI", "ABC International", "GF Securities", "GFSHK", "Guotai Junan",
    "GTJA", "Guotai Junan International", "Haitong", "Haitong International", "CSCI", "China Securities International",
    "CMS", "China Merchants Securities", "Orient Securities", "Everbright", "CEBI", "Futu", "Tiger Brokers",
    "Fosun International", "Zhongtai International", "Shenwan Hongyuan", "SWS", "Guosen", "Changjiang", "Valuable Capital",
    "Essence International", "First Shanghai", "Soochow Securities", "DBS", "Standard Chartered", "Mizuho",
)
_FIRM_RE = re.compile(r"\s*(" + "|".join(sorted((re.escape(f) for f in _KNOWN_FIRMS), key=len, reverse=True))
                      + r")(?=\s|$)", re.IGNORECASE)


def _split_firms(line: str) -> list[str] | None:
    """Known firm names making up the whole line, or None if anything is left over."""
    out: list[str] = []
    pos = 0
    line = line.strip()
    while pos < len(line):
        m = _FIRM_RE.match(line, pos)
        if not m:
            return None
        out.append(m.group(1))
        pos = m.end()
        while pos < len(line) and line[pos] == " ":
            pos += 1
    return out


def _add(fields: dict[str, Value], name: str, value: float | None, text: str | None, unit: str, doc: _Doc,
         start: int, end: int) -> None:
    if name not in fields:
        fields[name] = Value(value, text, unit, doc.page_of(start), doc.quote(start, end))


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def _when_text(w: _When) -> tuple[str, str]:
    if w.time is None:
        return w.date.isoformat(), "date"
    return f"{w.date.isoformat()}T{w.time.strftime('%H:%M')}", "datetime"


def parse_formal_notice_text(pages: Sequence[str], *, n_pages: int | None = None,
                             code: str | None = None) -> FormalNotice:
    """The offer's planned terms from a formal notice's page texts; NotAFormalNotice if it is not one."""
    n = n_pages if n_pages is not None else len(pages)
    reason = classify(pages, n)
    if reason:
        raise NotAFormalNotice(reason)
    doc = _Doc(pages)
    f = doc.folded
    fields: dict[str, Value] = {}
    notes: dict[str, str] = {}
    warnings: list[str] = []
    language = "en" if len(re.findall(r"[a-z]", f[:4000])) > len(re.findall(r"[\u4e00-\u9fff]", f[:4000])) else "zh"

    # stock code: the summary's, checked against the closing sentence's
    m = _CODE.search(f)
    m_end = list(_CODE_END.finditer(f))
    stated = None
    if m:
        stated = m.group(1)
        _add(fields, "stock_code", None, normalize_code(stated), "text", doc, m.start(), m.end())
    elif m_end:
        stated = m_end[-1].group(1)
        _add(fields, "stock_code", None, normalize_code(stated), "text", doc, m_end[-1].start(), m_end[-1].end())
    if m and m_end and normalize_code(m_end[-1].group(1)) != normalize_code(m.group(1)):
        warnings.append(f"stock code: the summary says {m.group(1)}, the closing sentence {m_end[-1].group(1)}")
        fields.pop("stock_code", None)
        notes["stock_code"] = "the summary and the closing sentence state different stock codes"
        stated = None
    hkex_code = resolve_code(code, stated, document="formal notice")

    # shares offered
    for name, label in _LABELS_SHARES.items():
        lm = re.search(label, f)
        if not lm:
            notes[name] = "label not found"
            continue
        vm = _SHARES_AFTER.match(f, lm.end()) or _SHARES_AFTER.search(f[lm.end():lm.end() + 80])
        if vm is None:
            notes[name] = "label found but no share count after it"
            continue
        s, e = (vm.start(1), vm.end()) if vm.string is f else (lm.end() + vm.start(1), lm.end() + vm.end())
        _add(fields, name, _num(vm.group(1)), None, "shares", doc, lm.start(), e)
    tot, pub, intl = (fields.get(k) for k in ("shares_offered", "public_offer_shares", "international_offer_shares"))
    if tot and pub and intl and abs((pub.value or 0) + (intl.value or 0) - (tot.value or 0)) > 0.5:
        warnings.append(f"offer shares: Hong Kong {pub.value:,.0f} + international {intl.value:,.0f} "
                        f"≠ total {tot.value:,.0f}; none of the three kept")
        for k in ("shares_offered", "public_offer_shares", "international_offer_shares"):
            fields.pop(k)
            notes[k] = "Hong Kong + international offer shares do not add up to the total"

    # price: fixed, or maximum (+ bottom of the range from the pricing section)
    pm = _PRICE_SUMMARY.search(f)
    if pm is None:
        notes["offer_price"] = "no offer price in the summary"
    else:
        price = float(pm.group("zh") or pm.group("en"))
        if pm.group("max"):
            _add(fields, "offer_price_high", price, None, "HKD", doc, pm.start(), pm.end())
            low = _PRICE_LOW.search(f)
            rng = _PRICE_RANGE_EN.search(f)
            if low:
                lv = float(low.group(1) or low.group(2))
                _add(fields, "offer_price_low", lv, None, "HKD", doc, low.start(), low.end())
            elif rng:
                _add(fields, "offer_price_low", float(rng.group(1)), None, "HKD", doc, rng.start(), rng.end())
            else:
                notes["offer_price_low"] = ("the notice states only a maximum price (no 'not less than'): "
                                            "priced by reference to another market or by bookbuilding")
            notes["offer_price"] = "a range: the final price is set on the price determination date"
        else:
            _add(fields, "offer_price", price, None, "HKD", doc, pm.start(), pm.end())
            notes["offer_price_low"] = notes["offer_price_high"] = "fixed price: no range"
    lo, hi = fields.get("offer_price_low"), fields.get("offer_price_high")
    if lo and hi and (lo.value or 0) > (hi.value or 0):
        warnings.append(f"price range: bottom {lo.value} above top {hi.value}; neither kept")
        fields.pop("offer_price_low")
        fields.pop("offer_price_high")
        notes["offer_price_low"] = notes["offer_price_high"] = "range bottom above its top"

    # board lot
    for rx in _LOT:
        lm = rx.search(f)
        if lm:
            _add(fields, "board_lot", _num(lm.group(1)), None, "shares", doc, max(0, lm.start() - 20), lm.end() + 10)
            break
    else:
        notes["board_lot"] = "no board lot sentence"
    _check_application_table(doc, fields, notes, warnings)

    # timetable
    tt = _TIMETABLE_HEAD.search(f)
    tt_start = tt.start() if tt else 0
    for name, (zh, en) in _ENTRIES.items():
        got = None
        for label in (zh, en):
            for lm in re.finditer(label, f[tt_start:]):
                s = tt_start + lm.start()
                w = _first_when(f, tt_start + lm.end(), tt_start + lm.end() + 400)
                if w is not None:
                    got = (s, w)
                    break
            if got:
                break
        if got is None and name == "listing_date":
            got = _sentence_when(f, _LISTING_SENTENCE)
        if got is None and name == "offer_open":
            got = _sentence_when(f, _OPEN_SENTENCE)
        if got is None:
            fixed = "offer_price" in fields and name == "price_determination_date"
            notes[name] = "fixed price: no price determination date" if fixed else "not found in the expected timetable"
            continue
        s, w = got
        if w.time is None:  # "預期股份於香港時間上午九時正開始在聯交所買賣 …… 2025年8月28日": the time in the label
            label_times = [t for t in (_zh_time(m) for m in _TIME_ZH.finditer(f[s:w.start]) if m.group(2)) if t]
            label_times += [t for t in (_en_time(m) for m in _TIME_EN.finditer(f[s:w.start])) if t]
            if len(label_times) == 1:
                w = _When(w.date, label_times[0], w.start, w.end)
        text, unit = _when_text(w)
        _add(fields, name, None, text, unit, doc, s, w.end)
    _check_timetable(fields, notes, warnings)

    # names of the company, sponsors and coordinators from the summary page
    name_en, name_zh = _names(doc)
    if name_en:
        fields["name_en"] = Value(None, name_en, "text", _summary_page(doc) + 1, name_en)
    if name_zh:
        fields["name_zh"] = Value(None, name_zh, "text", _summary_page(doc) + 1, name_zh)
    sponsors, ocs, kind = _roles(doc, notes, warnings)
    if not sponsors:  # logos under the heading; a sentence may still name them
        from hkipo.extract.sponsors import sponsors_named

        sponsors = sponsors_named("\n".join(doc.flat_pages))
        if sponsors:
            notes.pop("sponsors", None)
    if kind:
        fields["sponsor_kind"] = Value(None, kind, "text", _summary_page(doc) + 1, kind)
    if sponsors:
        fields["sponsors"] = Value(float(len(sponsors)), "; ".join(sponsors), "count", _summary_page(doc) + 1,
                                   " ".join(sponsors))
    if ocs:
        fields["overall_coordinators"] = Value(float(len(ocs)), "; ".join(ocs), "count", _summary_page(doc) + 1,
                                               " ".join(ocs))
    cm = re.search(r"基石投资者|cornerstone investors?", f)
    if cm:
        fields["cornerstones_mentioned"] = Value(1.0, "yes", "flag", doc.page_of(cm.start()),
                                                 doc.quote(cm.start() - 40, cm.end() + 80))
    else:
        notes["cornerstones_mentioned"] = ("the notice does not mention cornerstone investors "
                                           "(they may still be in the prospectus)")
    return FormalNotice(hkex_code=hkex_code, name_en=name_en, name_zh=name_zh, fields=fields, sponsors=sponsors,
                        overall_coordinators=ocs, notes=notes, warnings=warnings, pages=n, language=language,
                        text=doc.flat)


def _sentence_when(f: str, patterns: Sequence[re.Pattern[str]]) -> tuple[int, _When] | None:
    for rx in patterns:
        for m in rx.finditer(f):
            w = _first_when(f, m.end(), m.end() + 120)
            if w is not None:
                return m.start(), w
    return None


def _check_application_table(doc: _Doc, fields: dict[str, Value], notes: dict[str, str], warnings: list[str]) -> None:
    """The table's first row is one board lot at the maximum price plus fees: a cross-check of both."""
    lot = fields.get("board_lot")
    price = fields.get("offer_price") or fields.get("offer_price_high")
    if not lot or not price:
        return
    lines = fold(PAGE_BREAK.join(doc.lines_pages))
    hm = re.search(r"应(?:付|缴)(?:金额|款项)|amount\s+payable", lines)
    if not hm:
        return
    rm = re.compile(r"(?m)^[ \t]*([\d,]+)(?:\(\d\))?\s+([\d,]+\.\d{2})(?=\s)").search(lines, hm.end(), hm.end() + 2500)
    if not rm:
        return
    shares, amount = _num(rm.group(1)), _num(rm.group(2))
    expected = shares * (price.value or 0) * (1 + APPLICATION_FEES)
    if abs(expected - amount) > 0.015:  # the table is rounded to the cent
        warnings.append(f"application table: {shares:,.0f} shares cost HK${amount:,.2f}, but at HK${price.value} "
                        f"plus fees that is HK${expected:,.2f}; price not kept")
        for k in ("offer_price", "offer_price_high"):
            if k in fields:
                fields.pop(k)
                notes[k] = "disagrees with the application table's first row"
    elif shares != lot.value:
        warnings.append(f"application table starts at {shares:,.0f} shares, the board lot sentence says "
                        f"{lot.value:,.0f}; board lot not kept")
        fields.pop("board_lot")
        notes["board_lot"] = "the application table's smallest application is not one board lot"


_ORDER = ("offer_open", "offer_close", "price_determination_date", "allotment_results_date", "listing_date")


def _check_timetable(fields: dict[str, Value], notes: dict[str, str], warnings: list[str]) -> None:
    dates = [(k, fields[k].text or "") for k in _ORDER if k in fields]
    bad: set[str] = set()
    for (a, da), (b, db) in zip(dates, dates[1:]):
        if da[:10] > db[:10]:
            bad |= {a, b}
            warnings.append(f"timetable out of order: {a} {da} after {b} {db}")
    for k in bad:
        fields.pop(k)
        notes[k] = "the timetable's dates are out of order around this one"
    if "offer_open" in fields and "listing_date" in fields:
        span = (dt.date.fromisoformat(fields["listing_date"].text[:10])  # type: ignore[index]
                - dt.date.fromisoformat(fields["offer_open"].text[:10])).days  # type: ignore[index]
        if span > 60:
            warnings.append(f"listing {span} days after the offer opens: dates not kept")
            for k in _ORDER:
                if k in fields:
                    fields.pop(k)
                    notes[k] = "offer open and listing more than 60 days apart"


def _summary_page(doc: _Doc) -> int:
    for i, p in enumerate(doc.lines_pages):
        if re.search(r"发售股份(?:数目|总数)|number of offer shares", fold(p)):
            return i
    return 0


_INCORP = re.compile(r"^[(（]\s*(?:于|根据|在|a |an |incorporated|established|registered)|^[(（].*(?:成立|incorporated|registered).*[)）]$")


def _names(doc: _Doc) -> tuple[str | None, str | None]:
    page = doc.lines_pages[_summary_page(doc)]
    lines = [ln.strip() for ln in page.split("\n")]
    folded = [fold(ln) for ln in lines]
    for i, ln in enumerate(folded):
        if _INCORP.search(ln):
            en = zh = None
            for prev in reversed(lines[max(0, i - 3):i]):
                if not prev or re.fullmatch(r"[\d–\-\s]+", prev):
                    continue
                if re.search(r"[\u4e00-\u9fff]", prev) and zh is None and len(prev) <= 40:
                    zh = prev
                elif re.fullmatch(r"[A-Za-z0-9&.,'’()\- ]+", prev) and en is None and len(prev) <= 120:
                    en = prev
                else:
                    break
            return en, zh
    return None, None


def _roles(doc: _Doc, notes: dict[str, str], warnings: list[str]) -> tuple[list[str], list[str], str | None]:
    """Sponsors and overall coordinators named in text under their headings; sole/joint from the heading."""
    page = doc.lines_pages[_summary_page(doc)]
    lines = [ln.strip() for ln in page.split("\n")]
    code_at = next((i for i, ln in enumerate(lines) if re.search(r"股份代號|股份代号|stock code", ln, re.I)), None)
    if code_at is None:
        notes["sponsors"] = notes["overall_coordinators"] = "no stock code line in the summary to start from"
        return [], [], None
    groups: list[tuple[str, list[str]]] = []
    heading = False
    for ln in lines[code_at + 1:]:
        fl = fold(ln)
        if not ln or re.fullmatch(r"[\d–\-\s]+", ln):
            continue
        if _ROLE.search(fl) and (re.search(r"[\u4e00-\u9fff]", fl) or re.search(r"sponsor|coordinator|bookrunner|manager|order", fl)):
            if heading and groups:
                groups[-1] = (groups[-1][0] + fl, groups[-1][1])
            else:
                groups.append((fl, []))
            heading = True
            continue
        if re.search(r"[\u4e00-\u9fff]", ln) or len(ln) > 100:  # body text: the summary is over
            break
        heading = False
        if groups:
            groups[-1][1].append(ln)
    kind = None
    for h, _ in groups:
        if re.search(r"独家保荐人|sole sponsor", h):
            kind = "sole"
            break
        if re.search(r"联席保荐人|joint sponsors", h):
            kind = "joint"
            break
    sponsors: list[str] = []
    ocs: list[str] = []
    for target, rx, name in ((sponsors, r"保荐人|sponsor", "sponsors"),
                             (ocs, r"整体协调人|overall coordinator", "overall_coordinators")):
        texts = [t for h, ts in groups if re.search(rx, h) for t in ts]
        if not texts:
            notes[name] = "no names in the text under the heading (printed as logos)"
            continue
        firms: list[str] = []
        for t in texts:
            split = _split_firms(t)
            if split is None:
                notes[name] = f"the text under the heading ({t!r}) does not split into known firms"
                firms = []
                break
            firms += split
        # the first group holds the sponsors: only names under a heading that says so
        for fm in firms:
            if fm not in target:
                target.append(fm)
    return sponsors, ocs, kind


def parse_formal_notice_pdf(source: bytes | str | Path, *, code: str | None = None,
                            name: str | None = None) -> FormalNotice:
    """Read a PDF and parse it as a formal notice: the first pages decide, the rest is read only if it is one."""
    label, data = pdf_source(source, name=name, unnamed="the PDF")
    n, first = read_pdf(data, label=label, max_pages=CLASSIFY_PAGES)
    if not any(p.strip() for p in first):
        raise NotAFormalNotice(f"{label}: no extractable text on the first pages (a scanned image?)")
    reason = classify(first, n)
    if reason:
        raise NotAFormalNotice(f"{label}: {reason}")
    _, pages = read_pdf(data, label=label, max_pages=MAX_PAGES)
    try:
        return parse_formal_notice_text(pages, n_pages=n, code=code)
    except NotAFormalNotice as e:
        raise NotAFormalNotice(f"{label}: {e}") from None


@dataclass(frozen=True)
class ParsedFormalNotice:
    """What the hkex spider yields for a formal notice PDF: the document and what it says."""

    announcement: Announcement
    notice: FormalNotice


def formal_notice_from_pdf(body: bytes, url: str, *, news_id: str | None, title: str | None,
                           published_at: dt.datetime | None, code: str, language: str) -> ParsedFormalNotice:
    """Parse one downloaded formal notice (UserError subclasses if it is not one, or is another issuer's)."""
    notice = parse_formal_notice_pdf(body, code=code, name=url)
    ann = Announcement(
        announcement_id=f"{news_id or hashlib.sha1(url.encode()).hexdigest()[:12]}-{language}",
        hkex_code=notice.hkex_code or normalize_code(code), title=title or "Formal Notice", language=language,
        url=url, published_at=published_at, parser_version=PARSER_VERSION, kind="formal_notice",
        pdf_sha256=hashlib.sha256(body).hexdigest(), pages=notice.pages, text=notice.text,
    )
    return ParsedFormalNotice(ann, notice)
