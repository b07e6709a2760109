"""Create, update and delete any table row with an audit event, and refuse stale saves.

``update_record`` is optimistic concurrency: the caller passes the version it read when the form opened; the
UPDATE only matches that version, so a second coordinator's save never silently overwrites the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from coordinator_tui.clinic_time import format_local_datetime
from coordinator_tui.models import AuditAction
from coordinator_tui.services.errors import ConcurrentEditError, NotFoundError
from coordinator_tui.services.safety import audit

T = TypeVar("T", bound=SQLModel)


def _patient_id_of(record: SQLModel) -> int | None:
    from coordinator_tui.models import Patient

    if isinstance(record, Patient):
        return record.id
    value = getattr(record, "patient_id", None)
    return int(value) if value is not None else None


def _label(model: type[SQLModel]) -> str:
    return audit.entity_name(model).replace("_", " ")


def get_or_raise(session: Session, model: type[T], record_id: Any) -> T:
    beyond_any_key = isinstance(record_id, int) and not -(2**63) <= record_id < 2**63  # SQLite would overflow
    record = None if beyond_any_key else session.get(model, record_id)
    if record is None:
        raise NotFoundError(f"no {_label(model)} with id {record_id}")
    return record


def create_record(session: Session, record: T) -> T:
    session.add(record)
    session.flush()
    session.refresh(record)
    audit.record_change(
        session,
        AuditAction.CREATE,
        audit.entity_name(record),
        _primary_key(record),
        patient_id=_patient_id_of(record),
        after=audit.snapshot(record),
    )
    return record


def _primary_key(record: SQLModel) -> Any:
    identity = sa.inspect(record).identity
    if identity is None:
        return None
    return identity[0] if len(identity) == 1 else "/".join(str(v) for v in identity)


def update_record(
    session: Session,
    model: type[T],
    record_id: Any,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None = None,
    action: AuditAction = AuditAction.UPDATE,
) -> T:
    """Apply ``changes``; with ``expected_version`` refuse (ConcurrentEditError) if someone saved meanwhile."""
    record = get_or_raise(session, model, record_id)
    before = audit.snapshot(record)
    has_version = "version" in model.model_fields
    current_version = getattr(record, "version", None)
    if expected_version is not None and has_version and current_version != expected_version:
        raise _concurrent_error(session, model, record_id)
    values = {k: v for k, v in changes.items() if k not in {"id", "version"}}
    if not values:
        return record
    if has_version:
        table = model.__table__  # type: ignore[attr-defined]
        version_to_match = current_version if expected_version is None else expected_version
        stmt = (
            sa.update(table)
            .where(table.c.id == record_id, table.c.version == version_to_match)
            .values(**_column_values(model, values), version=version_to_match + 1)
        )
        result = session.execute(stmt)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _concurrent_error(session, model, record_id)
        session.refresh(record)
    else:
        for key, value in values.items():
            setattr(record, key, value)
        session.add(record)
        session.flush()
    after = audit.snapshot(record)
    audit.record_change(
        session,
        action,
        audit.entity_name(model),
        record_id,
        patient_id=_patient_id_of(record),
        before=before,
        after=after,
    )
    return record


def _column_values(model: type[SQLModel], values: Mapping[str, Any]) -> dict[str, Any]:
    fields = model.model_fields
    unknown = [k for k in values if k not in fields]
    if unknown:
        raise KeyError(f"{audit.entity_name(model)} has no field(s) {', '.join(unknown)}")
    return dict(values)


def _concurrent_error(session: Session, model: type[SQLModel], record_id: Any) -> ConcurrentEditError:
    last = audit.last_change(session, audit.entity_name(model), record_id)
    if last is None:
        return ConcurrentEditError(_label(model), None, None)
    return ConcurrentEditError(_label(model), last.user, format_local_datetime(last.at))


def delete_record(session: Session, record: SQLModel) -> None:
    before = audit.snapshot(record)
    key = _primary_key(record)
    patient_id = _patient_id_of(record)
    session.delete(record)
    session.flush()
    audit.record_change(
        session,
        AuditAction.DELETE,
        audit.entity_name(record),
        key,
        patient_id=patient_id,
        before=before,
    )
