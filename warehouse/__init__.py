"""The DuckDB warehouse: versioned migrations, derived views, set-based loads, run records."""
