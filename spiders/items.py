"""Items the spiders yield: typed, so pipelines and tests know what they get."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from spiders.pages.article import Article


@dataclass(frozen=True)
class ArticleItem:
    """One fetched article page and how the crawl reached it."""

    article: Article
    via_feed: str  # the config feed name or "search:<code>:<term>"; "ingest" for saved pages
    seen_urls: tuple[str, ...]  # canonical forms of every URL that led here (feed link, redirects, final)
    fetched_at: dt.datetime
