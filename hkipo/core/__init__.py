"""Core layer: configuration, codes, errors, items, text and number utilities. Imports nothing above it."""
