"""HKEX allotment results announcements: PDF → checked figures with page and quote.

Real announcements (2025–26, English, Traditional or Simplified Chinese, Main
Board and GEM, the 2025 template and the older one) are tables. Their text
layer keeps a table's cells in drawing order, which in many files is not the
reading order, so the parser reads **visual lines** (characters grouped by
position, `hkipo.extract.pdf`) and never line numbers:

1. Recognise the document from its title lines (`document_kind`): an
   allotment results announcement is accepted; an over-allotment or
   stabilisation notice, a Next Day Disclosure Return, a formal notice or a
   prospectus is refused, naming what it is.
2. Section headings (HONG KONG PUBLIC OFFERING / PUBLIC OFFER / 香港公開發售,
   INTERNATIONAL OFFER(ING) / 國際發售 / 配售, CORNERSTONE INVESTORS,
   BASIS OF ALLOCATION…) say which tranche a "subscription level" belongs
   to and where the tables are.
3. A label (English or Chinese, matched on folded text with all whitespace
   removed, so "ofOffer" and "認 購 水 平" match) starts a line; its value is
   the first figure of the kind it wants on the rest of that line, or on the
   next line when the label wraps around its value.
4. Tables are read row by row: basis of allocation (pool, shares applied
   for, valid applications, basis, % allotted; the ballot "X out of Y" must
   name the row's own Y), cornerstone investors (name, shares, %, lock-up).
5. Arithmetic is checked before anything is returned as a claim
   (`_check`): a figure that fails is dropped and the reason is a warning.
   Missing is acceptable; wrong is not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hkipo.core.codes import resolve_code
from hkipo.core.errors import UserError
from hkipo.core.items import AllocationRow, Claim, Cornerstone
from hkipo.core.numbers import Quantity, find_quantities
from hkipo.core.textnorm import fold
from hkipo.extract.claims.dates import explicit_date
from hkipo.extract.pdf import NotAPdf, PdfPage, read_pdf

__all__ = ["PARSER_VERSION", "Allotment", "Cornerstone", "AllocationRow", "NotAPdf", "NotAnAllotment",
           "document_kind", "parse_allotment_pdf", "parse_allotment_text", "parse_allotment_lines",
           "read_pdf_pages"]

PARSER_VERSION = "allotment/2"
PAGE_BREAK = "\f\n"  # pages are joined with this; `announcements.text` stores the same


class NotAnAllotment(UserError):
    """A PDF, but not an HKEX allotment results announcement (or none of its figures could be read)."""


# --- document kind ------------------------------------------------------------------------------------------

# Title phrases over folded (Simplified, lower-case) text with whitespace removed. A title is a short line.
_KINDS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    # An allotment title ends its line ("…有限公司最終發售價及配發結果公告" wraps the issuer's name before it).
    ("allotment_results", "an allotment results announcement", re.compile(
        r"(?:(?:配发|分配|配售)结果公告|最终发售价(?:及|和|与)?(?:配发|分配|配售)公告|allotmentresultsannouncement"
        r"|announcementof(?:thefinalofferpriceand)?allotmentresults|(?:final)?offerpriceandallotmentresults"
        r"|^allotmentresults)$")),
    # The others start theirs.
    ("over_allotment", "an over-allotment option / stabilisation announcement", re.compile(
        r"^(?:(?:悉数|全数|全部|部分)行使超额配股权|超额配股权(?:获)?(?:悉数|部分)行使|稳定价格行动(?:及|和|与)稳定价格期"
        r"|稳定价格期(?:结束|届满)|(?:full|partial)exerciseof(?:the)?over-?allotmentoption|endofstabili[sz]ationperiod"
        r"|稳定价格期间结束|(?:并)?无稳定价格行动及超额配股权失效|stabili[sz]ingactions(?:and|,)|lapseof(?:the)?over-?allotmentoption|超额配股权失效|(?:the)?over-?allotmentoption$)")),
    ("next_day_disclosure", "a Next Day Disclosure Return", re.compile(r"^(?:翌日披露报表|nextdaydisclosurereturn)")),
    ("formal_notice", "a formal notice (the offer's opening notice)", re.compile(
        r"^(?:致投资者的重要(?:通知|提示)|importantnoticetoinvestors|正式通告$|formalnotice$|全球发售$|globaloffering$)")),
    ("prospectus", "a prospectus", re.compile(r"^(?:招股章程|prospectus)$")),
)


def _squeeze(s: str) -> str:
    return re.sub(r"\s+", "", s)


def document_kind(pages: Sequence[Sequence[str]]) -> tuple[str, str]:
    """(kind, what it is in words) from the title lines of the first pages; ('unknown', …) if none.

    An allotment title wins over a formal notice's cover headings (allotment announcements reprint the
    cover), but not over an over-allotment or NDDR title that comes before it.
    """
    first: dict[str, tuple[int, str]] = {}
    for pi, lines in enumerate(pages[:5]):
        for li, line in enumerate(lines):
            s = _squeeze(fold(line))
            if not s or len(s) > 48:
                continue
            for kind, words, pat in _KINDS:
                if pat.search(s):
                    if kind == "prospectus" and len(pages) < 60:
                        continue  # a cover heading, not a prospectus (they run to hundreds of pages)
                    first.setdefault(kind, (pi * 10_000 + li, words))
                    break
    if not first:
        return "unknown", "no allotment results title on its first pages"
    if "allotment_results" in first:
        at = first["allotment_results"][0]
        if not any(first[k][0] < at for k in ("over_allotment", "next_day_disclosure") if k in first):
            return "allotment_results", first["allotment_results"][1]
    kind = min((k for k in first if k != "allotment_results"), key=lambda k: first[k][0])
    return kind, first[kind][1]


# --- fields -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    metric: str
    kind: str  # price | money | shares | count | times | percent | date | code | text | flag | range
    labels: tuple[str, ...]  # regexes over folded, whitespace-free text; matched at the line's start
    sections: frozenset[str] | None = None  # where the label counts; None = summary and both tranches


_HK = frozenset({"hk_public"})
_INTL = frozenset({"international"})
_NO = r"(?:no\.?|number)(?:of)?"
_HKPO = r"(?:the)?(?:hongkong)?publicoffer(?:ing)?"
_IO = r"(?:the)?(?:internationaloffer(?:ing)?|(?:international)?placing)"
_ZHK = r"(?:香港)?公开发售"
_ZIO = r"(?:国际发售|国际配售|配售(?:事项)?)"
FIELDS: tuple[Field, ...] = (
    Field("stock_code", "code", (r"stockcode", r"股份代号")),
    Field("stock_short_name", "text", (r"stockshortname", r"股份简称")),
    Field("listing_date", "date", (r"dealingscommencementdate", r"dateofcommencementofdealings",
                                   r"commencementofdealings", r"开始买卖日期?", r"上市日期")),
    Field("board_lot", "shares", (r"boardlot(?:size)?", r"每手买卖单位", r"每手股数", r"买卖单位")),
    Field("offer_price", "price", (r"finalofferprice", r"最终公开发售价(?:及国际发售价)?", r"最终发售价", r"固定发售价", r"发售价(?=[\d(（h港]|$)",
                                   r"offerprice(?=[\dh(]|$)", r"最终配售价", r"配售价(?=[\d(港]|$)")),
    Field("offer_price_high", "price", (r"maximumofferprice", r"最高发售价")),
    Field("offer_price_range", "range", (r"offerpricerange", r"发售价范围")),
    Field("shares_offered", "shares", (rf"{_NO}offershares(?:undertheglobaloffering)?"
                                       r"(?!in(?:the)?(?:hong|inter|public)|under(?:the)?(?:hong|inter|public)|issued|initially"
                                       r"|over)",
                                       r"(?:全球发售项下的?)?发售股份数目(?!占)", r"股份发售项下的?发售股份数目")),
    Field("offer_size_adjustment_shares", "shares", (
        r"numberofadditionalsharesissuedundertheoption", rf"(?:{_NO})?offersharesissuedundertheoffersizeadjustmentoption",
        r"根据发售量调整权发行的(?:额外)?(?:发售)?股份数目")),
    Field("public_offer_shares", "shares", (
        rf"(?:final)?{_NO}offersharesin{_HKPO}", rf"final{_NO}offersharesunder{_HKPO}",
        rf"{_NO}(?:hongkong)?publicoffershares",
        rf"{_ZHK}(?:项下)?的?(?:最终)?发售股份(?:的)?(?:最终)?数目", r"香港发售股份数目", rf"(?:最终)?{_ZHK}股份数目")),
    Field("international_offer_shares", "shares", (
        rf"(?:final)?{_NO}offersharesin{_IO}", rf"final{_NO}offersharesunder{_IO}",
        rf"{_NO}(?:internationaloffer|placing)shares",
        rf"{_ZIO}(?:项下)?的?(?:最终)?(?:发售|配售)?股份(?:的)?(?:最终)?数目", r"(?:最终)?国际发售股份数目")),
    Field("shares_outstanding", "shares", (
        rf"{_NO}(?:issued)?shares(?:inissue|issued)?(?:upon|on|following)?listing",
        r"(?:于)?上市(?:时|后)(?:已)?发行(?:的)?股份数目", r"(?:于)?上市(?:时|后)(?:已)?发售(?:的)?股份数目")),
    Field("shares_over_allocated", "shares", (rf"{_NO}offersharesover-?allocated", r"超额分配的发售股份数目",
                                              r"超额分配(?:的)?股份数目")),
    Field("gross_proceeds", "money", (r"grossproceeds", r"所得款项总额")),
    Field("listing_expenses", "money", (r"less:?estimated(?:total)?listingexpenses(?:payablebasedon(?:the)?finalofferprice)?",
                                        r"减[:]?.{0,20}上市开支")),
    Field("net_proceeds", "money", (r"netproceeds", r"所得款项净额")),
    Field("valid_applications", "count", (rf"{_NO}validapplications", r"有效申请(?:数目|数量|总数)"), _HK),
    Field("successful_applications", "count", (rf"{_NO}successfulapplications", r"(?:受理|成功|获接纳)申请(?:数目|数量)"),
          _HK),
    Field("public_subscription_multiple", "times", (r"subscriptionlevel", r"认购水平", r"认购额", r"认购倍数"), _HK),
    Field("clawback_triggered", "flag", (r"claw-?backtriggered", r"(?:是否)?触发回补机制"), _HK),
    Field("public_offer_shares_initial", "shares", (
        rf"{_NO}offersharesinitiallyavailableunder{_HKPO}",
        rf"{_ZHK}(?:项下)?初步可供认购(?:的)?(?:发售)?股份数目"), _HK),
    Field("public_offer_share_of_offer", "percent", (
        rf"%ofoffersharesunder{_HKPO}to(?:the)?globaloffering",
        rf"{_ZHK}(?:项下)?.{{0,8}}占(?:全球发售|股份发售).{{0,14}}百分比"), _HK),
    Field("placees", "count", (rf"{_NO}placees", r"承配人(?:的)?(?:数目|人数|数量)"), _INTL),
    Field("international_subscription_multiple", "times", (r"subscriptionlevel", r"认购水平", r"认购额", r"认购倍数"),
          _INTL),
    Field("international_offer_shares_initial", "shares", (
        rf"{_NO}offersharesinitiallyavailableunder{_IO}",
        rf"{_ZIO}(?:项下)?初步可供认购(?:的)?(?:发售|配售)?股份数目"), _INTL),
    Field("international_offer_share_of_offer", "percent", (
        rf"%ofoffersharesunder{_IO}to(?:the)?globaloffering",
        rf"{_ZIO}(?:项下)?.{{0,8}}占(?:全球发售|股份发售).{{0,14}}百分比"), _INTL),
)
_COMPILED = [(f, [re.compile(lab) for lab in f.labels]) for f in FIELDS]
NOT_CLAIMS = frozenset({"stock_code", "stock_short_name", "clawback_triggered"})
UNITS = {"price": "HKD", "money": "HKD", "shares": "shares", "count": "count", "times": "times",
         "percent": "fraction"}

# Headings: the whole (whitespace-free, folded) line, after a leading number and a trailing note.
_HEADINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("summary", re.compile(r"(?:summary|摘要|allotmentresultsdetails|(?:配发|分配|配售)结果详情|companyinformation|公司资料"
                           r"|priceinformation|价格资料|proceeds|所得款项|offersharesandsharecapital|发售股份及股本|over-?allocation|超额分配"
                           r"|offersizeadjustmentoption.*|发售量调整权.*)")),
    ("hk_public", re.compile(r"(?:hongkong)?publicoffer(?:ing)?|(?:香港)?公开发售")),
    ("international", re.compile(r"internationaloffer(?:ing)?|internationalplacing|placing|国际发售|国际配售|配售(?:事项)?")),
    ("cornerstone", re.compile(r"cornerstoneinvestors?|基石投资者")),
    ("allocation", re.compile(r"basisof(?:allocation|allotment)(?:under(?:the)?(?:hongkong)?publicoffer(?:ing)?)?"
                              r"|(?:(?:香港)?公开发售(?:的|之|项下的?)?)?(?:分配|配发)(?:基准|准则)")),
    ("other", re.compile(r"lock-?upundertakings?|禁售承诺|禁售|placeeconcentrationanalysis|承配人集中度分析"
                         r"|(?:h股)?shareholderconcentrationanalysis|(?:h股)?股东集中度分析|compliancewith.*"
                         r"|遵守.*|disclaimers?|免责声明|allotteeswithwaivers.*|获(?:得)?豁免.*获分配者|取得豁免.*获分配者"
                         r"|publicfloat|公众持股量"
                         r"|employeepreferentialoffer(?:ing)?|(?:雇员|员工)优先发售|reservedshares|byorderoftheboard|承董事会命|controllingshareholders?|控股股东|existingshareholders?|现有股东")),
)


def _heading(folded_line: str, raw: str | None = None) -> str | None:
    s = _squeeze(folded_line)
    s = re.sub(r"^(?:\d{1,2}[.、)]|\([a-z0-9]\)|[(（][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、)", "", s)
    s = re.sub(r"[:：]$", "", s)
    s = re.sub(r"(?:\(.*\)|附注\d*|note\d*)$", "", s)
    if not s or len(s) > 60:
        return None
    for name, pat in _HEADINGS:
        if pat.fullmatch(s):
            if name in ("hk_public", "international") and re.search(r"[a-z]", raw or "") and raw != raw.upper():
                return None  # English tranche headings are capitals; "Public Offering" is a wrapped label's tail
            return name
    return None


@dataclass(frozen=True)
class _Line:
    page: int
    raw: str
    folded: str
    squeezed: str
    smap: tuple[int, ...]  # squeezed index → folded index
    pos: int  # offset of the line in the announcement text
    section: str


@dataclass(frozen=True)
class _Found:
    metric: str
    value: float | None
    text: str | None
    unit: str
    page: int
    quote: str
    position: int


@dataclass
class Allotment:
    """What one announcement says: its checked claims, its tables, and what the parse noticed."""

    hkex_code: str | None
    stock_name: str | None
    claims: list[Claim]
    warnings: list[str] = field(default_factory=list)
    pages: int = 0
    languages: tuple[str, ...] = ()
    text: str = ""
    kind: str = "allotment_results"
    cornerstones: list[Cornerstone] = field(default_factory=list)
    allocation: list[AllocationRow] = field(default_factory=list)

    def by_metric(self) -> dict[str, Claim]:
        return {c.metric: c for c in self.claims if c.metric != "allocation_band"}


class _Doc:
    def __init__(self, pages: Sequence[Sequence[str]]):
        self.lines: list[_Line] = []
        texts: list[str] = []
        pos = 0
        # Lines before the title are the offer's cover (figures as planned, reprinted): not read.
        title = _KINDS[0][2]
        has_title = any(title.search(_squeeze(fold(ln))) for page in pages[:5] for ln in page
                        if len(_squeeze(ln)) <= 48)
        section = "cover" if has_title else "summary"
        for pi, page in enumerate(pages):
            page_lines = [ln for ln in page if ln.strip()]
            texts.append("\n".join(page_lines))
            for raw in page_lines:
                folded = fold(raw)
                if len(folded) != len(raw):
                    folded = raw.lower()
                h = _heading(folded, raw) if section != "cover" else None
                if h:
                    section = h
                elif section == "cover" and len(_squeeze(folded)) <= 48 and title.search(_squeeze(folded)):
                    section = "summary"
                    h = "title"
                smap = tuple(i for i, ch in enumerate(folded) if not ch.isspace())
                squeezed = "".join(folded[i] for i in smap)
                self.lines.append(_Line(pi + 1, raw, folded, squeezed, smap, pos, "heading" if h else section))
                pos += len(raw) + 1
            pos += len(PAGE_BREAK) - 1
        self.text = PAGE_BREAK.join(texts)
        self.n_pages = len(pages)


def _quote(*lines: _Line) -> str:
    return re.sub(r"\s+", " ", " ".join(ln.raw for ln in lines)).strip()


def _fits(kind: str, q: Quantity, *, bare_times: bool) -> bool:
    whole = float(q.value).is_integer()
    if q.code_like:
        return False
    if kind == "price":
        return q.unit == "HKD" and 0 < q.value < 100_000 and not q.in_range
    if kind == "money":
        return q.unit == "HKD" and q.value >= 100_000
    if kind == "shares":
        return q.unit in ("shares", None) and whole and q.value >= 1
    if kind == "count":
        return q.unit in ("count", None) and whole and q.value >= 1
    if kind == "times":
        return q.unit == "times" or (bare_times and q.unit is None and q.value >= 0)
    if kind == "percent":
        return q.unit == "fraction" and 0 <= q.value <= 1
    return False


_NA = re.compile(r"^(?:n/?a|不适用|nil|无|—|-|–)\b")


def _match_label(line: _Line, nxt: _Line | None) -> tuple[Field, int] | None:
    """(field, end of the label in `line.folded`) for the longest label starting the line."""
    if line.section not in ("summary", "hk_public", "international") or not line.squeezed:
        return None
    # A label wrapped over two lines ("No. of Offer Shares in Hong Kong 9,361,600 / Public Offering"): match on
    # the line without its figures, followed by the next line when that one holds no figure.
    head = re.sub(r"^[•·*\-－—–]+", "", re.sub(r"[\d,.]+(?:%|倍|times|x)?", "", line.squeezed))
    if len(head) < 2:
        return None  # a line of figures: a label never starts on the line before its own text
    cont = head
    if nxt is not None and _heading(nxt.folded, nxt.raw) is None and nxt.page == line.page:
        cont = head + re.sub(r"[\d,.]+(?:%|倍|times|x)?", "", nxt.squeezed)
    best: tuple[int, Field] | None = None
    for f, pats in _COMPILED:
        allowed = f.sections if f.sections is not None else {"summary", "hk_public", "international"}
        if line.section not in allowed:
            continue
        for pat in pats:
            m = pat.match(cont)
            if m and (best is None or m.end() > best[0]):
                best = (m.end(), f)
    if best is None:
        return None
    if best[0] > len(head):  # the label runs on into the next line: that line is not a label of its own
        return best[1], -1
    # The value is looked for after the label's first word: find where the label's text ends on this line.
    lead = len(line.squeezed) - len(line.squeezed.lstrip("•·*-－—–"))
    end = _label_end(line, best[0], lead)
    return best[1], end


def _label_end(line: _Line, n_chars: int, lead: int) -> int:
    """Index in line.folded after the label's last non-figure character on this line (label wraps allowed)."""
    count = 0
    for k in range(lead, len(line.squeezed)):
        ch = line.squeezed[k]
        if ch.isdigit() or ch in ",.":
            continue
        count += 1
        if count >= n_chars:
            return line.smap[k] + 1
    # The label continues on the next line: the value is whatever figure this line holds.
    first_digit = re.search(r"\d", line.folded)
    return first_digit.start() if first_digit else len(line.folded)


