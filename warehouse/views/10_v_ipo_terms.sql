-- v_ipo_terms: offer price, listing date and shares outstanding per security,
-- and where each came from. Which source is believed (announcements and news,
-- the watchlist config only when nobody states the figure) is decided by
-- pipelines/reconcile.py and stored in ipo_stats; this view only selects.
CREATE OR REPLACE VIEW v_ipo_terms AS
SELECT
    s.hkex_code,
    s.yahoo_symbol,
    s.name_en,
    s.board_lot,
    op.value                                                                AS offer_price,
    CASE WHEN op.source_kind = 'config' THEN 'config'
         WHEN op.source_kind IS NOT NULL THEN 'ipo_stats:' || op.source_kind END AS offer_price_source,
    TRY_CAST(ld.value_text AS DATE)                                         AS listing_date,
    CASE WHEN ld.source_kind = 'config' THEN 'config'
         WHEN ld.source_kind IS NOT NULL THEN 'ipo_stats:' || ld.source_kind END AS listing_date_source,
    so.value                                                                AS shares_outstanding,
    CASE WHEN so.value IS NOT NULL THEN 'ipo_stats:' || so.source_kind END  AS shares_outstanding_source
FROM securities s
LEFT JOIN ipo_stats op ON op.hkex_code = s.hkex_code AND op.metric = 'offer_price'
LEFT JOIN ipo_stats ld ON ld.hkex_code = s.hkex_code AND ld.metric = 'listing_date'
LEFT JOIN ipo_stats so ON so.hkex_code = s.hkex_code AND so.metric = 'shares_outstanding';
