"""HKEX allotment results announcements: PDF text → claims with page and quote.

The text pdfplumber gives for these PDFs is a table flattened: one cell per
line in some, label and value on one line in others, long labels wrapped
around their value, and the same label ("Subscription level") under both the
Hong Kong public offering and the international offering. So the parser
reads **labelled blocks**, never line positions:

1. Find every known label (English, or Chinese in either script — matching
   runs on `textnorm.fold`) at the start of a line, on a copy of the text
   with the figures blanked out, so a label wrapped around its value still
   matches. Overlapping labels resolve to the longest.
2. A label's block runs to the next label or section heading; its value is
   the first figure in the block of the kind the label wants (a price, an
   amount, shares, a count, a multiple, a percentage, a date).
3. Section headings (HONG KONG PUBLIC OFFERING, 國際發售, CORNERSTONE
   INVESTORS, BASIS OF ALLOCATION…) say which offering a "Subscription
   level" belongs to, and where the cornerstone and allocation tables are.
4. Tables are read as rows: a cornerstone row is a share count followed by a
   percentage, closed by a Total row; an allocation row is shares applied
   for, valid applications, the basis (X out of Y applicants to receive N
   Shares / Y名申請人中X名獲發N股) and the percentage allotted.

A bilingual announcement states every figure twice: each metric is taken
once (the first statement), and a second statement that disagrees is
reported as a warning.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hkipo.core.codes import InvalidCode, normalize_code
from hkipo.core.errors import UserError
from hkipo.extract.claims.dates import explicit_date
from hkipo.core.items import Claim
from hkipo.core.numbers import Quantity, find_quantities
from hkipo.core.textnorm import fold

PARSER_VERSION = "allotment/1"
PAGE_BREAK = "\f\n"  # pages are joined with this; `announcements.text` stores the same


class NotAPdf(UserError):
    """The file is not a readable PDF."""


class NotAnAllotment(UserError):
    """A PDF, but not an HKEX allotment results announcement (or none of its figures could be read)."""


@dataclass(frozen=True)
class Field:
    metric: str
    kind: str  # price | money | shares | count | times | percent | date | range | code | text | flag
    labels: tuple[str, ...]  # regexes over folded text (lower case, Simplified); spaces match any whitespace
    sections: frozenset[str] | None = None  # where the label counts; None = outside the tables


def _en(*phrases: str) -> tuple[str, ...]:
    return phrases


def _zh(*phrases: str) -> tuple[str, ...]:
    """Chinese labels may wrap anywhere: allow whitespace between any two characters."""
    return tuple(r"\s*".join(re.escape(c) for c in p) for p in phrases)


_NO = r"(?:no\.|number)"
_HK = frozenset({"hk_public"})
_INTL = frozenset({"international"})
FIELDS: tuple[Field, ...] = (
    Field("stock_code", "code", _en(r"stock code") + _zh("股份代号")),
    Field("stock_short_name", "text", _en(r"stock short name") + _zh("股份简称")),
    Field("listing_date", "date", _en(r"dealings commencement date", r"date of commencement of dealings",
                                      r"commencement of dealings") + _zh("开始买卖日期", "开始买卖日")),
    Field("board_lot", "shares", _en(r"board lot size", r"board lot") + _zh("每手买卖单位")),
    Field("offer_price", "price", _en(r"final offer price") + _zh("最终发售价")),
    Field("offer_price_range", "range", _en(r"offer price range") + _zh("发售价范围")),
    Field("offer_price_adjustment", "flag", _en(r"offer price adjustment exercised") + _zh("是否已行使发售价调整")),
    Field("shares_offered", "shares", _en(rf"{_NO} of offer shares") + _zh("发售股份数目")),
    Field("offer_size_adjustment_shares", "shares",
          _en(rf"(?:{_NO} of )?offer shares issued under the offer size adjustment option")
          + _zh("根据发售量调整权发行的发售股份数目", "因行使发售量调整权而发行的发售股份数目")),
    Field("public_offer_shares", "shares",
          _en(rf"{_NO} of offer shares in the hong kong public offering",
              rf"final {_NO} of offer shares under the hong kong public offering")
          + _zh("香港公开发售的发售股份数目", "香港公开发售项下最终发售股份数目")),
    Field("international_offer_shares", "shares",
          _en(rf"{_NO} of offer shares in the international offering",
              rf"final {_NO} of offer shares under the international offering")
          + _zh("国际发售的发售股份数目", "国际发售项下最终发售股份数目")),
    Field("shares_outstanding", "shares",
          _en(rf"{_NO} of issued shares upon listing", rf"{_NO} of shares in issue upon listing")
          + _zh("上市时已发行股份数目")),
    Field("shares_over_allocated", "shares",
          _en(rf"{_NO} of offer shares over-allocated") + _zh("超额分配的发售股份数目")),
    Field("gross_proceeds", "money", _en(r"gross proceeds") + _zh("所得款项总额")),
    Field("listing_expenses", "money", _en(r"less: estimated listing expenses") + _zh("减:按最终发售价计算的估计应付上市开支",
                                                                                     "减:估计应付上市开支")),
    Field("net_proceeds", "money", _en(r"net proceeds") + _zh("所得款项净额")),
    Field("valid_applications", "count", _en(rf"{_NO} of valid applications") + _zh("有效申请数目"), _HK),
    Field("successful_applications", "count", _en(rf"{_NO} of successful applications") + _zh("成功申请数目"), _HK),
    Field("public_subscription_multiple", "times", _en(r"subscription level") + _zh("认购水平"), _HK),
    Field("clawback_triggered", "flag", _en(r"claw-?back triggered") + _zh("是否触发回补机制"), _HK),
    Field("public_offer_shares_initial", "shares",
          _en(rf"{_NO} of offer shares initially available under the hong kong public offering")
          + _zh("香港公开发售项下初步可供认购的发售股份数目"), _HK),
    Field("public_offer_share_of_offer", "percent",
          _en(r"% of offer shares under the hong kong public offering to the global offering")
          + _zh("香港公开发售项下发售股份占全球发售的百分比"), _HK),
    Field("placees", "count", _en(rf"{_NO} of placees") + _zh("承配人数目"), _INTL),
    Field("international_subscription_multiple", "times", _en(r"subscription level") + _zh("认购水平"), _INTL),
    Field("international_offer_shares_initial", "shares",
          _en(rf"{_NO} of offer shares initially available under the international offering")
          + _zh("国际发售项下初步可供认购的发售股份数目"), _INTL),
    Field("international_offer_share_of_offer", "percent",
          _en(r"% of offer shares under the international offering to the global offering")
          + _zh("国际发售项下发售股份占全球发售的百分比"), _INTL),
)
# Metrics that are reported (printed, stored as claims); the rest only steer the parse.
NOT_CLAIMS = frozenset({"stock_code", "stock_short_name", "offer_price_adjustment", "clawback_triggered"})

_SECTION_HEADINGS: dict[str, tuple[str, ...]] = {
    "summary": ("summary", "概要", "allotment results details", "配发结果详情", "company information", "公司资料"),
    "hk_public": ("hong kong public offering", "香港公开发售"),
    "international": ("international offering", "international placing", "国际发售", "国际配售"),
    "cornerstone": ("cornerstone investors", "基石投资者"),
    "allocation": ("basis of allocation under the hong kong public offering",
                   "basis of allotment under the hong kong public offering", "香港公开发售的分配基准", "分配基准"),
}
_OTHER_SECTION_PREFIXES = (
    "placee concentration", "shareholder concentration", "lock-up", "compliance", "disclaimer",
    "allottees with waivers", "承配人集中度", "股东集中度", "禁售", "遵守", "获豁免",
)
_POOL = re.compile(r"^\s*(?:pool\s+([ab])|(甲|乙)\s*组)\s*$", re.MULTILINE)
_TOTAL_ROW = re.compile(r"^\s*(?:total|总计|合计)\b", re.MULTILINE)
_CORNERSTONE_ROW = re.compile(
    r"(?P<shares>\d{1,3}(?:,\d{3})+)(?:\s*(?:h\s*)?(?:shares|股h股|股))?\s+(?P<pct>\d{1,3}\.\d{1,4})\s*%",
    re.IGNORECASE)
_ALLOCATION_ROW = re.compile(
    r"^[ \t]*(?P<applied>\d{1,3}(?:,\d{3})*)\s+(?P<valid>\d{1,3}(?:,\d{3})*)\s+(?P<basis>.+?)\s*"
    r"(?P<pct>\d{1,3}(?:\.\d+)?)\s*%", re.MULTILINE | re.DOTALL)
_BALLOT_EN = re.compile(r"([\d,]+)\s+out\s+of\s+([\d,]+)\s+applicants?\s+to\s+receive\s+([\d,]+)")
_BALLOT_ZH = re.compile(r"([\d,]+)\s*名申请人中\s*([\d,]+)\s*名获发\s*([\d,]+)")
_EVERYONE = re.compile(r"\bplus\b|另加|^\s*[\d,]+\s*(?:h\s*)?(?:shares?|股)")
_CONTINUATION = re.compile(r"[ \t]*\n([ \t]*(?!total\b|pool\b|\d)[a-z][^\n]*)", re.IGNORECASE)
_STOCK_CODE = re.compile(r"(?:stock code|股份代号)\s*[:：]?\s*(\d{1,5})(?!\d)")
_FOOTNOTE = re.compile(r"(?:note|附注)\s*$|\(\s*$")


@dataclass
class Allotment:
    """What one announcement says: its claims, and what the parse noticed."""

    hkex_code: str | None
    stock_name: str | None
    claims: list[Claim]
    warnings: list[str] = field(default_factory=list)
    pages: int = 0
    languages: tuple[str, ...] = ()
    text: str = ""

    def by_metric(self) -> dict[str, Claim]:
        return {c.metric: c for c in self.claims if c.metric != "allocation_band"}


@dataclass(frozen=True)
class _Found:
    metric: str
    value: float | None
    text: str | None
    unit: str
    page: int
    quote: str
    position: int  # offset of the quote in the announcement text


@dataclass(frozen=True)
class _Label:
    start: int
    end: int
    field: Field
    section: str


class _Doc:
    """The announcement's text with its folded copy, page offsets and sections."""

    def __init__(self, pages: Sequence[str]):
        self.pages = [p or "" for p in pages]
        self.text = PAGE_BREAK.join(self.pages)
        self.folded = fold(self.text)
        self.page_starts: list[int] = []
        pos = 0
        for p in self.pages:
            self.page_starts.append(pos)
            pos += len(p) + len(PAGE_BREAK)
        self.quantities = [q for q in find_quantities(self.text) if not q.code_like]
        masked = list(self.folded)
        for q in find_quantities(self.text):
            for i in range(q.start, q.end):
                if masked[i] not in "\n\f":
                    masked[i] = " "
        self.masked = "".join(masked)
        self.headings = self._headings()

    def page_of(self, pos: int) -> int:
        page = 1
        for i, s in enumerate(self.page_starts):
            if pos >= s:
                page = i + 1
        return page

    def _headings(self) -> list[tuple[int, str]]:
        """(line start, section) for every heading line, in order."""
        out: list[tuple[int, str]] = []
        for m in re.finditer(r"[^\n]+", self.folded):
            line = re.sub(r"^[\s\f]*(?:\d{1,2}[.、)]|\([a-z0-9]\))?\s*", "", m.group(0)).strip().rstrip(":：").strip()
            line = re.sub(r"\s*\(.*\)$", "", line)  # "PLACEE CONCENTRATION ANALYSIS (synthetic figures)"
            if not line:
                continue
            for section, names in _SECTION_HEADINGS.items():
                if line in names:
                    out.append((m.start(), section))
                    break
            else:
                if line.startswith(_OTHER_SECTION_PREFIXES) and len(line) < 60:
                    out.append((m.start(), "other"))
        return out

    def section_at(self, pos: int) -> str:
        current = "summary"
        for start, section in self.headings:
            if start <= pos:
                current = section
            else:
                break
        return current

    def next_heading_after(self, pos: int) -> int:
        for start, _ in self.headings:
            if start > pos:
                return start
        return len(self.text)

    def spans(self, section: str) -> list[tuple[int, int]]:
        out = []
        for i, (start, sec) in enumerate(self.headings):
            if sec == section:
                end = self.headings[i + 1][0] if i + 1 < len(self.headings) else len(self.text)
                out.append((start, end))
        return out

    def quote(self, start: int, end: int) -> str:
        return re.sub(r"\s+", " ", self.text[start:end].replace("\f", " ")).strip()


