"""Pilot tests of the clinic day fixes (issue 18) on the demo data: the clash list names the families, the move
form offers the free start times, the grid's time column stays whole after booking, and booking from the
Family tab stays on it."""

from __future__ import annotations

import re

from sqlmodel import select
from textual.widgets import Input, Select

from coordinator_tui.clinic_time import to_local
from coordinator_tui.db import Database
from coordinator_tui.models import Appointment
from coordinator_tui.services.clinics import appointments as appointment_service
from coordinator_tui.services.clinics import clinic_day_views as views
from coordinator_tui.services.clinics.free_times import SlotRequest, free_start_times, walk_rule
from coordinator_tui.services.people.specialist_service import service_zone
from coordinator_tui.ui.screens.appointment_form import FREE_FIELD, AppointmentFormScreen
from coordinator_tui.ui.widgets.timetable import ClashPanel, FamilyTimetable, TimetableGrid
from tests.ui.clinic_days_support import open_first_clinic, screen_text, settle
from tests.ui.test_clinic_days import (  # the clinic demo database and the form helpers
    clinic_db as clinic_db,
)
from tests.ui.test_clinic_days import (
    clinic_demo_template as clinic_demo_template,
)
from tests.ui.test_clinic_days import (
    deliberate_clash,
    make_app,
    pilot_test,
    set_form,
    submit,
)
from tests.ui.test_clinic_days import (
    next_clinic_id as next_clinic_id,
)

SIZE = (120, 40)
TIME_ROW = re.compile(r"^\d\d:\d\d")


def expected_free_times(db: Database, clinic_id: int, appointment_id: int) -> list[str]:
    """What the domain offers for moving this appointment on its own day, length and room."""
    with db.read_session() as session:
        timetable = views.load_clinic_timetable(session, clinic_id)
        view = timetable.find(appointment_id)
        assert view is not None
        start, end = to_local(view.appointment.start, timetable.zone), to_local(view.appointment.end, timetable.zone)
        request = SlotRequest(
            day=start.date(),
            minutes=int((end - start).total_seconds() // 60),
            patient_id=view.patient.id,
            professional_ids=tuple(p.id for p in view.professionals),  # type: ignore[misc]
            room_id=view.appointment.room_id,
            moving_id=appointment_id,
            near=start.time().replace(second=0),
        )
        times = free_start_times(timetable, request, walk=walk_rule(session, timetable))
    return [f"{at:%H:%M}" for at in times.times]


@pilot_test
async def test_the_clash_list_names_the_families_and_n_still_jumps(clinic_db: Database, next_clinic_id: int) -> None:
    clash = deliberate_clash(clinic_db, next_clinic_id)
    with clinic_db.session() as session:
        names = [appointment_service.get_view(session, i).patient.full_name for i in clash.appointment_ids]
    assert names[0] != names[1]
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        screen = await open_first_clinic(pilot, "timetable")
        panel = screen.query_one(ClashPanel)
        listed = [c.description for c in panel.clashes]
        assert any(names[0] in text and names[1] in text for text in listed), listed
        shown = " ".join(screen_text(pilot).split())  # a long clash wraps within the list
        assert f"{names[0]} and {names[1]}" in shown or f"{names[1]} and {names[0]}" in shown
        await pilot.press("n")
        await pilot.pause()
        assert screen.query_one(TimetableGrid).appointment_id in clash.appointment_ids


@pilot_test
async def test_the_move_form_lists_the_free_times_and_choosing_one_moves_it(
    clinic_db: Database, next_clinic_id: int
) -> None:
    clash = deliberate_clash(clinic_db, next_clinic_id)
    moved_id = max(clash.appointment_ids)
    expected = expected_free_times(clinic_db, next_clinic_id, moved_id)
    assert expected
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        screen = await open_first_clinic(pilot, "timetable")
        screen._select_appointment(moved_id)
        await pilot.pause()
        await pilot.press("m")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, AppointmentFormScreen) and form.free_times_loaded
        choices = form.input_for(FREE_FIELD)
        assert isinstance(choices, Select) and pilot.app.focused is choices  # moving: the list has the focus
        offered = [value for _label, value in choices._options if value]
        assert offered == expected
        assert f"— {len(expected)} free starts, nearest first —" in screen_text(pilot)
        # Open the list, step to the first free time, choose it: Start takes it.
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
        assert form.query_one("#field-start_time", Input).value == expected[0]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen, form.field_errors or form.message
        with clinic_db.session() as session:
            moved = session.get(Appointment, moved_id)
            assert moved is not None
            assert f"{to_local(moved.start, service_zone(session)):%H:%M}" == expected[0]
        assert screen.timetable is not None and moved_id not in screen.timetable.clashing_ids()


