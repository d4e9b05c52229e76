-- v_first_day_performance: one row per IPO on the watchlist. First-day
-- open/high/low/close come from the listing-day price bar when the first
-- stored bar is the listing day; otherwise from reconciled claims, and the
-- *_source columns say which. `price_data_note` explains a missing or late
-- first bar; `disagrees_with_claims` flags bars that differ from reported
-- figures by more than 1%.
CREATE OR REPLACE VIEW v_first_day_performance AS
WITH first_bar AS (
    SELECT symbol, min(trade_date) AS first_trade_date
    FROM prices_daily GROUP BY symbol
),
bar AS (
    SELECT p.* FROM prices_daily p
    JOIN first_bar f ON f.symbol = p.symbol AND f.first_trade_date = p.trade_date
),
claimed AS (
    SELECT hkex_code,
        max(value) FILTER (WHERE metric = 'first_day_open')  AS c_open,
        max(value) FILTER (WHERE metric = 'first_day_high')  AS c_high,
        max(value) FILTER (WHERE metric = 'first_day_low')   AS c_low,
        max(value) FILTER (WHERE metric = 'first_day_close') AS c_close
    FROM ipo_stats GROUP BY hkex_code
),
joined AS (
    SELECT t.*, f.first_trade_date,
        (b.trade_date IS NOT NULL AND b.trade_date = t.listing_date
         AND b.open IS NOT NULL AND b.close IS NOT NULL) AS bar_ok,
        CAST(b.open AS DOUBLE) AS b_open, CAST(b.high AS DOUBLE) AS b_high,
        CAST(b.low AS DOUBLE) AS b_low, CAST(b.close AS DOUBLE) AS b_close,
        b.volume AS b_volume,
        c.c_open, c.c_high, c.c_low, c.c_close
    FROM v_ipo_terms t
    LEFT JOIN first_bar f ON f.symbol = t.yahoo_symbol
    LEFT JOIN bar b ON b.symbol = t.yahoo_symbol
    LEFT JOIN claimed c ON c.hkex_code = t.hkex_code
)
SELECT
    hkex_code,
    yahoo_symbol,
    name_en,
    listing_date,
    listing_date_source,
    offer_price,
    offer_price_source,
    CASE WHEN bar_ok THEN b_open  ELSE c_open  END AS first_day_open,
    CASE WHEN bar_ok THEN b_high  ELSE c_high  END AS first_day_high,
    CASE WHEN bar_ok THEN b_low   ELSE c_low   END AS first_day_low,
    CASE WHEN bar_ok THEN b_close ELSE c_close END AS first_day_close,
    CASE WHEN bar_ok THEN b_open  ELSE c_open  END / offer_price - 1 AS open_return,
    CASE WHEN bar_ok THEN b_close ELSE c_close END / offer_price - 1 AS close_return,
    CASE WHEN bar_ok THEN b_volume END             AS first_day_volume,
    CASE WHEN bar_ok THEN 'prices_daily'
         WHEN c_close IS NOT NULL OR c_open IS NOT NULL THEN 'claims'
    END                                            AS figures_source,
    CASE
        WHEN listing_date IS NULL THEN 'listing date unknown'
        WHEN first_trade_date IS NULL THEN 'no price bars stored'
        WHEN first_trade_date > listing_date THEN 'price data starts ' || CAST(first_trade_date AS VARCHAR) || ', after the listing day'
        WHEN first_trade_date < listing_date THEN 'price data starts ' || CAST(first_trade_date AS VARCHAR) || ', before the listing day'
        WHEN NOT bar_ok THEN 'listing-day bar has missing values'
    END                                            AS price_data_note,
    bar_ok AND (
        abs(b_open / c_open - 1) > 0.01 OR abs(b_close / c_close - 1) > 0.01
        OR abs(b_high / c_high - 1) > 0.01 OR abs(b_low / c_low - 1) > 0.01
    ) IS TRUE                                      AS disagrees_with_claims,
    CASE WHEN bar_ok THEN b_close ELSE c_close END * shares_outstanding AS first_day_market_cap
FROM joined;
