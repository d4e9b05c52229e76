-- v_ipo_summary: IPOs by listing month, quarter and year, per market and for
-- both markets together (market = 'All'), from v_ipo_cohort.
--
-- period_kind 'month' | 'quarter' | 'year'; period_start the period's first day.
-- A figure an IPO lacks is missing, never zero: each statistic says over how
-- many IPOs it was computed (*_n). First-day return = first-day close / offer
-- price - 1. share_broke_issue = IPOs whose first-day close was below the
-- offer price / IPOs with a known first-day close. Public-multiple bands:
-- lt10 (< 10x), 10_100 (10x to < 100x), 100_1000 (100x to < 1,000x),
-- ge1000 (>= 1,000x); each band gives its IPO count and median first-day return.
CREATE OR REPLACE VIEW v_ipo_summary AS
WITH c AS (
    SELECT *,
        CASE WHEN public_multiple IS NULL THEN NULL
             WHEN public_multiple < 10 THEN 'lt10'
             WHEN public_multiple < 100 THEN '10_100'
             WHEN public_multiple < 1000 THEN '100_1000'
             ELSE 'ge1000' END AS band
    FROM v_ipo_cohort
),
periods AS (
    SELECT 'month' AS period_kind, CAST(date_trunc('month', listing_date) AS DATE) AS period_start, * FROM c
    UNION ALL
    SELECT 'quarter', CAST(date_trunc('quarter', listing_date) AS DATE), * FROM c
    UNION ALL
    SELECT 'year', CAST(date_trunc('year', listing_date) AS DATE), * FROM c
)
SELECT
    period_kind,
    period_start,
    CASE period_kind
        WHEN 'month' THEN strftime(period_start, '%Y-%m')
        WHEN 'quarter' THEN strftime(period_start, '%Y') || '-Q' || CAST(quarter(period_start) AS VARCHAR)
        ELSE strftime(period_start, '%Y') END                          AS period,
    coalesce(market, 'All')                                             AS market,
    count(*)                                                            AS ipos,
    sum(proceeds)                                                       AS proceeds,
    count(proceeds)                                                     AS proceeds_n,
    median(first_day_close_return)                                      AS median_first_day_return,
    avg(first_day_close_return)                                         AS mean_first_day_return,
    count(first_day_close_return)                                       AS first_day_n,
    count(*) FILTER (WHERE broke_issue_day1) / nullif(count(broke_issue_day1), 0)::DOUBLE AS share_broke_issue,
    count(broke_issue_day1)                                             AS broke_issue_n,
    median(public_multiple)                                             AS median_public_multiple,
    count(public_multiple)                                              AS public_multiple_n,
    count(*) FILTER (WHERE band = 'lt10')                               AS band_lt10_n,
    median(first_day_close_return) FILTER (WHERE band = 'lt10')         AS band_lt10_median_return,
    count(*) FILTER (WHERE band = '10_100')                             AS band_10_100_n,
    median(first_day_close_return) FILTER (WHERE band = '10_100')       AS band_10_100_median_return,
    count(*) FILTER (WHERE band = '100_1000')                           AS band_100_1000_n,
    median(first_day_close_return) FILTER (WHERE band = '100_1000')     AS band_100_1000_median_return,
    count(*) FILTER (WHERE band = 'ge1000')                             AS band_ge1000_n,
    median(first_day_close_return) FILTER (WHERE band = 'ge1000')       AS band_ge1000_median_return
FROM periods
GROUP BY GROUPING SETS ((period_kind, period_start, market), (period_kind, period_start));
