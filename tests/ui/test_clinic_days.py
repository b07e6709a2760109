"""Pilot tests of the Clinic days screen on the demo data (fixed clock: Wednesday 25/11/2026 10:00 UTC)."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea

from coordinator_tui.clinic_time import local_to_utc, to_local
from coordinator_tui.db import Database
from coordinator_tui.models import Appointment, AppointmentStatus, AttendanceStatus, ClinicAttendance
from coordinator_tui.services.clinics import appointments as appointment_service
from coordinator_tui.services.clinics import clinic_day_views as views
from coordinator_tui.services.clinics.appointments import ClashKind
from coordinator_tui.services.clinics.clinics import attendances_for_clinic, upcoming_clinics
from coordinator_tui.services.people.specialist_service import service_zone
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.widgets.clinic_attendance import AttendanceTable
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormScreen
from coordinator_tui.ui.widgets.timetable import ClashPanel, FamilyTimetable, TimetableGrid
from tests.ui.clinic_days_support import (
    build_clinic_demo,
    open_clinic_days,
    open_copy,
    open_first_clinic,
    screen_text,
    settle,
)

SIZE = (120, 40)


def pilot_test(body: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async Pilot test body with asyncio (no async pytest plugin needed); fixtures pass through."""

    @functools.wraps(body)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(body(*args, **kwargs))

    return run


