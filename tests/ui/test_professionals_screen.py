"""Pilot tests of the professionals directory."""

from __future__ import annotations

from sqlmodel import select

from coordinator_tui.db import Database
from coordinator_tui.models import Professional
from coordinator_tui.services.people.professionals import patients_of
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.patient_record import PatientRecordScreen
from coordinator_tui.ui.screens.professionals import ProfessionalsScreen, ProfessionalTable, TheirPatientsTable
from tests.ui.helpers import SIZE, cell_texts, pilot_test, settle, type_text


@pilot_test
async def test_filter_and_their_patients_then_open_one(app: CoordinatorApp, demo_db: Database) -> None:
    with demo_db.session() as session:
        target = session.exec(select(Professional).where(Professional.discipline == "cardiology")).first()
        assert target is not None
        theirs = patients_of(session, target.id)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProfessionalsScreen)
        table = screen.query_one(ProfessionalTable)
        assert table.row_count == 25
        assert app.focused is table  # the directory has the focus: its keys (a, e, d, x) work at once
        await pilot.press("slash")
        await type_text(pilot, "cardio")
        await settle(pilot)
        assert set(cell_texts(table, 1)) == {"cardiology"}
        assert table.move_to_key(str(target.id))
        await settle(pilot)
        patients = screen.query_one(TheirPatientsTable)
        assert [r.key.value for r in patients.ordered_rows] == [str(p.id) for p in theirs]
        await pilot.press("enter")  # from the filter: into the directory
        await pilot.press("enter")  # on the professional: into their patients
        await pilot.pause()
        assert app.focused is patients
        await pilot.press("enter")  # opens the first patient's record
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        assert app.screen.patient_id == theirs[0].id