def _value(f: Field, lines: list[_Line], i: int, start: int, *, wrapped: bool = False
           ) -> tuple[float | None, str | None, str, int] | None:
    """(value, value text, unit, line index of the value) of a label at lines[i] whose label ends at `start`."""
    candidates = [(i, lines[i].folded[start:])]
    for j in (i + 1, i + 2):
        if j < len(lines) and lines[j].section == lines[i].section and lines[j].page == lines[i].page:
            candidates.append((j, lines[j].folded))
    for n, (j, text) in enumerate(candidates):
        if n > 0 and not (wrapped and n == 1) and _match_label(lines[j], lines[j + 1] if j + 1 < len(lines) else None):
            break
        text = re.sub(r"^[\s:：]+", "", text)
        text = re.sub(r"[(（]\s*(?:附注|备注|note)?\s*\d{0,2}\s*[)）]|note\s*\d{1,2}(?![\d,.])|(?:附注|备注)\s*\d{1,2}(?![\d,.])|(?:附注|备注|note)(?=\s)|^\*+", " ", text)
        text = re.sub(r"港元\s*(?=\d)", "hk$", text)  # "港元13.15": the currency before the figure
        text = re.sub(r"[(（]\s*(\d[\d,]*(?:\.\d+)?)\s*[)）]\s*(?=百万|千|亿|港元|hk|million)", r"\1", text)  # "(10.0)百萬港元": a deduction
        if not text.strip():
            continue
        if _NA.match(text):
            return None
        if f.kind == "date":
            d = explicit_date(text, year_hint=None)
            return (None, d.isoformat(), "date", j) if d else None
        if f.kind == "code":
            m = re.search(r"(?<![\d.])(\d{1,5})(?![\d.,])", text)
            return (float(m.group(1)), m.group(1), "code", j) if m else None
        if f.kind in ("text", "flag"):
            return None, lines[j].raw[len(lines[j].raw) - len(text):].strip() if n == 0 else lines[j].raw.strip(), \
                "text", j
        qs = [q for q in find_quantities(text)]
        if f.kind == "range":
            ends = [q for q in qs if q.unit == "HKD"]
            if len(ends) >= 2 and ends[0].value < ends[1].value:
                return ends[0].value, f"{ends[0].value:g}-{ends[1].value:g}", "HKD", j
            return None
        bare = f.kind == "times"
        for q in qs:
            if _fits(f.kind, q, bare_times=bare):
                # A bare figure for a multiple must be the whole value cell (not "0.99倍" elsewhere).
                return q.value, None, UNITS[f.kind], j
        if qs:
            return None  # a figure of another kind sits there: the label's value is not a number we know
    return None


