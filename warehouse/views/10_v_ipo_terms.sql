-- v_ipo_terms: offer price, listing date and shares outstanding per security,
-- and where each came from. Reconciled facts (ipo_stats, from announcements
-- and news) win over the watchlist config, which is only the last resort.
CREATE OR REPLACE VIEW v_ipo_terms AS
SELECT
    s.hkex_code,
    s.yahoo_symbol,
    s.name_en,
    s.board_lot,
    coalesce(op.value, CAST(i.offer_price AS DOUBLE))                       AS offer_price,
    CASE WHEN op.value IS NOT NULL THEN 'ipo_stats:' || op.source_kind
         WHEN i.offer_price IS NOT NULL THEN 'config' END                    AS offer_price_source,
    coalesce(TRY_CAST(ld.value_text AS DATE), i.listing_date)               AS listing_date,
    CASE WHEN TRY_CAST(ld.value_text AS DATE) IS NOT NULL THEN 'ipo_stats:' || ld.source_kind
         WHEN i.listing_date IS NOT NULL THEN 'config' END                   AS listing_date_source,
    so.value                                                                AS shares_outstanding,
    CASE WHEN so.value IS NOT NULL THEN 'ipo_stats:' || so.source_kind END  AS shares_outstanding_source
FROM securities s
LEFT JOIN ipos i ON i.hkex_code = s.hkex_code
LEFT JOIN ipo_stats op ON op.hkex_code = s.hkex_code AND op.metric = 'offer_price'
LEFT JOIN ipo_stats ld ON ld.hkex_code = s.hkex_code AND ld.metric = 'listing_date'
LEFT JOIN ipo_stats so ON so.hkex_code = s.hkex_code AND so.metric = 'shares_outstanding';
