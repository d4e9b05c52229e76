-- v_ipo_calendar: one row per offer known from a formal notice (table
-- offers), with where it stands now (Hong Kong time) and what one board lot
-- costs to apply for.
--
-- stage: 'upcoming' (before the offer opens), 'open' (applications being
-- taken), 'awaiting_allotment' (lists closed, no allotment results stored
-- yet), 'listing_soon' (results out or due, first dealings still ahead),
-- 'listed'. closing_soon: open and the lists close within [calendar]
-- closing_soon_hours. listing_soon: first dealings within listing_soon_days.
-- A time the notice did not print counts as the end of that day for closing,
-- the start of it for opening.
--
-- entry_fee_hkd = board lot x top of the range (or the fixed price) x
-- (1 + brokerage + SFC levy + trading fee + AFRC levy), rates from
-- warehouse_meta calendar.* (written from [calendar] by the hkex job;
-- defaults 1%, 0.0027%, 0.00565%, 0.00015% until it has run).
--
-- final_offer_price is the reconciled offer_price from an allotment results
-- announcement (basis 'final'); price_vs_range compares it with the planned
-- range: 'below range', 'bottom', 'within', 'top', 'above range' (an offer
-- price adjustment), or 'as planned' / 'changed' for a fixed price.
CREATE OR REPLACE VIEW v_ipo_calendar AS
WITH meta AS (
    SELECT
        coalesce(max(TRY_CAST(value AS DOUBLE)) FILTER (WHERE key = 'calendar.brokerage_rate'), 0.01)     AS brokerage,
        coalesce(max(TRY_CAST(value AS DOUBLE)) FILTER (WHERE key = 'calendar.sfc_levy_rate'), 0.000027)  AS sfc,
        coalesce(max(TRY_CAST(value AS DOUBLE)) FILTER (WHERE key = 'calendar.trading_fee_rate'), 0.0000565) AS fee,
        coalesce(max(TRY_CAST(value AS DOUBLE)) FILTER (WHERE key = 'calendar.afrc_levy_rate'), 0.0000015) AS afrc,
        coalesce(max(TRY_CAST(value AS DOUBLE)) FILTER (WHERE key = 'calendar.closing_soon_hours'), 24)   AS soon_hours,
        coalesce(max(TRY_CAST(value AS INTEGER)) FILTER (WHERE key = 'calendar.listing_soon_days'), 7)    AS soon_days
    FROM warehouse_meta
),
clock AS (SELECT CAST(now() AT TIME ZONE 'Asia/Hong_Kong' AS TIMESTAMP) AS hk_now),
results AS (
    SELECT hkex_code, min(published_at) AS results_published_at
    FROM announcements WHERE kind = 'allotment_results' GROUP BY hkex_code
),
final_price AS (
    SELECT hkex_code, value AS final_offer_price
    FROM ipo_stats WHERE metric = 'offer_price' AND source_kind = 'announcement' AND coalesce(basis, 'final') = 'final'
),
o AS (
    SELECT o.*,
        o.offer_open_date + coalesce(o.offer_open_time, TIME '00:00')                           AS opens_at,
        o.offer_close_date + coalesce(o.offer_close_time, TIME '23:59:59')                      AS closes_at,
        o.listing_date + coalesce(o.listing_time, TIME '09:00')                                 AS lists_at,
        coalesce(o.offer_price_high, o.offer_price)                                             AS max_price
    FROM offers o
)
SELECT
    o.hkex_code,
    coalesce(s.name_en, o.name_en)                                          AS name_en,
    o.name_zh,
    CASE
        WHEN o.listing_date IS NOT NULL AND c.hk_now >= o.lists_at THEN 'listed'
        WHEN o.offer_open_date IS NOT NULL AND c.hk_now < o.opens_at THEN 'upcoming'
        WHEN o.offer_close_date IS NOT NULL AND c.hk_now < o.closes_at THEN 'open'
        WHEN r.results_published_at IS NOT NULL
             OR (o.allotment_results_date IS NOT NULL AND CAST(c.hk_now AS DATE) > o.allotment_results_date)
            THEN 'listing_soon'
        WHEN o.offer_close_date IS NOT NULL THEN 'awaiting_allotment'
    END                                                                     AS stage,
    (o.offer_open_date IS NOT NULL AND c.hk_now >= o.opens_at AND c.hk_now < o.closes_at
     AND o.closes_at <= c.hk_now + to_seconds(CAST(m.soon_hours * 3600 AS BIGINT)))   AS closing_soon,
    (o.listing_date IS NOT NULL AND c.hk_now < o.lists_at
     AND o.listing_date - CAST(c.hk_now AS DATE) <= m.soon_days)             AS listing_soon,
    o.offer_open_date, o.offer_open_time,
    o.offer_close_date, o.offer_close_time,
    o.price_determination_date, o.price_determination_time,
    o.allotment_results_date, o.allotment_results_time,
    o.listing_date, o.listing_time,
    o.offer_price, o.offer_price_low, o.offer_price_high,
    o.board_lot,
    round(o.board_lot * o.max_price * (1 + m.brokerage + m.sfc + m.fee + m.afrc), 2) AS entry_fee_hkd,
    o.shares_offered, o.public_offer_shares, o.international_offer_shares,
    o.sponsor_kind, o.sponsors, o.overall_coordinators, o.cornerstones_mentioned,
    fp.final_offer_price,
    CASE
        WHEN fp.final_offer_price IS NULL THEN NULL
        WHEN o.offer_price IS NOT NULL THEN
            CASE WHEN abs(fp.final_offer_price - o.offer_price) < 0.005 THEN 'as planned' ELSE 'changed' END
        WHEN o.offer_price_low IS NOT NULL AND fp.final_offer_price < o.offer_price_low - 0.005 THEN 'below range'
        WHEN o.offer_price_low IS NOT NULL AND abs(fp.final_offer_price - o.offer_price_low) < 0.005 THEN 'bottom'
        WHEN o.offer_price_high IS NOT NULL AND fp.final_offer_price > o.offer_price_high + 0.005 THEN 'above range'
        WHEN o.offer_price_high IS NOT NULL AND abs(fp.final_offer_price - o.offer_price_high) < 0.005 THEN 'top'
        WHEN o.offer_price_low IS NOT NULL THEN 'within'
        ELSE 'below maximum'
    END                                                                     AS price_vs_range,
    r.results_published_at,
    o.announcement_id, o.source_url
FROM o
CROSS JOIN meta m
CROSS JOIN clock c
LEFT JOIN securities s ON s.hkex_code = o.hkex_code
LEFT JOIN results r ON r.hkex_code = o.hkex_code
LEFT JOIN final_price fp ON fp.hkex_code = o.hkex_code;
