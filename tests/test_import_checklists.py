"""Imported patients get the transition checklist a patient registered on the form gets.

The import works the checklists out before its write transaction (``engine.first_checklist``) and inserts them
with their audit entries in bulk; these tests hold it to the form's way (``patient_forms.save_new_patient``, which
saves and runs ``generate_checklist``): the same items, the same closing, one audit entry per item that is the
item's own snapshot, and the import's write lock held only for the writing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent, Patient, TransitionItem
from coordinator_tui.services.imports import applying
from coordinator_tui.services.imports.applying import apply_plan
from coordinator_tui.services.imports.columns import ImportKind
from coordinator_tui.services.imports.planning import plan_file
from coordinator_tui.services.people.patient_forms import save_new_patient
from coordinator_tui.services.safety import audit
from tests.import_data import nhs_numbers, write_csv

pytestmark = pytest.mark.both_databases

FIELDS = [
    "nhs_number", "hospital_number", "given_name", "family_name", "date_of_birth", "registered_on",
    "planned_transfer_date", "has_ehcp", "ehcp_reviewed_on", "receives_dla", "learning_disability",
]  # fmt: skip
HEADER = [
    "NHS number", "Hospital number", "Given name", "Family name", "Date of birth", "Registered on",
    "Planned transfer date", "Has an EHCP", "EHCP review date", "Receives DLA", "Learning disability",
]  # fmt: skip
#: Fictional young people whose checklists differ: open, closed at 25, a planned transfer (an item done by that
#: fact) with an EHCP and DLA, registered today (the default).
PEOPLE = [
    ["Testchild", "Examplefamily", "14/03/2012", "02/05/2019", "", False, "", False, False],
    ["Grownup", "Samplefamily", "01/06/2000", "01/01/2015", "", False, "", False, False],
    ["Planned", "Fictionfamily", "10/10/2008", "01/09/2020", "01/09/2027", True, "01/09/2026", True, True],
    ["Newcomer", "Madeupfamily", "20/02/2010", "", "", False, "", False, False],
]
IMPORTED, FORM = nhs_numbers(len(PEOPLE), start=810_000), nhs_numbers(len(PEOPLE), start=820_000)


def _yes(value: object) -> object:
    return ("yes" if value else "no") if isinstance(value, bool) else value


def _items(session: Session, patient_id: int) -> dict[tuple[str, int], dict[str, Any]]:
    items = session.exec(select(TransitionItem).where(TransitionItem.patient_id == patient_id)).all()
    return {
        (item.rule_id, item.occurrence): {k: v for k, v in item.model_dump().items() if k not in ("id", "patient_id")}
        for item in items
    }


def _patient(session: Session, nhs_number: str) -> Patient:
    return session.exec(select(Patient).where(Patient.nhs_number == nhs_number)).one()


def test_imported_patients_get_the_checklist_the_form_gives(db: Database, tmp_path: Path) -> None:
    rows = [[nhs, f"IMP{i:04d}", *person] for i, (nhs, person) in enumerate(zip(IMPORTED, PEOPLE, strict=True))]
    path = write_csv(tmp_path / "patients.csv", HEADER, [[str(_yes(v)) for v in row] for row in rows])
    plan = plan_file(db, ImportKind.PATIENTS, path)
    assert plan.problems == []
    apply_plan(db, plan)
    for i, (nhs, person) in enumerate(zip(FORM, PEOPLE, strict=True)):
        form = dict(zip(FIELDS, [nhs, f"FRM{i:04d}", *person], strict=True))
        save_new_patient(db, {k: v for k, v in form.items() if v != ""})

    with db.read_session() as session:
        closed = 0
        for imported_nhs, form_nhs in zip(IMPORTED, FORM, strict=True):
            imported, by_form = _patient(session, imported_nhs), _patient(session, form_nhs)
            assert imported.id is not None and by_form.id is not None
            assert (imported.checklist_closed_on, imported.checklist_closed_reason) == (
                by_form.checklist_closed_on,
                by_form.checklist_closed_reason,
            )
            closed += imported.checklist_closed_on is not None
            assert _items(session, imported.id) == _items(session, by_form.id)
        assert closed == 1, "the young person of 26 has a closed checklist"
        done = session.exec(select(TransitionItem).where(col(TransitionItem.status_reason) != "")).all()
        assert done, "the planned transfer date ticks its item, on both ways in"

        # One audit entry per imported item: its own snapshot, ids and all, tagged with the file.
        patient_ids = [_patient(session, nhs).id for nhs in IMPORTED]
        items = session.exec(select(TransitionItem).where(col(TransitionItem.patient_id).in_(patient_ids))).all()
        events = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "transitionitem", col(AuditEvent.patient_id).in_(patient_ids))
        ).all()
        by_item = {int(event.entity_id): event for event in events}
        assert len(events) == len(items) == len(by_item) > 0
        for item in items:
            event = by_item[item.id]  # type: ignore[index]
            after = json.loads(event.after)
            assert after.pop("imported_from").startswith("patients.csv (sha256 ")
            assert after == json.loads(json.dumps(audit.snapshot(item), default=str))
            assert event.patient_id == item.patient_id and event.before == "{}"
        # And one per imported patient, its snapshot with the id it was given.
        for nhs in IMPORTED:
            patient = _patient(session, nhs)
            [event] = session.exec(
                select(AuditEvent).where(AuditEvent.entity == "patient", AuditEvent.entity_id == str(patient.id))
            ).all()
            after = json.loads(event.after)
            after.pop("imported_from")
            assert after == json.loads(json.dumps(audit.snapshot(patient), default=str))


def test_the_checklists_are_worked_out_before_the_write_transaction(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's planning runs before the lock is taken: inside it, only the writing."""
    rows = [[nhs, f"IMP{i:04d}", *person] for i, (nhs, person) in enumerate(zip(IMPORTED, PEOPLE, strict=True))]
    path = write_csv(tmp_path / "patients.csv", HEADER, [[str(_yes(v)) for v in row] for row in rows])
    plan = plan_file(db, ImportKind.PATIENTS, path)
    writing = False
    planned_while_writing: list[str] = []
    real_first_checklist, real_write = applying.first_checklist, db.write

    def first_checklist(*args: Any, **kwargs: Any) -> Any:
        if writing:
            planned_while_writing.append(args[0].nhs_number)
        return real_first_checklist(*args, **kwargs)

    def write(*args: Any, **kwargs: Any) -> Any:
        nonlocal writing
        writing = True
        try:
            return real_write(*args, **kwargs)
        finally:
            writing = False

    monkeypatch.setattr(applying, "first_checklist", first_checklist)
    monkeypatch.setattr(db, "write", write)
    apply_plan(db, plan)
    assert planned_while_writing == []
    with db.read_session() as session:
        assert session.exec(select(TransitionItem)).first() is not None