def _labels(doc: _Doc) -> list[_Label]:
    found: list[_Label] = []
    for f in FIELDS:
        for label in f.labels:
            pat = re.compile(r"(?m)^[ \t\f•·*-]*(" + label.replace(" ", r"\s+") + r")")
            for m in pat.finditer(doc.masked):
                section = doc.section_at(m.start(1))
                allowed = f.sections if f.sections is not None else frozenset({"summary", "hk_public", "international"})
                if section in allowed:
                    found.append(_Label(m.start(1), m.end(1), f, section))
    found.sort(key=lambda lab: (lab.start, -(lab.end - lab.start)))
    kept: list[_Label] = []
    for lab in found:
        if kept and lab.start < kept[-1].end:
            continue
        kept.append(lab)
    return kept


def _value(doc: _Doc, lab: _Label, end: int) -> tuple[float | None, str | None, str, int, int] | None:
    """(value, value_text, unit, value start, value end) of a label's block, or None."""
    kind = lab.field.kind
    # A wrapped label can enclose its value ("…under the Hong Kong Public 1,871,000 H Shares / Offering"):
    # figures are looked for from the label's start; the label's own words hold none (they were masked).
    block = doc.folded[lab.start:end]
    if kind == "date":
        d = explicit_date(block, year_hint=None)
        if d is None:
            return None
        m = re.search(r"\d", block)
        s = lab.start + (m.start() if m else 0)
        return None, d.isoformat(), "date", s, min(end, s + 20)
    if kind == "code":
        m = re.search(r"(?<![\d.])(\d{1,5})(?![\d.,])", block)
        if not m:
            return None
        return float(m.group(1)), m.group(1), "code", lab.start + m.start(), lab.start + m.end()
    if kind in ("text", "flag"):
        m = re.search(r"\S[^\n]*", doc.text[lab.end:end])
        if not m:
            return None
        return None, m.group(0).strip(), "text", lab.end + m.start(), lab.end + m.end()
    qs = [q for q in doc.quantities if lab.start <= q.start < end
          and not _FOOTNOTE.search(doc.folded[max(lab.start, q.start - 6):q.start])]
    if kind == "range":
        ends = [q for q in qs if q.unit == "HKD"]
        if len(ends) >= 2:
            return ends[0].value, f"{ends[0].value:.2f}-{ends[1].value:.2f}", "HKD", ends[0].start, ends[1].end
        return None
    for q in qs:
        if _fits(kind, q):
            unit = {"price": "HKD", "money": "HKD", "shares": "shares", "count": "count", "times": "times",
                    "percent": "fraction"}[kind]
            return q.value, None, unit, q.start, q.end
    return None