def _fields(doc: _Doc) -> list[_Found]:
    out: list[_Found] = []
    lines = doc.lines
    for i, line in enumerate(lines):
        got = _match_label(line, lines[i + 1] if i + 1 < len(lines) else None)
        if got is None:
            continue
        f, end = got
        wrapped = end < 0
        if wrapped:
            first_digit = re.search(r"\d", line.folded)
            end = first_digit.start() if first_digit else len(line.folded)
        v = _value(f, lines, i, end, wrapped=wrapped)
        if v is None:
            continue
        value, text, unit, j = v
        quote = _quote(*lines[i:j + 1])
        if f.metric == "offer_price_range":
            high = [q for q in find_quantities(lines[j].folded) if q.unit == "HKD"]
            out.append(_Found("offer_price_low", value, None, "HKD", lines[j].page, quote, line.pos))
            if len(high) >= 2:
                out.append(_Found("offer_price_high", high[1].value, None, "HKD", lines[j].page, quote, line.pos))
            continue
        out.append(_Found(f.metric, value, text, unit, lines[j].page, quote, line.pos))
    return out


# --- tables -------------------------------------------------------------------------------------------------

_NUM = r"\d{1,3}(?:,\d{3})+|\d+"
_ROW = re.compile(rf"^\s*(?P<applied>{_NUM})\s*(?:股|h股)?\s+(?P<valid>{_NUM})(?![\d,])\s*(?P<basis>.*?)\s*"
                  rf"(?:(?P<pct>\d{{1,3}}(?:\.\d+)?)\s*%|(?<=\s)(?P<pct2>\d{{1,3}}\.\d{{2}}))?\s*$")
