"""HKEX post-listing announcements: the over-allotment option exercised (in full or in part) or lapsed.

After listing, the stabilising manager either covers its over-allocation by
buying shares in the market (the option then lapses, or is exercised only in
part) or has the issuer issue new shares under the option. The announcement
(English or Chinese, a few pages of prose and one shareholding table) says
which, and that changes the offer's final size and proceeds. What is read,
each as a claim with basis `over_allotment`:

- `over_allotment_shares`: the shares issued under the option (0 when it lapsed
  and the announcement says no share was or will be issued);
- `over_allotment_share_of_offer`: the fraction of the initial offer they are;
- `over_allotment_proceeds`: the issuer's additional net proceeds;
- `shares_over_allocated`: the over-allocation the stabilising manager made;
- `shares_offered_initial` / `shares_offered_final`: the offer before and after
  the option, from the shareholding table's offer row (before + added = after).

The prose is read as one whitespace-free folded string per document (labels
and figures wrap anywhere in Chinese lines), and every figure is checked
before it becomes a claim: the option is at most 15% of the initial offer;
the stated share of the offer matches the shares and the offer row; the
final size is the initial plus the added shares; the net proceeds are below
shares × offer price and not far below. A figure stated twice with different
values, or failing its check, is not returned and the reason is a warning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hkipo.core.codes import resolve_code
from hkipo.core.errors import UserError
from hkipo.core.items import Announcement, Claim, ParsedAnnouncement
from hkipo.core.textnorm import fold
from hkipo.extract.allotment import document_kind
from hkipo.extract.pdf import read_pdf

__all__ = ["PARSER_VERSION", "BASIS", "OverAllotment", "NotAnOverAllotment", "parse_over_allotment_lines",
           "parse_over_allotment_pdf", "over_allotment_announcement"]

PARSER_VERSION = "over_allotment/1"
BASIS = "over_allotment"
MAX_OPTION = 0.15  # Listing Rules: the option is at most 15% of the initial offer


class NotAnOverAllotment(UserError):
    """A PDF, but not an over-allotment / stabilisation announcement."""


@dataclass
class OverAllotment:
    """What one post-listing announcement says about the option, checked."""

    hkex_code: str | None
    outcome: str | None  # 'full' | 'partial' | 'lapsed' | None when the announcement does not say clearly
    claims: list[Claim]
    warnings: list[str] = field(default_factory=list)
    pages: int = 0
    text: str = ""

    def by_metric(self) -> dict[str, Claim]:
        return {c.metric: c for c in self.claims}


class _Text:
    """The document as one folded, whitespace-free string, with each character's page and raw position."""

    def __init__(self, pages: Sequence[Sequence[str]]):
        raw_parts: list[str] = []
        chars: list[str] = []
        where: list[tuple[int, int]] = []  # (page, offset in raw)
        pos = 0
        for pi, lines in enumerate(pages):
            for line in lines:
                folded = fold(line)
                if len(folded) != len(line):
                    folded = line.lower()
                for i, ch in enumerate(folded.lower()):
                    if not ch.isspace():
                        chars.append(ch)
                        where.append((pi + 1, pos + i))
                raw_parts.append(line)
                pos += len(line) + 1
            raw_parts.append("\f")
            pos += 1
        self.s = "".join(chars)
        self.where = where
        self.raw = "\n".join(raw_parts)
        self.n_pages = len(pages)

    def page(self, i: int) -> int:
        return self.where[min(i, len(self.where) - 1)][0] if self.where else 1

    def quote(self, start: int, end: int) -> str:
        """The raw text of a squeezed span, widened to its sentence, whitespace collapsed."""
        a = self.where[start][1]
        b = self.where[min(end, len(self.where)) - 1][1] + 1
        lo = max(self.raw.rfind(m, 0, a) for m in ("。", ". ", "\f", "；", "; "))
        his = [h for h in (self.raw.find(m, b) for m in ("。", ". ", "\f", "；", "; ")) if h != -1]
        hi = min(his) if his else len(self.raw)
        lo = max(lo + 1, self.raw.rfind("\n", 0, max(0, a - 60)) + 1, a - 300)  # the sentence, from a line or two before
        hi = min(hi + 1, b + 300)
        return re.sub(r"\s+", " ", self.raw[lo:hi]).strip()