def _fits(kind: str, q: Quantity) -> bool:
    whole = float(q.value).is_integer()
    if kind == "price":
        return q.unit == "HKD" and q.value < 100_000
    if kind == "money":
        return q.unit == "HKD" and q.value >= 100_000
    if kind == "shares":
        return q.unit in ("shares", None) and whole and q.value >= 1
    if kind == "count":
        return q.unit in ("count", None) and whole and q.value >= 1
    if kind == "times":
        return q.unit == "times"
    if kind == "percent":
        return q.unit == "fraction"
    return False


def parse_allotment_text(pages: Sequence[str], *, code: str | None = None) -> Allotment:
    """Claims from an allotment results announcement's page texts; NotAnAllotment if it is not one."""
    doc = _Doc(pages)
    if not re.search(r"allotment\s+results|配发结果", doc.folded):
        raise NotAnAllotment("this is not an HKEX allotment results announcement (no 'Allotment Results' title)")
    found: list[_Found] = []
    labels = _labels(doc)
    stated_code: str | None = None
    stock_name: str | None = None
    for i, lab in enumerate(labels):
        end = min(labels[i + 1].start if i + 1 < len(labels) else len(doc.text), doc.next_heading_after(lab.start),
                  lab.end + 400)
        got = _value(doc, lab, end)
        if got is None:
            continue
        value, text, unit, vs, ve = got
        quote = doc.quote(lab.start, max(ve, lab.end))
        page = doc.page_of(vs)
        metric = lab.field.metric
        if metric == "stock_code":
            stated_code = stated_code or text
            continue
        if metric == "stock_short_name":
            stock_name = stock_name or text
            continue
        if metric == "offer_price_range":
            high = [q for q in doc.quantities if q.start >= vs and q.unit == "HKD"][1]
            found.append(_Found("offer_price_low", value, None, "HKD", page, quote, lab.start))
            found.append(_Found("offer_price_high", high.value, None, "HKD", page, quote, lab.start))
            continue
        found.append(_Found(metric, value, text, unit, page, quote, lab.start))
    if stated_code is None:
        m = _STOCK_CODE.search(doc.folded)
        stated_code = m.group(1) if m else None
    hkex_code = _resolve_code(code, stated_code)
    found += _cornerstones(doc)
    allocation = _allocation(doc)
    found += allocation
    found += _one_lot(allocation, found)

    claims: list[Claim] = []
    warnings: list[str] = []
    first: dict[tuple[str, str | None], Claim] = {}
    for f in found:
        if f.metric in NOT_CLAIMS:
            continue
        key = (f.metric, _band_key(f.text) if f.metric == "allocation_band" else None)
        claim = Claim(hkex_code=hkex_code or "", metric=f.metric, value=f.value, unit=f.unit, quote=f.quote,
                      value_text=f.text, page=f.page, position=f.position)
        if key in first:
            seen = first[key]
            if seen.value != claim.value or (f.metric != "allocation_band" and seen.value_text != claim.value_text):
                warnings.append(f"{f.metric}: page {seen.page} says {_shown(seen)}, page {f.page} says "
                                f"{_shown(claim)}; kept the first")
            continue
        first[key] = claim
        claims.append(claim)
    if len([c for c in claims if c.metric != "allocation_band"]) < 3:
        raise NotAnAllotment("the announcement mentions allotment results but none of the expected figures "
                             "(offer price, offer shares, applications, subscription level) could be read")
    # The languages the figures were read in (a Chinese page may still carry an English footer).
    label_texts = [doc.folded[lab.start:lab.end] for lab in labels]
    langs = tuple(lang for lang, has in (("en", lambda t: re.search(r"[a-z]", t)),
                                         ("zh", lambda t: re.search(r"[\u4e00-\u9fff]", t)))
                  if any(has(t) for t in label_texts))
    return Allotment(hkex_code=hkex_code, stock_name=stock_name, claims=claims, warnings=warnings,
                     pages=len(doc.pages), languages=langs, text=doc.text)


