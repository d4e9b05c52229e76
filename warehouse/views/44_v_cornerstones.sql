-- v_cornerstones: every cornerstone investor of every stored allotment
-- announcement, with its share of the offer and lock-up expiry, newest
-- announcement per security first.
CREATE OR REPLACE VIEW v_cornerstones AS
SELECT c.hkex_code, c.investor, c.shares, c.share_of_offer, c.lockup_expiry,
       a.published_at, c.announcement_id, a.url, c.page, c.quote
FROM cornerstones c
JOIN announcements a USING (announcement_id)
ORDER BY c.hkex_code, a.published_at DESC NULLS LAST, c.shares DESC;
