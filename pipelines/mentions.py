"""Which watchlist securities a text is about, and how each match was made.

Matches codes in all their spellings (00100.HK, HK00100, 0100.HK, 02513,
2513.HK, "stock code 100") and names/aliases in any script (matching runs on
`textnorm.fold`, so 智譜 matches 智谱). `find_mentions` gives every hit with
its offsets (for sentence-level attribution of claims); `tag_article`
decides whether the article as a whole is about a security: a name in the
title, or repeated mentions in the main text — one passing ticker (a
sidebar, a list of "related stocks") is not enough.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from hkipo.config import Security
from pipelines.textnorm import fold, leftmost_longest


@dataclass(frozen=True)
class Mention:
    hkex_code: str
    start: int  # offsets into the original text
    end: int
    method: str  # 'code:<spelling>' or 'alias:<alias>'


@dataclass(frozen=True)
class ArticleMention:
    hkex_code: str
    methods: tuple[str, ...]
    mentions: int
    in_title: bool
    score: float


def _code_patterns(code: str) -> re.Pattern[str]:
    n = int(code)
    four = f"{n:04d}"
    five = f"{n:05d}"
    spellings = sorted({five, four, str(n)}, key=len, reverse=True)
    alts = "|".join(re.escape(s) for s in spellings)
    # 00100.HK / 0100.HK / HK00100 / HK:0100 / (00100) / 股票代码: 100 / stock code 100
    pattern = (
        rf"(?<![0-9a-z.])(?:hk(?:ex)?[:：\s]?)?(?:{alts})(?:\.hk)?(?![0-9])"
    )
    return re.compile(pattern)


def _is_code_context(folded: str, start: int, end: int, raw_match: str) -> bool:
    """A bare number is a code only in a code-like context; 00100 / 0100.HK always are."""
    m = raw_match
    if ".hk" in m or m.startswith("hk") or (len(m) == 5 and m.startswith("0")) or (len(m) == 4 and m.startswith("0")):
        return True
    before = folded[max(0, start - 8):start]
    after = folded[end:end + 3]
    return bool(re.search(r"(代码|代號|代号|stock code|code|股份)[:：\s]*$", before)) or after.startswith((")", "）")) and "(" in before[-2:]


def _alias_pattern(alias: str) -> re.Pattern[str]:
    a = fold(alias.strip())
    if re.fullmatch(r"[\x00-\x7f]+", a):
        # Latin names need word boundaries: "minimax" must not match "minimaxing" tools.
        return re.compile(rf"(?<![a-z0-9]){re.escape(a)}(?![a-z0-9])")
    return re.compile(re.escape(a))


def find_mentions(text: str, securities: Sequence[Security], *, folded: str | None = None) -> list[Mention]:
    """Every code or alias hit, sorted by position (overlaps resolved: longest wins)."""
    f = folded if folded is not None else fold(text)
    hits: list[Mention] = []
    for sec in securities:
        for m in _code_patterns(sec.code).finditer(f):
            if _is_code_context(f, m.start(), m.end(), m.group(0)):
                hits.append(Mention(sec.code, m.start(), m.end(), f"code:{text[m.start():m.end()]}"))
        for alias in sec.names:
            if len(fold(alias).strip()) < 2:
                continue
            for m in _alias_pattern(alias).finditer(f):
                hits.append(Mention(sec.code, m.start(), m.end(), f"alias:{alias}"))
    return leftmost_longest(hits)


def tag_article(title: str, text: str, securities: Sequence[Security], *, min_mentions: int = 2) -> list[ArticleMention]:
    """Securities the article is about: named in the title, or mentioned at least `min_mentions` times."""
    title_hits = find_mentions(title or "", securities)
    body_hits = find_mentions(text or "", securities)
    out = []
    for sec in securities:
        t = [h for h in title_hits if h.hkex_code == sec.code]
        b = [h for h in body_hits if h.hkex_code == sec.code]
        if not t and len(b) < min_mentions:
            continue
        methods = tuple(sorted({h.method for h in t + b}))
        score = 3.0 * bool(t) + min(len(b), 10) / 2
        out.append(ArticleMention(sec.code, methods, len(b), bool(t), score))
    return out