def _shown(c: Claim) -> str:
    return f"{c.value:g}" if c.value is not None else str(c.value_text)


def _band_key(text: str | None) -> str | None:
    if not text:
        return None
    row = json.loads(text)
    return f"{row['pool']}:{row['shares_applied_for']}"


def _resolve_code(given: str | None, stated: str | None) -> str | None:
    def norm(c: str | None) -> str | None:
        if not c:
            return None
        try:
            return normalize_code(c)
        except InvalidCode:
            return None

    g, s = norm(given), norm(stated)
    if given and g is None:
        raise UserError(f"--code {given!r} is not an HKEX stock code")
    if g and s and g != s:
        raise UserError(f"the announcement is for stock code {s}, not {g}")
    return g or s


def _cornerstones(doc: _Doc) -> list[_Found]:
    out = []
    for start, end in doc.spans("cornerstone"):
        seg = doc.folded[start:end]
        total = _TOTAL_ROW.search(seg)
        rows = list(_CORNERSTONE_ROW.finditer(seg))
        if total is None:
            continue
        investors = [r for r in rows if r.start() < total.start()]
        after = [r for r in rows if r.start() > total.start()]
        if not after:
            continue
        t = after[0]
        pos = start + total.start()
        quote = doc.quote(pos, start + t.end())
        page = doc.page_of(start + t.start())
        shares = float(t.group("shares").replace(",", ""))
        out.append(_Found("cornerstone_shares", shares, None, "shares", page, quote, pos))
        out.append(_Found("cornerstone_share_of_offer", round(float(t.group("pct")) / 100, 6), None, "fraction",
                          page, quote, pos))
        if investors:
            # The count is the table's rows: quote the first and the last investor row and the total.
            rows_quote = (f"{doc.quote(start + investors[0].start(), start + investors[0].end())} … "
                          f"{doc.quote(start + investors[-1].start(), start + investors[-1].end())} … {quote}")
            out.append(_Found("cornerstone_count", float(len(investors)), None, "count", page,
                              f"{len(investors)} investor rows: {rows_quote}", start))
    return out


