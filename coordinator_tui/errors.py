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


class ServerConnectionError(DatabaseError):
    """A database server could not be reached or refused the connection: ``str()`` says which, one line, with the
    URL shown without its password."""


class DriverMissingError(ServerConnectionError):
    """The URL names a database driver that is not installed."""


class ServerUnreachableError(ServerConnectionError):
    """No server answers at the URL's host, port or socket (down, unknown host, refused)."""


class ServerLoginError(ServerConnectionError):
    """The server refused the role: a wrong password or a role it does not know."""


class ServerDatabaseMissingError(ServerConnectionError):
    """The server has no database of the URL's name."""


class ServerTLSError(ServerConnectionError):
    """An encrypted (TLS) connection was required and could not be made."""
