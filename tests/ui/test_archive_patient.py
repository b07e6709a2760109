"""Archiving a patient with keys (issue 19's closing on archive, reachable in the app): A on the record, y; the
patient leaves the list and the caseload and their checklist closes (open items missed, none deleted); Ctrl+P still
finds them, marked archived; A on their record, y, brings them back and reopens the checklist. n changes nothing.
Checked on the screen and in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from textual.pilot import Pilot

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import Patient, TransitionItem, TransitionStatus
from coordinator_tui.services.people.patient_forms import save_new_patient
from coordinator_tui.services.transition.checklists import caseload
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.patient_record import PatientRecordScreen
from coordinator_tui.ui.screens.patients import PatientsScreen
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from tests.postgres_server import both_databases
from tests.ui.helpers import SIZE, pilot_test, settle, showing, type_text
from tests.ui.test_first_run import screen_text

pytestmark = both_databases


def the_patient(db: Database) -> Patient:
    with db.read_session() as session:
        return session.exec(select(Patient)).one()


def statuses(db: Database) -> set[TransitionStatus]:
    with db.read_session() as session:
        return {item.status for item in session.exec(select(TransitionItem)).all()}


async def open_record(pilot: Pilot[Any]) -> PatientRecordScreen:
    await type_text(pilot, "TST00002")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    record = pilot.app.screen
    assert isinstance(record, PatientRecordScreen), screen_text(pilot)
    return record


async def press_a_then(pilot: Pilot[Any], answer: str) -> str:
    await pilot.press("A")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ConfirmScreen), screen_text(pilot)
    question = screen_text(pilot)
    await pilot.press(answer)
    await settle(pilot)
    return question


@pilot_test
async def test_archive_with_keys_closes_the_checklist_and_bring_back_reopens_it(db: Database) -> None:
    save_new_patient(
        db,
        {
            "given_name": "Testpatient0",
            "family_name": "Archiveby",
            "nhs_number": "943 476 5919",
            "hospital_number": "TST00002",
            "date_of_birth": "01/06/2011",
        },
    )
    assert statuses(db) == {TransitionStatus.TODO}
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        record = await open_record(pilot)

        question = await press_a_then(pilot, "n")  # n: nothing changes
        assert "Archive Testpatient0 Archiveby?" in question and "checklist closes" in question
        assert pilot.app.screen is record and not the_patient(db).archived

        await press_a_then(pilot, "y")
        archived = the_patient(db)
        assert archived.archived and archived.checklist_closed_reason == "Patient archived"
        assert TransitionStatus.MISSED in statuses(db) and TransitionStatus.TODO not in statuses(db)
        with db.read_session() as session:
            assert caseload(session).total == 0
        assert "ARCHIVED" in await showing(pilot, "ARCHIVED")

        await pilot.press("escape")  # off the patient list
        await settle(pilot)
        assert isinstance(pilot.app.screen, PatientsScreen)
        assert "0 patients" in await showing(pilot, "0 patients")

        await pilot.press("ctrl+p")  # but Ctrl+P finds them, marked archived
        await settle(pilot)
        await type_text(pilot, "Archiveby")
        assert "archived" in await showing(pilot, "archived (A on the record brings them back)")
        await pilot.press("enter")
        await settle(pilot)
        record = pilot.app.screen
        assert isinstance(record, PatientRecordScreen), screen_text(pilot)

        question = await press_a_then(pilot, "y")
        assert "Bring Testpatient0 Archiveby back?" in question
        back = the_patient(db)
        assert not back.archived and back.checklist_closed_on is None
        assert TransitionStatus.TODO in statuses(db) and TransitionStatus.MISSED not in statuses(db)
