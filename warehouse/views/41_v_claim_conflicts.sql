-- v_claim_conflicts: every security and metric whose sources disagree, with
-- every value and where it came from.
--
-- "Disagree" is the agreement rule of pipelines/reconcile.py, in SQL: each
-- figure stands for a range, its value ± the larger of 1% (2% if stated as
-- approximate) and one unit in its last stated digit; "over X" is open above,
-- "under X" below. Claims in one group conflict when their ranges share no
-- value (max of lows > min of highs). Groups are per unit (HKD is not
-- compared with USD); market caps only at the same moment (basis and day);
-- intraday snapshots and allocation-table rows are left out. Dates and other
-- texts conflict when they differ.

-- One unit in the last digit a figure was stated with (1837 -> 1, 0.4267 -> 1e-4,
-- 5.54e9 -> 1e7): the largest power of ten the value is a whole multiple of.
-- Mirrors hkipo.core.numbers.significant_step.
CREATE OR REPLACE MACRO hkipo_significant_step(v) AS
    pow(10, coalesce(list_max(list_filter(range(-6, 16), lambda k:
        round(abs(v) / pow(10, k)) >= 1
        AND abs(abs(v) - round(abs(v) / pow(10, k)) * pow(10, k)) <= 1e-12 * greatest(abs(v), pow(10, k)))), -6));

CREATE OR REPLACE MACRO hkipo_claim_tolerance(v, q) AS
    greatest(CASE WHEN q = 'approx' THEN 0.02 ELSE 0.01 END * abs(v), hkipo_significant_step(v));

CREATE OR REPLACE VIEW v_claim_conflicts AS
WITH comparable AS (
    SELECT v.*,
        CASE WHEN v.metric = 'market_cap' THEN v.basis || ' ' || coalesce(CAST(v.as_of AS VARCHAR), '') ELSE '' END
            AS moment,
        CASE WHEN v.value IS NULL THEN NULL
             WHEN v.qualifier = 'under' THEN -'infinity'::DOUBLE
             ELSE v.value - hkipo_claim_tolerance(v.value, v.qualifier) END AS lo,
        CASE WHEN v.value IS NULL THEN NULL
             WHEN v.qualifier = 'over' THEN 'infinity'::DOUBLE
             ELSE v.value + hkipo_claim_tolerance(v.value, v.qualifier) END AS hi
    FROM v_claims v
    WHERE v.basis <> 'intraday' AND v.metric <> 'allocation_band'
),
groups AS (
    SELECT hkex_code, metric, unit, moment,
        min(value) AS min_value,
        max(value) AS max_value,
        count(*) AS n_claims,
        count(DISTINCT source_group) AS n_sources
    FROM comparable
    GROUP BY hkex_code, metric, unit, moment
    HAVING max(lo) > min(hi) OR count(DISTINCT value_text) FILTER (WHERE value IS NULL) > 1
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
FROM groups g
JOIN comparable c ON c.hkex_code = g.hkex_code AND c.metric = g.metric AND c.unit = g.unit AND c.moment = g.moment
LEFT JOIN securities s ON s.hkex_code = g.hkex_code
LEFT JOIN ipo_stats st ON st.hkex_code = g.hkex_code AND st.metric = g.metric AND st.unit = g.unit
GROUP BY ALL;
