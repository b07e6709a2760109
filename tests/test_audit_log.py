"""Audit: every create, update and delete through the services is logged with user, time, before and after;
the log cannot be changed from the app."""

from __future__ import annotations

import ast
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from coordinator_tui import cli
from coordinator_tui.clinic_time import local_to_utc
from coordinator_tui.db import Database
from coordinator_tui.models import AttendanceStatus, AuditEvent
from coordinator_tui.services.clinics import appointments, clinics, invitations
from coordinator_tui.services.people import care_team, contacts, patients
from coordinator_tui.services.people import professionals as professional_service
from coordinator_tui.services.safety import audit, audit_guard
from tests.conftest import FIXED_NOW
from tests.postgres_server import both_databases
from tests.safety_helpers import patient_form

pytestmark = both_databases

SERVICES_DIR = Path(__file__).resolve().parent.parent / "coordinator_tui" / "services"


def _events(session: Session, after_id: int = 0) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.id > after_id).order_by(AuditEvent.id)).all())


def _last_id(session: Session) -> int:
    return int(session.exec(select(sa.func.max(AuditEvent.id))).one() or 0)  # type: ignore[call-overload]


def _one(events: list[AuditEvent], entity: str, action: str) -> AuditEvent:
    found = [e for e in events if e.entity == entity and e.action == action]
    assert len(found) == 1, f"expected one {action} of {entity}, got {[(e.entity, e.action) for e in events]}"
    event = found[0]
    assert event.user == "test-coordinator"
    assert event.at == FIXED_NOW and event.at.tzinfo is not None
    return event


def test_every_change_through_the_services_is_audited(db: Database) -> None:
    with db.session() as s:
        start = _last_id(s)
        patient = patients.create_patient(s, patients.parse_patient_form(patient_form(1)))
        contact = contacts.create_contact(
            s,
            patient.id,  # type: ignore[arg-type]
            contacts.parse_contact_form({"name": "Testparent One", "phone": "01632 960001"}),
        )
        pro = professional_service.create_professional(
            s,
            professional_service.parse_professional_form(
                {"given_name": "Testa", "family_name": "Dietitian", "discipline": "dietetics"}
            ),
        )
        member = care_team.add_member(s, patient.id, pro.id, {"role": "dietitian"})  # type: ignore[arg-type]
        clinic = clinics.create_clinic_event(
            s, clinics.parse_clinic_form({"name": "Winter", "start_date": "07/12/2026"})
        )
        attendance = invitations.invite(s, clinic.id, patient.id)  # type: ignore[arg-type]
        start_at = local_to_utc(dt.date(2026, 12, 7), dt.time(9, 30))
        appointment = appointments.book_appointment(
            s,
            clinic_id=clinic.id,  # type: ignore[arg-type]
            patient_id=patient.id,  # type: ignore[arg-type]
            professional_ids=[pro.id],  # type: ignore[list-item]
            start=start_at,
            end=start_at + dt.timedelta(minutes=30),
            discipline="dietetics",
            allow_clash=True,
        )
    with db.session() as s:
        created = _events(s, start)
        for entity, record in [
            ("patient", patient),
            ("contact", contact),
            ("professional", pro),
            ("careteammember", member),
            ("clinicevent", clinic),
            ("clinicattendance", attendance),
            ("appointment", appointment),
        ]:
            event = _one(created, entity, "create")
            assert event.entity_id == str(record.id)
            assert json.loads(event.before) == {}
            after = json.loads(event.after)
            assert after["id"] == record.id
        assert json.loads(_one(created, "patient", "create").after)["family_name"] == "Testfamily1"
        assert _one(created, "appointment", "create").patient_id == patient.id
        assert _one(created, "contact", "create").patient_id == patient.id
        mark = _last_id(s)

    with db.session() as s:
        patients.update_patient(s, patient.id, {"school": "Testschool"}, expected_version=1)  # type: ignore[arg-type]
        contacts.update_contact(s, contact.id, {"name": "Testparent Two"}, expected_version=1)  # type: ignore[arg-type]
        care_team.end_membership(s, member.id)  # type: ignore[arg-type]
        invitations.set_status(s, attendance.id, AttendanceStatus.CONFIRMED)  # type: ignore[arg-type]
        clinics.cancel_clinic_event(s, clinic.id)  # type: ignore[arg-type]
        appointments.cancel_appointment(s, appointment.id)  # type: ignore[arg-type]
        professional_service.archive_professional(s, pro.id)  # type: ignore[arg-type]  # in no team, no booking now
    with db.session() as s:
        updated = _events(s, mark)
        school = _one(updated, "patient", "update")
        assert json.loads(school.before) == {"school": "", "version": 1}
        assert json.loads(school.after) == {"school": "Testschool", "version": 2}
        name = _one(updated, "contact", "update")
        assert (
            json.loads(name.before)["name"] == "Testparent One" and json.loads(name.after)["name"] == "Testparent Two"
        )
        archived = _one(updated, "professional", "archive")
        assert json.loads(archived.after)["archived"] is True
        ended = _one(updated, "careteammember", "update")
        assert json.loads(ended.after)["status"] == "ended"
        assert json.loads(_one(updated, "clinicattendance", "update").after)["status"] == "confirmed"
        assert json.loads(_one(updated, "clinicevent", "update").after)["status"] == "cancelled"
        assert json.loads(_one(updated, "appointment", "update").after)["status"] == "cancelled"
        mark = _last_id(s)

    with db.session() as s:
        contacts.delete_contact(s, contact.id)  # type: ignore[arg-type]
        appointments.delete_appointment(s, appointment.id)  # type: ignore[arg-type]
    with db.session() as s:
        deleted = _events(s, mark)
        gone = _one(deleted, "contact", "delete")
        assert json.loads(gone.before)["name"] == "Testparent Two" and json.loads(gone.after) == {}
        assert _one(deleted, "appointment", "delete").patient_id == patient.id
        _one(deleted, "appointmentprofessional", "delete")
        # The patient's history: newest first, holding the contact's and appointment's changes too.
        history = audit.history(s, patient_id=patient.id)
        assert [e.id for e in history] == sorted((e.id for e in history), reverse=True)
        assert {"patient", "contact", "appointment", "clinicattendance", "careteammember"} <= {
            e.entity for e in history
        }


