"""The package's exceptions. Anything a user can cause is a ``ScorecardError``: the CLI
prints its message on one line and exits with its ``exit_code`` (never a traceback)."""
from __future__ import annotations

__all__ = ["ScorecardError", "StructuralError", "BusyError", "ConfigError"]


class ScorecardError(Exception):
    """Base class: a problem the user can fix. ``exit_code`` 2 means nothing was built."""

    exit_code = 2


class StructuralError(ScorecardError):
    """A file cannot be loaded at all (unreadable, empty, missing column, unknown extract).

    The whole load is abandoned and the database is left exactly as it was.
    """

    def __init__(self, file: str, message: str, *, row: int | None = None,
                 column: str | None = None):
        self.file, self.row, self.column, self.reason = str(file), row, column, message
        where = self.file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


class BusyError(ScorecardError):
    """Another build holds the database."""


class ConfigError(ScorecardError):
    """Bad arguments or configuration."""
