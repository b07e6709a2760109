"""Imported patients get the transition checklist a patient registered on the form gets, without holding the lock.

The import saves its patients in one transaction, then makes their checklists in short batches
(``checklists_to_make``), each worked out by the engine's own ``first_checklist`` with no lock held. These tests hold
it to the form's way (``patient_forms.save_new_patient``, which saves and runs ``generate_checklist``): the same
items, the same closing, one audit entry per item that is the item's own snapshot; the import's own transaction
writes no item and each batch is short; and a run that stops is finished later (the app's start-up work does it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from coordinator_tui.db import Database
from coordinator_tui.errors import DatabaseBusyError
from coordinator_tui.models import AuditAction, AuditEvent, Patient, TransitionItem
from coordinator_tui.services.imports.applying import ImportResult, apply_plan
from coordinator_tui.services.imports.columns import ImportKind
from coordinator_tui.services.imports.planning import plan_file
from coordinator_tui.services.people import patients as patient_service
from coordinator_tui.services.people.patient_forms import save_new_patient
from coordinator_tui.services.safety import audit
from coordinator_tui.services.transition import checklists_to_make, engine
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


def _import_people(db: Database, tmp_path: Path) -> ImportResult:
    rows = [[nhs, f"IMP{i:04d}", *person] for i, (nhs, person) in enumerate(zip(IMPORTED, PEOPLE, strict=True))]
    path = write_csv(tmp_path / "patients.csv", HEADER, [[str(_yes(v)) for v in row] for row in rows])
    plan = plan_file(db, ImportKind.PATIENTS, path)
    assert plan.problems == []
    return apply_plan(db, plan)


def _register_on_the_form(db: Database) -> None:
    for i, (nhs, person) in enumerate(zip(FORM, PEOPLE, strict=True)):
        form = dict(zip(FIELDS, [nhs, f"FRM{i:04d}", *person], strict=True))
        save_new_patient(db, {k: v for k, v in form.items() if v != ""})


def assert_same_checklists_as_the_form(db: Database) -> None:
    """Every imported person has the checklist and closing the same person registered on the form has, and one
    audit entry per item and patient that is its own snapshot."""
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
            after.pop("imported_from", None)  # the import's own batches tag them; a start-up's making does not
            assert after == json.loads(json.dumps(audit.snapshot(item), default=str))
            assert event.patient_id == item.patient_id and event.before == "{}"
        for nhs in IMPORTED:
            patient = _patient(session, nhs)
            [created] = session.exec(
                select(AuditEvent).where(
                    AuditEvent.entity == "patient",
                    AuditEvent.entity_id == str(patient.id),
                    AuditEvent.action == AuditAction.CREATE,
                )
            ).all()
            assert json.loads(created.after)["imported_from"].startswith("patients.csv (sha256 ")


def test_imported_patients_get_the_checklist_the_form_gives(db: Database, tmp_path: Path) -> None:
    result = _import_people(db, tmp_path)
    assert result.checklist_problem == ""
    _register_on_the_form(db)
    assert_same_checklists_as_the_form(db)
    with db.read_session() as session:
        tags = {json.loads(e.after).get("imported_from", "") for e in session.exec(select(AuditEvent)).all()}
    assert any(tag.startswith("patients.csv (sha256 ") for tag in tags)


def test_the_import_saves_patients_without_items_then_makes_checklists_in_short_batches(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import's own unit of work writes the patients and no checklist item; each later one makes at most a
    batch of patients' checklists; none works a checklist out while it holds the lock."""
    monkeypatch.setattr(checklists_to_make, "BATCH_SIZE", 2)
    writes: list[tuple[int, int]] = []  # (patients, items) each unit of work added
    working_out_while_writing: list[str] = []
    writing = False
    real_first_checklist, real_write = engine.first_checklist, db.write

    def counts() -> tuple[int, int]:
        with db.read_session() as session:
            return (
                len(session.exec(select(Patient.id)).all()),
                len(session.exec(select(TransitionItem.id)).all()),
            )

    def first_checklist(*args: Any, **kwargs: Any) -> Any:
        if writing:
            working_out_while_writing.append(args[0].nhs_number)
        return real_first_checklist(*args, **kwargs)

    def write(*args: Any, **kwargs: Any) -> Any:
        nonlocal writing
        before = counts()
        writing = True
        try:
            return real_write(*args, **kwargs)
        finally:
            writing = False
            after = counts()
            writes.append((after[0] - before[0], after[1] - before[1]))

    monkeypatch.setattr(engine, "first_checklist", first_checklist)
    monkeypatch.setattr(db, "write", write)
    _import_people(db, tmp_path)
    assert writes[0] == (len(PEOPLE), 0), "the import's own transaction: every patient, no checklist item"
    assert len(writes) == 1 + 2, "then the four patients' checklists, two patients a batch"
    assert all(patients == 0 and items > 0 for patients, items in writes[1:])
    assert working_out_while_writing == []