def test_a_refused_change_leaves_no_audit_event(db: Database) -> None:
    with db.session() as s:
        patient = patients.create_patient(s, patients.parse_patient_form(patient_form(5)))
        before = _last_id(s)
    with pytest.raises(Exception, match="changed by"), db.session() as s:
        patients.update_patient(s, patient.id, {"school": "x"}, expected_version=7)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="already registered"), db.session() as s:
        patients.create_patient(s, patients.parse_patient_form(patient_form(5)))
    with db.session() as s:
        assert _last_id(s) == before


# ------------------------------------------------------------------------------------------------------------
# Append-only
# ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def guarded(db: Database) -> Iterator[Database]:
    was_installed = audit_guard.installed()
    audit_guard.install()
    with db.session() as s:
        patients.create_patient(s, patients.parse_patient_form(patient_form(9)))
    yield db
    if not was_installed:
        audit_guard.uninstall()


def test_audit_events_cannot_be_changed_or_deleted_through_a_session(guarded: Database) -> None:
    attempts = {
        "edit": lambda s, e: setattr(e, "user", "someone-else"),
        "delete": lambda s, e: s.delete(e),
        "bulk update": lambda s, e: s.execute(sa.update(AuditEvent).values(user="x")),
        "bulk delete": lambda s, e: s.execute(sa.delete(AuditEvent)),
        "core update": lambda s, e: s.execute(AuditEvent.__table__.update().values(after="{}")),  # type: ignore[attr-defined]
        "core delete": lambda s, e: s.execute(AuditEvent.__table__.delete()),  # type: ignore[attr-defined]
    }
    for name, attempt in attempts.items():
        with pytest.raises(audit_guard.AuditLogError, match="append-only"), guarded.session() as s:
            event = _events(s)[0]
            attempt(s, event)
            s.flush()
        with guarded.session() as s:
            events = _events(s)
            assert len(events) == 1 and events[0].user == "test-coordinator", name
    # Appending still works, and reading the log is untouched.
    with guarded.session() as s:
        patients.create_patient(s, patients.parse_patient_form(patient_form(10)))
        assert len(_events(s)) == 2


def test_the_command_line_installs_the_guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    was_installed = audit_guard.installed()
    audit_guard.uninstall()
    try:
        cli.main(["check", "--db", str(tmp_path / "missing.db")])
        assert audit_guard.installed()
    finally:
        if not was_installed:
            audit_guard.uninstall()


def test_no_service_updates_or_deletes_audit_events() -> None:
    """Read the code: the only writes to AuditEvent in the app are inserts (record_change and bulk inserts)."""
    offenders: list[str] = []
    for path in sorted(SERVICES_DIR.parent.rglob("*.py")):
        if "migrations" in path.parts or path.name == "audit_guard.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                args = [a for a in node.args if isinstance(a, ast.Name | ast.Attribute)]
                targets = {a.id if isinstance(a, ast.Name) else a.attr for a in args}
                if name in {"update", "delete"} and "AuditEvent" in targets:
                    offenders.append(f"{path.name}:{node.lineno} {name}(AuditEvent)")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.lower()
                if "auditevent" in text and ("update " in text or "delete " in text):
                    offenders.append(f"{path.name}:{node.lineno} SQL on auditevent")
    assert offenders == []
