-- v_first_day_performance: one row per IPO on the watchlist.
--
-- First-day open/high/low/close come from the price bar dated on the listing
-- day. Without one (Yahoo's data starts later, or its listing-day row had no
-- prices and was not stored) each figure falls back to the reconciled claim
-- (ipo_stats first_day_open/high/low/close, from announcements and news);
-- the *_source columns say which, per figure. `price_data_note` says why the
-- bars were not used or look wrong. `disagreement` lists figures where bars
-- and claims differ by more than [prices] first_day_tolerance (relative;
-- written to warehouse_meta by the prices job, 1% if it never ran).
-- Turnover is an estimate: Yahoo has no turnover, so volume x (H+L+C)/3.
-- grey_market_* are the reconciled grey-market claims (HK$, fraction of the
-- offer price, HK$ per board lot).
CREATE OR REPLACE VIEW v_first_day_performance AS
WITH first_bar AS (
    SELECT symbol, min(trade_date) AS first_trade_date
    FROM prices_daily GROUP BY symbol
),
claimed AS (
    SELECT hkex_code,
        max(value) FILTER (WHERE metric = 'first_day_open')        AS c_open,
        max(value) FILTER (WHERE metric = 'first_day_high')        AS c_high,
        max(value) FILTER (WHERE metric = 'first_day_low')         AS c_low,
        max(value) FILTER (WHERE metric = 'first_day_close')       AS c_close,
        max('claims:' || source_kind) FILTER (WHERE metric = 'first_day_open')  AS c_open_src,
        max('claims:' || source_kind) FILTER (WHERE metric = 'first_day_high')  AS c_high_src,
        max('claims:' || source_kind) FILTER (WHERE metric = 'first_day_low')   AS c_low_src,
        max('claims:' || source_kind) FILTER (WHERE metric = 'first_day_close') AS c_close_src,
        max(value) FILTER (WHERE metric = 'grey_market_close' AND unit = 'HKD')    AS grey_market_close,
        max(value) FILTER (WHERE metric = 'grey_market_return')                    AS grey_market_return,
        max(value) FILTER (WHERE metric = 'grey_market_lot_gain' AND unit = 'HKD') AS grey_market_lot_gain
    FROM ipo_stats GROUP BY hkex_code
),
tolerance AS (
    SELECT coalesce(max(TRY_CAST(value AS DOUBLE)), 0.01) AS tol
    FROM warehouse_meta WHERE key = 'prices.first_day_tolerance'
),
joined AS (
    SELECT t.*, f.first_trade_date,
        (b.trade_date IS NOT NULL AND b.open IS NOT NULL AND b.high IS NOT NULL
         AND b.low IS NOT NULL AND b.close IS NOT NULL)                     AS bar_ok,
        CAST(b.open AS DOUBLE) AS b_open, CAST(b.high AS DOUBLE) AS b_high,
        CAST(b.low AS DOUBLE) AS b_low, CAST(b.close AS DOUBLE) AS b_close,
        b.volume AS b_volume,
        c.c_open, c.c_high, c.c_low, c.c_close,
        c.c_open_src, c.c_high_src, c.c_low_src, c.c_close_src,
        c.grey_market_close, c.grey_market_return, c.grey_market_lot_gain,
        tol.tol
    FROM v_ipo_terms t
    CROSS JOIN tolerance tol
    LEFT JOIN first_bar f ON f.symbol = t.yahoo_symbol
    LEFT JOIN prices_daily b ON b.symbol = t.yahoo_symbol AND b.trade_date = t.listing_date
    LEFT JOIN claimed c ON c.hkex_code = t.hkex_code
),
chosen AS (
    SELECT *,
        CASE WHEN bar_ok THEN b_open  ELSE c_open  END AS open_v,
        CASE WHEN bar_ok THEN b_high  ELSE c_high  END AS high_v,
        CASE WHEN bar_ok THEN b_low   ELSE c_low   END AS low_v,
        CASE WHEN bar_ok THEN b_close ELSE c_close END AS close_v,
        (c_open IS NOT NULL OR c_high IS NOT NULL OR c_low IS NOT NULL OR c_close IS NOT NULL) AS any_claim
    FROM joined
)
SELECT
    hkex_code,
    yahoo_symbol,
    name_en,
    listing_date,
    listing_date_source,
    offer_price,
    offer_price_source,
    open_v                                          AS first_day_open,
    high_v                                          AS first_day_high,
    low_v                                           AS first_day_low,
    close_v                                         AS first_day_close,
    open_v / offer_price - 1                        AS open_return,
    close_v / offer_price - 1                       AS close_return,
    CASE WHEN bar_ok THEN b_volume END              AS first_day_volume,
    CASE WHEN bar_ok THEN b_volume * (b_high + b_low + b_close) / 3 END AS first_day_turnover_est,
    CASE WHEN bar_ok THEN 'prices_daily' ELSE c_open_src  END AS open_source,
    CASE WHEN bar_ok THEN 'prices_daily' ELSE c_high_src  END AS high_source,
    CASE WHEN bar_ok THEN 'prices_daily' ELSE c_low_src   END AS low_source,
    CASE WHEN bar_ok THEN 'prices_daily' ELSE c_close_src END AS close_source,
    CASE WHEN bar_ok THEN 'prices_daily' WHEN any_claim THEN 'claims' END AS figures_source,
    first_trade_date,
    CASE
        WHEN listing_date IS NULL THEN 'listing date unknown: no bar can be picked as the first day'
        WHEN first_trade_date IS NULL THEN 'no price bars stored'
        WHEN NOT bar_ok AND first_trade_date > listing_date
            THEN 'no listing-day bar: price data starts ' || CAST(first_trade_date AS VARCHAR)
        WHEN NOT bar_ok
            THEN 'no listing-day bar, though price data starts earlier (' || CAST(first_trade_date AS VARCHAR)
                 || '): check the listing date'
        WHEN first_trade_date < listing_date
            THEN 'price data starts ' || CAST(first_trade_date AS VARCHAR) || ', before the listing day: check the listing date'
    END
    || CASE WHEN listing_date IS NOT NULL AND NOT bar_ok
            THEN CASE WHEN any_claim THEN '; first-day figures from claims' ELSE '; no first-day figures in claims either' END
            ELSE '' END                             AS price_data_note,
    CASE WHEN bar_ok THEN c_open END                AS claimed_open,
    CASE WHEN bar_ok THEN c_close END               AS claimed_close,
    CASE WHEN bar_ok THEN nullif(concat_ws('; ',
        CASE WHEN abs(b_open / c_open - 1) > tol THEN 'open ' || b_open || ' vs claimed ' || c_open END,
        CASE WHEN abs(b_high / c_high - 1) > tol THEN 'high ' || b_high || ' vs claimed ' || c_high END,
        CASE WHEN abs(b_low / c_low - 1) > tol THEN 'low ' || b_low || ' vs claimed ' || c_low END,
        CASE WHEN abs(b_close / c_close - 1) > tol THEN 'close ' || b_close || ' vs claimed ' || c_close END
    ), '') END                                      AS disagreement,
    coalesce(bar_ok AND (
        abs(b_open / c_open - 1) > tol OR abs(b_high / c_high - 1) > tol
        OR abs(b_low / c_low - 1) > tol OR abs(b_close / c_close - 1) > tol
    ), FALSE)                                       AS disagrees_with_claims,
    shares_outstanding,
    close_v * shares_outstanding                    AS first_day_market_cap,
    -- The grey market (暗盘, the evening before listing; reconciled news claims, issue 13), and the
    -- first-day close against it.
    grey_market_close,
    grey_market_return,
    grey_market_lot_gain,
    close_v / grey_market_close - 1                 AS close_vs_grey_market
FROM chosen;