_NUM = r"(\d{1,3}(?:,\d{3})+|\d+)"
_MONEY_UNIT = {None: 1.0, "": 1.0, "million": 1e6, "百万": 1e6, "billion": 1e9, "亿": 1e8, "千万": 1e7, "万": 1e4}

# Shares issued under the option, in an exercise sentence (the exercise verb, then the number of shares).
_EXERCISE_SHARES = (
    re.compile(r"(?:fully|partially|partly)exercised[^.;]{0,260}?inrespectof(?:anaggregateof|atotalof)?" + _NUM),
    re.compile(r"(?:full|partial)exerciseof(?:the)?over-?allotmentoption[^.;]{0,200}?inrespectof"
               r"(?:anaggregateof|atotalof)?" + _NUM),
    re.compile(r"(?:悉数|全数|部分)行使[^。;｡]{0,220}?(?:涉及|合共|合计)(?:合共|合计|共)?" + _NUM + r"股"),
)
_OVER_ALLOCATED = (
    re.compile(r"over-?allocat(?:ion|ions|ed)of(?:anaggregateof|atotalof)?" + _NUM),
    re.compile(r"超额分配(?:了|合共|合计|共)?(?:合共|合计)?" + _NUM + r"股"),
)
# "representing approximately 15% of the Offer Shares initially available", "约占…发售股份总数…的15%"
_PERCENT = re.compile(r"(?:representing|相当于|约占|占|佔)(?:(?!brokerage|经纪|佣金)[^%]){0,110}?"
                      r"(?<![\d.])(\d{1,2}(?:\.\d+)?)%")
_PROCEEDS = (
    re.compile(r"additionalnetproceeds(?:of|amountingto|ofabout)?(?:approximately)?hk\$" + r"(\d[\d,]*(?:\.\d+)?)"
               r"(million|billion)?"),
    re.compile(r"额外所得款项净额(?:约为|约|为)?(?:hk\$)?(\d[\d,]*(?:\.\d+)?)(百万|亿|千万|万)?港元"),
)
_PRICE = (
    re.compile(r"hk\$(\d+(?:\.\d+)?)per(?:h|classa|classb)?(?:offer)?share"),
    re.compile(r"每股(?:h股|股份|发售股份)?(\d+(?:\.\d+)?)港元"),
)
_LAPSED = re.compile(r"lapsed|lapseof|失效")
# No share issued under the option: said so, or the option was not exercised at all.
_NONE_ISSUED = re.compile(r"no(?:h|class[ab])?shares?(?:was|were|has|have)?(?:been|or)?(?:will)?(?:be)?issued"
                          r"|nosharewasorwillbeissued|noh?shareswereorwillbeissued"
                          r"|(?:未曾|并无|没有|不会)(?:亦|且)?(?:不会|将不会|亦不会)?(?:根据超额配股权)?(?:发行|配发)"
                          r"|概无(?:h股|股份)?.{0,20}?(?:发行|配发)"
                          r"|didnotexercise(?:the)?over|(?:was|has)notbeenexercised|wasnotexercised"
                          r"|(?:并无|并未|没有|未有|无)行使超额配股权|超额配股权(?:并)?未获?行使")
_OFFER_ROW = re.compile(r"globaloffering|offershares|全球发售|发售股份")


def _int(s: str) -> int:
    return int(s.replace(",", ""))


def _title(pages: Sequence[Sequence[str]]) -> str:
    """The short lines around the announcement's title on its first page(s), squeezed and folded."""
    out: list[str] = []
    for lines in pages[:2]:
        short = [re.sub(r"\s+", "", fold(ln)).lower() for ln in lines]
        for i, s in enumerate(short):
            if 0 < len(s) <= 48 and re.search(r"超额配股权|over-?allotmentoption|稳定价格|stabili[sz]", s):
                out.extend(x for x in short[i:i + 4] if len(x) <= 48)
                return "".join(out)
    return ""


