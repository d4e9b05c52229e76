-- v_claims: every figure any source stated, with the HKEX code, the security's
-- name and the URL of the source (article or announcement).
CREATE OR REPLACE VIEW v_claims AS
SELECT
    c.claim_id,
    c.hkex_code,
    s.name_en,
    c.metric,
    c.value,
    c.value_text,
    c.unit,
    c.qualifier,
    c.basis,
    c.as_of,
    c.source_kind,
    c.source_id,
    coalesce(c.source_url, a.canonical_url, n.url) AS source_url,
    coalesce(a.site, CASE WHEN c.source_kind = 'announcement' THEN 'HKEXnews' END) AS source_site,
    a.published_at AS source_published_at,
    c.quote,
    c.position,
    c.page,
    c.extractor_version,
    c.extracted_at
FROM claims c
LEFT JOIN securities s ON s.hkex_code = c.hkex_code
LEFT JOIN articles a ON c.source_kind = 'article' AND a.article_id = c.source_id
LEFT JOIN announcements n ON c.source_kind = 'announcement' AND n.announcement_id = c.source_id;
