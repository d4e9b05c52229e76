"""Numbers as coverage writes them: digits, multipliers, currencies, units, qualifiers.

`find_quantities(text)` finds every figure in a text with its span, so a
claim can quote the sentence it came from: `1837 倍`, `1,837x`,
`235.4 港元 / 股`, `55.4 亿港元`, `27.23億港元`, `3741.95萬股`, `HK$5.54bn`,
`US$619m`, `高開約 42.67%`, full-width digits. Values come out in base
units: money in currency units (5.54e9, never "55.4 亿"), percentages as
fractions (0.4267), share counts as shares. A rough value keeps its
qualifier ('approx', 'over', 'under'): `约`, `逾`, `超过`, `70 多倍`, `over`,
`about`, `nearly`.

Matching runs on a copy of the text with full-width digits, letters and
signs made half-width (`normalize_width`), which keeps every character at its
index. The full-width comma `，` is kept: in Chinese it separates clauses,
and `235.4，345` must stay two numbers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MULTIPLIERS: dict[str, Decimal] = {
    "万亿": Decimal(10) ** 12, "萬億": Decimal(10) ** 12,
    "亿": Decimal(10) ** 8, "億": Decimal(10) ** 8,
    "百万": Decimal(10) ** 6, "百萬": Decimal(10) ** 6,
    "千万": Decimal(10) ** 7, "千萬": Decimal(10) ** 7,
    "万": Decimal(10) ** 4, "萬": Decimal(10) ** 4,
    "千": Decimal(10) ** 3,
    "trillion": Decimal(10) ** 12, "tn": Decimal(10) ** 12,
    "billion": Decimal(10) ** 9, "bn": Decimal(10) ** 9, "b": Decimal(10) ** 9,
    "million": Decimal(10) ** 6, "mln": Decimal(10) ** 6, "mn": Decimal(10) ** 6, "m": Decimal(10) ** 6,
    "thousand": Decimal(10) ** 3, "k": Decimal(10) ** 3,
}

_QUALIFIER_WORDS: dict[str, str] = {
    # rough
    "约": "approx", "約": "approx", "大约": "approx", "大約": "approx", "约为": "approx", "約為": "approx",
    "约合": "approx", "約合": "approx", "approximately": "approx", "approx.": "approx", "approx": "approx",
    "about": "approx", "around": "approx", "roughly": "approx", "~": "approx", "≈": "approx",
    # at least / more than
    "逾": "over", "超过": "over", "超過": "over", "超": "over", "多于": "over", "多於": "over",
    "至少": "over", "不少于": "over", "不少於": "over", "over": "over", "more than": "over",
    "in excess of": "over", "at least": "over", "upwards of": "over",
    # at most / just under
    "近": "under", "接近": "under", "将近": "under", "將近": "under", "不足": "under", "少于": "under",
    "少於": "under", "不到": "under", "nearly": "under", "almost": "under", "close to": "under",
    "under": "under", "less than": "under", "fewer than": "under", "up to": "under", "just under": "under",
}

_CURRENCY_PREFIX: dict[str, str] = {
    "hk$": "HKD", "hkd": "HKD", "hk $": "HKD", "us$": "USD", "usd": "USD", "us $": "USD",
    "rmb": "CNY", "cny": "CNY", "¥": "CNY", "￥": "CNY", "$": "USD", "港币": "HKD", "港幣": "HKD",
    "人民币": "CNY", "人民幣": "CNY",
}
_CURRENCY_SUFFIX: dict[str, str] = {
    "港元": "HKD", "港币": "HKD", "港幣": "HKD", "港圆": "HKD", "港圓": "HKD", "hkd": "HKD",
    "美元": "USD", "usd": "USD", "人民币": "CNY", "人民幣": "CNY", "rmb": "CNY", "元人民币": "CNY",
    "元人民幣": "CNY", "元": "CNY?",
}

# English nouns that make a bare number a count ("420,000 applicants").
COUNT_NOUNS = (
    "cornerstone investors", "cornerstone investor", "cornerstones", "placees", "applicants",
    "applications", "subscribers", "retail investors", "investors", "institutions",
    "institutional investors", "valid applications", "successful applicants", "successful applications",
)
_CN_COUNT_WORDS = ("名", "人", "户", "戶", "位", "家", "份", "个", "個", "宗")

# Units follow their number on the same line: in PDF text the next line is another table cell.
# Width folding that keeps length: full-width ASCII (U+FF01..FF5E) to ASCII, except the comma.
_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if cp != 0xFF0C}
_WIDTH[0x3000] = 0x20  # ideographic space


def normalize_width(text: str) -> str:
    """Half-width digits, letters and signs; same length as `text`; `，` kept."""
    return text.translate(_WIDTH)


@dataclass(frozen=True)
class Quantity:
    value: float  # base units: currency units, times, fraction, shares, count
    unit: str | None  # 'HKD' | 'USD' | 'CNY' | 'times' | 'fraction' | 'shares' | 'count' | None (a bare number)
    start: int  # span of the whole expression in the text (qualifier and unit included)
    end: int
    num_start: int  # span of the digits
    num_end: int
    qualifier: str | None = None
    per_share: bool = False  # 港元/股, "per share"
    multiplier: float = 1.0
    noun: str | None = None  # count word or noun: '名', 'applicants', ...
    in_range: bool = False  # one end of "151 至 165 港元" / "HK$151-165"
    code_like: bool = False  # looks like a stock code or date part, not a figure

    @property
    def is_money(self) -> bool:
        return self.unit in ("HKD", "USD", "CNY")


def _alts(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?)"
_QUAL = rf"(?P<qual>(?:{_alts(list(_QUALIFIER_WORDS))}))"
_CUR = rf"(?P<cur>{_alts(list(_CURRENCY_PREFIX))})"
_CN_MULT = _alts([k for k in MULTIPLIERS if not k.isascii()])
_EN_MULT = _alts([k for k in MULTIPLIERS if k.isascii()])
_PATTERN = re.compile(
    rf"(?:(?<![a-z]){_QUAL}[ \t]*)?"
    rf"(?:(?P<pre_per>每股|每[ \t]*[hH][ \t]*股)[ \t]*)?"
    rf"(?:{_CUR}[ \t]*)?"
    rf"{_NUM}"
    rf"(?P<more>[ \t]*(?:多|余|餘))?"
    rf"(?:[ \t]*(?P<mult>{_CN_MULT})|[ \t]?(?P<emult>{_EN_MULT})(?![a-z]))?"
    rf"(?P<plus>[ \t]*\+)?",
    re.IGNORECASE,
)
_SUFFIX_CUR = re.compile(rf"[ \t]*(?P<scur>{_alts(list(_CURRENCY_SUFFIX))})", re.IGNORECASE)
_PER_SHARE = re.compile(r"[ \t]*(?:/[ \t]*[hH]?[ \t]*股|每\s*[hH]?\s*股|per\s+(?:h\s+|offer\s+)?share|a\s+share|each)(?![a-z])",
                        re.IGNORECASE)
_TIMES = re.compile(r"(?:[ \t]*(?:倍)|x(?![a-z0-9])|[ \t]*(?:times|-fold|fold)(?![a-z]))", re.IGNORECASE)
_PERCENT = re.compile(r"[ \t]*(?:%|percent(?![a-z])|per\s+cent(?![a-z])|pct(?![a-z]))", re.IGNORECASE)
_SHARES = re.compile(
    r"[ \t]*(?:[hH][ \t]*股(?:股份)?|股[ \t]*[hH][ \t]*股|股股份|股(?![东東价價票权權市本息利民])|(?:new\s+|offer\s+|h\s+|ordinary\s+)?shares?(?![a-z]))",
    re.IGNORECASE,
)
_CN_COUNT = re.compile(rf"[ \t]*(?P<cw>{_alts(list(_CN_COUNT_WORDS))})")
_EN_COUNT = re.compile(rf"[ \t]*(?P<noun>{_alts(list(COUNT_NOUNS))})(?![a-z])", re.IGNORECASE)
_APPROX_AFTER = re.compile(r"[ \t]*(?:左右|上下|or so)", re.IGNORECASE)
_RANGE_SEP = re.compile(r"\s*(?:至|到|-|–|—|~|to)\s*$", re.IGNORECASE)


def _to_decimal(num: str) -> Decimal | None:
    try:
        return Decimal(num.replace(",", ""))
    except InvalidOperation:
        return None


def _code_like(norm: str, start: int, end: int, num: str) -> bool:
    """Stock codes (0100.HK, 002747.SZ), model names (M2, Hailuo-02), dates parts."""
    before = norm[max(0, start - 2):start]
    after = norm[end:end + 3].lower()
    if re.search(r"[A-Za-z]\Z", before) or re.search(r"[A-Za-z]-\Z", before):
        return True
    if after.startswith((".hk", ".sz", ".sh", ".ss")):
        return True
    if len(num) >= 4 and num.startswith("0") and "." not in num:
        return True
    return False


def find_quantities(text: str) -> list[Quantity]:
    """Every number in `text` with its unit, multiplier and qualifier; never raises."""
    norm = normalize_width(text)
    out: list[Quantity] = []
    pos = 0
    while True:
        m = _PATTERN.search(norm, pos)
        if not m:
            break
        q, pos = _build(norm, m)
        if q is not None:
            out.append(q)
    _link_ranges(norm, out)
    return out


def _build(norm: str, m: re.Match[str]) -> tuple[Quantity | None, int]:
    num = m.group("num")
    base = _to_decimal(num)
    end = m.end()
    if base is None:
        return None, end
    start = m.start()
    qualifier = _QUALIFIER_WORDS.get((m.group("qual") or "").lower())
    if m.group("more") or m.group("plus"):
        qualifier = "over"
    mult_word = m.group("mult") or m.group("emult")
    mult = MULTIPLIERS.get(mult_word.lower(), Decimal(1)) if mult_word else Decimal(1)
    if m.group("emult") and not m.group("cur") and mult_word.lower() in ("b", "k"):
        # "20 b" / "5k" without a currency are too ambiguous to scale.
        mult = Decimal(1)
        end = m.end("num")
    unit: str | None = None
    per_share = bool(m.group("pre_per"))
    noun: str | None = None
    cur = m.group("cur")
    if cur:
        unit = _CURRENCY_PREFIX[cur.lower()]
    rest = norm[end:end + 40]
    sc = _SUFFIX_CUR.match(rest)
    if sc and (unit is None or unit == _CURRENCY_SUFFIX[sc.group("scur").lower()]):
        suffix_unit = _CURRENCY_SUFFIX[sc.group("scur").lower()]
        if suffix_unit == "CNY?":
            # A bare 元: only money if nothing else follows that makes it something else (元素...).
            suffix_unit = "CNY" if unit is None else unit
        unit = suffix_unit
        end += sc.end()
        rest = norm[end:end + 40]
    if unit in ("HKD", "USD", "CNY"):
        ps = _PER_SHARE.match(rest)
        if ps:
            per_share = True
            end += ps.end()
    elif unit is None:
        for pat, u in ((_PERCENT, "fraction"), (_TIMES, "times"), (_SHARES, "shares")):
            um = pat.match(rest)
            if um:
                unit = u
                end += um.end()
                break
        if unit is None:
            en = _EN_COUNT.match(rest)
            cn = _CN_COUNT.match(rest)
            if en:
                unit, noun = "count", en.group("noun").lower()
                end += en.end()
            elif cn:
                unit, noun = "count", cn.group("cw")
                end += cn.end()
    if unit in ("HKD", "USD", "CNY", "times", "shares", "count"):
        ap = _APPROX_AFTER.match(norm[end:end + 10])
        if ap:
            qualifier = qualifier or "approx"
            end += ap.end()
    value = base * mult
    if unit == "fraction":
        value = value / 100
    code_like = _code_like(norm, m.start("num"), m.end("num"), num) and unit is None
    if cur and m.start("num") > m.start("cur"):
        code_like = False
    q = Quantity(
        value=float(value), unit=unit, start=start, end=end, num_start=m.start("num"), num_end=m.end("num"),
        qualifier=qualifier, per_share=per_share, multiplier=float(mult), noun=noun, code_like=code_like,
    )
    return q, max(end, m.end("num"))


def _link_ranges(norm: str, qs: list[Quantity]) -> None:
    """`151 至 165 港元`, `HK$151-165`: both ends share unit and multiplier and are marked as a range."""
    for i in range(len(qs) - 1):
        a, b = qs[i], qs[i + 1]
        between = norm[a.end:b.start]
        if len(between) > 6 or not between.strip() or not _RANGE_SEP.match(between):
            continue
        if b.unit is None and a.unit is None:
            continue
        unit = a.unit or b.unit
        mult = a.multiplier if a.multiplier != 1.0 else b.multiplier
        a_val = a.value if a.unit else a.value * mult / (100 if unit == "fraction" else 1)
        b_val = b.value if b.unit else b.value * mult / (100 if unit == "fraction" else 1)
        qs[i] = _replace(a, value=a_val, unit=unit, in_range=True, per_share=a.per_share or b.per_share)
        qs[i + 1] = _replace(b, value=b_val, unit=unit, in_range=True, per_share=a.per_share or b.per_share)


def _replace(q: Quantity, **kw: object) -> Quantity:
    from dataclasses import replace

    return replace(q, **kw)


def parse_quantity(text: str) -> Quantity | None:
    """The first figure in `text` that is not a code or date part, or None."""
    for q in find_quantities(text):
        if not q.code_like:
            return q
    return None


def parse_number(text: str) -> float | None:
    """A bare number with an optional multiplier: '1,837.17' → 1837.17, '55.4 亿' → 5.54e9."""
    q = parse_quantity(text)
    return None if q is None else q.value


def significant_step(value: float) -> float:
    """One unit in the last digit a figure was stated with: 1837 → 1, 0.4267 → 0.0001, 5.54e9 → 1e7.

    The largest power of ten (1e-6 … 1e15) of which `value` is a whole multiple.
    Used by reconciliation to tell rounding from disagreement; mirrored in
    warehouse/views/41_v_claim_conflicts.sql.
    """
    v = abs(value)
    if v == 0 or not math.isfinite(v):
        return 1e-6
    # A power of ten above 2·v rounds the ratio to 0 and can never match: start
    # just above log10(v) instead of at 1e15 (the same answer, in a third of the steps).
    for k in range(min(15, math.floor(math.log10(v)) + 2), -7, -1):
        step = 10.0 ** k
        ratio = v / step
        # Float noise is relative to the value, not to the ratio: a tolerance
        # that grew with the ratio took real last digits above ~1e8 for noise.
        if round(ratio) >= 1 and abs(v - round(ratio) * step) <= 1e-12 * max(v, step):
            return step
    return 1e-6