def _outcome(title: str, s: str) -> str | None:
    """Full, partial or lapsed: from the title if it says, else from the body if only one is said."""
    if re.search(r"部分行使|partialexercise|partiallyexercised", title):
        return "partial"
    if re.search(r"悉数行使|全数行使|fullexercise|fullyexercised", title):
        return "full"
    if _LAPSED.search(title) and not re.search(r"行使超额配股权|exerciseof", title):
        return "lapsed"
    said = {o for o, pat in (("partial", r"部分行使超额配股权|超额配股权(?:已)?获?部分行使|partialexerciseof"
                                         r"|partiallyexercised"),
                             ("full", r"悉数行使(?:招股章程所述的)?超额配股权|超额配股权(?:已)?获?悉数行使"
                                      r"|fullexerciseof(?:the)?over|fullyexercised(?:the)?over"),
                             ("lapsed", r"超额配股权(?:已|并已|亦已)?(?:于.{0,20}?)?失效|over-?allotmentoption"
                                        r"(?:has)?lapsed|lapseof(?:the)?over"))
            if re.search(pat, s)}
    if said == {"partial", "lapsed"}:
        return "partial"  # the unexercised part lapses
    return said.pop() if len(said) == 1 else None


@dataclass
class _Fig:
    value: float
    start: int
    end: int


