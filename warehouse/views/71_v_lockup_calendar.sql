-- v_lockup_calendar: every lock-up of every tracked IPO (table lockups),
-- upcoming and past, with what its expiry frees and how the price moved.
--
-- expiry_basis says whether the expiry was stated by the document or derived
-- (listing date + the stated period, the day before the same date N months
-- on), or is unknown. days_to_expiry counts from today in Hong Kong;
-- upcoming is true for expiries from today to [calendar] lockup_horizon_days
-- ahead.
--
-- share_of_free_float = shares unlocked / the free float just before the
-- expiry, where the free float is shares_outstanding (reconciled, from the
-- allotment results) less every lock-up of the IPO still running then (this
-- one included). Shares outside the float for other reasons (unlisted
-- domestic shares of an H-share company) are not known here, so the true
-- float can be smaller and the share larger.
--
-- share_of_issue is the stated % of shares in issue, else shares locked /
-- shares_outstanding.
--
-- For past expiries, price_before = close 5 trading days before the expiry
-- date (the last bar on or before it counts as day 0), price_after = close 5
-- trading days after it, move_5d = price_after / price_before - 1; NULL
-- until the bars exist (prices_daily, by the security's Yahoo symbol).
CREATE OR REPLACE VIEW v_lockup_calendar AS
WITH meta AS (
    SELECT coalesce(max(TRY_CAST(value AS INTEGER)) FILTER (WHERE key = 'calendar.lockup_horizon_days'), 90) AS horizon
    FROM warehouse_meta
),
today AS (SELECT CAST(now() AT TIME ZONE 'Asia/Hong_Kong' AS DATE) AS d),
l AS (
    SELECT l.*, so.value AS shares_outstanding,
        so.value - (SELECT coalesce(sum(x.shares_locked), 0) FROM lockups x
                    WHERE x.hkex_code = l.hkex_code AND x.expiry_date >= l.expiry_date) AS float_before
    FROM lockups l
    LEFT JOIN ipo_stats so ON so.hkex_code = l.hkex_code AND so.metric = 'shares_outstanding'
),
bars AS (
    SELECT s.hkex_code, p.trade_date, CAST(p.close AS DOUBLE) AS close,
        row_number() OVER (PARTITION BY s.hkex_code ORDER BY p.trade_date) AS n
    FROM prices_daily p JOIN securities s ON s.yahoo_symbol = p.symbol
    WHERE p.close IS NOT NULL
),
anchored AS (
    SELECT l.lockup_id,
        (SELECT max(b.n) FROM bars b WHERE b.hkex_code = l.hkex_code AND b.trade_date <= l.expiry_date) AS n0
    FROM l
)
SELECT
    l.hkex_code,
    s.name_en,
    l.holder,
    l.holder_kind,
    l.shares_locked,
    l.pct_of_shares_in_issue,
    coalesce(l.pct_of_shares_in_issue, l.shares_locked / l.shares_outstanding) AS share_of_issue,
    l.lockup_months,
    l.expiry_date,
    l.expiry_basis,
    l.expiry_date - t.d                                              AS days_to_expiry,
    (l.expiry_date >= t.d AND l.expiry_date <= t.d + m.horizon)      AS upcoming,
    l.shares_outstanding,
    CASE WHEN l.float_before > 0 THEN l.shares_locked / l.float_before END
                                                                     AS share_of_free_float,
    CASE WHEN l.expiry_date < t.d THEN bb.close END                  AS price_before,
    CASE WHEN l.expiry_date < t.d THEN ba.close END                  AS price_after,
    CASE WHEN l.expiry_date < t.d THEN ba.close / bb.close - 1 END   AS move_5d,
    l.source_kind, l.source_id, l.quote
FROM l
CROSS JOIN meta m
CROSS JOIN today t
LEFT JOIN securities s ON s.hkex_code = l.hkex_code
LEFT JOIN anchored a ON a.lockup_id = l.lockup_id
LEFT JOIN bars bb ON bb.hkex_code = l.hkex_code AND bb.n = a.n0 - 5
LEFT JOIN bars ba ON ba.hkex_code = l.hkex_code AND ba.n = a.n0 + 5;