_BALLOT_EN = re.compile(rf"(?P<x>{_NUM})\s*out\s*of\s*(?P<y>{_NUM})\s*(?:applicants?|applications?)?\s*(?:to|will)?\s*"
                        rf"(?:receive|be\s*allotted)\s*(?:an?\s*)?(?:additional\s*)?(?P<n>{_NUM})")
_BALLOT_ZH = re.compile(rf"(?P<y>{_NUM})\s*(?:名|份)\s*(?:申请人|申请者|申请)?\s*(?:中|之中|当中)\s*(?:的|有)?\s*(?P<x>{_NUM})\s*"
                        rf"(?:名|份)\s*(?:申请人|申请)?\s*(?:将)?\s*(?:可)?\s*(?:获|取\s*得|得\s*到|收\s*取)\s*(?:发|得|配发|分配|配)?"
                        rf"\s*(?:额外)?\s*(?P<n>{_NUM})\s*股")
_BASE = re.compile(rf"^\s*(?P<base>{_NUM})\s*(?:股|shares?|h\s*shares?|h股)")
_POOL = re.compile(r"^(?:pool([ab])|(甲|乙)组)")
_TOTAL = re.compile(r"^(?:total|subtotal|sub-total|总计|合计|小计|总数)")


def _int(s: str) -> int:
    return int(s.replace(",", ""))


