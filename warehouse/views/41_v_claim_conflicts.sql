-- v_claim_conflicts: every (security, metric) whose sources disagree by more
-- than 1% (relative), with all distinct values and their sources.
CREATE OR REPLACE VIEW v_claim_conflicts AS
WITH spread AS (
    SELECT hkex_code, metric, min(value) AS min_value, max(value) AS max_value, count(*) AS n_claims
    FROM claims WHERE value IS NOT NULL
    GROUP BY hkex_code, metric
    HAVING max(value) > min(value) * 1.01 OR (min(value) <= 0 AND max(value) <> min(value))
)
SELECT
    sp.hkex_code,
    sp.metric,
    sp.min_value,
    sp.max_value,
    sp.n_claims,
    list(DISTINCT struct_pack(
        value := v.value, unit := v.unit, qualifier := v.qualifier, basis := v.basis,
        source_kind := v.source_kind, source_url := v.source_url, quote := v.quote
    ) ORDER BY struct_pack(
        value := v.value, unit := v.unit, qualifier := v.qualifier, basis := v.basis,
        source_kind := v.source_kind, source_url := v.source_url, quote := v.quote
    )) AS claims
FROM spread sp
JOIN v_claims v ON v.hkex_code = sp.hkex_code AND v.metric = sp.metric
GROUP BY ALL;
