-- v_price_history: daily bars (Hong Kong trading dates) per security, with the
-- return since the offer price and the day-on-day return (fractions: 1.0909 =
-- +109.09%), and the market cap where shares outstanding are known
-- (close x shares_outstanding from ipo_stats; NULL otherwise).
CREATE OR REPLACE VIEW v_price_history AS
SELECT
    t.hkex_code,
    p.symbol,
    t.name_en,
    p.trade_date,
    CAST(p.open AS DOUBLE)      AS open,
    CAST(p.high AS DOUBLE)      AS high,
    CAST(p.low AS DOUBLE)       AS low,
    CAST(p.close AS DOUBLE)     AS close,
    CAST(p.adj_close AS DOUBLE) AS adj_close,
    p.volume,
    p.currency,
    t.offer_price,
    t.offer_price_source,
    CAST(p.close AS DOUBLE) / t.offer_price - 1                       AS return_since_offer,
    CAST(p.close AS DOUBLE)
        / lag(CAST(p.close AS DOUBLE)) OVER (PARTITION BY p.symbol ORDER BY p.trade_date) - 1 AS daily_return,
    t.listing_date,
    p.trade_date - t.listing_date                                     AS days_since_listing,
    t.shares_outstanding,
    CAST(p.close AS DOUBLE) * t.shares_outstanding                    AS market_cap,
    p.source,
    p.fetched_at
FROM prices_daily p
LEFT JOIN v_ipo_terms t ON t.yahoo_symbol = p.symbol;
