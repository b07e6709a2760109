"""The database itself refuses to change or delete audit events (migration 0002), whatever program opens it."""

from __future__ import annotations

import sqlite3

import pytest

from coordinator_tui.db import Database, downgrade, upgrade
from coordinator_tui.models import AuditAction
from coordinator_tui.services.safety import audit


def _one_event(db: Database) -> None:
    with db.session() as s:
        audit.record_change(s, AuditAction.CREATE, "patient", 1, after={"given_name": "Testy"})


def test_raw_sql_cannot_edit_or_delete_the_audit_log(db: Database) -> None:
    _one_event(db)
    assert db.path is not None
    conn = sqlite3.connect(db.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE auditevent SET user = 'someone-else'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM auditevent")
        assert conn.execute("SELECT user FROM auditevent").fetchall() == [("test-coordinator",)]
        conn.execute(
            "INSERT INTO auditevent (at, user, action, entity, entity_id, before, after) "
            "VALUES ('2026-11-25 10:00:00', 'x', 'CREATE', 'patient', '2', '{}', '{}')"
        )  # appending still works
    finally:
        conn.close()


def test_the_triggers_go_with_a_downgrade_and_come_back(db: Database) -> None:
    _one_event(db)
    downgrade(db, "0001")
    assert db.path is not None
    conn = sqlite3.connect(db.path)
    try:
        conn.execute("UPDATE auditevent SET user = 'allowed at 0001'")
        conn.commit()
    finally:
        conn.close()
    upgrade(db)
    conn = sqlite3.connect(db.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM auditevent")
    finally:
        conn.close()