def _allocation(doc: _Doc) -> tuple[list[AllocationRow], list[str]]:
    """Rows of the basis of allocation table(s), with the basis checked against the row's own figures.

    Three real layouts: one line per row; a wrapped basis cell spilling onto the lines above and below
    its row (read from geometry, the cell's lines sit around the row's figures); and a row split in two
    lines with the same shares applied for ("500 48,850 0 Shares" / "500 394 500 Shares"), the
    percentage on either line or between them.
    """
    rows: list[AllocationRow] = []
    warnings: list[str] = []
    lines = [ln for ln in doc.lines if ln.section == "allocation"]
    # (line index, applied, valid, basis, pct text or None, pool)
    parsed: list[list] = []
    pool = ""
    for k, ln in enumerate(lines):
        pm = _POOL.match(ln.squeezed)
        if pm:
            pool = "A" if (pm.group(1) == "a" or pm.group(2) == "甲") else "B"
            continue
        text = re.sub(r"(\d),\s+(?=\d{3}(?!\d))", r"\1,", ln.folded)  # "48, 023": a space after the comma
        m = _ROW.match(text)
        if m and m.group("basis").strip():
            basis = m.group("basis")
            if len(text) == len(ln.raw) and ln.raw[m.start("basis"):m.end("basis")].lower() == basis:
                basis = ln.raw[m.start("basis"):m.end("basis")]  # as printed, not folded
            parsed.append([k, _int(m.group("applied")), _int(m.group("valid")), basis,
                           m.group("pct") or m.group("pct2"), pool])
            continue
        # A percentage on a line of its own, or closing a basis that wrapped onto this line.
        pct_only = re.search(r"(?:^|\s)(\d{1,3}(?:\.\d+)?)\s*%\s*$", text)
        if pct_only and parsed and parsed[-1][4] is None and k - parsed[-1][0] <= 2 and \
                not re.match(r"\s*\d", text[:pct_only.start()] or "x"):
            parsed[-1][4] = pct_only.group(1)
    # Merge split rows: consecutive lines for the same shares applied whose basis is a plain share count.
    bands: list[list[list]] = []
    for r in parsed:
        if bands and bands[-1][-1][1] == r[1] and bands[-1][-1][5] == r[5] and _plain(r[3]) is not None \
                and all(_plain(x[3]) is not None for x in bands[-1]):
            bands[-1].append(r)
        else:
            bands.append([r])
    anchors = [b[0][0] for b in bands]
    seen: set[tuple[str, int, int]] = set()
    for n, band in enumerate(bands):
        k = band[0][0]
        applied, pool = band[0][1], band[0][5]
        valid = sum(r[2] for r in band)
        pct_text = next((r[4] for r in band if r[4] is not None), None)
        winners: int | None = None
        expected: float | None = None
        basis_text = " / ".join(r[3] for r in band)
        if len(band) > 1:
            shares = [_plain(r[3]) for r in band]
            winners = sum(r[2] for r, sh in zip(band, shares) if sh)
            expected = sum(sh * r[2] for r, sh in zip(band, shares)) / valid / applied  # type: ignore[operator]
        else:
            own = band[0][3]
            prev_k = anchors[n - 1] if n else -1
            next_k = anchors[n + 1] if n + 1 < len(anchors) else len(lines)
            def cell(ln: _Line) -> bool:
                return not _POOL.match(ln.squeezed) and not re.fullmatch(r"[\d.]+%", ln.squeezed)

            before = [ln.raw for ln in lines[prev_k + 1:k] if cell(ln)][-2:]
            after = [ln.raw for ln in lines[k + 1:next_k] if cell(ln)][:2]
            for w in (own, " ".join(before + [own]), " ".join([own] + after), " ".join(before + [own] + after)):
                shown = w
                w = fold(w)
                ballot = next((b for b in list(_BALLOT_EN.finditer(w)) + list(_BALLOT_ZH.finditer(w))
                               if _int(b.group("y")) == valid), None)
                if ballot is None:
                    continue
                x, lot = _int(ballot.group("x")), _int(ballot.group("n"))
                if x > valid:
                    break
                base = _BASE.search(w[:ballot.start()])
                if base and re.search(r"plus|另加|加上|及|additional|额外", w[base.end():ballot.end()]):
                    winners = valid
                    expected = (_int(base.group("base")) + lot * x / valid) / applied
                else:
                    winners = x
                    expected = lot * x / valid / applied
                basis_text = shown
                break
            if winners is None and _plain(own):
                winners = valid
                expected = _plain(own) / applied  # type: ignore[operator]
        pct = float(pct_text) / 100 if pct_text is not None else None
        if winners is not None and expected is not None:
            if pct is None:
                winners = None
                warnings.append(f"allocation row {applied:,} shares: no percentage allotted to check the basis "
                                "against; its successful applications are not stored")
            else:
                decimals = len(pct_text.split(".")[1]) if "." in pct_text else 0  # type: ignore[union-attr]
                tol = 0.5 * 10 ** (-decimals) / 100 + 1e-9
                if abs(expected - pct) > tol + 0.0001:
                    warnings.append(f"allocation row {applied:,} shares: the basis gives {expected:.4%} allotted, "
                                    f"the row says {pct:.2%}; its successful applications are not stored")
                    winners = None
        src = [lines[r[0]] for r in band]
        if (pool, applied, valid) in seen:
            continue  # a bilingual announcement states its table twice
        seen.add((pool, applied, valid))
        rows.append(AllocationRow(pool, applied, valid, winners, re.sub(r"\s+", " ", basis_text).strip(),
                                  round(pct, 6) if pct is not None else None, src[0].page, _quote(*src), src[0].pos))
    return rows, warnings


