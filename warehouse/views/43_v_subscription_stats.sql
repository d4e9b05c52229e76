-- v_subscription_stats: one row per IPO on the watchlist: subscription and
-- allotment figures (reconciled, from ipo_stats) beside first-day returns
-- (v_first_day_performance), so IPOs compare in one query.
--
-- Fractions are fractions (0.1739 = 17.39%). The clawback is the public
-- tranche's share of the offer after reallocation (the announcement's
-- stated percentage, else final public shares / offer shares), with the
-- tranche before and after; the cornerstone share is of the offer shares
-- (either derived by reconciliation when no source states it: source_kind
-- 'derived' in ipo_stats).
-- `figures` counts the metrics some announcement or article states (not those
-- only the price bar or the config gives).
CREATE OR REPLACE VIEW v_subscription_stats AS
WITH p AS (
    SELECT hkex_code,
        max(value) FILTER (WHERE metric = 'public_subscription_multiple')          AS public_multiple,
        max(basis) FILTER (WHERE metric = 'public_subscription_multiple')          AS public_multiple_basis,
        max(value) FILTER (WHERE metric = 'international_subscription_multiple')   AS international_multiple,
        max(value) FILTER (WHERE metric = 'international_ex_cornerstone_multiple') AS international_ex_cornerstone_multiple,
        max(value) FILTER (WHERE metric = 'valid_applications')                    AS valid_applications,
        max(value) FILTER (WHERE metric = 'successful_applications')               AS successful_applications,
        max(value) FILTER (WHERE metric = 'one_lot_success_rate')                  AS one_lot_success_rate,
        max(value) FILTER (WHERE metric = 'public_offer_shares_initial')           AS public_offer_shares_initial,
        max(value) FILTER (WHERE metric = 'public_offer_shares')                   AS public_offer_shares,
        max(value) FILTER (WHERE metric = 'public_offer_share_of_offer')           AS public_offer_share_of_offer,
        max(value) FILTER (WHERE metric = 'shares_offered')                        AS shares_offered,
        max(value) FILTER (WHERE metric = 'cornerstone_shares')                    AS cornerstone_shares,
        max(value) FILTER (WHERE metric = 'cornerstone_share_of_offer')            AS cornerstone_share_of_offer,
        max(value) FILTER (WHERE metric = 'cornerstone_count')                     AS cornerstone_count,
        max(value) FILTER (WHERE metric = 'cornerstone_amount' AND unit = 'HKD')   AS cornerstone_amount,
        max(value) FILTER (WHERE metric = 'placees')                               AS placees,
        max(value) FILTER (WHERE metric = 'gross_proceeds' AND unit = 'HKD')       AS gross_proceeds,
        max(source_kind) FILTER (WHERE metric = 'gross_proceeds' AND unit = 'HKD') AS gross_proceeds_source,
        max(value) FILTER (WHERE metric = 'net_proceeds' AND unit = 'HKD')         AS net_proceeds,
        count(*) FILTER (WHERE source_kind = 'announcement')                       AS figures_from_announcement,
        count(*) FILTER (WHERE n_claims > 0)                                       AS figures
    FROM ipo_stats GROUP BY hkex_code
)
SELECT
    f.hkex_code,
    f.name_en,
    f.listing_date,
    f.offer_price,
    p.public_multiple,
    p.public_multiple_basis,
    p.international_multiple,
    p.international_ex_cornerstone_multiple,
    p.valid_applications,
    p.successful_applications,
    p.one_lot_success_rate,
    p.public_offer_shares_initial,
    p.public_offer_shares,
    p.public_offer_share_of_offer AS clawback_pct,
    p.shares_offered,
    p.cornerstone_count,
    p.cornerstone_shares,
    p.cornerstone_share_of_offer,
    p.cornerstone_amount,
    p.placees,
    p.gross_proceeds,
    p.gross_proceeds_source,
    p.net_proceeds,
    f.open_return   AS first_day_open_return,
    f.close_return  AS first_day_close_return,
    f.figures_source AS first_day_source,
    f.grey_market_close,
    f.grey_market_return,
    f.grey_market_lot_gain,
    coalesce(p.figures_from_announcement, 0) AS figures_from_announcement,
    coalesce(p.figures, 0)                   AS figures
FROM v_first_day_performance f
LEFT JOIN p ON p.hkex_code = f.hkex_code;
