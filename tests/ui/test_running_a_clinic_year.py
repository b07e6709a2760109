"""A service's first clinic of the year, in one session of the app, with keys only, from a set-up service (its
details, professionals, a venue with rooms, patients with their needs, and last October's clinic with its staffing):
plan a year of six clinics (none on a bank holiday), copy last clinic's staffing into the first, see the proposed
invite list with why each family is proposed, invite three families, confirm two and record that one declined,
build the timetable, and export the itineraries. The family that declined before anything was sent gets no file;
the database holds exactly what the keys did."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import (
    Appointment,
    AppointmentStatus,
    AttendanceStatus,
    ClinicAttendance,
    ClinicEvent,
    ClinicStaffing,
    ClinicStatus,
    Patient,
)
from coordinator_tui.services.clinics import clinic_planning, clinics, staffing_rules, venues
from coordinator_tui.services.clinics.clinic_series import bank_holidays
from coordinator_tui.services.people import professionals
from coordinator_tui.services.safety.records import create_record
from coordinator_tui.services.service_details import save_service_details, service_details
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.clinic_days import ClinicDaysScreen, ClinicEventScreen
from coordinator_tui.ui.screens.clinic_forms import PlanFormScreen, PlanPreviewScreen
from coordinator_tui.ui.screens.clinic_invitations import ClinicInvitationsScreen
from coordinator_tui.ui.screens.clinic_staffing import StaffingScreen
from coordinator_tui.ui.screens.itinerary_export import ExportScreen
from coordinator_tui.ui.screens.timetable_build import TimetableBuildScreen
from coordinator_tui.ui.widgets.clinic_attendance import AttendanceTable, StatusDialog
from tests.postgres_server import both_databases
from tests.ui.helpers import SIZE, pilot_test, settle, type_text
from tests.ui.test_first_run import screen_text

pytestmark = both_databases

LAST_OCTOBER = dt.date(2026, 10, 12)  # last year's clinic: its staffing is copied into the first of the new year
FIRST = dt.date(2027, 1, 11)
DISCIPLINES = (
    "cardiology",
    "endocrinology",
    "ophthalmology",
    "audiology",
    "renal",
    "dietetics",
    "phlebotomy",
    "specialist nursing",
)
FAMILIES = ("Applebyexample", "Brackenexample", "Cobbleexample", "Dunnockexample")


def set_up_service(db: Database) -> None:
    """What the set-up screens make (their own tests drive them by keys), made here with the same services."""
    details = {"name": "Northshire Rare Disease Service", "phone": "0121 496 0000", "address": "1 Example Road"}
    save_service_details(db, details, service_details(db).version)
    with db.session() as s:
        venue = venues.add_venue(s, {"name": "Exampleton Children's Hospital"})
        assert venue.id is not None
        rooms = [
            venues.add_room(s, venue.id, {"name": f"Room {n}", "building": "Outpatients"})
            for n in range(1, len(DISCIPLINES) + 1)
        ]
        october = clinics.create_clinic_event(
            s, {"name": "October clinic", "start_date": LAST_OCTOBER, "days": 2, "venue_id": venue.id}
        )
        assert october.id is not None
        for index, discipline in enumerate(DISCIPLINES):
            values = {"title": "Dr", "given_name": f"Test{index}", "family_name": "Professional"}
            person = professionals.create_professional(s, values | {"discipline": discipline})
            assert person.id is not None
            for day in october.dates:
                staffing_rules.set_staff_day(s, october.id, person.id, day, dt.time(9), dt.time(16), rooms[index].id)
        a_year_ago = clinics.create_clinic_event(s, {"name": "A year ago", "start_date": dt.date(2025, 11, 3)})
        for number, family in enumerate(FAMILIES):
            patient = create_record(
                s,
                Patient(
                    nhs_number=f"99900003{number:02d}",
                    hospital_number=f"TEST03{number:02d}",
                    given_name="Testchild",
                    family_name=family,
                    date_of_birth=dt.date(2012, 3, 1 + number),
                    registered_on=dt.date(2020, 1, 1),
                ),
            )
            assert patient.id is not None
            for discipline in DISCIPLINES[number % 2 :: 2]:
                clinic_planning.set_need(s, patient.id, discipline, minutes=30)
            attended = ClinicAttendance(
                clinic_event_id=a_year_ago.id, patient_id=patient.id, status=AttendanceStatus.ATTENDED
            )
            create_record(s, attended)


async def press(pilot: Pilot[Any], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def plan_the_year(pilot: Pilot[Any]) -> None:
    await press(pilot, "f3")
    assert isinstance(pilot.app.screen, ClinicDaysScreen), screen_text(pilot)
    await press(pilot, "p")
    assert isinstance(pilot.app.screen, PlanFormScreen), screen_text(pilot)
    await type_text(pilot, FIRST.strftime("%d/%m/%Y"))  # the first field: the first clinic; the rest as offered
    await press(pilot, "enter")
    assert isinstance(pilot.app.screen, PlanPreviewScreen), screen_text(pilot)
    preview = screen_text(pilot)
    assert "moved from 03/05/2027" in preview, preview  # the early May bank holiday
    await press(pilot, "y")
    assert isinstance(pilot.app.screen, ClinicDaysScreen), screen_text(pilot)


async def highlight_clinic(pilot: Pilot[Any], start: dt.date) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, ClinicDaysScreen)
    index = next(i for i, summary in enumerate(screen.summaries) if summary.clinic.start_date == start)
    table = screen.query_one("#clinics-table", DataTable)
    table.focus()
    while table.cursor_row != index:
        await pilot.press("down" if table.cursor_row < index else "up")
    await pilot.pause()


async def copy_staffing(pilot: Pilot[Any]) -> None:
    await highlight_clinic(pilot, FIRST)
    await press(pilot, "s")
    assert isinstance(pilot.app.screen, StaffingScreen), screen_text(pilot)
    await press(pilot, "c")
    shown = screen_text(pilot)
    assert f"Copied {len(DISCIPLINES) * 2} staffing rows from October clinic." in shown, shown
    await press(pilot, "escape")
    assert isinstance(pilot.app.screen, ClinicDaysScreen), screen_text(pilot)


async def invite_three(pilot: Pilot[Any]) -> None:
    await highlight_clinic(pilot, FIRST)
    await press(pilot, "i")
    screen = pilot.app.screen
    assert isinstance(screen, ClinicInvitationsScreen), screen_text(pilot)
    shown = screen_text(pilot)
    for family in FAMILIES:
        assert family in shown, shown
    assert "last attended 03/11/2025" in shown, shown  # why each family is proposed
    table = screen.query_one(DataTable)
    table.focus()
    while table.cursor_row < table.row_count - 1:  # the last proposed family is taken off
        await pilot.press("down")
    await press(pilot, "d")
    await press(pilot, "i")
    await press(pilot, "y")  # the confirmation says how many are invited
    await settle(pilot)
    if isinstance(pilot.app.screen, ClinicInvitationsScreen):
        await press(pilot, "escape")
    assert isinstance(pilot.app.screen, ClinicDaysScreen), screen_text(pilot)


async def set_status(pilot: Pilot[Any], family: str, status: AttendanceStatus) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, ClinicEventScreen)
    table = screen.query_one(AttendanceTable)
    table.focus()
    row = next(i for i in range(table.row_count) if _row_has(table, i, family))
    while table.cursor_row != row:
        await pilot.press("down" if table.cursor_row < row else "up")
    await press(pilot, "c")
    dialog = pilot.app.screen
    assert isinstance(dialog, StatusDialog), screen_text(pilot)
    options = dialog.query_one(OptionList)
    target = next(i for i, choice in enumerate(dialog.choices) if choice[0] is status)
    while options.highlighted != target:
        await pilot.press("down")
    await press(pilot, "enter")
    assert isinstance(pilot.app.screen, ClinicEventScreen), screen_text(pilot)


def _row_has(table: DataTable[Any], index: int, text: str) -> bool:
    return any(text in str(cell) for cell in table.get_row_at(index))


async def answer_replies(pilot: Pilot[Any]) -> None:
    await highlight_clinic(pilot, FIRST)
    await press(pilot, "enter")
    assert isinstance(pilot.app.screen, ClinicEventScreen), screen_text(pilot)
    await press(pilot, "w")
    await set_status(pilot, FAMILIES[0], AttendanceStatus.CONFIRMED)
    await set_status(pilot, FAMILIES[1], AttendanceStatus.CONFIRMED)
    await set_status(pilot, FAMILIES[2], AttendanceStatus.DECLINED)


async def build_the_timetable(pilot: Pilot[Any]) -> None:
    await press(pilot, "T")
    screen = pilot.app.screen
    assert isinstance(screen, TimetableBuildScreen), screen_text(pilot)
    field = screen.query_one("#build-time-limit", Input)
    field.value = "2"
    field.focus()
    await press(pilot, "enter")
    await settle(pilot)
    assert screen.state == "built", screen_text(pilot)
    assert screen.result is not None and not screen.result.unscheduled, screen_text(pilot)
    await press(pilot, "a")
    assert isinstance(pilot.app.screen, ClinicEventScreen), screen_text(pilot)


async def export_the_itineraries(pilot: Pilot[Any], out: Path) -> None:
    await press(pilot, "E")
    screen = pilot.app.screen
    assert isinstance(screen, ExportScreen), screen_text(pilot)
    folder = screen.query_one("#export-folder", Input)
    folder.value = str(out)
    await press(pilot, "ctrl+s")
    await settle(pilot)
    shown = screen_text(pilot)
    assert "1 not written: 1 declined" in shown, shown  # the export says whom it skipped and why


@pilot_test
async def test_a_first_clinic_of_the_year_with_keys_only(db: Database, tmp_path: Path) -> None:
    set_up_service(db)
    out = tmp_path / "itineraries"
    app = CoordinatorApp(database=db, settings=Settings(export_dir=str(tmp_path / "default-exports")))
    async with app.run_test(size=SIZE) as pilot:
        await plan_the_year(pilot)
        await copy_staffing(pilot)
        await invite_three(pilot)
        await answer_replies(pilot)
        await build_the_timetable(pilot)
        await export_the_itineraries(pilot, out)

    with db.session() as s:
        year = s.exec(
            select(ClinicEvent).where(ClinicEvent.start_date >= FIRST).order_by(col(ClinicEvent.start_date))
        ).all()
        holidays = bank_holidays({2027})
        assert len(year) == 6
        assert len({c.series_id for c in year}) == 1
        assert all(c.status is ClinicStatus.PLANNED for c in year)
        assert not [d for c in year for d in c.dates if d in holidays or d.weekday() >= 5]
        first = year[0]
        assert first.start_date == FIRST
        staffed = s.exec(select(ClinicStaffing).where(ClinicStaffing.clinic_event_id == first.id)).all()
        assert len(staffed) == len(DISCIPLINES) * 2  # every professional, both days, as last October
        assert {r.day for r in staffed} == set(first.dates)
        statuses = {
            p.family_name: a.status
            for a, p in s.exec(
                select(ClinicAttendance, Patient)
                .join(Patient, col(Patient.id) == ClinicAttendance.patient_id)
                .where(ClinicAttendance.clinic_event_id == first.id)
            ).all()
        }
        assert statuses == {
            FAMILIES[0]: AttendanceStatus.CONFIRMED,
            FAMILIES[1]: AttendanceStatus.CONFIRMED,
            FAMILIES[2]: AttendanceStatus.DECLINED,
        }
        booked = s.exec(
            select(Appointment, Patient)
            .join(Patient, col(Patient.id) == Appointment.patient_id)
            .where(Appointment.clinic_event_id == first.id, Appointment.status == AppointmentStatus.BOOKED)
        ).all()
        assert {p.family_name for _a, p in booked} == set(FAMILIES[:2])  # the declined family is not timetabled
        ids = {p.family_name: p.id for p in s.exec(select(Patient)).all()}
    # Files are named by the clinic date and the family's patient id, never the child's name.
    written = sorted(path.name for path in out.iterdir())
    assert written and all(f"family-p{ids[FAMILIES[2]]}." not in name for name in written), written
    assert not any(family.lower() in name.lower() for family in FAMILIES for name in written), written
    for family in FAMILIES[:2]:
        assert f"{FIRST:%Y-%m-%d}_family-p{ids[family]}.ics" in written, written
