"""The audit log is append-only inside the app: any attempt to change or remove an AuditEvent is refused.

``install()`` (called by the command line's ``main`` for every subcommand, and by the app as it opens the database,
so that SQLAlchemy is not loaded before the app's first frame) adds two SQLAlchemy session hooks:
- before a flush, an AuditEvent that was modified or marked for deletion aborts the flush;
- an ``UPDATE`` or ``DELETE`` statement aimed at the ``auditevent`` table, executed through a session, is refused.

Nothing in the services changes audit events (``tests/test_audit_log.py`` checks the code and these hooks);
this guard makes sure a future screen or script cannot do it by accident. Below it, migration
``0002_audit_append_only`` adds database triggers that refuse an UPDATE or DELETE of an audit entry from any
program; someone with write access to the file can still drop them, so the file permissions remain the control.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session

from coordinator_tui.models import AuditEvent

AUDIT_TABLE = "auditevent"


class AuditLogError(RuntimeError):
    """Raised when something tries to change or delete the audit log."""

    def __init__(self) -> None:
        super().__init__("the audit log is append-only: its entries cannot be changed or deleted")


def _refuse_changed_events(session: Any, _flush_context: Any, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, AuditEvent):
            raise AuditLogError()
    for obj in session.dirty:
        if isinstance(obj, AuditEvent) and session.is_modified(obj, include_collections=False):
            raise AuditLogError()


def _targets_audit_table(statement: Any) -> bool:
    table = getattr(statement, "table", None)
    return isinstance(table, sa.Table) and table.name == AUDIT_TABLE


def _refuse_bulk_statements(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and _targets_audit_table(state.statement):
        raise AuditLogError()


def install() -> None:
    """Install the hooks on every session (idempotent)."""
    if not event.contains(Session, "before_flush", _refuse_changed_events):
        event.listen(Session, "before_flush", _refuse_changed_events)
    if not event.contains(Session, "do_orm_execute", _refuse_bulk_statements):
        event.listen(Session, "do_orm_execute", _refuse_bulk_statements)


def uninstall() -> None:
    if event.contains(Session, "before_flush", _refuse_changed_events):
        event.remove(Session, "before_flush", _refuse_changed_events)
    if event.contains(Session, "do_orm_execute", _refuse_bulk_statements):
        event.remove(Session, "do_orm_execute", _refuse_bulk_statements)


def installed() -> bool:
    return event.contains(Session, "before_flush", _refuse_changed_events)