def _allocation(doc: _Doc) -> list[_Found]:
    out = []
    for start, end in doc.spans("allocation"):
        seg_f = doc.folded[start:end]
        pools = [(m.start(), "A" if (m.group(1) == "a" or m.group(2) == "甲") else "B") for m in _POOL.finditer(seg_f)]
        for m in _ALLOCATION_ROW.finditer(seg_f):
            pool = next((p for s, p in reversed(pools) if s < m.start()), "A")
            valid = int(m.group("valid").replace(",", ""))
            applied = int(m.group("applied").replace(",", ""))
            basis_f = m.group("basis")
            ballot = _BALLOT_EN.search(basis_f) or _BALLOT_ZH.search(basis_f)
            if ballot is None and not _EVERYONE.search(basis_f):
                continue
            if _EVERYONE.search(basis_f) or ballot is None:
                winners = valid
            elif _BALLOT_EN.search(basis_f):
                winners = int(ballot.group(1).replace(",", ""))
            else:
                winners = int(ballot.group(2).replace(",", ""))
            basis = doc.quote(start + m.start("basis"), start + m.end("basis"))
            more = _CONTINUATION.match(doc.text, start + m.end())
            if more:  # the basis wrapped past the percentage: "…applicants to / 0.05% / receive an additional…"
                basis = f"{basis} {doc.quote(more.start(1), more.end(1))}"
            row = {
                "pool": pool, "shares_applied_for": applied, "valid_applications": valid,
                "successful_applications": winners, "basis": basis,
                "approx_pct_allotted": round(float(m.group("pct")) / 100, 6),
            }
            out.append(_Found("allocation_band", float(valid), json.dumps(row, ensure_ascii=False, sort_keys=True),
                              "count", doc.page_of(start + m.start()), doc.quote(start + m.start(), start + m.end()),
                              start + m.start()))
    return out


