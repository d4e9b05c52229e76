"""Claims from news text: which figure, about which security, stated how.

For every sentence (hkipo/extract/claims/sentences.py):

1. **Figures** — `numbers.find_quantities` gives each number with its unit,
   multiplier and qualifier (`逾 42 万名`, `HK$5.54bn`, `高開約 42.67%`).
2. **Meaning** — the nearest cue word decides the metric (cues.py): looking
   first between the previous figure and this one, then just after it, so
   "开盘报 235.4 港元，较发行价 165 港元涨 42%" gives an open, an offer price
   and an open return. Basis comes from the clause: "at the close of
   applications" → `at_close_of_applications`, "if the over-allotment option
   is exercised in full" → `full_over_allotment`, 盘中 → `intraday`.
3. **Subject** — the last security named before the figure in its sentence
   (entities.py: watchlist securities *and* other issuers, by name: the
   shipped list and `others`, every security hkipo knows). A sentence that
   names nobody inherits the previous sentence's subject only through an
   explicit anaphor (其, 该股, 该公司, 公司, the company, its, the stock):
   "同日招股的蜜雪冰城则获…" names someone else, and a bare "另一新股获 50
   倍认购" names nobody the figure can be pinned on. Companies named as
   cornerstone investors (基石投资者包括腾讯…) are investors, not subjects. A
   figure whose subject is another issuer (CATL, Biren, Estun) is dropped,
   and so is one whose clause names only another issuer; a sentence about
   the market at large, or the paragraph after a list item, inherits
   nothing — so an aggregator page never hands one company's figures to
   another.
4. **Day** — first-day prices, returns and market caps must be about the
   listing day (dates.py); a close two days later or a grey-market price is
   not a first-day figure and is dropped.

Each claim keeps its sentence as the quote and the sentence's offset.

Only the first MAX_TEXT_CHARS characters of a text are read (a page of
several MB must not stall the news job); the sentence the cut falls in is
dropped whole, so a figure is never read cut in half. Figures and entities
are handed to their sentence by bisection on their offsets, so the cost
grows with the text, not with sentences × figures.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hkipo.core import metrics
from hkipo.core.config import Security
from hkipo.extract.claims import cues
from hkipo.extract.claims.dates import FIRST_DAY, GREY_MARKET, resolve_day, explicit_date
from hkipo.extract.claims.entities import Entity, find_entities
from hkipo.core.items import Claim
from hkipo.core.numbers import Quantity, find_quantities

try:  # Chinese numerals ("十四名"); without cn2an those figures are left out, never misread
    import cn2an
except ImportError:  # pragma: no cover - a declared dependency
    cn2an = None
from hkipo.extract.claims.sentences import Span, split_clauses, split_sentences
from hkipo.core.textnorm import fold

EXTRACTOR_VERSION = "news-claims/2"
# Characters of one text read for claims: far beyond any real story (~5-30k), short enough that a
# runaway page (a whole archive, a data dump) costs a fraction of a second.
MAX_TEXT_CHARS = 200_000
log = logging.getLogger(__name__)
HK = ZoneInfo("Asia/Hong_Kong")
AFTER_PENALTY = 4  # a cue after the figure counts as this many characters further away
CLAUSE_PENALTY = 6  # ... and one before it, this many more per clause break in between
_CLAUSE_BREAK = re.compile(r"[，,；;：:]")

# Metrics whose value depends on the day (only listing-day statements are kept) and plausible ranges (a figure
# outside is a misreading, not a claim) are the registry's: hkipo/core/metrics.py.
FIRST_DAY_METRICS = metrics.FIRST_DAY_METRICS
_BOUNDS: dict[str, tuple[float, float]] = {m.name: m.bounds for m in metrics.METRICS if m.bounds is not None}
# Grey-market figures (暗盘, the evening before listing): their own metrics, basis `grey_market`.
GREY_METRICS = frozenset(m.name for m in metrics.METRICS if m.name.startswith("grey_market_"))
# Chinese numerals before a count word: "十四名基石投资者", "逾四百六十家机构".
_CN_NUMERAL = re.compile(r"(?<![第零〇一二两三四五六七八九十百千万亿])([零〇一二两三四五六七八九十百千]{1,6})\s*(名|位|家|间|個|个)")
# A sentence about the market at large ("5 只新股", "other IPOs this week") continues no one's story.
_MARKET_WIDE = re.compile(r"只新股|多只|其他新股|其余新股|新股市场|港股市场|家公司|几家|多家|other (?:ipos|listings|issuers)|"
                          r"ipos this|listings this|new listings|ipo market|the market as a whole|several companies")
# A list item ("1. 壁仞科技…", "• Biren…") is about its own subject only.
_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}[.、)）]|[（(]\d{1,2}[)）]|[•·●▪■◆\-*]|【)")
_FORMER = re.compile(r"前者|the former")
_CONVERSION = re.compile(r"^[\s,，(（]*(?:or|即|约合|約合|合|折合|相当于|equivalent to|about|roughly)[\s:：]*$")
_OF_NEXT = re.compile(r"^\s*(?:of|for|by|at|from|的|为|是)?\s*$")
_LATTER = re.compile(r"后者|the latter")
# Words that point back to the previous sentence's company (folded text).
# "此次 / 今次 / the deal / the offering": this listing, i.e. the company the story is about.
ANAPHORA = re.compile(r"(?<![尤极与])其(?![他它余])|该股|该公司|该集团|公司|此次|今次|本次|是次|"
                      r"(?<![a-z])(?:the company|its|the stock|the shares|the firm|the group|the deal|"
                      r"the (?:hong kong |global |public |international |retail )?(?:ipo|offering|listing|float|tranche))"
                      r"(?![a-z])")
# "合计认购金额达…", "In total they…": a sentence that sums up the previous one continues it.
_TOGETHER = re.compile(r"\s*(?:合计|合共|共计|总计|together|in total|combined)")
# "另一新股", "其他公司": a sentence pointing away from the previous company carries nobody.
_OTHER = re.compile(r"另一|另外一|其他|其它|其余|别的|(?<![a-z])(?:another|other (?:companies|company|issuers?|listings?|ipos?))")
# Companies listed as cornerstone investors are investors, not the sentence's subject:
# "基石投资者包括腾讯、阿里巴巴", "引入腾讯作为基石投资者", "cornerstone investors including Tencent and CATL".
_INVESTOR_LIST = re.compile(
    r"(?:基石投资者|基石|cornerstone investors?|cornerstones)[^，。；,;]{0,10}?"
    r"(?:包括|包含|有|为|如|计有|including|include|includes|such as|are|[:：])[^，。；;]*"
    r"|(?:引入|引进|获得?)[^，。；;]{0,40}?(?:作为|为|担任)?基石"
    r"|(?<![a-z])(?:cornerstone investors?|cornerstones)[^.;]{0,10}?(?:including|include|includes|such as|are)[^.;]*")
# A bare 元 is HK$ in Hong Kong listing coverage, unless the sentence is about mainland trading.
_HK_LISTING = re.compile(r"港股|港交所|联交所|香港|港元|港币|hk\$|hkex|hong kong")
_MAINLAND = re.compile(r"a股|深交所|上交所|深市|沪市|科创板|创业板|北交所|人民币|rmb|shenzhen|shanghai")
_EXPLICIT_CNY = re.compile(r"人民币|人民幣|rmb|cny|[¥￥]", re.IGNORECASE)


@dataclass(frozen=True)
class _Meaning:
    metric: str
    basis: str = "final"
    sign: float = 1.0


@dataclass
class _Ctx:
    """What one sentence sees: the text, its folded copy, the figures and entities around."""

    text: str
    folded: str
    sentence: Span
    clauses: list[Span]
    quantities: list[Quantity]  # the sentence's figures, in order
    continued: str = ""  # the previous sentence (folded) when this one continues it ("…基石投资者。合计认购…")

    def clause_of(self, pos: int) -> Span:
        for c in self.clauses:
            if c.start <= pos < c.end:
                return c
        return self.clauses[-1]

    def before(self, q: Quantity) -> tuple[int, int]:
        """From the previous figure (or the sentence start) to this figure."""
        start = self.sentence.start
        for other in self.quantities:
            if other.end <= q.start and other.unit is not None and not other.code_like:
                # From its digits: "14 cornerstone investors subscribed HK$2.7bn" — the noun is a cue too.
                start = max(start, other.num_end)
        return start, q.start

    def after(self, q: Quantity) -> tuple[int, int]:
        """From this figure to the next figure (or the clause end)."""
        clause = self.clause_of(q.num_start)
        end = clause.end
        for other in self.quantities:
            if other.start >= q.end and other.unit is not None and not other.code_like:
                end = min(end, other.start)
                break
        return q.end, max(q.end, end)

    def seg(self, span: tuple[int, int]) -> str:
        return self.folded[span[0]:span[1]]


def extract_claims(text: str, securities: Sequence[Security], *,
                   published_at: dt.datetime | None = None, others: Sequence[str] = (),
                   dropped: Counter | None = None) -> list[Claim]:
    """Every figure `text` states about a watchlist security, attributed by sentence.

    Pass the whole watchlist, not only the securities the article is tagged
    with: a security left out is invisible here, so a sentence naming only
    it looks like one naming nobody and its figures carry over to the
    previous sentence's subject. `others`: names of other issuers hkipo
    knows (discovered listings; `entities.names_in`), besides the shipped list.
    `dropped`, when given, counts the IPO figures left out, by reason.
    """
    if not text or not securities:
        return []
    capped = len(text) > MAX_TEXT_CHARS
    if capped:
        log.info("claims: text of %d characters, reading the first %d", len(text), MAX_TEXT_CHARS)
        text = text[:MAX_TEXT_CHARS]
    folded = fold(text)
    entities = find_entities(text, securities, folded=folded, others=others)
    by_code = {s.code: s for s in securities}
    published = _hk_date(published_at)
    hk_listing = bool(_HK_LISTING.search(folded))
    quantities = [_hong_kong_yuan(text, folded, q) if hk_listing else q
                  for q in find_quantities(text) if q.unit is not None and not q.code_like]
    quantities = sorted(quantities + _chinese_numeral_counts(folded), key=lambda q: q.start)
    qs_in = _ByOffset([q.num_start for q in quantities])
    entities_in = _ByOffset([e.start for e in entities])
    sentences = split_sentences(text)
    if capped and sentences and sentences[-1].end >= len(text.rstrip()):
        sentences.pop()  # the cut may fall inside it
    claims: list[Claim] = []
    seen: set[tuple] = set()
    carried: str | None = None  # subject carried from the previous sentence (a code, or '' for another issuer)
    prev_entities: list[Entity] = []
    paragraph = -1
    after_list_item = False
    context_day: dt.date | None = None
    prev_start = prev_end = 0
    for sentence in sentences:
        sent_entities = [entities[i] for i in entities_in.between(sentence.start, sentence.end)]
        investors = [m.span() for m in _INVESTOR_LIST.finditer(folded, sentence.start, sentence.end)]
        if investors:
            sent_entities = [e for e in sent_entities
                             if e.code is not None or not any(a <= e.start < b for a, b in investors)]
        grey = GREY_MARKET.search(folded, sentence.start, sentence.end) is not None
        if grey:  # the broker running the session is not the subject of its figures
            sent_entities = [e for e in sent_entities if e.code is not None or not cues.BROKER.search(fold(e.name))]
        new_paragraph = sentence.paragraph != paragraph
        if new_paragraph:
            paragraph = sentence.paragraph
            context_day = None
        fs = folded[sentence.start:sentence.end]
        if new_paragraph and after_list_item:
            carried = None
        if new_paragraph:
            after_list_item = bool(_LIST_ITEM.match(fs))
        if not sent_entities and _MARKET_WIDE.search(fs):
            carried = None
        # The part after a "；" continues its sentence: its subject needs no anaphor.
        continues = not new_paragraph and prev_end > 0 and (folded[prev_end - 1] in "；;" or bool(_TOGETHER.match(fs)))
        prev_text = "" if new_paragraph else folded[prev_start:prev_end]
        prev_start = sentence.start
        prev_end = sentence.end
        sent_qs = [quantities[i] for i in qs_in.between(sentence.start, sentence.end)]
        ctx = _Ctx(text, folded, sentence, split_clauses(sentence), sent_qs, prev_text if continues else "")
        for q in sent_qs:
            subject = _subject(ctx, q, sent_entities, carried, prev_entities, continues=continues)
            if subject is None or subject not in by_code:
                if dropped is not None and _meaning(ctx, q) is not None:
                    others_named = any(e.code is None for e in sent_entities)
                    dropped["about another issuer" if others_named else
                            "no subject (no name, no anaphor)"] += 1
                continue
            meaning = _meaning(ctx, q)
            if meaning is None:
                continue
            claim = _claim(ctx, q, meaning, by_code[subject], published, context_day)
            if claim is None:
                if dropped is not None:
                    dropped["not a listing-day figure, or implausible"] += 1
                continue
            key = (claim.hkex_code, claim.metric, claim.value, claim.unit, claim.basis, claim.qualifier, claim.as_of)
            if key not in seen:
                seen.add(key)
                claims.append(claim)
        day = explicit_date(fs, year_hint=(published or dt.date.today()).year)
        if day is not None:
            context_day = day
        if sent_entities:
            # Named one security: it carries on. Named another issuer, or several: nothing carries.
            distinct = {e.code for e in sent_entities}
            carried = distinct.pop() if len(distinct) == 1 else None
            prev_entities = sent_entities
        # A sentence naming nobody keeps the carried subject for the next one.
    return claims


def _chinese_numeral_counts(folded: str) -> list[Quantity]:
    """Counts written in Chinese numerals ("十四名基石投资者"), with a qualifier word just before (逾, 超过, 约)."""
    if cn2an is None:
        return []
    out = []
    for m in _CN_NUMERAL.finditer(folded):
        try:
            # strict: "一一" is not eleven; 两 (two, before a count word) is spelled 二 for the parser.
            value = float(cn2an.cn2an(m.group(1).replace("两", "二"), "strict"))
        except (ValueError, KeyError, IndexError):  # not a well-formed numeral ("十千"): not a figure
            continue
        before = folded[max(0, m.start() - 3):m.start()]
        qual = next((q for w, q in (("超过", "over"), ("逾", "over"), ("多于", "over"), ("约", "approx"),
                                    ("近", "under"), ("不足", "under")) if before.endswith(w)), None)
        out.append(Quantity(value=value, unit="count", start=m.start(), end=m.end(), num_start=m.start(1),
                            num_end=m.end(1), qualifier=qual, noun=m.group(2)))
    return out


def _hong_kong_yuan(text: str, folded: str, q: Quantity) -> Quantity:
    """A bare 元 (no 人民币 / RMB / ¥) in Hong Kong listing coverage is HK$, unless its sentence is about
    mainland trading (A股, 深交所 …): "每股定价 18.8 元" is the offer price in HK$."""
    if q.unit != "CNY" or _EXPLICIT_CNY.search(text, q.start, q.end) or "元" not in text[q.num_end:q.end]:
        return q
    lo = max(folded.rfind("。", 0, q.start), folded.rfind("\n", 0, q.start)) + 1
    hi = min((i for i in (folded.find("。", q.end), folded.find("\n", q.end)) if i >= 0), default=len(folded))
    if _MAINLAND.search(folded, lo, hi):
        return q
    return dataclasses.replace(q, unit="HKD")


class _ByOffset:
    """Indices of items whose offset lies in [start, end), in their original order, by bisection."""

    def __init__(self, offsets: list[int]) -> None:
        order = sorted(range(len(offsets)), key=offsets.__getitem__)
        self._offsets = [offsets[i] for i in order]
        self._order = order

    def between(self, start: int, end: int) -> list[int]:
        lo = bisect.bisect_left(self._offsets, start)
        hi = bisect.bisect_left(self._offsets, end)
        return sorted(self._order[lo:hi])


def _hk_date(published_at: dt.datetime | None) -> dt.date | None:
    if published_at is None:
        return None
    if published_at.tzinfo is None:
        published_at = published_at.replace(tzinfo=HK)
    try:
        return published_at.astimezone(HK).date()
    except OverflowError:  # within hours of year 1 or 9999: no real publication date, so none to reason from
        return None


def _subject(ctx: _Ctx, q: Quantity, sent_entities: list[Entity], carried: str | None,
             prev_entities: list[Entity], *, continues: bool = False) -> str | None:
    """The HKEX code the figure is about; None when it is about someone else or nobody can tell."""
    clause = ctx.clause_of(q.num_start)
    clause_text = ctx.folded[clause.start:clause.end]
    if _FORMER.search(clause_text) or _LATTER.search(clause_text):
        pool = [e for e in sent_entities if e.end <= q.start] or prev_entities
        distinct: list[str | None] = []
        for e in pool:
            if e.code not in distinct:
                distinct.append(e.code)
        if len(distinct) >= 2:
            return distinct[0] if _FORMER.search(clause_text) else distinct[-1]
    before = [e for e in sent_entities if e.end <= q.start]
    following = [e for e in sent_entities if clause.start <= e.start < clause.end and e.start >= q.end]
    if following and following[0].code is None and _OF_NEXT.match(ctx.folded[q.end:following[0].start]):
        return None  # "the 30x of CATL", "30 倍的宁德时代"
    if before:
        return before[-1].code
    if following:
        return following[0].code
    if any(e.code is None for e in sent_entities if clause.start <= e.start < clause.end):
        return None
    if sent_entities:
        # Named only later in the sentence, in another clause: "较发行价涨 42%，MiniMax ..." is rare;
        # a sentence naming others after the figure is too ambiguous to guess.
        codes = {e.code for e in sent_entities}
        return codes.pop() if len(codes) == 1 else None
    if carried and continues and not _OTHER.search(ctx.folded, ctx.sentence.start, ctx.sentence.end):
        return carried
    if carried and ANAPHORA.search(ctx.folded, ctx.sentence.start, max(q.start, clause.end)) and \
            not _OTHER.search(ctx.folded, ctx.sentence.start, ctx.sentence.end):
        return carried
    return None


def _nearest(ctx: _Ctx, q: Quantity, patterns: dict[str, re.Pattern[str]], *, after: bool = True,
             before_span: tuple[int, int] | None = None) -> str | None:
    """The key of the pattern matching nearest to the figure (before it, else shortly after)."""
    b0, b1 = before_span or ctx.before(q)
    before_text = ctx.folded[b0:b1]
    best: tuple[float, int, str] | None = None  # (distance, -length of the cue, key): nearer, then more specific
    for key, pat in patterns.items():
        for m in pat.finditer(before_text):
            # A cue in an earlier clause is weaker: "20.5万份有效申请，其中约5.09万份获得分配".
            breaks = len(_CLAUSE_BREAK.findall(before_text, m.end()))
            cand = (b1 - (b0 + m.end()) + CLAUSE_PENALTY * breaks, -(m.end() - m.start()), key)
            if best is None or cand[:2] < best[:2]:
                best = cand
    if after:
        a0, a1 = ctx.after(q)
        after_text = ctx.folded[a0:a1]
        for key, pat in patterns.items():
            m = pat.search(after_text)
            if m:
                cand = (m.start() + AFTER_PENALTY, -(m.end() - m.start()), key)
                if best is None or cand[:2] < best[:2]:
                    best = cand
    return best[2] if best else None


def _local(ctx: _Ctx, q: Quantity) -> str:
    return ctx.seg(ctx.before(q)) + " " + ctx.seg(ctx.after(q))


def _clause_text(ctx: _Ctx, q: Quantity) -> str:
    c = ctx.clause_of(q.num_start)
    return ctx.folded[c.start:c.end]


def _meaning(ctx: _Ctx, q: Quantity) -> _Meaning | None:
    if GREY_MARKET.search(ctx.folded, ctx.sentence.start, ctx.sentence.end):
        grey = _grey_market(ctx, q)
        if grey is not None:
            return grey
    if q.unit == "times":
        return _multiple(ctx, q)
    if q.unit == "fraction":
        return _percent(ctx, q)
    if q.unit in ("HKD", "USD", "CNY"):
        return _price(ctx, q) if _looks_per_share(ctx, q) else _money(ctx, q)
    if q.unit == "shares":
        return _shares(ctx, q)
    if q.unit == "count":
        return _count(ctx, q)
    return None


def _basis_scope(ctx: _Ctx, q: Quantity) -> str:
    """Where a basis cue applies to a figure: its clause, and the lead-in when it is the sentence's first figure."""
    clause = ctx.clause_of(q.num_start)
    start, _ = ctx.before(q)
    if start == ctx.sentence.start:
        return ctx.folded[start:clause.end]
    return ctx.folded[clause.start:clause.end]


