-- 0006: news claims detail (issue 13).
-- The broker whose grey-market session (暗盘) a claim quotes, when the
-- sentence names one ('Phillip Securities', 'Futu', ...); NULL otherwise and
-- for every other kind of claim.
ALTER TABLE claims ADD COLUMN broker VARCHAR;
