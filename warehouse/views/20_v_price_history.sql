-- v_price_history: daily bars per security with the return since the offer
-- price (a fraction: 1.0909 = +109.09%).
CREATE OR REPLACE VIEW v_price_history AS
SELECT
    t.hkex_code,
    p.symbol,
    p.trade_date,
    CAST(p.open AS DOUBLE)      AS open,
    CAST(p.high AS DOUBLE)      AS high,
    CAST(p.low AS DOUBLE)       AS low,
    CAST(p.close AS DOUBLE)     AS close,
    CAST(p.adj_close AS DOUBLE) AS adj_close,
    p.volume,
    t.offer_price,
    CAST(p.close AS DOUBLE) / t.offer_price - 1 AS return_since_offer,
    (p.trade_date - t.listing_date)             AS days_since_listing,
    p.source,
    p.fetched_at
FROM prices_daily p
LEFT JOIN v_ipo_terms t ON t.yahoo_symbol = p.symbol;
