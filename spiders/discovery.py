"""Where the news spider starts: feeds from config, searches from the watchlist.

Every `[news] search_feeds` template is filled with each watchlist security's
search terms, so adding a security to the watchlist adds its searches with no
code change. `[[news.feeds]]` are crawled as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote_plus

from hkipo.core.config import NewsConfig, Security
from hkipo.core.textnorm import fold


@dataclass(frozen=True)
class FeedSource:
    name: str  # the config's feed name, or "search:<code>:<term>"
    url: str
    kind: str  # 'feed' (RSS/Atom) | 'listing' (HTML page of links)
    hkex_code: str | None = None  # the security a search is for


def _contains_term(longer: str, shorter: str) -> bool:
    if re.fullmatch(r"[\x00-\x7f]+", shorter):
        return re.search(rf"(?<![a-z0-9]){re.escape(shorter)}(?![a-z0-9])", longer) is not None
    return shorter in longer


def search_terms(security: Security, *, with_codes: bool = True) -> list[str]:
    """The fewest names that still find everything: one spelling per script-folded name,
    none that contains another (a search for "MiniMax" already finds "MiniMax Group"),
    then the code as `00100.HK` and as Yahoo writes it (`0100.HK`)."""
    folded: dict[str, str] = {}
    for name in security.names:
        key = " ".join(fold(name).split())
        if len(key) >= 2:
            folded.setdefault(key, name)
    keep = [name for key, name in folded.items()
            if not any(other != key and _contains_term(key, other) for other in folded)]
    if with_codes:
        for code in (f"{security.code}.HK", security.yahoo_symbol):
            if code not in keep:
                keep.append(code)
    return keep


def feed_sources(news: NewsConfig, securities: Sequence[Security]) -> list[FeedSource]:
    """Configured feeds first, then every search template × every security's terms."""
    out = [FeedSource(f.name, f.url, f.kind) for f in news.feeds]
    for sec in securities:
        for term in search_terms(sec, with_codes=news.search_codes):
            for template in news.search_feeds:
                url = template.replace("{query}", quote_plus(term))
                out.append(FeedSource(f"search:{sec.code}:{term}", url, "feed", sec.code))
    seen: set[str] = set()
    unique = []
    for source in out:
        if source.url not in seen:
            seen.add(source.url)
            unique.append(source)
    return unique