def test_a_run_that_stops_is_said_and_finished_at_the_next_start(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checklists_to_make, "BATCH_SIZE", 2)
    real_batch, batches = checklists_to_make._make_batch, 0

    def busy_second_time(*args: Any, **kwargs: Any) -> None:
        nonlocal batches
        batches += 1
        if batches == 2:
            raise DatabaseBusyError("the database is busy: another coordinator is saving")
        real_batch(*args, **kwargs)

    monkeypatch.setattr(checklists_to_make, "_make_batch", busy_second_time)
    result = _import_people(db, tmp_path)
    assert result.checklist_problem.startswith("made for 2 of 4 patients, then stopped: the database is busy")
    assert "when the app next starts" in result.summary()
    with db.read_session() as session:
        assert len(checklists_to_make.imported_patients_without_items(session)) == 2
    monkeypatch.setattr(checklists_to_make, "_make_batch", real_batch)

    made = checklists_to_make.make_missing_checklists(db)
    assert (made.total, made.done, made.stopped) == (2, 2, "")
    again = checklists_to_make.make_missing_checklists(db)
    assert (again.total, again.done) == (0, 0), "nothing left: the next start writes nothing"
    _register_on_the_form(db)
    assert_same_checklists_as_the_form(db)


def test_a_patient_saved_between_the_import_and_their_batch_keeps_what_their_save_made(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A colleague who saves an imported patient before their batch runs makes their checklist from the record as
    saved; the batch leaves it alone instead of adding the one worked out from the import's values."""
    monkeypatch.setattr(checklists_to_make, "BATCH_SIZE", 2)
    real_batch, batches = checklists_to_make._make_batch, 0

    def colleague_saves_first(session: Session, patient_ids: Any, *args: Any) -> None:
        nonlocal batches
        batches += 1
        if batches == 2:  # the colleague's save lands between the first batch and the second
            patient = session.exec(select(Patient).where(col(Patient.id).in_(patient_ids))).first()
            assert patient is not None
            rules = args[0]
            patient_service.update_patient(session, patient.id, {"has_ehcp": True}, expected_version=1)  # type: ignore[arg-type]
            engine.generate_checklist(session, patient, rules)
            session.flush()
        real_batch(session, patient_ids, *args)

    monkeypatch.setattr(checklists_to_make, "_make_batch", colleague_saves_first)
    assert _import_people(db, tmp_path).checklist_problem == ""
    with db.read_session() as session:
        for nhs in IMPORTED:
            patient = _patient(session, nhs)
            items = session.exec(select(TransitionItem).where(TransitionItem.patient_id == patient.id)).all()
            expected = engine.checklist_plan(patient, checklists_to_make_rules(db), {}).items
            assert {(i.rule_id, i.occurrence) for i in items} == {p.key for p in expected}, nhs
        assert checklists_to_make.imported_patients_without_items(session) == []


def checklists_to_make_rules(db: Database) -> Any:
    from coordinator_tui.services.transition.checklists import rules_for_saving

    rules = rules_for_saving(db).rules
    assert rules is not None
    return rules