def _all(pats: Sequence[re.Pattern[str]], s: str, skip: str | None = None) -> list[_Fig]:
    """Every match (overlapping starts allowed), except those with `skip` just before or at their start."""
    found: list[_Fig] = []
    for pat in pats:
        pos = 0
        while (m := pat.search(s, pos)) is not None:
            pos = m.start() + 1
            if skip and re.search(skip, s[max(0, m.start() - 12):m.start() + 10]):
                continue
            if not any(f.end == m.end() for f in found):
                found.append(_Fig(float(_int(m.group(1))), m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def _one(name: str, figs: list[_Fig], warnings: list[str]) -> _Fig | None:
    """The figure when every statement of it agrees; None (and a warning) when they disagree."""
    if not figs:
        return None
    values = sorted({f.value for f in figs})
    if len(values) > 1:
        warnings.append(f"{name} not stored: the announcement states {', '.join(f'{v:,.0f}' for v in values)}")
        return None
    return figs[0]


def parse_over_allotment_lines(pages: Sequence[Sequence[str]], *, code: str | None = None) -> OverAllotment:
    """Checked over-allotment claims from an announcement as pages of visual lines."""
    kind, what = document_kind(pages)
    if kind != "over_allotment":
        raise NotAnOverAllotment(
            f"not an over-allotment / stabilisation announcement: this is {what}" if kind != "unknown"
            else "not an over-allotment / stabilisation announcement (no over-allotment or stabilisation title "
                 "on its first pages)")
    t = _Text(pages)
    s = t.s
    warnings: list[str] = []
    stated = re.search(r"(?:stockcode|股份代号)[:：]?(\d{3,5})", s)
    hkex_code = resolve_code(code, stated.group(1) if stated else None)
    title = _title(pages)
    outcome = _outcome(title, s)
    claims: list[Claim] = []

    def claim(metric: str, value: float, unit: str, start: int, end: int, note: str | None = None) -> None:
        q = t.quote(max(start, end - 40), end)  # the figure's own sentence (a lazy match may start in the title)
        claims.append(Claim(hkex_code=hkex_code or "", metric=metric, value=value, unit=unit,
                            quote=q if note is None else f"{q} ({note})", basis=BASIS, page=t.page(start),
                            position=t.where[start][1] if t.where else None))

    # Exercise sentences, minus those about the offer size adjustment option (also "exercised in full").
    ex = _all(_EXERCISE_SHARES, s, skip=r"调整权|adjustmentoption")
    shares = _one("over_allotment_shares", ex, warnings)
    over_alloc = _one("shares_over_allocated", _all(_OVER_ALLOCATED, s), warnings)
    if outcome == "lapsed" and shares is not None:
        warnings.append("over_allotment_shares not stored: the title says the option lapsed but the text states "
                        f"{shares.value:,.0f} shares issued under it")
        shares = None
    if outcome is None and shares is not None:
        warnings.append("over_allotment_shares not stored: the announcement does not say clearly whether the option "
                        "was exercised or lapsed")
        shares = None

    # The share of the initial offer stated right after the number of shares.
    pct: float | None = None
    if shares is not None:
        for fig in [shares] + ([over_alloc] if over_alloc is not None and over_alloc.value == shares.value else []):
            m = _PERCENT.search(s, fig.end, fig.end + 160)
            if m and m.start() - fig.end < 60:
                pct = float(m.group(1)) / 100
                break
    # The over-allocation's own share of the offer: bounds a smaller (partial) exercise without naming its share.
    alloc_pct: float | None = None
    if over_alloc is not None:
        m = _PERCENT.search(s, over_alloc.end, over_alloc.end + 160)
        if m and m.start() - over_alloc.end < 60:
            alloc_pct = float(m.group(1)) / 100

    # The shareholding table's offer row: before and after, their difference the option's shares.
    initial = final = None
    row_at = 0
    if shares is not None:
        for pi, lines in enumerate(pages):
            for line in lines:
                fl = re.sub(r"\s+", "", fold(line)).lower()
                nums = [_int(n) for n in re.findall(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?![\d.%])", line)]
                if len(nums) < 2 or not _OFFER_ROW.search(fl):
                    continue
                for a in nums:
                    b = a + int(shares.value)
                    if b in nums and 0 < shares.value <= MAX_OPTION * a * 1.005:
                        if pct is None or abs(shares.value / a - pct) <= 0.006:
                            initial, final, row_at = (a, b, pi + 1)
                            row_quote = re.sub(r"\s+", " ", line).strip()
                            break
                if initial:
                    break
            if initial:
                break

    if shares is not None:
        ok = True
        if pct is not None and pct > MAX_OPTION + 0.0005:
            warnings.append(f"over_allotment_shares not stored: stated as {pct:.2%} of the offer, above the "
                            f"{MAX_OPTION:.0%} an over-allotment option may be")
            ok = False
        bounded = (alloc_pct is not None and alloc_pct <= MAX_OPTION + 0.0005 and over_alloc is not None
                   and shares.value <= over_alloc.value)
        if ok and pct is None and initial is None and not bounded:
            warnings.append("over_allotment_shares not stored: the announcement states neither the share of the "
                            "offer nor the offer's size, so the 15% limit cannot be checked")
            ok = False
        if ok and over_alloc is not None and shares.value > over_alloc.value:
            warnings.append(f"over_allotment_shares not stored: {shares.value:,.0f} issued is more than the "
                            f"{over_alloc.value:,.0f} over-allocated")
            ok = False
        if ok:
            claim("over_allotment_shares", shares.value, "shares", shares.start, shares.end)
            if pct is not None:
                claim("over_allotment_share_of_offer", round(pct, 6), "fraction", shares.start, shares.end)
            if initial is not None and final is not None:
                claims.append(Claim(hkex_code=hkex_code or "", metric="shares_offered_initial", value=float(initial),
                                    unit="shares", quote=row_quote, basis=BASIS, page=row_at))
                claims.append(Claim(hkex_code=hkex_code or "", metric="shares_offered_final", value=float(final),
                                    unit="shares", quote=f"{row_quote} ({initial:,} + {shares.value:,.0f})",
                                    basis=BASIS, page=row_at))
            _proceeds(s, shares.value, claim, warnings)
        else:
            shares = None
    elif outcome == "lapsed":
        m = _NONE_ISSUED.search(s)
        if m:
            claim("over_allotment_shares", 0.0, "shares", m.start(), m.end())
        else:
            warnings.append("over_allotment_shares not stored: the option lapsed but the announcement does not say "
                            "that no share was issued under it")
    if over_alloc is not None and (shares is None or shares.value <= over_alloc.value):
        claim("shares_over_allocated", over_alloc.value, "shares", over_alloc.start, over_alloc.end)
    if outcome in ("full", "partial") and shares is None and not any("not stored" in w for w in warnings):
        warnings.append("the option was exercised but the number of shares issued under it could not be read")
    return OverAllotment(hkex_code=hkex_code, outcome=outcome, claims=claims, warnings=warnings,
                         pages=t.n_pages, text=t.raw)


def _proceeds(s: str, shares: float, claim, warnings: list[str]) -> None:  # noqa: ANN001 - the local closure
    """Additional net proceeds, only when below shares × offer price and not far below it."""
    found = []
    for pat in _PROCEEDS:
        for m in pat.finditer(s):
            found.append((float(m.group(1).replace(",", "")) * _MONEY_UNIT[m.group(2)], m.start(), m.end()))
    if not found:
        return
    values = {round(v, -3) for v, _, _ in found}
    if len(values) > 1:
        warnings.append("over_allotment_proceeds not stored: the announcement states "
                        + ", ".join(f"HK${v:,.0f}" for v in sorted(values)))
        return
    prices = set()
    for pat in _PRICE:
        for m in pat.finditer(s):
            if re.search(r"offerprice|发售价", s[m.end():m.end() + 200]):
                prices.add(float(m.group(1)))
    if len(prices) != 1:
        warnings.append("over_allotment_proceeds not stored: no single offer price in the announcement to check "
                        "it against" if not prices else
                        f"over_allotment_proceeds not stored: several offer prices ({sorted(prices)})")
        return
    price = prices.pop()
    value, start, end = found[0]
    gross = shares * price
    if not 0.8 * gross <= value <= gross * 1.001:
        warnings.append(f"over_allotment_proceeds not stored: HK${value:,.0f} is not a plausible net of "
                        f"{shares:,.0f} shares × HK${price} = HK${gross:,.0f}")
        return
    claim("over_allotment_proceeds", round(value, 2), "HKD", start, end, f"gross {shares:,.0f} × HK${price} = HK${gross:,.0f}")


def parse_over_allotment_pdf(source: bytes | str | Path, *, code: str | None = None,
                             name: str | None = None) -> OverAllotment:
    """Read a PDF (visual lines) and parse it as an over-allotment / stabilisation announcement."""
    label = name or (str(source) if isinstance(source, (str, Path)) else "the PDF")
    pages = read_pdf(source, name=label)
    if sum(len(re.findall(r"\w", p.text)) for p in pages) < 40:
        raise NotAnOverAllotment(f"{label} has no extractable text (a scanned image or a damaged file?)")
    try:
        return parse_over_allotment_lines([[ln.text for ln in p.lines] for p in pages], code=code)
    except NotAnOverAllotment as e:
        raise NotAnOverAllotment(f"{label}: {e}") from None


def over_allotment_announcement(body: bytes, *, announcement_id: str, url: str, code: str | None = None,
                                 title: str = "Over-allotment option / stabilisation", language: str = "en",
                                 published_at: dt.datetime | None = None) -> ParsedAnnouncement:
    """A post-listing over-allotment / stabilisation PDF as an announcement (kind `over_allotment`) with its
    checked claims (basis `over_allotment`), ready for `write_announcement` (UserError if it is not one)."""
    parsed = parse_over_allotment_pdf(body, code=code, name=url)
    if not parsed.hkex_code:
        raise UserError(f"{url}: the announcement states no stock code; give the code it is for")
    ann = Announcement(announcement_id=announcement_id, hkex_code=parsed.hkex_code, title=title, language=language,
                       url=url, published_at=published_at, parser_version=PARSER_VERSION,
                       kind="over_allotment", pdf_sha256=hashlib.sha256(body).hexdigest(), pages=parsed.pages,
                       text=parsed.text)
    return ParsedAnnouncement(ann, tuple(parsed.claims), tuple(parsed.warnings))