def _multiple(ctx: _Ctx, q: Quantity) -> _Meaning | None:
    sentence = ctx.folded[ctx.sentence.start:ctx.sentence.end]
    if not cues.SUBSCRIPTION.search(sentence):
        return None  # "相当于收入的 3.37 倍" is not a subscription level
    basis = "at_close_of_applications" if cues.ESTIMATE.search(_basis_scope(ctx, q)) else "final"
    if cues.EX_CORNERSTONE.search(_local(ctx, q)) or cues.EX_CORNERSTONE.search(_clause_text(ctx, q)):
        return _Meaning("international_ex_cornerstone_multiple", basis)
    # The tranche is named before its figure ("the international offering 15.28 times"), else after it
    # ("1,837 times oversubscribed in the public offering"): a name after the figure that belongs to the
    # next one must not win.
    tranche = (_nearest(ctx, q, cues.TRANCHE, after=False, before_span=(ctx.sentence.start, q.start))
               or _nearest(ctx, q, cues.TRANCHE, before_span=(q.start, q.start)))
    metric = "international_subscription_multiple" if tranche == "international" else "public_subscription_multiple"
    return _Meaning(metric, basis)


def _percent(ctx: _Ctx, q: Quantity) -> _Meaning | None:
    local = _local(ctx, q)
    if cues.ONE_LOT.search(local) or cues.ONE_LOT.search(_clause_text(ctx, q)):
        return _Meaning("one_lot_success_rate")
    before_text = ctx.seg(ctx.before(q))
    after_text = ctx.seg(ctx.after(q))
    if cues.SKIP_RETURN.search(before_text[-12:]) or cues.SKIP_RETURN.search(after_text[:12]):
        return None
    near_before, near_after = before_text[-10:], after_text[:14]
    up = cues.RETURN_UP.search(near_before) or cues.RETURN_UP.search(near_after)
    down = cues.RETURN_DOWN.search(near_before) or cues.RETURN_DOWN.search(near_after)
    if not (up or down):
        return None
    sign = -1.0 if _direction(near_before, near_after) == "down" else 1.0
    sentence = ctx.folded[ctx.sentence.start:ctx.sentence.end]
    kind_patterns = {k: v for k, v in cues.PRICE_KIND.items() if k != "offer_price"}
    kind = (_nearest(ctx, q, kind_patterns, after=False, before_span=(ctx.sentence.start, q.start))
            or _nearest(ctx, q, kind_patterns, before_span=(q.start, q.start)))
    if kind is None:
        if not (FIRST_DAY.search(sentence) and (cues.VS_OFFER.search(sentence) or up or down)):
            return None
        kind = "first_day_close"
    if kind not in ("first_day_open", "first_day_close"):
        return None  # returns at the high or low are not tracked
    if not (cues.VS_OFFER.search(sentence) or FIRST_DAY.search(sentence)
            or cues.PRICE_KIND["first_day_open"].search(sentence) or cues.PRICE_KIND["first_day_close"].search(sentence)):
        return None
    basis = "intraday" if cues.INTRADAY.search(_clause_text(ctx, q)) else "final"
    return _Meaning(kind + "_return", basis, sign)


