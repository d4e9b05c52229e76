"""What a page means: plain typed functions of a response's bytes, URL and headers.

No crawler in here, so each is tested directly on fixture pages:
`article.extract_article` (news pages), `feed.parse_feed` / `feed.parse_listing`
(where the links are). Crawling — which pages to fetch — lives in spiders/*.py.
"""

from spiders.pages.article import EXTRACTOR_VERSION, Article, extract_article
from spiders.pages.feed import FeedEntry, FeedPage, parse_feed, parse_listing

__all__ = ["EXTRACTOR_VERSION", "Article", "FeedEntry", "FeedPage", "extract_article", "parse_feed",
           "parse_listing"]
