-- v_claims: every figure any source stated, with the HKEX code, the security's
-- name, the source (announcement or article: URL, site, title, time) and the
-- sentence or table row it came from; `broker` names a grey-market session. `source_group` is what reconciliation
-- counts as one independent source (pipelines/reconcile.py).
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
    coalesce(c.source_url, a.canonical_url, n.url)                         AS source_url,
    CASE WHEN c.source_kind = 'announcement' THEN 'HKEXnews' ELSE coalesce(u.site, a.site) END AS source_site,
    CASE WHEN c.source_kind = 'announcement' THEN 'HKEXnews:' || c.hkex_code
         WHEN c.source_kind = 'article' THEN coalesce(u.site, a.site, c.source_id)
         ELSE c.source_kind || ':' || c.source_id END                      AS source_group,
    coalesce(a.title, n.title)                                             AS source_title,
    coalesce(a.published_at, n.published_at)                               AS source_published_at,
    c.quote,
    c.position,
    c.page,
    c.extractor_version,
    c.extracted_at,
    c.broker
FROM claims c
LEFT JOIN securities s ON s.hkex_code = c.hkex_code
LEFT JOIN articles a ON c.source_kind = 'article' AND a.article_id = c.source_id
-- A syndicated copy's own claims (source_url = the copy) count as the copy's site (issue 13).
LEFT JOIN article_urls u ON c.source_kind = 'article' AND u.url = c.source_url AND u.article_id = c.source_id
LEFT JOIN announcements n ON c.source_kind = 'announcement' AND n.announcement_id = c.source_id;