def _grey_market(ctx: _Ctx, q: Quantity) -> _Meaning | None:
    """A grey-market close, its return over the offer price, or the paper gain per board lot; else None.

    The offer price quoted in the same sentence ("较招股价 42 港元涨 20%") is left to the ordinary rules.
    """
    local = _local(ctx, q)
    before_text, after_text = ctx.seg(ctx.before(q)), ctx.seg(ctx.after(q))
    if q.unit == "HKD" and (cues.SHARE_KIND["board_lot"].search(local) or "per board lot" in local):
        if not (cues.LOT_GAIN.search(local) or cues.LOT_LOSS.search(local)):
            return None
        loss = cues.LOT_LOSS.search(local) and not cues.LOT_GAIN.search(before_text[-8:] + after_text[:8])
        return _Meaning("grey_market_lot_gain", "grey_market", -1.0 if loss else 1.0)
    if q.unit == "HKD" and _looks_per_share(ctx, q) and not q.in_range:
        kind = _nearest(ctx, q, cues.PRICE_KIND)
        if kind == "first_day_close":
            return _Meaning("grey_market_close", "grey_market")
        return None
    if q.unit == "fraction":
        near_before, near_after = before_text[-10:], after_text[:14]
        up = cues.RETURN_UP.search(near_before) or cues.RETURN_UP.search(near_after)
        down = cues.RETURN_DOWN.search(near_before) or cues.RETURN_DOWN.search(near_after)
        if not (up or down) or cues.SKIP_RETURN.search(near_before[-6:]) or cues.ONE_LOT.search(local):
            return None
        kind = _nearest(ctx, q, {k: v for k, v in cues.PRICE_KIND.items() if k != "offer_price"}, after=False,
                        before_span=(ctx.sentence.start, q.start))
        sentence = ctx.folded[ctx.sentence.start:ctx.sentence.end]
        if kind not in (None, "first_day_close") or not (cues.VS_OFFER.search(sentence) or kind):
            return None
        return _Meaning("grey_market_return", "grey_market", -1.0 if _direction(near_before, near_after) == "down" else 1.0)
    return None


