"""Who a stretch of text is about: watchlist securities, and other issuers.

Watchlist mentions come from `hkipo.extract.mentions` (codes in every spelling,
names in either script). Other issuers need no list: coverage names them in
recognisable shapes — a Chinese name ending in a corporate word (宁德时代,
壁仞科技, 埃斯顿自动化), a capitalised name followed by Technology/Group/
Holdings/Automation…, an upper-case brand (CATL), or a ticker that is not on
the watchlist (002747.SZ, 06160.HK). Knowing that a sentence is about
*someone else* is what stops a figure about CATL from being handed to
MiniMax by subject carry-over.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from hkipo.core.config import Security
from hkipo.extract.mentions import find_mentions
from hkipo.core.textnorm import fold, leftmost_longest


@dataclass(frozen=True)
class Entity:
    code: str | None  # watchlist HKEX code, or None for another issuer
    start: int
    end: int
    name: str


# Chinese corporate endings (matched on folded, Simplified text).
_ZH_SUFFIXES = ("自动化", "机器人", "半导体", "科技", "集团", "时代", "股份", "控股", "汽车", "医药", "药业",
                "生物", "银行", "证券", "动力", "智造", "电子", "能源")
# Characters that cannot be part of a company name before such an ending.
_ZH_STOP = set("的了在是和与及年月日为于将等近这该其此第首大多各个也都就而并但或从对向被把让由以之所者上下"
               "新高低黑硬全港股市美涨跌价元倍亿万家名只次较比今昨前后即已")
_ZH_STOP_PREFIXES = ("数字", "信息", "人工", "互联网", "移动", "智能", "黄金", "行业", "资本", "科创", "硬核")
_EN_SUFFIX = re.compile(
    r"\b((?:[A-Z][\w&'.-]*\s+){1,3}?)(Technology|Technologies|Tech|Group|Holdings|Holding|Inc\.?|Ltd\.?|"
    r"Limited|Corp\.?|Corporation|Automation|Robotics|Motors?|Bank|Pharma\w*|Biotech\w*|Semiconductors?|"
    r"Energy|Electronics|Securities)\b"
)
_EN_STOPWORDS = frozenset({
    "The", "A", "An", "Its", "This", "That", "These", "Those", "Hong", "Kong", "Chinese", "China", "Shares",
    "Share", "Stock", "Exchange", "Exchanges", "And", "Of", "In", "On", "For", "By", "With", "As", "At", "Our",
    "Their", "His", "Her", "IPO", "AI", "Global", "Asian", "Asia", "Retail", "Public", "International",
})
_ACRONYM = re.compile(r"(?<![A-Za-z0-9$])([A-Z]{3,6})(?![A-Za-z0-9])")
# Upper-case words that are not issuers.
_ACRONYM_STOP = frozenset({
    "IPO", "IPOS", "HKEX", "HKEXNEWS", "SEHK", "HKD", "USD", "RMB", "CNY", "AGI", "LLM", "LLMS", "CEO", "CFO", "COO",
    "CTO", "USA", "PRC", "GDP", "ETF", "ETFS", "NASDAQ", "NYSE", "SFC", "CSRC", "API", "GPU", "GPUS", "CPU", "MAU",
    "DAU", "ARR", "TMT", "ESG", "REIT", "SPAC", "OTC", "ADR", "ADS", "MOE", "NLP", "GMT", "HKT", "PDF", "YES",
    "THE", "AND", "FOR", "NEW", "HIGH", "LOW", "OPEN", "CLOSE", "HSI", "HSTECH", "EST", "UTC", "MAAS", "SAAS",
    "PAAS", "CAGR", "EPS", "YOY", "QOQ", "LTD", "INC", "NOTE", "TOTAL", "POOL", "OFFER", "UPDATE", "NEWS",
    "BREAKING", "WATCH", "LIVE", "VIDEO", "AM", "PM", "EDT", "FAQ", "CNBC", "SCMP", "WSJ", "AFP", "AP",
})
_TICKER = re.compile(r"(?<![0-9A-Za-z])(?:HK)?(\d{4,6})\.(?:HK|SZ|SH|SS)(?![A-Za-z])|(?<![0-9A-Za-z])HK(\d{5})(?![0-9])",
                     re.IGNORECASE)


def find_entities(text: str, securities: Sequence[Security], *, folded: str | None = None) -> list[Entity]:
    """Watchlist mentions and other issuers, by position; a watchlist hit wins an overlap."""
    f = folded if folded is not None else fold(text)
    ours = [Entity(m.hkex_code, m.start, m.end, text[m.start:m.end]) for m in find_mentions(text, securities, folded=f)]
    return add_unless_overlapping(ours, _other_issuers(text, f))


def add_unless_overlapping(kept: Sequence[Entity], candidates: Sequence[Entity]) -> list[Entity]:
    """`kept` plus each candidate, in order, that overlaps nothing kept so far; sorted by position.

    `kept` must not overlap itself (watchlist mentions never do). The kept
    spans stay sorted and disjoint, so their ends are sorted too and one
    bisection finds the only span a candidate could overlap: a long page
    with thousands of names costs n log n, not n².
    """
    out = sorted(kept, key=lambda e: (e.start, e.end))
    starts = [e.start for e in out]
    ends = [e.end for e in out]
    for o in candidates:
        i = bisect.bisect_right(ends, o.start)  # the first kept span ending after o starts
        if i < len(out) and starts[i] < o.end:
            continue
        out.insert(i, o)
        starts.insert(i, o.start)
        ends.insert(i, o.end)
    out.sort(key=lambda e: (e.start, e.end))
    return out


def _other_issuers(text: str, f: str) -> list[Entity]:
    found: list[Entity] = []
    for suffix in _ZH_SUFFIXES:
        for m in re.finditer(re.escape(suffix), f):
            i = m.start()
            j = i
            while j > 0 and i - (j - 1) <= 4 and "\u4e00" <= f[j - 1] <= "\u9fff" and f[j - 1] not in _ZH_STOP:
                j -= 1
            prefix = f[j:i]
            if len(prefix) < 2 or prefix.startswith(_ZH_STOP_PREFIXES) or prefix in _ZH_SUFFIXES:
                continue
            found.append(Entity(None, j, m.end(), text[j:m.end()]))
    for m in _EN_SUFFIX.finditer(text):
        words = m.group(1).split()
        while words and words[0] in _EN_STOPWORDS:
            words = words[1:]
        if not words:
            continue
        start = m.start(1) + m.group(1).index(words[0])
        found.append(Entity(None, start, m.end(), text[start:m.end()]))
    for m in _ACRONYM.finditer(text):
        if m.group(1) not in _ACRONYM_STOP:
            found.append(Entity(None, m.start(1), m.end(1), m.group(1)))
    for m in _TICKER.finditer(text):
        found.append(Entity(None, m.start(), m.end(), m.group(0)))
    return leftmost_longest(found)