def _plain(basis: str) -> int | None:
    """The share count of a basis that is only a share count ("500 Shares", "0股H股"), else None."""
    m = re.fullmatch(rf"\s*({_NUM})\s*(?:股|shares?|h\s*shares?|h股|股h股|股股份)\s*(?:股份|h股)?\s*", fold(basis))
    return _int(m.group(1)) if m else None


_CS_ROW = re.compile(rf"^(?P<name>.*?)\s*(?P<shares>\d{{1,3}}(?:,\d{{3}})+)\s*(?:股|h股|shares)?\s+"
                     rf"(?P<pct>\d{{1,3}}(?:\.\d+)?)\s*%")


def _cornerstones(doc: _Doc) -> tuple[list[Cornerstone], tuple[int, float | None, int, str] | None, bool]:
    """Investor rows and the table's total (shares, fraction, page, quote) from the cornerstone sections."""
    rows: list[Cornerstone] = []
    total: tuple[int, float | None, int, str] | None = None
    by_name: dict[str, int] = {}
    first_span = 10**6
    last_row_span = -1
    last_was_total = False
    closed_span = -1
    wrapped_names = False
    spans: list[list[_Line]] = []
    cur: list[_Line] = []
    for ln in doc.lines:
        if ln.section == "cornerstone":
            cur.append(ln)
        elif cur:
            spans.append(cur)
            cur = []
    if cur:
        spans.append(cur)
    for si, span in enumerate(spans):
        span = _join_cells(span)
        name_parts: list[str] = []
        for ln in span:
            m = _CS_ROW.match(ln.raw.replace("％", "%"))
            if not m:
                s = ln.raw.strip()
                if rows and si == first_span and si != closed_span:
                    wrapped_names = True  # a line inside the table that is not a row: a name cell wrapped
                # Header cells and notes are not names; names are words without figures.
                if re.search(r"\d", s) or _is_header(ln.squeezed):
                    name_parts = []
                else:
                    name_parts.append(s)
                continue
            own = m.group("name").strip()
            shares = _int(m.group("shares"))
            pct = float(m.group("pct")) / 100
            # Lines without figures between two rows: the tail of the previous row's name when this row
            # has a name of its own ("…管理有限 6,530,500 …" / "公司（「…」）"), else this row's name.
            if name_parts and rows and si == first_span and si != closed_span:
                wrapped_names = True
            if own and name_parts and rows and last_row_span == si and not last_was_total and si != closed_span:
                prev = rows[-1]
                rows[-1] = Cornerstone(re.sub(r"\s+", " ", f"{prev.investor}{''.join(name_parts)}"), prev.shares,
                                       prev.share_of_offer, prev.lockup_expiry, prev.page, prev.quote)
                name_parts = []
            name = " ".join(name_parts + [own]).strip() if not own or not name_parts else own
            name_parts = []
            if _TOTAL.match(_squeeze(fold(own or name))) or not name:
                if total is None and name:
                    total = (shares, pct, ln.page, _quote(ln))
                    closed_span = si  # the total closes the table: rows after it are other allottees
                last_was_total = True
                continue
            last_was_total = False
            if si == closed_span:
                continue
            name = re.sub(r"\s*(?:附註|附注|note)\s*\d*$|\s*[(（]\d[)）]$", "", re.sub(r"\s+", " ", name))
            dates = re.findall(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[a-z]+ \d{1,2}, \d{4}|\d{1,2} [a-z]+ \d{4}",
                               fold(ln.raw[m.end():]))
            d = explicit_date(dates[-1], year_hint=None) if dates else None
            key = _squeeze(fold(name))
            if rows and si > first_span:
                # A later table (the lock-up table) repeats investors: take its expiry date, add no one.
                same = [i for i, r in enumerate(rows) if r.shares == shares]
                hit = by_name.get(key, same[0] if len(same) == 1 else None)
                if d and hit is not None and rows[hit].shares == shares and rows[hit].lockup_expiry is None:
                    old = rows[hit]
                    rows[hit] = Cornerstone(old.investor, old.shares, old.share_of_offer, d.isoformat(), old.page,
                                            old.quote)
                continue
            if key in by_name:
                continue
            first_span = si
            last_row_span = si
            by_name[key] = len(rows)
            rows.append(Cornerstone(name, shares, round(pct, 6), d.isoformat() if d else None, ln.page,
                                    _quote(ln)))
    if wrapped_names and rows:
        # Names wrapped over several lines around their figures: which fragment belongs to which row is a
        # guess from text alone, and a share count under the wrong name is a wrong figure.
        return [], total, True
    return rows, total, False


def _join_cells(span: list[_Line]) -> list[_Line]:
    """A table drawn one cell per line ("Investor A" / "20,000,000" / "40.00%") as one line per row."""
    out: list[_Line] = []
    i = 0
    count = re.compile(r"\d{1,3}(?:,\d{3})+\s*(?:股|h股|shares|h shares)?")
    pct = re.compile(r"\d{1,3}(?:\.\d+)?\s*%")
    while i < len(span):
        ln = span[i]
        if i + 2 < len(span) and not re.search(r"\d", ln.raw) and count.fullmatch(span[i + 1].folded.strip()) \
                and pct.fullmatch(span[i + 2].folded.strip()) and span[i + 2].page == ln.page:
            raw = f"{ln.raw.strip()} {span[i + 1].raw.strip()} {span[i + 2].raw.strip()}"
            out.append(_Line(ln.page, raw, fold(raw) if len(fold(raw)) == len(raw) else raw.lower(), "", (), ln.pos,
                             ln.section))
            i += 3
            continue
        out.append(ln)
        i += 1
    return out


def _is_header(squeezed: str) -> bool:
    return bool(re.search(r"投资者|investor|股份数目|sharesallocated|百分比|percentage|%of|占|附注|note|现有股东"
                          r"|existingshareholder|禁售|lock-?up|subjectto|须遵守|承诺|undertaking|紧密联系人|closeassociate",
                          squeezed))


# --- checks -------------------------------------------------------------------------------------------------

