"""Who a stretch of text is about: watchlist securities, and other issuers.

Watchlist mentions come from `hkipo.extract.mentions` (codes in every spelling,
names in either script). Other issuers come by name first — a shipped list of
well-known Hong Kong issuers (issuers.txt: 蜜雪冰城, 泡泡玛特, Tencent …) and
every other security hkipo knows (discovered listings, passed in by the
pipeline as `others`) — because coverage mostly writes a bare brand with no
corporate word. Failing a name, coverage names them in recognisable shapes — a Chinese name ending in a corporate word (宁德时代,
壁仞科技, 埃斯顿自动化), a capitalised name followed by Technology/Group/
Holdings/Automation…, an upper-case brand (CATL), or a ticker that is not on
the watchlist (002747.SZ, 06160.HK). Knowing that a sentence is about
*someone else* is what stops a figure about CATL from being handed to
MiniMax by subject carry-over.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

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


def find_entities(text: str, securities: Sequence[Security], *, folded: str | None = None,
                  others: Sequence[str] = ()) -> list[Entity]:
    """Watchlist mentions and other issuers, by position.

    In an overlap a watchlist hit wins, then a known name (shipped list and
    `others`), then a name recognised by its shape.
    """
    f = folded if folded is not None else fold(text)
    ours = [Entity(m.hkex_code, m.start, m.end, text[m.start:m.end]) for m in find_mentions(text, securities, folded=f)]
    known = add_unless_overlapping(ours, _known_issuers(text, f, _index(tuple(others))))
    return add_unless_overlapping(known, _other_issuers(text, f))


# Generic words a stripped name must not be reduced to ("中国控股" is not "中国").
_GENERIC = frozenset({"中国", "香港", "国际", "科技", "集团", "控股", "发展", "实业", "投资", "资本", "金融", "能源", "医疗",
                      "健康", "智能", "数据", "电子", "新能源", "环球", "亚洲", "china", "hong kong", "asia", "global",
                      "international", "first", "new", "great", "golden", "capital", "energy", "health", "group"})
_ZH_LEGAL = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|公司|控股|集团)$")
_EN_LEGAL = re.compile(r"[\s,]+(?:co\.?,?\s*ltd\.?|company limited|limited|ltd\.?|inc\.?|corporation|corp\.?|plc|"
                       r"holdings?|group)$")
_MARKS = re.compile(r"\s*(?:-\s*(?:[a-z]{1,2}|h shares)|[（(][^)）]*[)）])$")  # -W, -B, -SW, (H shares)


def issuer_names(*names: str | None) -> list[str]:
    """Folded names a coverage text may use for one issuer: each name as listed, and without its legal ending
    ("蜜雪集團股份有限公司" → "蜜雪集团股份有限公司", "蜜雪"; "MIXUE GROUP-W" → "mixue group", "mixue")."""
    out: list[str] = []
    for name in names:
        n = " ".join(fold(name or "").split())
        while n:
            n = _MARKS.sub("", n).strip()
            if n and n not in out and n not in _GENERIC:
                out.append(n)
            shorter = (_ZH_LEGAL.sub("", n) if not n.isascii() else _EN_LEGAL.sub("", n)).strip(" ,.")
            if shorter == n:
                break
            n = shorter
    return [n for n in out if (len(n) >= 4 if n.isascii() else len(n) >= 2) and n not in _GENERIC]


@functools.lru_cache(maxsize=1)
def shipped_issuers() -> tuple[str, ...]:
    """The names in issuers.txt, folded (blank lines and # comments skipped)."""
    raw = resources.files("hkipo.extract.claims").joinpath("issuers.txt").read_text(encoding="utf-8")
    lines = (line.strip() for line in raw.splitlines())
    return tuple(dict.fromkeys(n for line in lines if line and not line.startswith("#") for n in issuer_names(line)))


@functools.lru_cache(maxsize=8)
def _index(others: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Folded names (shipped and `others`) by their first two characters, longest first."""
    by_head: dict[str, list[str]] = {}
    for n in dict.fromkeys((*shipped_issuers(), *(fold(o) for o in others))):
        if len(n) >= 2:
            by_head.setdefault(n[:2], []).append(n)
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in by_head.items()}


def _known_issuers(text: str, f: str, index: dict[str, tuple[str, ...]]) -> list[Entity]:
    """Every known name in the folded text (Latin names on word boundaries), leftmost-longest."""
    found: list[Entity] = []
    get = index.get
    for i in range(len(f) - 1):
        names = get(f[i:i + 2])
        if not names:
            continue
        for n in names:
            if f.startswith(n, i):
                j = i + len(n)
                if n[0].isascii() and n[0].isalnum() and i > 0 and f[i - 1].isascii() and f[i - 1].isalnum():
                    continue
                if n[-1].isascii() and n[-1].isalnum() and j < len(f) and f[j].isascii() and f[j].isalnum():
                    continue
                found.append(Entity(None, i, j, text[i:j]))
                break
    return leftmost_longest(found)


def names_in(rows: Iterable[Sequence[str | None]]) -> tuple[str, ...]:
    """`issuer_names` of many issuers at once (rows of names), deduplicated, in order."""
    return tuple(dict.fromkeys(n for row in rows for n in issuer_names(*row)))


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
