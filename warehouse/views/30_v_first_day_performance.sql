-- v_first_day_performance: one row per IPO on the watchlist.
--
-- First-day open/high/low/close are the believed figures of ipo_stats
-- (pipelines/reconcile.py decides): the price bar dated on the listing day
-- when there is one with all four prices, else the reconciled claims from
-- announcements and news; the *_source columns say which, per figure.
-- `price_data_note` says why the bars were not used or look wrong.
-- `disagreement` lists figures where the bar and the best claim differ by
-- more than [prices] first_day_tolerance (decided at the rebuild:
-- ipo_stats.claim_disagrees; an intraday snapshot is never a disagreement).
-- Turnover is an estimate: Yahoo has no turnover, so volume x (H+L+C)/3.
-- grey_market_* are the reconciled grey-market claims (HK$, fraction of the
-- offer price, HK$ per board lot).
CREATE OR REPLACE VIEW v_first_day_performance AS
WITH first_bar AS (
    SELECT symbol, min(trade_date) AS first_trade_date
    FROM prices_daily GROUP BY symbol
),
believed AS (
    SELECT hkex_code,
        max(value) FILTER (WHERE metric = 'first_day_open')        AS open_v,
        max(value) FILTER (WHERE metric = 'first_day_high')        AS high_v,
        max(value) FILTER (WHERE metric = 'first_day_low')         AS low_v,
        max(value) FILTER (WHERE metric = 'first_day_close')       AS close_v,
        max(CASE WHEN source_kind = 'prices' THEN 'prices_daily' ELSE 'claims:' || source_kind END)
            FILTER (WHERE metric = 'first_day_open')  AS open_source,
        max(CASE WHEN source_kind = 'prices' THEN 'prices_daily' ELSE 'claims:' || source_kind END)
            FILTER (WHERE metric = 'first_day_high')  AS high_source,
        max(CASE WHEN source_kind = 'prices' THEN 'prices_daily' ELSE 'claims:' || source_kind END)
            FILTER (WHERE metric = 'first_day_low')   AS low_source,
        max(CASE WHEN source_kind = 'prices' THEN 'prices_daily' ELSE 'claims:' || source_kind END)
            FILTER (WHERE metric = 'first_day_close') AS close_source,
        coalesce(bool_and(source_kind = 'prices') FILTER (WHERE metric IN
            ('first_day_open', 'first_day_high', 'first_day_low', 'first_day_close')), FALSE) AS bar_ok,
        max(claimed_value) FILTER (WHERE metric = 'first_day_open')  AS c_open,
        max(claimed_value) FILTER (WHERE metric = 'first_day_high')  AS c_high,
        max(claimed_value) FILTER (WHERE metric = 'first_day_low')   AS c_low,
        max(claimed_value) FILTER (WHERE metric = 'first_day_close') AS c_close,
        coalesce(bool_or(claim_disagrees) FILTER (WHERE metric = 'first_day_open'), FALSE)  AS d_open,
        coalesce(bool_or(claim_disagrees) FILTER (WHERE metric = 'first_day_high'), FALSE)  AS d_high,
        coalesce(bool_or(claim_disagrees) FILTER (WHERE metric = 'first_day_low'), FALSE)   AS d_low,
        coalesce(bool_or(claim_disagrees) FILTER (WHERE metric = 'first_day_close'), FALSE) AS d_close,
        max(value) FILTER (WHERE metric = 'grey_market_close' AND unit = 'HKD')    AS grey_market_close,
        max(value) FILTER (WHERE metric = 'grey_market_return')                    AS grey_market_return,
        max(value) FILTER (WHERE metric = 'grey_market_lot_gain' AND unit = 'HKD') AS grey_market_lot_gain
    FROM ipo_stats GROUP BY hkex_code
),
chosen AS (
    SELECT t.*, f.first_trade_date, b.volume AS b_volume,
        CAST(b.high AS DOUBLE) AS b_high, CAST(b.low AS DOUBLE) AS b_low, CAST(b.close AS DOUBLE) AS b_close,
        coalesce(c.bar_ok, FALSE) AS bar_ok,
        c.open_v, c.high_v, c.low_v, c.close_v, c.open_source, c.high_source, c.low_source, c.close_source,
        c.c_open, c.c_high, c.c_low, c.c_close, c.d_open, c.d_high, c.d_low, c.d_close,
        c.grey_market_close, c.grey_market_return, c.grey_market_lot_gain,
        (NOT coalesce(c.bar_ok, FALSE) AND (c.open_v IS NOT NULL OR c.high_v IS NOT NULL OR c.low_v IS NOT NULL
                                            OR c.close_v IS NOT NULL)) AS any_claim
    FROM v_ipo_terms t
    LEFT JOIN first_bar f ON f.symbol = t.yahoo_symbol
    LEFT JOIN believed c ON c.hkex_code = t.hkex_code
    LEFT JOIN prices_daily b ON c.bar_ok AND b.symbol = t.yahoo_symbol AND b.trade_date = t.listing_date
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
    open_source,
    high_source,
    low_source,
    close_source,
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
        CASE WHEN d_open THEN 'open ' || open_v || ' vs claimed ' || c_open END,
        CASE WHEN d_high THEN 'high ' || high_v || ' vs claimed ' || c_high END,
        CASE WHEN d_low THEN 'low ' || low_v || ' vs claimed ' || c_low END,
        CASE WHEN d_close THEN 'close ' || close_v || ' vs claimed ' || c_close END
    ), '') END                                      AS disagreement,
    bar_ok AND (d_open OR d_high OR d_low OR d_close) AS disagrees_with_claims,
    shares_outstanding,
    close_v * shares_outstanding                    AS first_day_market_cap,
    -- The grey market (暗盘, the evening before listing; reconciled news claims, issue 13), and the
    -- first-day close against it.
    grey_market_close,
    grey_market_return,
    grey_market_lot_gain,
    close_v / grey_market_close - 1                 AS close_vs_grey_market
FROM chosen;
