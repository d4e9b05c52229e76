-- 0004: every Hong Kong IPO, discovered on HKEXnews without config (issue 16).

-- Where a security row came from: 'config' (the watchlist) or 'discovery'
-- (a market-wide HKEXnews search), its market, and when discovery first saw it.
ALTER TABLE securities ADD COLUMN market VARCHAR;          -- 'Main Board' | 'GEM'
ALTER TABLE securities ADD COLUMN source VARCHAR DEFAULT 'config';
ALTER TABLE securities ADD COLUMN discovered_at TIMESTAMPTZ;

-- One row per listing found: what the search rows of both languages say.
-- Key: hkex_code. A [[watchlist]] entry for the same code overrides the
-- names in `securities`; this table keeps what HKEXnews said.
CREATE TABLE listings (
    hkex_code             VARCHAR PRIMARY KEY CHECK (regexp_full_match(hkex_code, '[0-9]{5}')),
    market                VARCHAR NOT NULL CHECK (market IN ('Main Board', 'GEM')),
    name_en               VARCHAR,
    name_zh               VARCHAR,
    other_codes           VARCHAR[] NOT NULL,   -- other counters, e.g. ['89988'] for 09988
    board_lot             INTEGER CHECK (board_lot > 0),
    allotment_published   DATE,                  -- HK date of the allotment results announcement
    listing_date          DATE,                  -- expected: the next HKEX trading day after it
    listing_date_source   VARCHAR,               -- 'allotment_results+1_trading_day'
    source                VARCHAR NOT NULL,      -- 'hkexnews:title_search'
    discovered_at         TIMESTAMPTZ NOT NULL,  -- first seen (never moved by a later run)
    updated_at            TIMESTAMPTZ NOT NULL
);

-- Each document of a listing found by the search, and what became of its
-- download: 'pending' (found, not yet read), 'parsed', 'refused' (not
-- readable as what its title says; reason), 'failed' (could not be
-- fetched; retried next run), 'listed' (formal notices: recorded, not read).
-- Key: news_id (HKEXnews NEWS_ID).
CREATE TABLE listing_documents (
    news_id       VARCHAR PRIMARY KEY,
    hkex_code     VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,               -- 'allotment_results' | 'formal_notice'
    language      VARCHAR NOT NULL,               -- of the file fetched: 'en' | 'zh'
    title         VARCHAR NOT NULL,
    url           VARCHAR NOT NULL,
    published_at  TIMESTAMPTZ,
    status        VARCHAR NOT NULL CHECK (status IN ('pending', 'parsed', 'refused', 'failed', 'listed')),
    reason        VARCHAR,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- Search windows answered completely (so a resumed back-fill does not ask again).
-- Key: (from_date, to_date, language, title).
CREATE TABLE discovery_windows (
    from_date   DATE NOT NULL,
    to_date     DATE NOT NULL,
    language    VARCHAR NOT NULL,
    title       VARCHAR NOT NULL,
    rows        INTEGER NOT NULL,
    searched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (from_date, to_date, language, title)
);

-- Search rows (and answers) discovery did not store, and why. Key: (news_id, reason).
CREATE TABLE discovery_skipped (
    news_id     VARCHAR NOT NULL,
    code        VARCHAR NOT NULL,
    title       VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    url         VARCHAR NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (news_id, reason, url)
);
