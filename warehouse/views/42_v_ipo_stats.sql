-- v_ipo_stats: one row per security and metric: the value to believe, the
-- source and sentence it came from, how many independent sources agree, and
-- the rule that chose it (pipelines/reconcile.py, "THE RULE"): a claim, the
-- listing-day price bar (source_kind 'prices') or the watchlist config
-- ('config'). `disputed` says whether the claims disagree (claim_conflicts,
-- stored by the same rebuild).
CREATE OR REPLACE VIEW v_ipo_stats AS
SELECT
    st.hkex_code,
    s.name_en,
    st.metric,
    st.value,
    st.value_text,
    st.unit,
    st.qualifier,
    st.basis,
    st.source_kind,
    st.source_id,
    st.source_url,
    st.quote,
    st.n_sources,
    st.n_claims,
    st.rule,
    EXISTS (SELECT 1 FROM claim_conflicts k WHERE k.hkex_code = st.hkex_code AND k.metric = st.metric) AS disputed,
    st.computed_at
FROM ipo_stats st
LEFT JOIN securities s ON s.hkex_code = st.hkex_code;
