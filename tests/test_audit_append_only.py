"""The database itself refuses to change or delete audit events (migration 0002), whatever program opens it.

On SQLite the file is opened with Python's own ``sqlite3``; on PostgreSQL a new connection of the driver itself
(autocommit, as a hand-typed statement would be), neither going through the app's sessions."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from coordinator_tui.db import Database, downgrade, upgrade
from coordinator_tui.models import AuditAction
from coordinator_tui.services.safety import audit
from tests.postgres_server import both_databases

pytestmark = both_databases


def _one_event(db: Database) -> None:
    with db.session() as s:
        audit.record_change(s, AuditAction.CREATE, "patient", 1, after={"given_name": "Testy"})


@contextlib.contextmanager
def _raw_connection(db: Database) -> Iterator[tuple[Any, type[Exception]]]:
    """A connection outside the app, and the error its driver raises when a trigger refuses a statement."""
    if db.path is not None:
        conn = sqlite3.connect(db.path)
        try:
            yield conn, sqlite3.IntegrityError
            conn.commit()
        finally:
            conn.close()
        return
    import psycopg

    engine = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    raw = engine.raw_connection()
    try:
        raw.driver_connection.autocommit = True
        yield raw.driver_connection, psycopg.errors.RaiseException
    finally:
        raw.close()
        engine.dispose()


def test_raw_sql_cannot_edit_or_delete_the_audit_log(db: Database) -> None:
    _one_event(db)
    with _raw_connection(db) as (conn, refused):
        with pytest.raises(refused, match="append-only"):
            conn.execute("""UPDATE auditevent SET "user" = 'someone-else'""")
        with pytest.raises(refused, match="append-only"):
            conn.execute("DELETE FROM auditevent")
        assert conn.execute('SELECT "user" FROM auditevent').fetchall() == [("test-coordinator",)]
        conn.execute(
            """INSERT INTO auditevent (at, "user", action, entity, entity_id, before, after) """
            "VALUES ('2026-11-25 10:00:00', 'x', 'CREATE', 'patient', '2', '{}', '{}')"
        )  # appending still works
        assert conn.execute("SELECT count(*) FROM auditevent").fetchall() == [(2,)]


def test_the_triggers_go_with_a_downgrade_and_come_back(db: Database) -> None:
    _one_event(db)
    downgrade(db, "0001")
    with _raw_connection(db) as (conn, _refused):
        conn.execute("""UPDATE auditevent SET "user" = 'allowed at 0001'""")
    upgrade(db)
    with _raw_connection(db) as (conn, refused), pytest.raises(refused, match="append-only"):
        conn.execute("DELETE FROM auditevent")
