-- v_claim_conflicts: every security and metric whose sources disagree, with
-- every value and where it came from.
--
-- Which claims disagree is decided once, by the agreement rule of
-- pipelines/reconcile.py, at every statistics rebuild, and stored in
-- claim_conflicts (one row per security, metric, unit and — for market caps —
-- moment, with the claims' ids); this view only adds the claims themselves
-- and the value believed (ipo_stats).
CREATE OR REPLACE VIEW v_claim_conflicts AS
WITH members AS (
    SELECT hkex_code, metric, unit, moment, min_value, max_value, n_claims, n_sources,
           unnest(claim_ids) AS claim_id
    FROM claim_conflicts
)
SELECT
    g.hkex_code,
    s.name_en,
    g.metric,
    g.unit,
    nullif(g.moment, '') AS moment,
    g.min_value,
    g.max_value,
    g.n_claims,
    g.n_sources,
    st.value AS believed_value,
    st.rule  AS believed_rule,
    -- One struct per claim (fields fixed: hkipo/app/report reads them), ordered like source_sites.
    list(struct_pack(
        value := c.value, unit := c.unit, qualifier := c.qualifier, basis := c.basis,
        source_kind := c.source_kind, source_url := c.source_url, quote := c.quote
    ) ORDER BY c.value, c.value_text, c.source_site, c.claim_id) AS claims,
    list(coalesce(c.source_site, c.source_kind) ORDER BY c.value, c.value_text, c.source_site, c.claim_id)
        AS source_sites,
    list(c.value_text ORDER BY c.value, c.value_text, c.source_site, c.claim_id)
        FILTER (WHERE c.value IS NULL) AS value_texts
FROM members g
JOIN v_claims c ON c.claim_id = g.claim_id
LEFT JOIN securities s ON s.hkex_code = g.hkex_code
LEFT JOIN ipo_stats st ON st.hkex_code = g.hkex_code AND st.metric = g.metric AND st.unit = g.unit
GROUP BY ALL;
