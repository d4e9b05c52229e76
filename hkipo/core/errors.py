"""Errors a user can cause and fix, each with the exit code the CLI returns.

Anything that is not a `UserError` is a bug and is allowed to show a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with input the user controls: config, paths, arguments, files."""

    exit_code = 2


class ConfigError(UserError):
    """The config file is missing, unparsable or invalid."""


class DatabaseError(UserError):
    """The DuckDB file cannot be used: not a database, newer schema, locked too long."""


class CassetteMiss(UserError):
    """A request was not found in the cassette while replaying.

    Replay must never fall through to the network or return nothing quietly.
    """

    exit_code = 3


class JobFailed(Exception):
    """A job ran and failed for a reason outside the user's input (network, source)."""

    exit_code = 1