def _check(found: dict[str, _Found], rows: list[AllocationRow], cornerstones: list[Cornerstone],
           cs_total: tuple[int, float | None, int, str] | None) -> tuple[set[str], list[str], bool, bool]:
    """(metrics to drop, warnings, keep the allocation rows?, keep the cornerstone rows?)."""
    drop: set[str] = set()
    warns: list[str] = []

    def v(m: str) -> float | None:
        f = found.get(m)
        return None if f is None or m in drop else f.value

    def fail(metrics: Sequence[str], why: str) -> None:
        drop.update(metrics)
        warns.append(f"{', '.join(metrics)} not stored: {why}")

    pub, intl, total = v("public_offer_shares"), v("international_offer_shares"), v("shares_offered")
    if pub is not None and intl is not None and total is not None and pub + intl != total:
        fail(["public_offer_shares", "international_offer_shares", "shares_offered"],
             f"public {pub:,.0f} + international {intl:,.0f} ≠ offer shares {total:,.0f}")
    out_ = v("shares_outstanding")
    biggest = max((x for x in (total, pub, intl) if x is not None), default=None)
    if out_ is not None and biggest is not None and out_ < biggest:
        fail(["shares_outstanding"], f"{out_:,.0f} shares in issue is fewer than the {biggest:,.0f} offered")
    for m in ("public_offer_shares_initial", "international_offer_shares_initial", "shares_over_allocated",
              "offer_size_adjustment_shares"):
        x = v(m)
        if x is not None and total is not None and x > total:
            fail([m], f"{x:,.0f} is more than the {total:,.0f} offer shares")
    va, sa = v("valid_applications"), v("successful_applications")
    if va is not None and sa is not None and sa > va:
        fail(["successful_applications"], f"{sa:,.0f} successful of {va:,.0f} valid applications")
    g, e, n = v("gross_proceeds"), v("listing_expenses"), v("net_proceeds")
    if g is not None and n is not None:
        if n > g:
            fail(["net_proceeds"], f"net proceeds {n:,.0f} exceed gross {g:,.0f}")
        elif e is not None and abs(g - e - n) > max(0.002 * g, 150_000):
            fail(["gross_proceeds", "listing_expenses", "net_proceeds"],
                 f"gross {g:,.0f} − expenses {e:,.0f} ≠ net {n:,.0f}")
    price, shares = v("offer_price"), v("shares_offered")
    if price is not None and g is not None and shares is not None and not (0.5 <= price * shares / g <= 2.0):
        warns.append(f"offer price × offer shares = {price * shares:,.0f} is far from gross proceeds {g:,.0f} "
                     "(proceeds may belong to the company only)")
    lo, hi = v("offer_price_low"), v("offer_price_high")
    if price is not None and lo is not None and hi is not None and not (lo - 1e-9 <= price <= hi + 1e-9):
        fail(["offer_price", "offer_price_low", "offer_price_high"], f"price {price} outside its range {lo}–{hi}")
    if price is not None and hi is not None and lo is None and price > hi + 1e-9:
        fail(["offer_price", "offer_price_high"], f"price {price} above the maximum {hi}")
    ps, is_ = v("public_offer_share_of_offer"), v("international_offer_share_of_offer")
    if ps is not None and is_ is not None and abs(ps + is_ - 1) > 0.002:
        fail(["public_offer_share_of_offer", "international_offer_share_of_offer"],
             f"the tranches' shares of the offer add up to {ps + is_:.2%}")
    if ps is not None and pub is not None and total is not None and total and abs(pub / total - ps) > 0.006:
        fail(["public_offer_share_of_offer"], f"{ps:.2%} but {pub:,.0f} of {total:,.0f} shares")
    for m in ("public_subscription_multiple", "international_subscription_multiple"):
        x = v(m)
        if x is not None and not (0 < x < 100_000):
            fail([m], f"a subscription level of {x:g} times is not plausible")

    keep_rows = bool(rows)
    if rows and va is not None:
        total_valid = sum(r.valid_applications for r in rows)
        if total_valid != va:
            keep_rows = False
            warns.append(f"allocation table not stored: its rows add up to {total_valid:,} valid applications, "
                         f"the announcement states {va:,.0f}")
        ok_winners = [r.successful_applications for r in rows]
        if keep_rows and sa is not None and None not in ok_winners and sum(ok_winners) != sa:  # type: ignore[arg-type]
            warns.append(f"allocation rows give {sum(ok_winners):,} successful applications, "  # type: ignore[arg-type]
                         f"the announcement states {sa:,.0f}")
    pm, initial = v("public_subscription_multiple"), v("public_offer_shares_initial")
    if keep_rows and pm is not None and initial:
        applied = sum(r.shares_applied_for * r.valid_applications for r in rows)
        if applied and abs(applied / initial - pm) > max(0.02 * pm, 0.05):
            # A warning only: a table read in part (a pool on a page we could not read) fails it too.
            warns.append(f"public_subscription_multiple: {pm:g} times but the allocation table's {applied:,} "
                         f"shares applied for are {applied / initial:.2f} times the {initial:,.0f} initially offered")
    keep_cs = bool(cornerstones)
    if cornerstones and cs_total is not None:
        s = sum(c.shares for c in cornerstones)
        if s != cs_total[0]:
            keep_cs = False
            warns.append(f"cornerstone rows not stored: they add up to {s:,} shares, the table's total says "
                         f"{cs_total[0]:,}")
    if cs_total is not None and total is not None and cs_total[0] > total:
        keep_cs = False
        warns.append("cornerstone total exceeds the offer shares: not stored")
    return drop, warns, keep_rows, keep_cs


# --- entry points -------------------------------------------------------------------------------------------