def _direction(before: str, after: str) -> str:
    """'up' or 'down': the direction word nearest the figure."""
    best: tuple[int, str] | None = None
    for word, pat in (("up", cues.RETURN_UP), ("down", cues.RETURN_DOWN)):
        for m in pat.finditer(before):
            d = len(before) - m.end()
            if best is None or d < best[0]:
                best = (d, word)
        m = pat.search(after)
        if m and (best is None or m.start() + 1 < best[0]):
            best = (m.start() + 1, word)
    return best[1] if best else "up"


def _looks_per_share(ctx: _Ctx, q: Quantity) -> bool:
    """A share price: stated per share, or a plain amount below HK$10,000 (totals come with 亿 / bn / m)."""
    return q.per_share or (q.multiplier == 1.0 and q.value < 10_000)


def _price(ctx: _Ctx, q: Quantity) -> _Meaning | None:
    if q.in_range or q.unit != "HKD":
        return None
    local = _local(ctx, q)
    sentence = ctx.folded[ctx.sentence.start:ctx.sentence.end]
    rel = q.start - ctx.sentence.start
    if not GREY_MARKET.search(sentence) and any(m.start() - 30 <= rel <= m.end() + 30
                                                for m in cues.AT_TOP_OF_RANGE.finditer(sentence)):
        return _Meaning("offer_price")
    if cues.SKIP_PRICE.search(local) or GREY_MARKET.search(sentence):
        return None
    metric = _nearest(ctx, q, cues.PRICE_KIND)
    if metric is None:
        return None
    basis = "final"
    if metric != "offer_price" and cues.INTRADAY.search(_clause_text(ctx, q)):
        basis = "intraday"
    return _Meaning(metric, basis)


