-- v_ipo_stats: one row per security and metric: the value to believe, the
-- source it came from, and the rule that chose it (pipelines/reconcile.py).
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
    st.computed_at
FROM ipo_stats st
LEFT JOIN securities s ON s.hkex_code = st.hkex_code;
