"""Figures a news text states, as claims (`extract_claims`); the Claim type is hkipo.core.items."""

from hkipo.extract.claims.extract import EXTRACTOR_VERSION, extract_claims

__all__ = ["EXTRACTOR_VERSION", "extract_claims"]