def _money(ctx: _Ctx, q: Quantity) -> _Meaning | None:
    if cues.SKIP_MONEY.search(ctx.seg(ctx.before(q))) or cues.SKIP_MONEY.search(ctx.seg(ctx.after(q))):
        return None
    metric = _nearest(ctx, q, cues.MONEY_KIND)
    if metric is None and ctx.continued and cues.MONEY_KIND["cornerstone_amount"].search(ctx.continued) \
            and cues.SUBSCRIPTION.search(ctx.seg(ctx.before(q))):
        metric = "cornerstone_amount"  # "…引入 14 名基石投资者。合计认购金额达 27.23 亿港元。"
    if metric is None:
        # "US$619m, or HK$4.82bn" / "约 55.4 亿港元（约合 7.1 亿美元）": the same figure in another currency.
        prev = [o for o in ctx.quantities if o.end <= q.start and o.is_money and not o.per_share]
        if prev and _CONVERSION.match(ctx.folded[prev[-1].end:q.start]):
            return _money(ctx, prev[-1])
        return None
    basis = "final"
    if metric in ("gross_proceeds", "net_proceeds") and _assumes_full_over_allotment(ctx):
        basis = "full_over_allotment"
    if metric == "market_cap":
        # The moment is the nearest of 开盘 / 盘中 / 收盘 before it; a market cap without one is a snapshot.
        moments = {"at_open": cues.PRICE_KIND["first_day_open"], "final": cues.PRICE_KIND["first_day_close"],
                   "intraday": cues.INTRADAY}
        basis = (_nearest(ctx, q, moments, after=False, before_span=(ctx.sentence.start, q.start))
                 or _nearest(ctx, q, moments, before_span=(q.start, q.start)) or "intraday")
    return _Meaning(metric, basis)


