"""v_news_coverage_daily on a few inline rows.

Guards against counting by UTC day (an article at 00:30 Hong Kong time is
the previous day in UTC), against counting a syndicated story once per URL,
and against losing articles without a publication time.
"""

from __future__ import annotations

from pathlib import Path

from warehouse import db


def test_coverage_counts_stories_per_security_per_hong_kong_day(tmp_path: Path) -> None:
    with db.writer(tmp_path / "v.duckdb") as con:
        con.execute("""
            INSERT INTO articles (article_id, canonical_url, title, site, published_at, language, script, text,
                                  fingerprint, extractor_version, fetched_at) VALUES
            ('a1', 'https://a/1', 't', 'A', '2026-01-08 16:30:00+00', 'zh', 'zh-Hant', 'x', 'f1', 'v', '2026-04-15 00:00:00+00'),
            ('a2', 'https://b/2', 't', 'B', '2026-01-09 15:59:00+00', 'zh', 'zh-Hans', 'x', 'f2', 'v', '2026-04-15 00:00:00+00'),
            ('a3', 'https://c/3', 't', 'C', '2026-01-09 16:00:00+00', 'en', 'en',      'x', 'f3', 'v', '2026-04-15 00:00:00+00'),
            ('a4', 'https://d/4', 't', 'A', NULL,                      'en', 'en',      'x', 'f4', 'v', '2026-01-09 02:00:00+00')
        """).fetchall()
        con.execute("""
            INSERT INTO article_urls (url, article_id, site, via_feed, first_seen_at) VALUES
            ('https://a/1', 'a1', 'A', 'f', now()), ('https://copy/1', 'a1', 'Copy', 'f', now())
        """).fetchall()
        con.execute("""
            INSERT INTO article_mentions (article_id, hkex_code, methods, mentions, in_title, score) VALUES
            ('a1', '00100', ['alias:MiniMax'], 3, true, 4.5), ('a2', '00100', ['code:00100.HK'], 2, false, 1.0),
            ('a2', '02513', ['alias:智谱'], 2, false, 1.0), ('a3', '00100', ['alias:MiniMax'], 2, true, 4.0),
            ('a4', '00100', ['alias:MiniMax'], 2, true, 4.0)
        """).fetchall()
    with db.reader(tmp_path / "v.duckdb") as con:
        rows = con.execute("SELECT hkex_code, day_hk::VARCHAR, articles, articles_zh_hans, articles_zh_hant, "
                           "articles_en, sites, site_list FROM v_news_coverage_daily ORDER BY 1, 2").fetchall()
    assert rows == [
        # a1 (00:30 HK on the 9th), a2 (23:59 HK on the 9th), a4 (no time: fetched 10:00 HK on the 9th)
        ("00100", "2026-01-09", 3, 1, 1, 1, 2, ["A", "B"]),
        ("00100", "2026-01-10", 1, 0, 0, 1, 1, ["C"]),  # a3: midnight HK on the 10th
        ("02513", "2026-01-09", 1, 1, 0, 0, 1, ["B"]),
    ]
