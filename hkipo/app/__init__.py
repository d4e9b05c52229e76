"""Application layer: jobs, the CLI and its commands, the report (the daemon is scheduler/)."""
