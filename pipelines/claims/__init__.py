"""Figures stated by sources, as claims: the model, the writer, and news extraction."""

from pipelines.claims.extract import EXTRACTOR_VERSION, extract_claims
from pipelines.claims.model import Claim, claims_table, write_claims

__all__ = ["EXTRACTOR_VERSION", "Claim", "claims_table", "extract_claims", "write_claims"]
