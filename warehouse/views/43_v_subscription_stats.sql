-- v_subscription_stats: one row per IPO, subscription and allotment figures
-- side by side with first-day returns, so IPOs compare in one query.
CREATE OR REPLACE VIEW v_subscription_stats AS
WITH p AS (
    SELECT hkex_code,
        max(value) FILTER (WHERE metric = 'public_subscription_multiple')         AS public_multiple,
        max(value) FILTER (WHERE metric = 'international_subscription_multiple')  AS international_multiple,
        max(value) FILTER (WHERE metric = 'international_ex_cornerstone_multiple') AS international_ex_cornerstone_multiple,
        max(value) FILTER (WHERE metric = 'valid_applications')                    AS valid_applications,
        max(value) FILTER (WHERE metric = 'successful_applications')               AS successful_applications,
        max(value) FILTER (WHERE metric = 'one_lot_success_rate')                  AS one_lot_success_rate,
        max(value) FILTER (WHERE metric = 'public_offer_shares_initial')           AS public_offer_shares_initial,
        max(value) FILTER (WHERE metric = 'public_offer_shares')                   AS public_offer_shares,
        max(value) FILTER (WHERE metric = 'shares_offered')                        AS shares_offered,
        max(value) FILTER (WHERE metric = 'cornerstone_shares')                    AS cornerstone_shares,
        max(value) FILTER (WHERE metric = 'cornerstone_count')                     AS cornerstone_count,
        max(value) FILTER (WHERE metric = 'cornerstone_amount')                    AS cornerstone_amount,
        max(value) FILTER (WHERE metric = 'gross_proceeds')                        AS gross_proceeds,
        max(value) FILTER (WHERE metric = 'net_proceeds')                          AS net_proceeds,
        max(value) FILTER (WHERE metric = 'placees')                               AS placees
    FROM ipo_stats GROUP BY hkex_code
)
SELECT
    f.hkex_code,
    f.name_en,
    f.listing_date,
    f.offer_price,
    p.public_multiple,
    p.international_multiple,
    p.international_ex_cornerstone_multiple,
    p.valid_applications,
    p.successful_applications,
    p.one_lot_success_rate,
    -- Clawback: the public tranche after reallocation as a share of the offer.
    p.public_offer_shares_initial,
    p.public_offer_shares,
    p.public_offer_shares / nullif(p.shares_offered, 0)       AS public_share_after_clawback,
    p.cornerstone_count,
    p.cornerstone_amount,
    p.cornerstone_shares / nullif(p.shares_offered, 0)        AS cornerstone_share_of_offer,
    p.gross_proceeds,
    p.net_proceeds,
    p.placees,
    f.open_return  AS first_day_open_return,
    f.close_return AS first_day_close_return,
    f.figures_source AS first_day_source
FROM v_first_day_performance f
LEFT JOIN p ON p.hkex_code = f.hkex_code;
