"""The audit log: append-only record of who changed what, when, with before and after values.

The log is written by ``record_change`` only; nothing in the app updates or deletes an AuditEvent.

Who: the operating-system user; on a database server whose login role is not that name, the role too
(``alice (role coordinator_alice)``), so a server shared by a team still says who changed what. With one role shared
by the whole service the role adds nothing, and the operating-system user is all the log can name. SQLite: the
operating-system user alone, as before.
"""

from __future__ import annotations

import datetime as dt
import enum
import getpass
import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from coordinator_tui import clock
from coordinator_tui.models import AuditAction, AuditEvent

_user_override: str | None = None

#: The ``user`` column's length (models.AuditEvent).
USER_MAX_LENGTH = 100
#: Where a connection remembers its login role (``Connection.info`` lives as long as the driver's connection).
_ROLE_KEY = "coordinator_audit_role"


def set_current_user(name: str | None) -> None:
    """Tests and tools may set who is acting, in full (no database role is added to it); by default it is the
    operating-system user."""
    global _user_override
    _user_override = name


def current_user(session: Session | None = None) -> str:
    """Who is acting: the operating-system user, plus the database role when ``session`` is on a server whose
    login role differs from it (``alice (role coordinator_alice)``)."""
    if _user_override:
        return _user_override
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    role = database_role(session) if session is not None else None
    if role is None or role == user:
        return user
    return f"{user} (role {role})"[:USER_MAX_LENGTH]


def database_role(session: Session) -> str | None:
    """The role the server knows this connection by (PostgreSQL's ``current_user``); None on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return None  # without touching the connection: SQLite's transaction starts where it did before
    connection = session.connection()
    role = connection.info.get(_ROLE_KEY)
    if role is None:
        role = str(connection.execute(sa.text("SELECT current_user")).scalar_one())
        connection.info[_ROLE_KEY] = role
    return str(role)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


# Columns derived from other columns (which are audited): not values anyone typed, left out of the log.
DERIVED_COLUMNS = frozenset({"search_key"})


def snapshot(record: SQLModel | None) -> dict[str, Any]:
    if record is None:
        return {}
    return snapshot_of_values(record.model_dump())


def snapshot_of_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """``snapshot`` of a record given as its columns' values (every column, as ``model_dump`` gives them)."""
    return {key: _jsonable(value) for key, value in values.items() if key not in DERIVED_COLUMNS}


def fill_ids(encoded: str, **ids: int | None) -> str:
    """A snapshot encoded (``json.dumps``) before its record was saved, with the ids it now has filled in where it
    says ``"<key>": null``: a record's thousands of snapshots can so be encoded before a write transaction begins.
    Only a key can match: inside a JSON string every quote is escaped, so an unescaped quote and a colon end a key."""
    for key, value in ids.items():
        encoded = encoded.replace(f'"{key}": null', f'"{key}": {"null" if value is None else int(value)}', 1)
    return encoded


def entity_name(record: SQLModel | type[SQLModel]) -> str:
    cls = record if isinstance(record, type) else type(record)
    return str(getattr(cls, "__tablename__", cls.__name__.lower()))


def record_change(
    session: Session,
    action: AuditAction,
    entity: str,
    entity_id: object,
    *,
    patient_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event (in the caller's transaction, so it commits or rolls back with the change)."""
    if action is AuditAction.UPDATE and before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in sorted(changed)}
        after = {k: after.get(k) for k in sorted(changed)}
    event = AuditEvent(
        at=clock.now(),
        user=current_user(session),
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        patient_id=patient_id,
        before=json.dumps(before or {}, sort_keys=True, default=str),
        after=json.dumps(after or {}, sort_keys=True, default=str),
    )
    session.add(event)
    return event


def history(
    session: Session, *, patient_id: int | None = None, entity: str | None = None, limit: int = 500
) -> Sequence[AuditEvent]:
    """Newest first: a patient's history, or an entity type's."""
    query = select(AuditEvent)
    if patient_id is not None:
        query = query.where(AuditEvent.patient_id == patient_id)
    if entity is not None:
        query = query.where(AuditEvent.entity == entity)
    query = query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc()).limit(limit)
    return session.exec(query).all()


def last_change(session: Session, entity: str, entity_id: object) -> AuditEvent | None:
    query = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    )
    return session.exec(query).first()