def _assumes_full_over_allotment(ctx: _Ctx) -> bool:
    """"If the over-allotment option is exercised in full" — but not "assuming it is not exercised"."""
    sentence = ctx.folded[ctx.sentence.start:ctx.sentence.end]
    return bool(cues.FULL_OVER_ALLOTMENT.search(sentence)) and not cues.NOT_EXERCISED.search(sentence)


def _shares(ctx: _Ctx, q: Quantity) -> _Meaning | None:
    if cues.SKIP_SHARES.search(_local(ctx, q)):
        return None
    metric = _nearest(ctx, q, cues.SHARE_KIND)
    if metric is None:
        return None
    basis = "final"
    if metric in ("shares_offered", "public_offer_shares", "international_offer_shares") and \
            _assumes_full_over_allotment(ctx):
        basis = "full_over_allotment"
    return _Meaning(metric, basis)


def _count(ctx: _Ctx, q: Quantity) -> _Meaning | None:
    noun = q.noun or ""
    local = _local(ctx, q)
    if noun in ("institutions", "institutional investors") or (
            noun in ("家", "间") and (cues.INSTITUTIONS.search(ctx.seg(ctx.before(q))[-16:])
                                     or cues.INSTITUTIONS.search(ctx.seg(ctx.after(q))[:6]))):
        # "参与认购的机构超过 460 家", "逾 460 家机构参与": how many institutions were in the book.
        sentence = ctx.folded[ctx.sentence.start:ctx.sentence.end]
        if cues.SUBSCRIPTION.search(sentence) or re.search(r"参与|配售|订单|落单|\bbook|took part|participat", sentence):
            return _Meaning("book_institutions")
        return None
    if cues.SKIP_COUNT.search(noun) or cues.SKIP_COUNT.search(ctx.seg(ctx.after(q))[:12]):
        return None
    if "cornerstone" in noun:
        return _Meaning("cornerstone_count")
    if cues.ONE_LOT.search(_clause_text(ctx, q)) or "一手" in local or "one lot" in local:
        return None  # one-lot applicants are a row of the allocation table, not all applicants
    metric = _nearest(ctx, q, cues.COUNT_KIND)
    if metric is None and noun in ("applicants", "applications", "valid applications", "subscribers"):
        metric = "valid_applications"
    if metric is None:
        return None
    basis = ("at_close_of_applications" if metric == "valid_applications" and cues.ESTIMATE.search(_basis_scope(ctx, q))
             else "final")
    return _Meaning(metric, basis)


