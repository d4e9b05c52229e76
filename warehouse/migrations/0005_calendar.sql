-- 0005: the two ends of an IPO's life — the offer (from its formal notice),
-- the lock-ups that expire after listing, and who sponsored it. The planned
-- figures are also stored as claims (basis 'formal_notice'), so
-- reconciliation and v_claim_conflicts compare them with the final ones;
-- these tables keep what claims cannot: times of day, names, lists.

-- One row per security's offer, from its latest parsed formal notice.
-- Key: hkex_code. Times are Hong Kong local time as printed (no time zone);
-- a *_time is NULL when the notice gives only the day.
CREATE TABLE offers (
    hkex_code                   VARCHAR PRIMARY KEY CHECK (regexp_full_match(hkex_code, '[0-9]{5}')),
    name_en                     VARCHAR,
    name_zh                     VARCHAR,
    offer_price                 DOUBLE,          -- fixed price; NULL for a range
    offer_price_low             DOUBLE,          -- NULL when only a maximum is stated
    offer_price_high            DOUBLE,
    shares_offered              DOUBLE,
    public_offer_shares         DOUBLE,          -- initial Hong Kong tranche
    international_offer_shares  DOUBLE,          -- initial international tranche
    board_lot                   INTEGER CHECK (board_lot > 0),
    offer_open_date             DATE,
    offer_open_time             TIME,
    offer_close_date            DATE,
    offer_close_time            TIME,
    price_determination_date    DATE,
    price_determination_time    TIME,
    allotment_results_date      DATE,
    allotment_results_time      TIME,
    listing_date                DATE,
    listing_time                TIME,
    sponsor_kind                VARCHAR,         -- 'sole' | 'joint' | NULL
    sponsors                    VARCHAR[] NOT NULL,
    overall_coordinators        VARCHAR[] NOT NULL,
    cornerstones_mentioned      BOOLEAN,         -- NULL: the notice does not say
    notes                       VARCHAR,         -- JSON: field -> why it is empty
    announcement_id             VARCHAR NOT NULL,
    source_url                  VARCHAR,
    parser_version              VARCHAR NOT NULL,
    updated_at                  TIMESTAMPTZ NOT NULL
);

-- Locked-up holders per IPO (cornerstone investors, controlling shareholders,
-- pre-IPO investors) with the expiry, stated or derived from the listing date
-- and the stated period. Key: lockup_id = hash of (hkex_code, holder, expiry).
CREATE TABLE lockups (
    lockup_id               VARCHAR PRIMARY KEY,
    hkex_code               VARCHAR NOT NULL,
    holder                  VARCHAR NOT NULL,
    holder_kind             VARCHAR NOT NULL CHECK (holder_kind IN
                                ('cornerstone', 'controlling_shareholder', 'pre_ipo', 'other')),
    shares_locked           DOUBLE CHECK (shares_locked > 0),
    pct_of_shares_in_issue  DOUBLE,          -- fraction (0.05 = 5%) as stated
    lockup_months           INTEGER,
    expiry_date             DATE,
    expiry_basis            VARCHAR NOT NULL CHECK (expiry_basis IN ('stated', 'derived', 'unknown')),
    source_kind             VARCHAR NOT NULL,    -- 'announcement' | 'prospectus' | 'config'
    source_id               VARCHAR NOT NULL,
    quote                   VARCHAR,
    updated_at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX lockups_code ON lockups (hkex_code);

-- Sponsors and overall coordinators per IPO, as printed and normalised
-- (hkipo.core.sponsors: one key across English, Chinese and legal suffixes).
-- Key: (hkex_code, role, sponsor_key).
CREATE TABLE ipo_sponsors (
    hkex_code    VARCHAR NOT NULL,
    role         VARCHAR NOT NULL CHECK (role IN ('sponsor', 'overall_coordinator')),
    sponsor_key  VARCHAR NOT NULL,
    name         VARCHAR NOT NULL,            -- as printed
    source_kind  VARCHAR NOT NULL,
    source_id    VARCHAR NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (hkex_code, role, sponsor_key)
);
