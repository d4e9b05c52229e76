-- v_news_coverage_daily: articles about each security per Hong Kong calendar
-- day (by publication time, else fetch time), split by script.
CREATE OR REPLACE VIEW v_news_coverage_daily AS
SELECT
    m.hkex_code,
    CAST(timezone('Asia/Hong_Kong', coalesce(a.published_at, a.fetched_at)) AS DATE) AS day_hk,
    count(DISTINCT a.article_id)                                          AS articles,
    count(DISTINCT a.article_id) FILTER (WHERE a.script = 'zh-Hans')      AS articles_zh_hans,
    count(DISTINCT a.article_id) FILTER (WHERE a.script = 'zh-Hant')      AS articles_zh_hant,
    count(DISTINCT a.article_id) FILTER (WHERE a.script = 'en')           AS articles_en,
    count(DISTINCT a.site)                                                AS sites,
    list(DISTINCT a.site ORDER BY a.site)                                 AS site_list
FROM article_mentions m
JOIN articles a ON a.article_id = m.article_id
GROUP BY ALL;