def _claim(ctx: _Ctx, q: Quantity, meaning: _Meaning, sec: Security, published: dt.date | None,
           context_day: dt.date | None) -> Claim | None:
    metric = meaning.metric
    value = q.value * meaning.sign
    unit = q.unit or ""
    if unit == "count" and metric == "board_lot":
        unit = "shares"
    as_of = None
    if metric in FIRST_DAY_METRICS:
        if metric != "market_cap" and q.unit not in ("HKD", "fraction"):
            return None
        ref = resolve_day(ctx.folded[ctx.sentence.start:ctx.sentence.end], listing_date=sec.listing_date,
                          published=published, context_day=context_day)
        if ref.first_day is False or (ref.first_day is None and not FIRST_DAY.search(
                ctx.folded[ctx.sentence.start:ctx.sentence.end])):
            return None
        as_of = sec.listing_date
    broker = None
    if metric in GREY_METRICS:
        m = cues.BROKER.search(ctx.folded, ctx.sentence.start, ctx.sentence.end)
        broker = cues.BROKERS[m.group(0)] if m else None
        if sec.listing_date is not None and published is not None and published > sec.listing_date:
            as_of = None  # recalled after the listing: the session's day is not stated
        elif sec.listing_date is not None:
            as_of = _previous_weekday(sec.listing_date)  # the session is the evening before listing
    lo, hi = _BOUNDS.get(metric, (float("-inf"), float("inf")))
    if not (lo <= value <= hi):
        return None
    return Claim(
        hkex_code=sec.code, metric=metric, value=value, unit=unit, quote=ctx.sentence.text,
        qualifier=q.qualifier, basis=meaning.basis, as_of=as_of, position=ctx.sentence.start, broker=broker,
    )


def _previous_weekday(day: dt.date) -> dt.date:
    """The weekday before `day` (public holidays aside: the grey market runs on the last trading day before it)."""
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day
