"""hkipo: scheduled scraping and market-data ingestion for Hong Kong IPOs."""

__version__ = "0.1.0"
