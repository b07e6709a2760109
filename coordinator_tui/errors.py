"""Errors the user can act on, importable without loading the database stack (keeps start-up fast)."""

from __future__ import annotations


class DatabaseError(Exception):
    """A database problem the user can act on; ``str()`` is one line without personal data."""


class NewerDatabaseError(DatabaseError):
    pass


class DatabaseBusyError(DatabaseError):
    """Another process holds the write lock for longer than the busy timeout."""


class DamagedDatabaseError(DatabaseError):
    """SQLite's quick check failed: the database refuses every save (reading goes on)."""
