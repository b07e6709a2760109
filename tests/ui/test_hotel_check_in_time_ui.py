"""The hotel's check-in time on a visit's travel and hotel form, by keys: a wrong time is named and kept on the
form, a right one saved and shown on the visit ("check in 13/12/2026 from 16:30"; blank reads 15:00)."""

from __future__ import annotations

import datetime as dt
import io

from rich.console import Console

from coordinator_tui.db import Database
from coordinator_tui.models import ClinicAttendance
from coordinator_tui.services.clinics.clinics import attendances_for_patient
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.patient_record import VisitsTable, visit_detail
from coordinator_tui.ui.widgets.forms import FormScreen
from tests.ui.helpers import SIZE, pilot_test, settle, type_text
from tests.ui.test_patient_record import first_patient, open_record

#: Tabs from the first field (travel out's mode) to the hotel's check-in time: five more for travel out, six for
#: travel home, then the hotel's name, address, phone and check-in date.
TABS_TO_CHECK_IN_TIME = 16


@pilot_test
async def test_the_check_in_time_typed_checked_saved_and_shown(app: CoordinatorApp, demo_db: Database) -> None:
    patient = first_patient(demo_db)
    with demo_db.session() as session:
        visit = next(v for v in attendances_for_patient(session, patient.id) if v.attendance.hotel_check_in)  # type: ignore[arg-type]
    attendance_id = visit.attendance.id
    assert visit.attendance.hotel_check_in_time is None
    async with app.run_test(size=SIZE) as pilot:
        record = await open_record(pilot, patient)
        await pilot.press("v")
        await settle(pilot)
        table = record.query_one(VisitsTable)
        assert table.move_to_key(str(attendance_id))
        await pilot.pause()
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        await pilot.press(*["tab"] * TABS_TO_CHECK_IN_TIME)
        assert form.focused is form.input_for("hotel_check_in_time")
        await type_text(pilot, "3pm")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form and "type a time as HH:MM" in form.field_errors["hotel_check_in_time"]
        assert form.values()["hotel_check_in_time"] == "3pm"  # what was typed stays
        await pilot.press("ctrl+u")
        await type_text(pilot, "16:30")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is record, form.field_errors
        with demo_db.read_session() as session:
            saved = session.get(ClinicAttendance, attendance_id)
        assert saved is not None and saved.hotel_check_in_time == dt.time(16, 30)
        data = record.data
        assert data is not None
        shown = next(v for v in data.attendances if v.attendance.id == attendance_id)
        console = Console(width=200, record=True, file=io.StringIO())
        console.print(visit_detail(shown, [], data.zone))
        assert f"check in {saved.hotel_check_in:%d/%m/%Y} from 16:30" in console.export_text()  # type: ignore[str-format]
