-- v_sponsor_record: per sponsor (one key across languages and legal forms,
-- hkipo.core.sponsors.sponsor_key), the IPOs it sponsored and how they did.
--
-- Built from v_first_day_performance and prices_daily (v_ipo_cohort, issue
-- 16, was not on main when this was written; once it is, the returns here
-- should be read from it):
-- - first_day_return = first-day close / offer price - 1 (median over the
--   sponsor's IPOs that have one); broke_issue_share = share of those that
--   closed the first day below the offer price;
-- - return_20d = close on the 20th trading day (the listing day is day 1) /
--   offer price - 1; index_20d = the index's close on that date / its last
--   close before the listing day - 1 (index: [calendar] index_symbol,
--   default ^HSI, which the prices job must fetch); excess_20d = return_20d
--   - index_20d, median over the IPOs where both exist.
-- names lists every spelling seen; ipos lists the codes.
CREATE OR REPLACE VIEW v_sponsor_record AS
WITH meta AS (
    SELECT coalesce(max(value) FILTER (WHERE key = 'calendar.index_symbol'), '^HSI') AS index_symbol
    FROM warehouse_meta
),
bars AS (
    SELECT f.hkex_code, p.trade_date, CAST(p.close AS DOUBLE) AS close, f.offer_price,
        row_number() OVER (PARTITION BY f.hkex_code ORDER BY p.trade_date) AS n
    FROM v_first_day_performance f
    JOIN prices_daily p ON p.symbol = f.yahoo_symbol AND p.trade_date >= f.listing_date
    WHERE p.close IS NOT NULL
),
day20 AS (
    SELECT hkex_code, trade_date AS day20_date, close / offer_price - 1 AS return_20d FROM bars WHERE n = 20
),
idx AS (
    SELECT p.trade_date, CAST(p.close AS DOUBLE) AS close
    FROM prices_daily p, meta m WHERE p.symbol = m.index_symbol AND p.close IS NOT NULL
),
per_ipo AS (
    SELECT f.hkex_code, f.close_return AS first_day_return, d.return_20d,
        (SELECT i.close FROM idx i WHERE i.trade_date = d.day20_date)
          / (SELECT i.close FROM idx i WHERE i.trade_date < f.listing_date ORDER BY i.trade_date DESC LIMIT 1) - 1
            AS index_20d
    FROM v_first_day_performance f
    LEFT JOIN day20 d ON d.hkex_code = f.hkex_code
),
names AS (
    SELECT sponsor_key, list(DISTINCT name ORDER BY name) AS names
    FROM ipo_sponsors WHERE role = 'sponsor' GROUP BY sponsor_key
),
sp AS (SELECT DISTINCT hkex_code, sponsor_key FROM ipo_sponsors WHERE role = 'sponsor')
SELECT
    sp.sponsor_key,
    any_value(n.names)                                                        AS names,
    count(*)                                                                  AS ipos,
    list(sp.hkex_code ORDER BY sp.hkex_code)                                  AS codes,
    count(p.first_day_return)                                                 AS ipos_with_first_day,
    median(p.first_day_return)                                                AS median_first_day_return,
    avg(CASE WHEN p.first_day_return < 0 THEN 1.0 WHEN p.first_day_return IS NOT NULL THEN 0.0 END)
                                                                              AS broke_issue_share,
    count(p.return_20d - p.index_20d)                                         AS ipos_with_20d,
    median(p.return_20d - p.index_20d)                                        AS median_excess_20d
FROM sp
JOIN names n ON n.sponsor_key = sp.sponsor_key
LEFT JOIN per_ipo p ON p.hkex_code = sp.hkex_code
GROUP BY sp.sponsor_key;
