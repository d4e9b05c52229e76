-- v_ipo_cohort: one row per IPO (every security with a listing date: the
-- watchlist and every listing discovered on HKEXnews), with the figures
-- analysts compare across IPOs and where each came from.
--
-- Figures are the reconciled values (ipo_stats) and stored prices; a figure
-- that is missing stays NULL (never 0), so aggregates count it as missing.
-- Returns are fractions (0.25 = +25%) against the offer price:
--   first_day_open_return / first_day_close_return   v_first_day_performance
--   return_dN   close on the N-th trading day (day 1 = the listing day's bar)
--               / offer price - 1, for N = 5, 20, 60, 120, 250; NULL until
--               that day has a bar, or when the bars do not start on the
--               listing day (the day count would be wrong)
--   hsi_return_dN   the benchmark ([discovery] benchmark_symbol, ^HSI) over
--               the same window: its close on the IPO's N-th trading day over
--               its last close before the listing day (when the offer price
--               was fixed), minus 1
--   excess_return_dN   return_dN - hsi_return_dN
-- broke_issue_day1: first-day close below the offer price (NULL if unknown).
CREATE OR REPLACE VIEW v_ipo_cohort AS
WITH st AS (
    SELECT hkex_code,
        max(value) FILTER (WHERE metric = 'gross_proceeds' AND unit = 'HKD')                AS gross_proceeds,
        max('ipo_stats:' || source_kind) FILTER (WHERE metric = 'gross_proceeds' AND unit = 'HKD') AS proceeds_source,
        max(value) FILTER (WHERE metric = 'public_subscription_multiple')                   AS public_multiple,
        max('ipo_stats:' || source_kind) FILTER (WHERE metric = 'public_subscription_multiple') AS public_multiple_source,
        max(value) FILTER (WHERE metric = 'international_subscription_multiple')            AS international_multiple,
        max('ipo_stats:' || source_kind) FILTER (WHERE metric = 'international_subscription_multiple') AS international_multiple_source,
        max(value) FILTER (WHERE metric = 'public_offer_share_of_offer')                    AS public_share,
        max('ipo_stats:' || source_kind) FILTER (WHERE metric = 'public_offer_share_of_offer') AS public_share_source,
        max(value) FILTER (WHERE metric = 'public_offer_shares')                            AS public_shares,
        max(value) FILTER (WHERE metric = 'public_offer_shares_initial')                    AS public_shares_initial,
        max(value) FILTER (WHERE metric = 'shares_offered')                                 AS shares_offered,
        max('ipo_stats:' || source_kind) FILTER (WHERE metric = 'shares_offered')           AS shares_offered_source,
        max(value) FILTER (WHERE metric = 'one_lot_success_rate')                           AS one_lot_success_rate,
        max('ipo_stats:' || source_kind) FILTER (WHERE metric = 'one_lot_success_rate')     AS one_lot_source,
        max(value) FILTER (WHERE metric = 'cornerstone_share_of_offer')                     AS cornerstone_share,
        max('ipo_stats:' || source_kind) FILTER (WHERE metric = 'cornerstone_share_of_offer') AS cornerstone_share_source,
        max(value) FILTER (WHERE metric = 'cornerstone_shares')                             AS cornerstone_shares,
        max('ipo_stats:' || source_kind) FILTER (WHERE metric = 'cornerstone_shares')       AS cornerstone_shares_source,
        max(value) FILTER (WHERE metric = 'grey_market_return')                             AS grey_market_return,
        max('ipo_stats:' || source_kind) FILTER (WHERE metric = 'grey_market_return')       AS grey_market_source,
        max(value) FILTER (WHERE metric = 'board_lot')                                      AS board_lot,
        max(CASE WHEN source_kind IN ('announcement', 'article') THEN 'ipo_stats' ELSE 'config' END)
            FILTER (WHERE metric = 'board_lot')                                             AS board_lot_source
    FROM ipo_stats GROUP BY hkex_code
),
bench AS (
    SELECT coalesce(max(value), '^HSI') AS symbol FROM warehouse_meta WHERE key = 'discovery.benchmark_symbol'
),
bars AS (  -- each IPO's bars from its listing day, numbered: day 1 is the listing day
    SELECT t.hkex_code, p.trade_date, CAST(p.close AS DOUBLE) AS close,
        row_number() OVER (PARTITION BY t.hkex_code ORDER BY p.trade_date) AS day_n
    FROM v_ipo_terms t
    JOIN prices_daily p ON p.symbol = t.yahoo_symbol AND p.trade_date >= t.listing_date
    WHERE t.listing_date IS NOT NULL
),
hsi AS (
    SELECT p.trade_date, CAST(p.close AS DOUBLE) AS close
    FROM prices_daily p, bench b WHERE p.symbol = b.symbol AND p.close IS NOT NULL
),
base AS (  -- the benchmark's last close before each listing day
    SELECT t.hkex_code, arg_max(h.close, h.trade_date) AS hsi_base
    FROM v_ipo_terms t JOIN hsi h ON h.trade_date < t.listing_date
    GROUP BY t.hkex_code
),
at_day AS (
    SELECT b.hkex_code,
        max(b.close) FILTER (WHERE b.day_n = 5)   AS c5,   max(h.close) FILTER (WHERE b.day_n = 5)   AS h5,
        max(b.close) FILTER (WHERE b.day_n = 20)  AS c20,  max(h.close) FILTER (WHERE b.day_n = 20)  AS h20,
        max(b.close) FILTER (WHERE b.day_n = 60)  AS c60,  max(h.close) FILTER (WHERE b.day_n = 60)  AS h60,
        max(b.close) FILTER (WHERE b.day_n = 120) AS c120, max(h.close) FILTER (WHERE b.day_n = 120) AS h120,
        max(b.close) FILTER (WHERE b.day_n = 250) AS c250, max(h.close) FILTER (WHERE b.day_n = 250) AS h250
    FROM bars b LEFT JOIN hsi h ON h.trade_date = b.trade_date
    GROUP BY b.hkex_code
),
joined AS (
    SELECT f.*, s.source AS security_source, coalesce(s.market, l.market,
           CASE WHEN f.hkex_code BETWEEN '08000' AND '08999' THEN 'GEM' ELSE 'Main Board' END) AS market_v,
        CASE WHEN s.market IS NOT NULL OR l.market IS NOT NULL THEN 'discovery' ELSE 'code range' END AS market_source,
        coalesce(l.name_zh, s.name_zh_hant, s.name_zh_hans) AS name_zh,
        st.*, ad.*, bs.hsi_base,
        -- the day count is right only when the bars start on the listing day
        (f.first_trade_date = f.listing_date) AS days_ok
    FROM v_first_day_performance f
    JOIN securities s ON s.hkex_code = f.hkex_code
    LEFT JOIN listings l ON l.hkex_code = f.hkex_code
    LEFT JOIN st ON st.hkex_code = f.hkex_code
    LEFT JOIN at_day ad ON ad.hkex_code = f.hkex_code
    LEFT JOIN base bs ON bs.hkex_code = f.hkex_code
    WHERE f.listing_date IS NOT NULL
)
SELECT
    hkex_code,
    name_en,
    name_zh,
    market_v                                                        AS market,
    market_source,
    coalesce(security_source, 'config')                             AS security_source,
    coalesce(security_source, 'config') = 'config'                  AS tracked,
    listing_date,
    listing_date_source,
    offer_price,
    offer_price_source,
    CAST(board_lot AS INTEGER)                                      AS board_lot,
    board_lot_source,
    gross_proceeds                                                  AS proceeds,
    proceeds_source,
    public_multiple,
    public_multiple_source,
    international_multiple,
    international_multiple_source,
    public_share                                                    AS clawback_pct,
    public_share_source                                             AS clawback_source,
    CASE WHEN public_shares IS NOT NULL AND public_shares_initial IS NOT NULL
         THEN public_shares > public_shares_initial END             AS clawback_triggered,
    one_lot_success_rate,
    one_lot_source,
    coalesce(cornerstone_share, cornerstone_shares / nullif(shares_offered, 0)) AS cornerstone_share,
    CASE WHEN cornerstone_share IS NOT NULL THEN cornerstone_share_source
         WHEN cornerstone_shares IS NOT NULL AND shares_offered IS NOT NULL THEN 'ipo_stats: cornerstone_shares / shares_offered' END
                                                                    AS cornerstone_source,
    first_day_open,
    first_day_close,
    open_return                                                     AS first_day_open_return,
    close_return                                                    AS first_day_close_return,
    figures_source                                                  AS first_day_source,
    grey_market_return,
    grey_market_source,
    CASE WHEN days_ok THEN c5   / offer_price - 1 END               AS return_d5,
    CASE WHEN days_ok THEN c20  / offer_price - 1 END               AS return_d20,
    CASE WHEN days_ok THEN c60  / offer_price - 1 END               AS return_d60,
    CASE WHEN days_ok THEN c120 / offer_price - 1 END               AS return_d120,
    CASE WHEN days_ok THEN c250 / offer_price - 1 END               AS return_d250,
    CASE WHEN days_ok AND c5   IS NOT NULL THEN h5   / hsi_base - 1 END AS hsi_return_d5,
    CASE WHEN days_ok AND c20  IS NOT NULL THEN h20  / hsi_base - 1 END AS hsi_return_d20,
    CASE WHEN days_ok AND c60  IS NOT NULL THEN h60  / hsi_base - 1 END AS hsi_return_d60,
    CASE WHEN days_ok AND c120 IS NOT NULL THEN h120 / hsi_base - 1 END AS hsi_return_d120,
    CASE WHEN days_ok AND c250 IS NOT NULL THEN h250 / hsi_base - 1 END AS hsi_return_d250,
    CASE WHEN days_ok THEN (c5   / offer_price - 1) - (h5   / hsi_base - 1) END AS excess_return_d5,
    CASE WHEN days_ok THEN (c20  / offer_price - 1) - (h20  / hsi_base - 1) END AS excess_return_d20,
    CASE WHEN days_ok THEN (c60  / offer_price - 1) - (h60  / hsi_base - 1) END AS excess_return_d60,
    CASE WHEN days_ok THEN (c120 / offer_price - 1) - (h120 / hsi_base - 1) END AS excess_return_d120,
    CASE WHEN days_ok THEN (c250 / offer_price - 1) - (h250 / hsi_base - 1) END AS excess_return_d250,
    CASE WHEN days_ok THEN 'prices_daily' END                       AS returns_source,
    CASE WHEN days_ok AND hsi_base IS NOT NULL THEN 'prices_daily:' || (SELECT symbol FROM bench) END AS benchmark_source,
    first_day_close < offer_price                                   AS broke_issue_day1,
    CASE WHEN first_trade_date IS NOT NULL AND NOT days_ok
         THEN 'bars start ' || CAST(first_trade_date AS VARCHAR) || ', not on the listing day: no day-N returns' END
                                                                    AS returns_note
FROM joined;