def parse_allotment_lines(pages: Sequence[Sequence[str]], *, code: str | None = None) -> Allotment:
    """Checked claims from an announcement given as pages of visual lines; NotAnAllotment if it is not one."""
    kind, what = document_kind(pages)
    if kind != "allotment_results":
        raise NotAnAllotment(f"not an HKEX allotment results announcement: this is {what}" if kind != "unknown"
                             else f"not an HKEX allotment results announcement ({what})")
    doc = _Doc(pages)
    found = _fields(doc)
    stated_code = next((f.text for f in found if f.metric == "stock_code"), None)
    stock_name = next((f.text for f in found if f.metric == "stock_short_name"), None)
    hkex_code = resolve_code(code, stated_code)
    rows, warnings = _allocation(doc)
    cornerstones, cs_total, names_wrapped = _cornerstones(doc)
    if names_wrapped:
        warnings.append("cornerstone rows not stored: investor names wrap over several lines around their figures, "
                        "so which name goes with which figure is not certain (the table's total is kept)")

    first: dict[str, _Found] = {}
    for f in found:
        if f.metric in NOT_CLAIMS:
            continue
        if f.metric in first:
            seen = first[f.metric]
            if seen.value != f.value or seen.text != f.text:
                warnings.append(f"{f.metric}: page {seen.page} says {_shown(seen)}, page {f.page} says {_shown(f)}; "
                                "kept the first")
            continue
        first[f.metric] = f
    # Board lot: stated, or the first row of the allocation table (its smallest application).
    if "board_lot" not in first and rows:
        r0 = rows[0]
        first["board_lot"] = _Found("board_lot", float(r0.shares_applied_for), None, "shares", r0.page,
                                    f"first row of the basis of allocation: {r0.quote}", 0)
    drop, check_warnings, keep_rows, keep_cs = _check(first, rows, cornerstones, cs_total)
    warnings += check_warnings
    one_lot = _one_lot(rows, first.get("board_lot"), warnings)
    if one_lot is not None:
        first["one_lot_success_rate"] = one_lot
    if cs_total is not None and "cornerstone_shares" not in drop:
        shares, pct, page, quote = cs_total
        first["cornerstone_shares"] = _Found("cornerstone_shares", float(shares), None, "shares", page, quote, 0)
        if pct is not None and 0 <= pct <= 1:
            first["cornerstone_share_of_offer"] = _Found("cornerstone_share_of_offer", round(pct, 6), None,
                                                         "fraction", page, quote, 0)
    if keep_cs and cornerstones:
        first["cornerstone_count"] = _Found("cornerstone_count", float(len(cornerstones)), None, "count",
                                            cornerstones[0].page, f"{len(cornerstones)} investor rows", 0)
    claims: list[Claim] = []
    for m, f in first.items():
        if m in drop:
            continue
        claims.append(Claim(hkex_code=hkex_code or "", metric=m, value=f.value, unit=f.unit, quote=f.quote,
                            value_text=f.text, page=f.page, position=f.position))
    if keep_rows:
        for r in rows:
            row = {"pool": r.pool, "shares_applied_for": r.shares_applied_for,
                   "valid_applications": r.valid_applications, "successful_applications": r.successful_applications,
                   "basis": r.basis, "approx_pct_allotted": r.approx_pct_allotted}
            claims.append(Claim(hkex_code=hkex_code or "", metric="allocation_band", value=float(r.valid_applications),
                                unit="count", quote=r.quote, value_text=json.dumps(row, ensure_ascii=False,
                                                                                   sort_keys=True),
                                page=r.page, position=r.position))
    if len([c for c in claims if c.metric != "allocation_band"]) < 3:
        raise NotAnAllotment("the announcement has an allotment results title but none of the expected figures "
                             "(offer price, offer shares, applications, subscription level) could be read")
    quotes = [f.quote for f in found]
    langs = tuple(x for x, pat in (("en", r"^[A-Za-z%]"), ("zh", r"^[\u4e00-\u9fff]"))
                  if any(re.match(pat, q) for q in quotes))
    return Allotment(hkex_code=hkex_code, stock_name=stock_name, claims=claims, warnings=warnings,
                     pages=doc.n_pages, languages=langs, text=doc.text,
                     cornerstones=cornerstones if keep_cs else [], allocation=rows if keep_rows else [])


def _one_lot(rows: list[AllocationRow], lot: _Found | None, warnings: list[str]) -> _Found | None:
    """The first Pool A row's winners ÷ applicants, only when that row is checked and is one board lot."""
    if not rows:
        return None
    pool_a = [r for r in rows if r.pool in ("A", "")]
    if not pool_a:
        return None
    r = pool_a[0]
    if lot is not None and lot.value is not None and r.shares_applied_for != lot.value:
        warnings.append(f"one_lot_success_rate not stored: the first Pool A row is for {r.shares_applied_for:,} "
                        f"shares, the board lot is {lot.value:,.0f}")
        return None
    if r.successful_applications is None or not r.valid_applications:
        warnings.append("one_lot_success_rate not stored: the first Pool A row's basis could not be read")
        return None
    rate = round(r.successful_applications / r.valid_applications, 6)
    return _Found("one_lot_success_rate", rate, None, "fraction", r.page,
                  f"{r.quote} ({r.successful_applications:,} of {r.valid_applications:,} applicants)", 0)


def parse_allotment_text(pages: Sequence[str], *, code: str | None = None) -> Allotment:
    """The same from page texts (one string per page, lines as they read)."""
    return parse_allotment_lines([p.splitlines() for p in pages], code=code)


def _shown(f: _Found) -> str:
    return f"{f.value:,.10g}" if f.value is not None else str(f.text)


def read_pdf_pages(source: bytes | str | Path, *, name: str | None = None) -> list[str]:
    """Each page's text layer (as the PDF orders it); NotAPdf for anything that is not a readable PDF."""
    return [p.text for p in read_pdf(source, name=name)]


# Pages read from geometry: the first ones (cover, summary, tranches) and any page with a table we read.
_GEOMETRY_PAGES = 8
_TABLE_WORDS = re.compile(r"基石|cornerstone|基准|准则|basis|甲组|乙组|pool|名中|人中|份申请中|out\s*of|applicants|禁售|lock")


def _page_lines(page: PdfPage) -> list[str]:
    """Visual lines where the figures are; the text layer's own lines elsewhere (placee and shareholder
    concentration tables, directors' confirmations), which keeps long announcements fast."""
    if page.number <= _GEOMETRY_PAGES or _TABLE_WORDS.search(fold(page.text[:4000])):
        return [ln.text for ln in page.lines]
    return page.text.splitlines()


def parse_allotment_pdf(source: bytes | str | Path, *, code: str | None = None, name: str | None = None) -> Allotment:
    """Read a PDF (visual lines) and parse it as an allotment results announcement."""
    label = name or (str(source) if isinstance(source, (str, Path)) else "the PDF")
    pages = read_pdf(source, name=label)
    # A scan, or a damaged stream pdfium reads a word of: too little text to be any announcement.
    if sum(len(re.findall(r"\w", p.text)) for p in pages) < 40:
        raise NotAnAllotment(f"{label} has no extractable text (a scanned image or a damaged file?)")
    try:
        return parse_allotment_lines([_page_lines(p) for p in pages], code=code)
    except NotAnAllotment as e:
        raise NotAnAllotment(f"{label}: {e}") from None
