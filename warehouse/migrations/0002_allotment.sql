-- 0002 allotment (issue 12): what an allotment results announcement states
-- beyond single figures, and what the parser refused to store.
--
-- cornerstones: one row per cornerstone investor an announcement names.
--   Key: (announcement_id, investor). Synced per announcement with its claims
--   (a re-parse replaces the set). Stored only when the rows add up to the
--   table's own total.
CREATE TABLE cornerstones (
    announcement_id VARCHAR NOT NULL,
    hkex_code       VARCHAR NOT NULL,
    investor        VARCHAR NOT NULL,
    shares          BIGINT NOT NULL,
    share_of_offer  DOUBLE,                    -- fraction of the offer shares, as stated
    lockup_expiry   DATE,                      -- where the lock-up table states it
    page            INTEGER,
    quote           VARCHAR,
    PRIMARY KEY (announcement_id, investor)
);

-- allocation_basis: the basis of allocation under the public offer, one row
-- per pool and band. Key: (announcement_id, pool, shares_applied_for).
-- successful_applications is NULL when the basis could not be checked
-- against the row's own percentage allotted.
CREATE TABLE allocation_basis (
    announcement_id         VARCHAR NOT NULL,
    hkex_code               VARCHAR NOT NULL,
    pool                    VARCHAR NOT NULL,   -- 'A' | 'B' | '' (no pools: GEM)
    shares_applied_for      BIGINT NOT NULL,
    valid_applications      BIGINT NOT NULL,
    successful_applications BIGINT,
    basis                   VARCHAR,
    approx_pct_allotted     DOUBLE,             -- fraction
    page                    INTEGER,
    PRIMARY KEY (announcement_id, pool, shares_applied_for)
);

-- Why figures were not stored (failed arithmetic checks, conflicting statements): one JSON array of strings.
ALTER TABLE announcements ADD COLUMN warnings VARCHAR;
