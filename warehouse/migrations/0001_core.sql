-- 0001: the core tables analysts query. Columns are documented in README.md
-- ("Warehouse tables"); keys below are the merge keys the loaders use.

-- Key/value facts about this file, e.g. data_origin = 'live' | 'replay', so a
-- replayed demo never mixes into a live warehouse (and vice versa).
CREATE TABLE warehouse_meta (
    key        VARCHAR PRIMARY KEY,
    value      VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

-- The watchlist as last synced from config. Key: hkex_code.
CREATE TABLE securities (
    hkex_code     VARCHAR PRIMARY KEY CHECK (regexp_full_match(hkex_code, '[0-9]{5}')),
    yahoo_symbol  VARCHAR NOT NULL UNIQUE,
    name_en       VARCHAR NOT NULL,
    name_zh_hans  VARCHAR,
    name_zh_hant  VARCHAR,
    aliases       VARCHAR[] NOT NULL,
    board_lot     INTEGER CHECK (board_lot > 0),
    updated_at    TIMESTAMPTZ NOT NULL
);

-- IPO terms per security as configured (the last-resort source); the
-- reconciled figures from announcements and news live in ipo_stats.
-- Key: hkex_code.
CREATE TABLE ipos (
    hkex_code       VARCHAR PRIMARY KEY,
    listing_date    DATE,
    offer_price     DECIMAL(18, 4),
    currency        VARCHAR NOT NULL DEFAULT 'HKD',
    source          VARCHAR NOT NULL,          -- 'config' (later sources go to claims)
    updated_at      TIMESTAMPTZ NOT NULL
);

-- Daily bars dated by the Hong Kong trading date (never a UTC timestamp).
-- Key: (symbol, trade_date); re-fetched overlap windows merge in place.
CREATE TABLE prices_daily (
    symbol       VARCHAR NOT NULL,
    trade_date   DATE NOT NULL,
    open         DECIMAL(18, 4),
    high         DECIMAL(18, 4),
    low          DECIMAL(18, 4),
    close        DECIMAL(18, 4),
    adj_close    DECIMAL(18, 6),
    volume       BIGINT,
    currency     VARCHAR NOT NULL DEFAULT 'HKD',
    source       VARCHAR NOT NULL,             -- 'yahoo'
    fetched_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (symbol, trade_date)
);

-- One row per distinct story (syndicated copies collapse onto one row).
-- Key: article_id = the content fingerprint's id; canonical_url is where it
-- was first seen; article_urls keeps every URL it appeared at.
CREATE TABLE articles (
    article_id        VARCHAR PRIMARY KEY,
    canonical_url     VARCHAR NOT NULL,
    title             VARCHAR,
    site              VARCHAR,
    published_at      TIMESTAMPTZ,
    language          VARCHAR,                 -- 'zh' | 'en' | ...
    script            VARCHAR,                 -- 'zh-Hans' | 'zh-Hant' | 'en'
    text              VARCHAR NOT NULL,
    fingerprint       VARCHAR NOT NULL,
    extractor_version VARCHAR NOT NULL,
    fetched_at        TIMESTAMPTZ NOT NULL
);

-- Every URL (canonicalised) an article was seen at. Key: url.
CREATE TABLE article_urls (
    url           VARCHAR PRIMARY KEY,
    article_id    VARCHAR NOT NULL,
    site          VARCHAR,
    via_feed      VARCHAR,
    first_seen_at TIMESTAMPTZ NOT NULL
);

-- Which securities an article is about, and how that was decided.
-- Key: (article_id, hkex_code).
CREATE TABLE article_mentions (
    article_id  VARCHAR NOT NULL,
    hkex_code   VARCHAR NOT NULL,
    methods     VARCHAR[] NOT NULL,           -- e.g. ['code:0100.HK', 'alias:稀宇科技']
    mentions    INTEGER NOT NULL,             -- occurrences in the main text
    in_title    BOOLEAN NOT NULL,
    score       DOUBLE NOT NULL,
    PRIMARY KEY (article_id, hkex_code)
);

-- HKEX announcements found and parsed. Key: announcement_id (HKEXnews NEWS_ID + lang).
CREATE TABLE announcements (
    announcement_id VARCHAR PRIMARY KEY,
    hkex_code       VARCHAR NOT NULL,
    title           VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,          -- 'allotment_results'
    language        VARCHAR NOT NULL,          -- 'en' | 'zh'
    published_at    TIMESTAMPTZ,
    url             VARCHAR NOT NULL,
    pdf_sha256      VARCHAR,
    pages           INTEGER,
    text            VARCHAR,
    parser_version  VARCHAR,
    fetched_at      TIMESTAMPTZ NOT NULL
);

-- One row per figure a source states. Key: claim_id, a hash of
-- (source_kind, source_id, hkex_code, metric, basis, position), so re-parsing
-- the same source replaces its claims instead of duplicating them.
CREATE TABLE claims (
    claim_id          VARCHAR PRIMARY KEY,
    hkex_code         VARCHAR NOT NULL,
    metric            VARCHAR NOT NULL,
    value             DOUBLE,                  -- numbers: HKD, times, fractions, shares, counts
    value_text        VARCHAR,                 -- dates (ISO) and other non-numbers
    unit              VARCHAR NOT NULL,        -- 'HKD' | 'times' | 'fraction' | 'shares' | 'count' | 'date' | 'USD'
    qualifier         VARCHAR,                 -- NULL exact; 'approx' | 'over' | 'under'
    basis             VARCHAR NOT NULL DEFAULT 'final',  -- 'final' | 'at_close_of_applications' | 'full_over_allotment' | 'intraday' ...
    as_of             DATE,                    -- the date the figure refers to
    source_kind       VARCHAR NOT NULL,        -- 'announcement' | 'article' | 'prices' | 'config'
    source_id         VARCHAR NOT NULL,        -- announcement_id / article_id / symbol
    source_url        VARCHAR,
    quote             VARCHAR NOT NULL,
    position          INTEGER,                 -- character offset of the quote in the source text
    page              INTEGER,                 -- PDF page (announcements)
    extractor_version VARCHAR NOT NULL,
    extracted_at      TIMESTAMPTZ NOT NULL
);

-- The reconciled value per (security, metric), rebuilt after every job that
-- writes (see pipelines/reconcile.py for the rule). Key: (hkex_code, metric).
CREATE TABLE ipo_stats (
    hkex_code      VARCHAR NOT NULL,
    metric         VARCHAR NOT NULL,
    value          DOUBLE,
    value_text     VARCHAR,
    unit           VARCHAR NOT NULL,
    qualifier      VARCHAR,
    basis          VARCHAR,
    source_kind    VARCHAR NOT NULL,
    source_id      VARCHAR,
    source_url     VARCHAR,
    quote          VARCHAR,
    n_sources      INTEGER NOT NULL,          -- independent sources agreeing with the chosen value
    n_claims       INTEGER NOT NULL,          -- all claims for this metric
    rule           VARCHAR NOT NULL,          -- why this value won, in words
    computed_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (hkex_code, metric)
);

-- One row per job run: what ran, when, how it ended, how much it wrote.
CREATE TABLE ingest_runs (
    run_id        VARCHAR PRIMARY KEY,
    job           VARCHAR NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        VARCHAR NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed', 'aborted')),
    rows_written  BIGINT NOT NULL DEFAULT 0,
    error         VARCHAR,
    warnings      VARCHAR[],
    source        VARCHAR,                     -- 'live' or the cassette replayed
    pid           INTEGER,
    host          VARCHAR
);
CREATE INDEX ingest_runs_job_started ON ingest_runs (job, started_at);