@pilot_test
async def test_a_typed_time_that_does_not_fit_is_refused_with_the_reason(
    clinic_db: Database, next_clinic_id: int
) -> None:
    clash = deliberate_clash(clinic_db, next_clinic_id)
    moved_id = max(clash.appointment_ids)
    with clinic_db.session() as session:
        before = session.get(Appointment, moved_id)
        assert before is not None
        other = session.get(Appointment, min(clash.appointment_ids))
        assert other is not None
        taken = f"{to_local(other.start, service_zone(session)):%H:%M}"
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        screen = await open_first_clinic(pilot, "timetable")
        screen._select_appointment(moved_id)
        await pilot.pause()
        await pilot.press("m")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, AppointmentFormScreen)
        set_form(form, start_time=taken, minutes="25", family_instructions="Typed in the test.")
        await submit(pilot, form)
        assert pilot.app.screen is form
        assert "already booked" in " ".join(form.field_errors.values())
        kept = form.values()
        assert (kept["start_time"], kept["minutes"], kept["family_instructions"]) == (taken, "25", "Typed in the test.")
    with clinic_db.session() as session:
        assert session.get(Appointment, moved_id).version == before.version  # type: ignore[union-attr]


def grid_lines(pilot_text: str) -> list[str]:
    return [line for line in pilot_text.splitlines() if TIME_ROW.match(line) or line.startswith("Time ")]


@pilot_test
async def test_the_time_column_stays_whole_after_booking_at_the_right_edge(
    clinic_db: Database, next_clinic_id: int
) -> None:
    # 120 columns: the grid shows 6 columns and a bit, so scrolling to the last one used to stop mid-column.
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        screen = await open_first_clinic(pilot, "timetable")
        grid = screen.query_one(TimetableGrid)
        await pilot.press("end", "ctrl+home")  # the last professional's column, the first slot: scrolled sideways
        await pilot.pause()
        assert grid.scroll_offset.x > 0
        await pilot.press("b")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, AppointmentFormScreen) and form.free_times_loaded
        free = [value for _label, value in form.input_for(FREE_FIELD)._options if value]  # type: ignore[attr-defined]
        assert free, "the demo clinic has a free time for the last professional"
        set_form(form, start_time=free[0], family_instructions="Booked at the right edge.")
        await submit(pilot, form)
        assert pilot.app.screen is screen, form.field_errors or form.message
        with clinic_db.session() as session:
            booked = session.exec(
                select(Appointment).where(Appointment.family_instructions == "Booked at the right edge.")
            ).one()
        assert grid.appointment_id == booked.id
        lines = grid_lines(screen_text(pilot))
        assert len(lines) > 5
        for line in lines:
            # "10:30 " then a column's first cell: never the middle of a name ("10:30 llby").
            assert line[5:7] == "  ", line
        header = next(line for line in lines if line.startswith("Time "))
        title = screen.timetable and grid.day_grid and grid.day_grid.columns[grid.cursor_column].title
        assert title and title[:8] in header
        assert grid.scroll_offset.x % grid.column_width == 0


@pilot_test
async def test_booking_from_the_family_tab_stays_on_that_family(clinic_db: Database, next_clinic_id: int) -> None:
    async with make_app(clinic_db).run_test(size=SIZE) as pilot:
        screen = await open_first_clinic(pilot, "family")
        await pilot.press("]")  # the second family
        await pilot.pause()
        family_id = screen.family_id
        assert family_id is not None
        await pilot.press("b")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, AppointmentFormScreen)
        assert form.values()["patient"] == str(family_id)
        professional = screen.choices.professionals[0][0]  # type: ignore[union-attr]
        set_form(form, professionals=str(professional), day="2", family_instructions="Booked from the family tab.")
        await settle(pilot)  # the list follows the professional and the day
        free = [value for _label, value in form.input_for(FREE_FIELD)._options if value]  # type: ignore[attr-defined]
        assert free
        set_form(form, start_time=free[0])
        await submit(pilot, form)
        assert pilot.app.screen is screen, form.field_errors or form.message
        with clinic_db.session() as session:
            booked = session.exec(
                select(Appointment).where(Appointment.family_instructions == "Booked from the family tab.")
            ).one()
        assert booked.patient_id == family_id
        assert screen.active_tab == "family" and screen.family_id == family_id
        table = screen.query_one(FamilyTimetable)
        assert table.appointment_id == booked.id  # the new appointment's row is selected
        assert "Family 2 of" in screen_text(pilot)
