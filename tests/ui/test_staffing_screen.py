"""Pilot tests of the Staffing screen from a set-up service, keys only: from the clinic list (s), two professionals
are added with rooms (picker, then hours and room), one's hours changed, a refused value kept in the form, one
removed after a confirmation; then the next clinic copies the first one's staffing in one key (c), saying what it
skipped, and the disciplines its invited family needs that nobody covers are listed. The database is checked after.
From the timetable build, a "no endocrinology professional is in clinic" review leads (s) to the staffing screen on
the day nobody covers it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import col, select
from textual.pilot import Pilot
from textual.widgets import Static

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import AuditAction, AuditEvent, ClinicStaffing
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.clinic_days import ClinicDaysScreen
from coordinator_tui.ui.screens.clinic_staffing import StaffingScreen, StaffingTable
from coordinator_tui.ui.screens.timetable_build import TimetableBuildScreen, staffing_gap
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormScreen
from coordinator_tui.ui.widgets.picker import PickerScreen
from tests.postgres_server import both_databases
from tests.ui.helpers import SIZE, cell_texts, pilot_test, settle, type_text
from tests.ui.staffing_setup import JANUARY, MARCH, ROOMS, set_up

pytestmark = both_databases
T = dt.time


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def choose(pilot: Pilot[Any], index: int) -> None:
    """On a choice field: open its list, move down ``index`` places from the first, take it."""
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press(*["down"] * index, "enter")
    await pilot.pause()


async def retype(pilot: Pilot[Any], value: str) -> None:
    """Replace what the focused text field holds."""
    await pilot.press("end", *["backspace"] * 8)
    await type_text(pilot, value)


async def open_staffing(pilot: Pilot[Any], rows_down: int = 0) -> StaffingScreen:
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ClinicDaysScreen)
    await pilot.press(*["down"] * rows_down, "s")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, StaffingScreen) and screen.loaded
    return screen


async def add(pilot: Pilot[Any], search: str, start: str, end: str, room: int) -> None:
    """a, pick by ``search``, then hours and the room at place ``room`` of the list (0: no room); saved."""
    await pilot.press("a")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PickerScreen)
    await type_text(pilot, search)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, FormScreen)
    await retype(pilot, start)
    await pilot.press("tab")
    await retype(pilot, end)
    await pilot.press("tab")
    await choose(pilot, room)
    await pilot.press("ctrl+s")
    await settle(pilot)


@pilot_test
async def test_staff_a_clinic_then_copy_it_into_the_next_with_keys_only(db: Database) -> None:
    ids = set_up(db)
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_staffing(pilot)
        assert screen.plan is not None and screen.plan.clinic.id == ids.january
        assert text_of(screen, "#staffing-empty") == "Nobody is in clinic on day 1 yet. Press a to add a professional."

        await add(pilot, "goose", "09:00", "17:00", 1 + ROOMS.index("Room 1, Outpatients"))
        assert isinstance(pilot.app.screen, StaffingScreen)
        await add(pilot, "endo", "10:00", "16:00", 1 + ROOMS.index("Eye Clinic, Children's Building"))
        table = screen.query_one(StaffingTable)
        assert cell_texts(table, 0) == ["Dr Quinn Gooseberry", "Dr Ada Endoexample"]
        assert cell_texts(table, 2) == ["09:00–17:00", "10:00–16:00"]
        assert cell_texts(table, 3) == ["Room 1, Outpatients", "Eye Clinic, Children's Building"]

        # Quinn's hours: a value outside the clinic's day is refused in the form, what was typed kept; then 12:00.
        await pilot.press("up", "e")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        await pilot.press("tab")
        await retype(pilot, "18:30")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form and form.values()["end_time"] == "18:30"
        assert "18:30 is after the clinic's day ends (09:00–17:00)" in text_of(form, "#error-end_time")
        await retype(pilot, "12:00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, StaffingScreen)
        assert cell_texts(table, 2) == ["09:00–12:00", "10:00–16:00"]

        # Ada off day 1, after saying yes.
        await pilot.press("down", "d")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert cell_texts(table, 0) == ["Dr Quinn Gooseberry"]

        # Day 2 holds Archie (archived since): shown as such.
        await pilot.press("]")
        await settle(pilot)
        assert cell_texts(table, 0) == ["Mr Archie Renalexample (archived)"]

        # The March clinic: empty, c copies January in one key and says what it skipped.
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_staffing(pilot, rows_down=1)
        assert screen.plan is not None and screen.plan.clinic.id == ids.march
        assert "Press c to copy the staffing of January clinic" in text_of(screen, "#staffing-empty")
        assert "⚠ Nobody in on day 1 for: endocrinology (1 family)" in text_of(screen, "#staffing-uncovered")
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(pilot.app.screen, StaffingScreen)
        result = text_of(screen, "#staffing-result")
        assert "Copied 1 staffing row from January clinic." in result
        assert "not copied: Mr Archie Renalexample (renal), day 2: archived" in result
        table = screen.query_one(StaffingTable)
        assert cell_texts(table, 0) == ["Dr Quinn Gooseberry"]
        assert cell_texts(table, 3) == ["Room 1, Outpatients"]
        assert "endocrinology (1 family)" in text_of(screen, "#staffing-uncovered")

        # c again: this clinic has staffing now, so it asks; rows here are kept, nothing is duplicated.
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert "kept the 1 already here" in text_of(screen, "#staffing-result")

    with db.read_session() as s:
        rows = s.exec(select(ClinicStaffing).order_by(ClinicStaffing.clinic_event_id, ClinicStaffing.day)).all()
        assert [(r.clinic_event_id, r.professional_id, r.day, r.start_time, r.end_time, r.room_id) for r in rows] == [
            (ids.january, ids.quinn, JANUARY, T(9), T(12), ids.rooms["Room 1, Outpatients"]),
            (ids.january, ids.archie, JANUARY + dt.timedelta(days=1), T(9), T(12), None),
            (ids.march, ids.quinn, MARCH, T(9), T(12), ids.rooms["Room 1, Outpatients"]),
        ]
        actions = [
            e.action
            for e in s.exec(
                select(AuditEvent).where(AuditEvent.entity == "clinicstaffing").order_by(col(AuditEvent.id))
            ).all()
        ]
        assert actions == [AuditAction.CREATE] * 3 + [AuditAction.UPDATE, AuditAction.DELETE, AuditAction.CREATE]


@pilot_test
async def test_copy_with_no_earlier_clinic_says_so_and_the_keys_follow_the_day(db: Database) -> None:
    set_up(db, archie_worked_january=False)
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_staffing(pilot)
        assert screen.check_action("edit", ()) is None and screen.check_action("remove", ()) is None
        assert screen.check_action("change_day", (-1,)) is None and screen.check_action("change_day", (1,))
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(pilot.app.screen, StaffingScreen)
        assert any("No earlier clinic has staffing to copy" in str(n.message) for n in pilot.app._notifications)
        await pilot.press("e")  # nobody to edit: it says what to do instead
        await settle(pilot)
        assert isinstance(pilot.app.screen, StaffingScreen)


def test_the_build_reasons_that_lead_to_the_staffing() -> None:
    reason = "  not placed: Testpatient0 Example endocrinology: no endocrinology professional is in clinic"
    assert staffing_gap([reason]) == "endocrinology"
    assert staffing_gap(["Dr Ada Endoexample (endocrinology) is not in clinic on any day"]) == "endocrinology"
    assert staffing_gap(["fasting bloods must be first thing on day 1 and Dr X is not in clinic then"]) == ""
    assert staffing_gap(["the family is here 10:00-12:00 on day 1 and cardiology works 13:00-17:00"]) is None


@pilot_test
async def test_the_build_review_leads_to_the_day_nobody_covers(db: Database) -> None:
    ids = set_up(db, archie_worked_january=False)
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        build = TimetableBuildScreen(ids.march, time_limit=2)
        await pilot.app.push_screen(build)
        await settle(pilot)
        assert build.check_action("staffing", ()) is False  # hidden until a review names a discipline
        await pilot.press("b")
        while build.state == "building":
            await settle(pilot)
        # Nobody is staffed yet: each needed discipline is uncovered; the first the review names is the one offered.
        assert build.staffing_gap in {"endocrinology", "phlebotomy", "specialist nursing"}
        assert f"s: staffing (no {build.staffing_gap} professional in clinic)" in text_of(build, "#build-keys")
        await pilot.press("s")
        await settle(pilot)
        staffing = pilot.app.screen
        assert isinstance(staffing, StaffingScreen) and staffing.day_number == 1
        await add(pilot, "endo", "09:00", "17:00", 0)
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is build and build.state == "ready"  # the old plan is set aside: build again
        assert "The staffing changed: b builds the timetable again." in text_of(build, "#build-summary")
