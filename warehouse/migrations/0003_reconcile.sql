-- Reconciliation stores every decision the views show (pipelines/reconcile.py):
-- ipo_stats now also holds figures believed from the listing-day price bar
-- (source_kind 'prices') or the watchlist config ('config'), and, when the
-- winner is not a claim, what the best claim said and whether it disagrees.
-- claim_conflicts: the groups of claims that do not share a value, computed at
-- every rebuild (v_claim_conflicts selects them). An upgraded file fills it at
-- its next job (or `hkipo job stats`).
ALTER TABLE ipo_stats ADD COLUMN claimed_value DOUBLE;           -- the best claim's value when a bar or the config won
ALTER TABLE ipo_stats ADD COLUMN claimed_source_kind VARCHAR;    -- 'announcement' | 'article'
ALTER TABLE ipo_stats ADD COLUMN claim_disagrees BOOLEAN;        -- that claim differs beyond the tolerance

-- Key: (hkex_code, metric, unit, moment); moment is '' unless the metric is compared per moment (market cap).
CREATE TABLE claim_conflicts (
    hkex_code   VARCHAR NOT NULL,
    metric      VARCHAR NOT NULL,
    unit        VARCHAR NOT NULL,
    moment      VARCHAR NOT NULL,
    min_value   DOUBLE,
    max_value   DOUBLE,
    n_claims    BIGINT NOT NULL,
    n_sources   BIGINT NOT NULL,
    claim_ids   VARCHAR[] NOT NULL,
    computed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (hkex_code, metric, unit, moment)
);
