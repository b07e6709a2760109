"""The family's choice of calendar titles on the patient record, by keys: C asks, y switches between discreet (the
default) and detailed titles, n changes nothing; the record says which, who chose and when; checked on the screen,
in the database and in the audit log (SQLite and PostgreSQL), from an empty database."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from textual.pilot import Pilot

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent, Patient
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.patient_record import PatientRecordScreen
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormScreen
from tests.postgres_server import both_databases
from tests.ui.helpers import SIZE, pilot_test, settle, type_text
from tests.ui.test_first_run import screen_text

pytestmark = both_databases


def the_patient(db: Database) -> Patient:
    with db.read_session() as session:
        return session.exec(select(Patient)).one()


def panel(record: PatientRecordScreen) -> str:
    return str(record.query_one("#access-panel").render())


async def press_c_then(pilot: Pilot[Any], answer: str) -> str:
    await pilot.press("C")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ConfirmScreen), screen_text(pilot)
    question = pilot.app.screen.question
    await pilot.press(answer)
    await settle(pilot)
    return question


@pilot_test
async def test_calendar_titles_chosen_with_keys_recorded_with_who_and_when(db: Database) -> None:
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")  # from an empty database: register the patient with keys
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        for text in ("Testpatient0", "Titleby", "943 476 5919", "TST00003", "01/06/2015"):
            await type_text(pilot, text)
            await pilot.press("tab")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert the_patient(db).hospital_number == "TST00003", screen_text(pilot)
        await type_text(pilot, "TST00003")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        record = app.screen
        assert isinstance(record, PatientRecordScreen), screen_text(pilot)
        await pilot.press("f")  # the Family & contacts tab says it
        await settle(pilot)
        assert "Calendar titles: discreet (default) (C to change)" in panel(record)

        question = await press_c_then(pilot, "n")
        assert question == "Use detailed calendar titles for Testpatient0 Titleby's family?"
        assert app.screen is record and not the_patient(db).detailed_calendar_titles

        await press_c_then(pilot, "y")
        patient = the_patient(db)
        assert patient.detailed_calendar_titles
        assert patient.calendar_titles_set_by == "test-coordinator"
        assert patient.calendar_titles_set_at is not None
        assert "Calendar titles: detailed, chosen by test-coordinator on 25/11/2026" in panel(record)

        question = await press_c_then(pilot, "y")
        assert question.startswith("Go back to discreet calendar titles")
        assert not the_patient(db).detailed_calendar_titles
        assert "Calendar titles: discreet, chosen by test-coordinator on 25/11/2026" in panel(record)
    with db.read_session() as session:
        changes = session.exec(
            select(AuditEvent).where(col(AuditEvent.entity) == "patient", col(AuditEvent.action) == "update")
        ).all()
    assert sum('"detailed_calendar_titles": true' in change.after for change in changes) == 1
    assert sum('"detailed_calendar_titles": false' in change.after for change in changes) == 1
