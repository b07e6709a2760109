"""A patient registered from the new-patient form gets their transition checklist at once (the Transition tab and
the caseload are not left empty for someone added in the app)."""

from __future__ import annotations

import pytest
from sqlmodel import col, func, select

from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent, TransitionItem
from coordinator_tui.services.people.patient_forms import save_new_patient
from coordinator_tui.services.transition.checklists import checklist_for_patient
from coordinator_tui.validation import ValidationError
from tests.postgres_server import both_databases
from tests.safety_helpers import patient_form

pytestmark = both_databases


def test_a_new_patient_gets_their_transition_checklist(db: Database) -> None:
    patient = save_new_patient(db, patient_form(1, date_of_birth="14/03/2012")).patient  # 14 on the fixed date
    with db.session() as session:
        items = session.exec(select(TransitionItem).where(TransitionItem.patient_id == patient.id)).all()
        checklist = checklist_for_patient(session, int(patient.id or 0))
        audited = session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity == "transitionitem", col(AuditEvent.patient_id) == patient.id)
        ).one()
    assert items, "no checklist was made"
    assert checklist.rows and int(audited) == len(items)


def test_registering_twice_the_same_nhs_number_makes_no_checklist(db: Database) -> None:
    save_new_patient(db, patient_form(2, date_of_birth="14/03/2012"))
    with pytest.raises(ValidationError):
        save_new_patient(db, patient_form(2, date_of_birth="14/03/2012", hospital_number="TST99999"))
    with db.session() as session:
        patients_with_items = session.exec(select(func.count(func.distinct(TransitionItem.patient_id)))).one()
    assert int(patients_with_items) == 1