@pytest.fixture(scope="session")
def clinic_demo_template(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_clinic_demo(demo_template, tmp_path_factory.mktemp("clinic-days"))


@pytest.fixture
def clinic_db(clinic_demo_template: Path, tmp_path: Path) -> Iterator[Database]:
    yield from open_copy(clinic_demo_template, tmp_path)


@pytest.fixture
def next_clinic_id(clinic_db: Database) -> int:
    with clinic_db.session() as session:
        return int(upcoming_clinics(session)[0].id)  # type: ignore[arg-type]


def make_app(db: Database) -> CoordinatorApp:
    return CoordinatorApp(database=db)


# ------------------------------------------------------------------------------------------------------------
# The clinic list and the attendance list
# ------------------------------------------------------------------------------------------------------------


@pilot_test
async def test_clinic_list_shows_upcoming_clinics_with_counts(clinic_db: Database) -> None:
    with clinic_db.session() as session:
        expected = views.clinic_summaries(session)
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        screen = await open_clinic_days(pilot)
        assert [s.clinic.id for s in screen.summaries] == [s.clinic.id for s in expected]
        assert len(expected) == 6
        text = screen_text(pilot)
        first = expected[0]
        assert first.clinic.name in text
        assert f"{first.clinic.start_date:%d/%m/%Y}–{first.clinic.end_date:%d/%m/%Y}" in text
        assert "Upcoming combined clinics (6)" in text


@pilot_test
async def test_open_clinic_shows_attendance_with_missing_travel_and_hotel(
    clinic_db: Database, next_clinic_id: int
) -> None:
    with clinic_db.session() as session:
        attendances = attendances_for_clinic(session, next_clinic_id)
    missing = [a for a in attendances if a.missing]
    assert missing, "the demo should leave some families with travel or hotel to book"
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        screen = await open_first_clinic(pilot, "attendance")
        assert screen.clinic_id == next_clinic_id
        table = screen.query_one(AttendanceTable)
        assert table.row_count == len(attendances)
        text = screen_text(pilot)
        assert "✗ missing" in text
        assert f"✗ {len(missing)} famil" in text
        for view in missing:
            row = table.get_row(str(view.attendance.id))
            assert str(row[3]) == ", ".join(view.missing)  # after the status and when / who recorded it
        # m: only the families with something still to book.
        table.focus()
        await pilot.press("m")
        await pilot.pause()
        assert table.row_count == len(missing)


@pilot_test
async def test_change_attendance_status_is_saved(clinic_db: Database, next_clinic_id: int) -> None:
    with clinic_db.session() as session:
        invited = next(
            a
            for a in attendances_for_clinic(session, next_clinic_id)
            if a.attendance.status is AttendanceStatus.INVITED
        )
    attendance_id = invited.attendance.id
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        screen = await open_first_clinic(pilot, "attendance")
        table = screen.query_one(AttendanceTable)
        table.focus()
        table.select_attendance(attendance_id)  # type: ignore[arg-type]
        await pilot.press("c", "enter")  # c: the status dialog; its first choice for an invited family: confirmed
        await settle(pilot)
        with clinic_db.session() as session:
            assert session.get(ClinicAttendance, attendance_id).status is AttendanceStatus.CONFIRMED  # type: ignore[union-attr]
        assert "✓ confirmed" in str(table.get_row(str(attendance_id))[1])
        # A family who confirmed and cannot come is cancelled by the family (declining is for an invitation).
        await pilot.press("c", "enter")
        await settle(pilot)
        with clinic_db.session() as session:
            row = session.get(ClinicAttendance, attendance_id)
            assert row is not None and (row.status, row.cancelled_by) == (AttendanceStatus.CANCELLED, "family")
        assert "✗ cancelled: family" in str(table.get_row(str(attendance_id))[1])


@pilot_test
async def test_enter_on_a_family_opens_their_two_days(clinic_db: Database, next_clinic_id: int) -> None:
    with clinic_db.session() as session:
        patient_id = appointment_service.for_clinic(session, next_clinic_id)[0].patient.id
        count = len(appointment_service.for_patient(session, patient_id, clinic_id=next_clinic_id))  # type: ignore[arg-type]
        attendance_id = session.exec(
            select(ClinicAttendance.id).where(
                ClinicAttendance.clinic_event_id == next_clinic_id, ClinicAttendance.patient_id == patient_id
            )
        ).one()
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        screen = await open_first_clinic(pilot, "attendance")
        table = screen.query_one(AttendanceTable)
        table.focus()
        table.select_attendance(attendance_id)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.active_tab == "family"
        family = screen.query_one(FamilyTimetable)
        assert family.family is not None and family.family.patient_id == patient_id
        assert len([i for i in family.row_ids if i is not None]) == count
        assert "Day 1" in screen_text(pilot) and "Day 2" in screen_text(pilot)


# ------------------------------------------------------------------------------------------------------------
# The day timetable and clashes
# ------------------------------------------------------------------------------------------------------------


def deliberate_clash(db: Database, clinic_id: int) -> views.Clash:
    with db.session() as session:
        clashes = appointment_service.find_clashes(session, clinic_id)
    return next(c for c in clashes if c.kind is ClashKind.PROFESSIONAL)


@pilot_test
async def test_clash_is_marked_with_symbol_and_word_and_listed(clinic_db: Database, next_clinic_id: int) -> None:
    clash = deliberate_clash(clinic_db, next_clinic_id)
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        screen = await open_first_clinic(pilot, "timetable")
        grid = screen.query_one(TimetableGrid)
        assert grid.day_grid is not None
        marked = [
            cell for cell in grid.day_grid.cells.values() if set(clash.appointment_ids) & set(cell.appointment_ids)
        ]
        assert marked and all(cell.clash for cell in marked)
        assert any(cell.starts_here and cell.text.startswith("⚠ CLASH") for cell in marked)
        panel = screen.query_one(ClashPanel)
        assert clash in panel.clashes
        text = screen_text(pilot)
        assert "⚠ CLASH" in text
        assert "Professional double-booked" in text
        assert clash.description in " ".join(text.split())  # a long clash wraps within the list
        # n jumps to a clash; the line under the grid explains it in words.
        await pilot.press("n")
        await pilot.pause()
        assert grid.appointment_id is not None
        assert any(grid.appointment_id in c.appointment_ids for c in panel.clashes)
        assert "⚠ CLASH: " in str(screen.query_one("#appointment-detail").content)


@pilot_test
async def test_room_view_and_day_switch(clinic_db: Database, next_clinic_id: int) -> None:
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        screen = await open_first_clinic(pilot, "timetable")
        grid = screen.query_one(TimetableGrid)
        assert grid.day_grid is not None and grid.day_grid.mode is views.GridMode.PROFESSIONAL
        await pilot.press("r")
        await pilot.pause()
        assert grid.day_grid.mode is views.GridMode.ROOM
        assert all(column.key.startswith("r") for column in grid.day_grid.columns)
        first_day = screen.day
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert screen.day == first_day + dt.timedelta(days=1)  # type: ignore[operator]
        assert "Day 2/2" in screen_text(pilot)


# ------------------------------------------------------------------------------------------------------------
# Book, move, cancel
# ------------------------------------------------------------------------------------------------------------


def free_start(db: Database, clinic_id: int, patient_id: int, professional_id: int, day_index: int) -> dt.time:
    """A 30-minute start within clinic hours when neither the patient nor the professional is busy."""
    with db.session() as session:
        zone = service_zone(session)
        timetable = views.load_clinic_timetable(session, clinic_id)
    day = timetable.clinic.dates[day_index]
    busy = [
        v
        for v in timetable.active
        if v.patient.id == patient_id or any(p.id == professional_id for p in v.professionals)
    ]
    for minutes in range(9 * 60, 16 * 60 + 30, 5):
        start = local_to_utc(day, dt.time(minutes // 60, minutes % 60), zone)
        end = start + dt.timedelta(minutes=30)
        if all(v.appointment.end <= start or v.appointment.start >= end for v in busy):
            return dt.time(minutes // 60, minutes % 60)
    raise AssertionError("no free time in the demo clinic")


def set_form(form: FormScreen[object], **values: str) -> None:
    for name, value in values.items():
        widget = form.input_for(name)
        if isinstance(widget, Select):
            widget.value = value
        elif isinstance(widget, TextArea):
            widget.text = value
        else:
            assert isinstance(widget, Input)
            widget.value = value


async def submit(pilot: Pilot[object], form: FormScreen[object]) -> None:
    form.input_for("start_time").focus()
    await pilot.press("enter")
    await settle(pilot)


@pilot_test
async def test_book_an_appointment_is_saved(clinic_db: Database, next_clinic_id: int) -> None:
    with clinic_db.session() as session:
        timetable = views.load_clinic_timetable(session, next_clinic_id)
        choices = views.booking_choices(timetable, views.attendance_rows(session, next_clinic_id))
    patient_id = choices.patients[0][0]
    professional_id = choices.professionals[-1][0]
    start = free_start(clinic_db, next_clinic_id, patient_id, professional_id, 1)
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        screen = await open_first_clinic(pilot, "timetable")
        await pilot.press("b")
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        set_form(
            form,
            patient=str(patient_id),
            professionals=str(professional_id),
            day="2",
            start_time=f"{start:%H:%M}",
            minutes="30",
            room="",
            family_instructions="Please bring the glasses you use at school.",
            internal_notes="Booked in the Pilot test.",
        )
        await submit(pilot, form)
        assert pilot.app.screen is screen, form.field_errors or form.message
        with clinic_db.session() as session:
            booked = session.exec(
                select(Appointment).where(
                    Appointment.patient_id == patient_id,
                    Appointment.family_instructions == "Please bring the glasses you use at school.",
                )
            ).one()
            zone = service_zone(session)
        assert booked.status is AppointmentStatus.BOOKED
        assert to_local(booked.start, zone).time() == start
        assert to_local(booked.start, zone).date() == timetable.clinic.dates[1]
        assert booked.end - booked.start == dt.timedelta(minutes=30)
        # The new appointment is shown, and the grid's cursor is on it.
        assert screen.timetable is not None and screen.timetable.find(booked.id) is not None  # type: ignore[arg-type]
        assert screen.query_one(TimetableGrid).appointment_id == booked.id


@pilot_test
async def test_invalid_booking_form_keeps_values_and_shows_messages(clinic_db: Database) -> None:
    with clinic_db.session() as session:
        before = len(session.exec(select(Appointment)).all())
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        await open_first_clinic(pilot, "timetable")
        await pilot.press("b")
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        set_form(form, start_time="25:99", minutes="lots", professionals="")
        await submit(pilot, form)
        assert pilot.app.screen is form
        errors = form.field_errors
        assert set(errors) >= {"start_time", "minutes", "professionals"}
        assert form.values()["start_time"] == "25:99"
        assert form.values()["minutes"] == "lots"
        assert "problems to fix" in form.message
    with clinic_db.session() as session:
        assert len(session.exec(select(Appointment)).all()) == before


@pilot_test
async def test_double_booking_is_refused(clinic_db: Database, next_clinic_id: int) -> None:
    with clinic_db.session() as session:
        timetable = views.load_clinic_timetable(session, next_clinic_id)
        choices = views.booking_choices(timetable, views.attendance_rows(session, next_clinic_id))
        zone = service_zone(session)
        before = len(session.exec(select(Appointment)).all())
    taken = timetable.on_day(timetable.clinic.dates[0])[0]
    professional_id = taken.professionals[0].id
    other_patient = next(pid for pid, _ in choices.patients if pid != taken.patient.id)
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        await open_first_clinic(pilot, "timetable")
        await pilot.press("b")
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        set_form(
            form,
            patient=str(other_patient),
            professionals=str(professional_id),
            day="1",
            start_time=f"{to_local(taken.appointment.start, zone):%H:%M}",
            minutes="15",
        )
        await submit(pilot, form)
        assert pilot.app.screen is form
        message = form.field_errors.get("professionals", "") + form.field_errors.get("start_time", "")
        assert "already" in message
    with clinic_db.session() as session:
        assert len(session.exec(select(Appointment)).all()) == before


@pilot_test
async def test_move_resolves_the_clash_and_rechecks_at_once(clinic_db: Database, next_clinic_id: int) -> None:
    clash = deliberate_clash(clinic_db, next_clinic_id)
    moved_id = max(clash.appointment_ids)  # the appointment the demo double-booked
    with clinic_db.session() as session:
        view = appointment_service.get_view(session, moved_id)
    start = free_start(clinic_db, next_clinic_id, view.patient.id, view.professionals[0].id, 1)  # type: ignore[arg-type]
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        screen = await open_first_clinic(pilot, "timetable")
        assert screen.timetable is not None and moved_id in screen.timetable.clashing_ids()
        screen._select_appointment(moved_id)
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        minutes = int((view.appointment.end - view.appointment.start).total_seconds() // 60)
        assert form.values()["minutes"] == str(minutes)  # prefilled from the appointment
        assert form.values()["day"] == "1"
        assert form.values()["start_time"] == f"{to_local(view.appointment.start, screen.timetable.zone):%H:%M}"
        set_form(form, day="2", start_time=f"{start:%H:%M}", minutes="30", room="")
        await submit(pilot, form)
        assert pilot.app.screen is screen, form.field_errors or form.message
        assert screen.timetable is not None
        assert moved_id not in screen.timetable.clashing_ids()
        assert screen.day == screen.timetable.clinic.dates[1]
        assert screen.query_one(TimetableGrid).appointment_id == moved_id


@pilot_test
async def test_move_into_a_double_booking_is_refused(clinic_db: Database, next_clinic_id: int) -> None:
    with clinic_db.session() as session:
        timetable = views.load_clinic_timetable(session, next_clinic_id)
    active = timetable.active

    def patient_free(mover: views.AppointmentView, target: views.AppointmentView) -> bool:
        return not any(
            o.patient.id == mover.patient.id
            and o.appointment.id != mover.appointment.id
            and o.appointment.start < target.appointment.end
            and o.appointment.end > target.appointment.start
            for o in active
        )

    # An appointment and another of the same professional, at a time the first one's patient is free.
    mover, target = next(
        (m, t)
        for m in active
        for t in active
        if t.appointment.id != m.appointment.id
        and t.patient.id != m.patient.id
        and {p.id for p in t.professionals} & {p.id for p in m.professionals}
        and patient_free(m, t)
    )
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        screen = await open_first_clinic(pilot, "timetable")
        screen._select_appointment(mover.appointment.id)  # type: ignore[arg-type]
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        local = to_local(target.appointment.start, timetable.zone)
        set_form(form, day=str(timetable.day_number(local.date())), start_time=f"{local:%H:%M}", room="")
        await submit(pilot, form)
        assert pilot.app.screen is form
        assert "already booked" in form.field_errors.get("professionals", "")
    with clinic_db.session() as session:
        assert session.get(Appointment, mover.appointment.id).start == mover.appointment.start  # type: ignore[union-attr]


@pilot_test
async def test_cancel_refused_at_confirmation_then_accepted(clinic_db: Database, next_clinic_id: int) -> None:
    with clinic_db.session() as session:
        timetable = views.load_clinic_timetable(session, next_clinic_id)
    target = timetable.on_day(timetable.clinic.dates[0])[0].appointment
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        screen = await open_first_clinic(pilot, "timetable")
        screen._select_appointment(target.id)  # type: ignore[arg-type]
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert pilot.app.screen is screen
        with clinic_db.session() as session:
            unchanged = session.get(Appointment, target.id)
            assert unchanged is not None
            assert unchanged.status is AppointmentStatus.BOOKED and unchanged.version == target.version
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        with clinic_db.session() as session:
            assert session.get(Appointment, target.id).status is AppointmentStatus.CANCELLED  # type: ignore[union-attr]
        assert screen.timetable is not None
        assert all(v.appointment.id != target.id for v in screen.timetable.on_day(timetable.clinic.dates[0]))


@pilot_test
async def test_small_terminal_scrolls_the_grid(clinic_db: Database) -> None:
    async with make_app(clinic_db).run_test(size=(80, 24)) as pilot:
        screen = await open_first_clinic(pilot, "timetable")
        grid = screen.query_one(TimetableGrid)
        assert grid.day_grid is not None
        assert grid.virtual_size.width > grid.size.width  # more columns than fit: scrolls sideways
        assert grid.size.height >= 6
        await pilot.press("end")
        await pilot.press("right", "right", "right", "right", "right", "right")
        await pilot.pause()
        assert grid.scroll_x > 0
