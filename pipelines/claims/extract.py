"""Claims from news text. (Being built under issue 5: numbers, units, attribution.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hkipo.config import Security
from pipelines.claims.model import Claim

EXTRACTOR_VERSION = "news-claims/0"


def extract_claims(text: str, securities: Sequence[Security], *,
                   published_at: dt.datetime | None = None) -> list[Claim]:
    """Every figure `text` states about a watchlist security, attributed by sentence."""
    return []
