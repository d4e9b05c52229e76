"""What `hkipo status` and the report show of the IPO calendar: open offers, upcoming listings, lock-up expiries."""

from __future__ import annotations

import duckdb

OFFER_COLUMNS = ("hkex_code", "name", "stage", "closing_soon", "offer_close", "listing_date", "price",
                 "board_lot", "entry_fee_hkd")
LOCKUP_COLUMNS = ("hkex_code", "name", "holder", "holder_kind", "expiry_date", "expiry_basis", "days_to_expiry",
                  "shares_locked", "share_of_free_float")


def calendar_summary(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """Offers not yet listed (and listed within the listing-soon window), and upcoming lock-up expiries."""
    offers = con.execute("""
        SELECT hkex_code, coalesce(name_en, name_zh) AS name, stage, closing_soon,
               strftime(offer_close_date, '%Y-%m-%d') || coalesce(' ' || left(CAST(offer_close_time AS VARCHAR), 5), '')
                   AS offer_close,
               listing_date,
               CASE WHEN offer_price IS NOT NULL THEN printf('HK$%.2f', offer_price)
                    WHEN offer_price_low IS NOT NULL THEN printf('HK$%.2f-%.2f', offer_price_low, offer_price_high)
                    WHEN offer_price_high IS NOT NULL THEN printf('up to HK$%.2f', offer_price_high) END AS price,
               board_lot, entry_fee_hkd
        FROM v_ipo_calendar
        WHERE stage IN ('upcoming', 'open', 'awaiting_allotment', 'listing_soon')
        ORDER BY CASE stage WHEN 'open' THEN 0 WHEN 'upcoming' THEN 1 WHEN 'awaiting_allotment' THEN 2 ELSE 3 END,
                 offer_close_date, hkex_code""").fetchall()
    locks = con.execute("""
        SELECT hkex_code, name_en, holder, holder_kind, expiry_date, expiry_basis, days_to_expiry, shares_locked,
               share_of_free_float
        FROM v_lockup_calendar WHERE upcoming ORDER BY expiry_date, hkex_code, holder""").fetchall()
    return {"offers": [dict(zip(OFFER_COLUMNS, r)) for r in offers],
            "lockups": [dict(zip(LOCKUP_COLUMNS, r)) for r in locks]}
