"""CLI sub-commands, one module per concern; `hkipo.cli` imports them lazily."""