def _one_lot(allocation: list[_Found], found: list[_Found]) -> list[_Found]:
    """One-lot success rate: the first Pool A row (the one for a single board lot, when the lot is known)."""
    lot = next((f.value for f in found if f.metric == "board_lot"), None)
    pool_a = [(json.loads(f.text or "{}"), f) for f in allocation]
    pool_a = [(row, f) for row, f in pool_a if row.get("pool") == "A"]
    if not pool_a:
        return []
    row, f = next(((r, f) for r, f in pool_a if lot and r["shares_applied_for"] == lot), pool_a[0])
    if not row["valid_applications"]:
        return []
    rate = round(row["successful_applications"] / row["valid_applications"], 6)
    return [_Found("one_lot_success_rate", rate, None, "fraction", f.page, f.quote, f.position)]


def read_pdf_pages(source: bytes | str | Path, *, name: str | None = None) -> list[str]:
    """Each page's text, via pdfplumber; NotAPdf for anything that is not a readable PDF."""
    label = name or (str(source) if isinstance(source, (str, Path)) else "the file")
    if isinstance(source, (str, Path)):
        try:
            data = Path(source).read_bytes()
        except OSError as e:
            raise UserError(f"cannot read {label}: {e.strerror}") from None
    else:
        data = source
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise NotAPdf(f"{label} is not a PDF (it does not start with %PDF)")
    import pdfplumber

    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return [page.extract_text() or "" for page in pdf.pages]
    except Exception as e:  # pdfminer raises many types for damaged files
        raise NotAPdf(f"{label} is not a readable PDF: {type(e).__name__}: {str(e)[:200]}") from None


def parse_allotment_pdf(source: bytes | str | Path, *, code: str | None = None, name: str | None = None) -> Allotment:
    """Read a PDF and parse it as an allotment results announcement."""
    label = name or (str(source) if isinstance(source, (str, Path)) else "the PDF")
    pages = read_pdf_pages(source, name=label)
    if not any(p.strip() for p in pages):
        raise NotAnAllotment(f"{label} has no extractable text (a scanned image?)")
    try:
        return parse_allotment_text(pages, code=code)
    except NotAnAllotment as e:
        raise NotAnAllotment(f"{label}: {e}") from None
