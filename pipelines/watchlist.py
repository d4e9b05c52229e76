"""Keep `securities` and `ipos` in step with the watchlist in config.

Securities dropped from config stay in the warehouse: their history is still
data. Run at the start of every job so every job sees the current watchlist.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa

from hkipo.core.config import Config
from warehouse.load import merge


def watchlist_tables(config: Config) -> tuple[pa.Table, pa.Table]:
    now = dt.datetime.now(dt.timezone.utc)
    sec = config.watchlist
    securities = pa.table(
        {
            "hkex_code": [s.code for s in sec],
            "yahoo_symbol": [s.yahoo_symbol for s in sec],
            "name_en": [s.name_en for s in sec],
            "name_zh_hans": [s.name_zh_hans or None for s in sec],
            "name_zh_hant": [s.name_zh_hant or None for s in sec],
            "aliases": pa.array([list(s.names) for s in sec], type=pa.list_(pa.string())),
            "board_lot": pa.array([s.board_lot for s in sec], type=pa.int32()),
            # A code discovery found first becomes a watchlist security (tracked) once config names it.
            "source": ["config"] * len(sec),
            "updated_at": pa.array([now] * len(sec), type=pa.timestamp("us", tz="UTC")),
        }
    )
    ipos = pa.table(
        {
            "hkex_code": [s.code for s in sec],
            "listing_date": pa.array([s.listing_date for s in sec], type=pa.date32()),
            "offer_price": pa.array([s.offer_price for s in sec], type=pa.float64()),
            "source": ["config"] * len(sec),
            "updated_at": pa.array([now] * len(sec), type=pa.timestamp("us", tz="UTC")),
        }
    )
    return securities, ipos


def sync_watchlist(con: duckdb.DuckDBPyConnection, config: Config) -> int:
    """Merge the configured watchlist; returns rows inserted or changed."""
    securities, ipos = watchlist_tables(config)
    return merge(con, "securities", securities, ["hkex_code"]) + merge(con, "ipos", ipos, ["hkex_code"])
