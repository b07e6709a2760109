"""A patient's history names the records it is about (never an internal id) and says who became the named worker."""

from __future__ import annotations

import datetime as dt
import re

from coordinator_tui.db import Database
from coordinator_tui.models import TransitionItem
from coordinator_tui.services.people import care_team, contacts, professionals
from coordinator_tui.services.safety.audit_view import AuditRow, patient_history
from coordinator_tui.services.safety.records import create_record, update_record
from tests.postgres_server import both_databases
from tests.safety_helpers import add_patient

pytestmark = both_databases

STAFF_NOTE = "Staff only: Testnote about the family"


def add_professional(db: Database, given: str, family: str, discipline: str, title: str = "") -> int:
    with db.session() as session:
        values = {"title": title, "given_name": given, "family_name": family, "discipline": discipline}
        return int(professionals.create_professional(session, values).id or 0)


def history(db: Database, patient_id: int) -> list[AuditRow]:
    with db.session() as session:
        return patient_history(session, patient_id)


def build_history(db: Database) -> int:
    """A patient with a care team whose named worker changes, a contact removed, and a transition step done."""
    quinn = add_professional(db, "Quinn", "Gooseberry", "cardiology", "Dr")
    bea = add_professional(db, "Bea", "Hazelbrook", "specialist nursing")
    with db.session() as session:
        patient_id = add_patient(session, 1)
        care_team.add_member(session, patient_id, quinn, {"is_named_worker": True})
        bea_member = care_team.add_member(session, patient_id, bea, {"role": "key worker"})
        contact = contacts.create_contact(
            session, patient_id, contacts.parse_contact_form({"name": "Testparent Example", "phone": "01632 960001"})
        )
        step = create_record(
            session,
            TransitionItem(
                patient_id=patient_id,
                rule_id="test-rule",
                title="Discuss moving to adult services",
                category="planning",
                owner_role="nurse",
                due_date=dt.date(2027, 3, 1),
                appears_on=dt.date(2026, 11, 1),
            ),
        )
    with db.session() as session:
        care_team.make_named_worker(session, int(bea_member.id or 0))
        contacts.delete_contact(session, int(contact.id or 0))
        update_record(session, TransitionItem, int(step.id or 0), {"note": STAFF_NOTE, "status": "done"})
    return patient_id


def test_each_row_names_its_record(db: Database) -> None:
    patient_id = build_history(db)
    whats = [row.what for row in history(db, patient_id)]
    assert "Care team: Dr Quinn Gooseberry (cardiology)" in whats
    assert "Care team: Bea Hazelbrook (specialist nursing)" in whats
    assert whats.count("Family contact: Testparent Example (parent)") == 2  # added, then removed: still named
    assert whats.count("Transition step: Discuss moving to adult services") == 2
    assert "Patient details" in whats


def test_no_row_shows_an_internal_id(db: Database) -> None:
    patient_id = build_history(db)
    rows = history(db, patient_id)
    for row in rows:
        assert not re.search(r"\d", row.what), row.what  # these records' names hold no numbers at all
        assert "professional id" not in row.fields and "clinic event id" not in row.fields
    added_member = next(r for r in rows if r.what.startswith("Care team: Dr Quinn") and r.action == "added")
    assert ("professional", "—", "Dr Quinn Gooseberry (cardiology)") in added_member.changes


def test_the_history_says_who_became_the_named_worker(db: Database) -> None:
    patient_id = build_history(db)
    rows = history(db, patient_id)
    became = [r for r in rows if r.action == "named worker"]
    assert len(became) == 1
    assert became[0].what == "Care team: Bea Hazelbrook (specialist nursing)"
    assert became[0].note == "Bea Hazelbrook (specialist nursing) became the named worker."
    stepped_down = [r for r in rows if "no longer the named worker" in r.note]
    assert [r.what for r in stepped_down] == ["Care team: Dr Quinn Gooseberry (cardiology)"]
    # The first named worker was added as such: the added row says so.
    first = next(r for r in rows if r.what.startswith("Care team: Dr Quinn") and r.action == "added")
    assert first.note == "Dr Quinn Gooseberry (cardiology) was added as the named worker."
    assert ("named worker", "—", "yes") in first.changes


def test_a_record_is_never_named_by_its_staff_notes(db: Database) -> None:
    patient_id = build_history(db)
    for row in history(db, patient_id):
        assert "Testnote" not in row.what and "Testnote" not in row.note, row
