-- v_sponsor_record: per sponsor (one key across languages and legal forms,
-- hkipo.core.sponsors.sponsor_key, from table ipo_sponsors), the IPOs it
-- sponsored and how they did, from v_ipo_cohort:
-- - median_first_day_return: median first-day close / offer price - 1 over
--   the sponsor's IPOs that have one; broke_issue_share: the share of those
--   that closed the first day below the offer price;
-- - median_excess_20d: median of excess_return_d20 (close on the 20th trading
--   day / offer price - 1, less the benchmark's return over the same days;
--   [discovery] benchmark_symbol, ^HSI) over the IPOs where it exists.
-- names lists every spelling seen; codes the IPOs. Only role 'sponsor'
-- counts (overall coordinators are in ipo_sponsors too).
CREATE OR REPLACE VIEW v_sponsor_record AS
WITH names AS (
    SELECT sponsor_key, list(DISTINCT name ORDER BY name) AS names
    FROM ipo_sponsors WHERE role = 'sponsor' GROUP BY sponsor_key
),
sp AS (SELECT DISTINCT hkex_code, sponsor_key FROM ipo_sponsors WHERE role = 'sponsor')
SELECT
    sp.sponsor_key,
    any_value(n.names)                                                        AS names,
    count(*)                                                                  AS ipos,
    list(sp.hkex_code ORDER BY sp.hkex_code)                                  AS codes,
    count(c.first_day_close_return)                                           AS ipos_with_first_day,
    median(c.first_day_close_return)                                          AS median_first_day_return,
    avg(CASE WHEN c.first_day_close_return < 0 THEN 1.0
             WHEN c.first_day_close_return IS NOT NULL THEN 0.0 END)          AS broke_issue_share,
    count(c.excess_return_d20)                                                AS ipos_with_20d,
    median(c.excess_return_d20)                                               AS median_excess_20d
FROM sp
JOIN names n ON n.sponsor_key = sp.sponsor_key
LEFT JOIN v_ipo_cohort c ON c.hkex_code = sp.hkex_code
GROUP BY sp.sponsor_key;
