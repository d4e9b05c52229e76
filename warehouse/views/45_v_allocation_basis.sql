-- v_allocation_basis: the public offer's basis of allocation per pool and band,
-- with each band's success rate (successful ÷ valid applications) where the
-- basis was checked; the first Pool A row is the one-lot success rate.
CREATE OR REPLACE VIEW v_allocation_basis AS
SELECT b.hkex_code, b.pool, b.shares_applied_for, b.valid_applications, b.successful_applications,
       CASE WHEN b.valid_applications > 0 AND b.successful_applications IS NOT NULL
            THEN b.successful_applications::DOUBLE / b.valid_applications END AS success_rate,
       b.approx_pct_allotted, b.basis,
       row_number() OVER (PARTITION BY b.announcement_id, b.pool ORDER BY b.shares_applied_for) = 1
           AND b.pool IN ('A', '') AS is_first_pool_a_row,
       b.announcement_id, a.url, b.page
FROM allocation_basis b
JOIN announcements a USING (announcement_id)
ORDER BY b.hkex_code, b.pool, b.shares_applied_for;
