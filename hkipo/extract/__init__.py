"""Extraction layer: what a page, feed, search answer, PDF or sentence means.

Plain typed functions of bytes and text, with no I/O, no crawler and no
database, so each is tested directly on fixtures: `article.extract_article`
(news pages), `feed.parse_feed` / `feed.parse_listing` (where the links are),
`hkex_search` (HKEXnews answers), `allotment` (announcement PDFs), `claims`
(figures in sentences), `mentions` and `dedupe` (what a text is about, and
whether it is a copy). Fetching lives in spiders/.
"""
