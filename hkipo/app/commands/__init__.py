"""CLI sub-commands, one module per concern; `hkipo.app.cli` imports them lazily."""
