"""Past clinics on Clinic days (fixed clock: Wednesday 25/11/2026): `h` lists the clinics whose days are over too,
so that who attended and who did not can be recorded after the clinic; `h` again hides them."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList

from coordinator_tui import clock
from coordinator_tui.db import Database
from coordinator_tui.models import AttendanceStatus, ClinicAttendance, ClinicEvent
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.clinic_days import ClinicDaysScreen, ClinicEventScreen
from coordinator_tui.ui.widgets.clinic_attendance import AttendanceTable, StatusDialog
from tests.ui.helpers import SIZE, pilot_test, settle
from tests.ui.test_first_run import screen_text


def past_clinic_with_a_confirmed_family(db: Database) -> tuple[ClinicEvent, ClinicAttendance]:
    """The demo's latest clinic that is over, with one of its families set back to confirmed (as if the nurse had
    not yet recorded the day)."""
    with db.session() as s:
        past = [c for c in s.exec(select(ClinicEvent)).all() if c.end_date < clock.today()]
        clinic = max(past, key=lambda c: c.start_date)
        attendance = s.exec(select(ClinicAttendance).where(ClinicAttendance.clinic_event_id == clinic.id)).first()
        assert attendance is not None
        attendance.status = AttendanceStatus.CONFIRMED
        s.add(attendance)
        s.commit()
        s.refresh(attendance)
        s.refresh(clinic)
        return clinic, attendance


async def press(pilot: Pilot[Any], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


@pilot_test
async def test_h_lists_past_clinics_where_a_family_that_did_not_come_is_recorded(
    app: CoordinatorApp, demo_db: Database
) -> None:
    clinic, attendance = past_clinic_with_a_confirmed_family(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "f3")
        screen = pilot.app.screen
        assert isinstance(screen, ClinicDaysScreen)
        upcoming = [summary.clinic.id for summary in screen.summaries]
        assert clinic.id not in upcoming
        assert "h shows past clinics" in screen_text(pilot)

        await press(pilot, "h")
        listed = [summary.clinic.id for summary in screen.summaries]
        assert clinic.id in listed and set(upcoming) < set(listed)
        assert "Combined clinics, past ones too" in screen_text(pilot)

        table = screen.query_one("#clinics-table", DataTable)
        table.move_cursor(row=listed.index(clinic.id))
        await press(pilot, "enter")
        assert isinstance(pilot.app.screen, ClinicEventScreen), screen_text(pilot)
        await press(pilot, "w")
        rows = pilot.app.screen.query_one(AttendanceTable)
        rows.focus()
        rows.move_cursor(row=[str(key.value) for key in rows.rows].index(str(attendance.id)))
        await press(pilot, "c")
        dialog = pilot.app.screen
        assert isinstance(dialog, StatusDialog), screen_text(pilot)
        target = [status for status, _by in dialog.choices].index(AttendanceStatus.DID_NOT_ATTEND)
        options = dialog.query_one(OptionList)
        while options.highlighted != target:
            await pilot.press("down")
        await press(pilot, "enter")
        await press(pilot, "escape")

        await press(pilot, "h")
        assert [summary.clinic.id for summary in screen.summaries] == upcoming

    with demo_db.session() as s:
        saved = s.get(ClinicAttendance, attendance.id)
        assert saved is not None and saved.status is AttendanceStatus.DID_NOT_ATTEND
        assert saved.status_changed_by
