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

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from hkipo.core.config import Security
from hkipo.core.textnorm import fold, leftmost_longest


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


@dataclass(frozen=True)
class _SecurityMatcher:
    code: str
    code_digits: str  # every spelling of the code contains these digits
    code_pattern: re.Pattern[str]
    aliases: tuple[tuple[str, str, re.Pattern[str]], ...]  # (alias, its folded form, pattern)


WatchlistKey = tuple[tuple[str, tuple[str, ...]], ...]


@functools.lru_cache(maxsize=16)
def _matchers(key: WatchlistKey) -> tuple[_SecurityMatcher, ...]:
    """Every pattern of a watchlist, compiled once (keyed by its codes and names, so an edited
    watchlist gets its own entry). Each pattern keeps its own scan, as before: one alternation
    of all of them would resolve overlaps differently from `leftmost_longest`."""
    out = []
    for code, names in key:
        aliases = tuple((alias, fold(alias.strip()), _alias_pattern(alias)) for alias in names
                        if len(fold(alias).strip()) >= 2)
        out.append(_SecurityMatcher(code, str(int(code)), _code_patterns(code), aliases))
    return tuple(out)


def _watchlist_key(securities: Sequence[Security]) -> WatchlistKey:
    return tuple((sec.code, sec.names) for sec in securities)


def find_mentions(text: str, securities: Sequence[Security], *, folded: str | None = None) -> list[Mention]:
    """Every code or alias hit, sorted by position (overlaps resolved: longest wins).

    Pass `folded` (`fold(text)`) when the caller has it: folding is the costly part.
    """
    f = folded if folded is not None else fold(text)
    hits: list[Mention] = []
    for sec in _matchers(_watchlist_key(securities)):
        # A substring test first: most securities are in no given text, and `in` is far cheaper than a scan.
        if sec.code_digits in f:
            for m in sec.code_pattern.finditer(f):
                if _is_code_context(f, m.start(), m.end(), m.group(0)):
                    hits.append(Mention(sec.code, m.start(), m.end(), f"code:{text[m.start():m.end()]}"))
        for alias, folded_alias, pattern in sec.aliases:
            if folded_alias in f:
                for m in pattern.finditer(f):
                    hits.append(Mention(sec.code, m.start(), m.end(), f"alias:{alias}"))
    return leftmost_longest(hits)


def tag_article(title: str, text: str, securities: Sequence[Security], *, min_mentions: int = 2,
                folded_title: str | None = None, folded_text: str | None = None) -> list[ArticleMention]:
    """Securities the article is about: named in the title, or mentioned at least `min_mentions` times.

    `folded_title` / `folded_text`: `fold()` of each, when the caller already has them.
    """
    title_hits: dict[str, list[Mention]] = {}
    body_hits: dict[str, list[Mention]] = {}
    for h in find_mentions(title or "", securities, folded=folded_title):
        title_hits.setdefault(h.hkex_code, []).append(h)
    for h in find_mentions(text or "", securities, folded=folded_text):
        body_hits.setdefault(h.hkex_code, []).append(h)
    out = []
    for sec in securities:
        t = title_hits.get(sec.code, [])
        b = body_hits.get(sec.code, [])
        if not t and len(b) < min_mentions:
            continue
        methods = tuple(sorted({h.method for h in t + b}))
        score = 3.0 * bool(t) + min(len(b), 10) / 2
        out.append(ArticleMention(sec.code, methods, len(b), bool(t), score))
    return out
