"""Pilot tests of the professionals directory's changes, from an EMPTY database and with keys only: add, edit and
archive professionals (field errors keep what was typed, a likely duplicate asks first, archiving someone in care
teams or future clinics says so and ends the memberships), then the database is checked. The add-to-care-team picker
leaves out who is already in the team, and its form says who was picked."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import OptionList

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import CareTeamMember, CareTeamStatus, Professional
from coordinator_tui.services.people import care_team
from coordinator_tui.services.people import professional_directory as directory
from coordinator_tui.services.people.professionals import file_disciplines
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.patient_record import PatientRecordScreen
from coordinator_tui.ui.screens.professional_forms import (
    ArchiveProfessionalScreen,
    BookingsToMoveScreen,
    ProfessionalFormScreen,
)
from coordinator_tui.ui.screens.professionals import ProfessionalsScreen, ProfessionalTable, directory_columns
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormScreen
from coordinator_tui.ui.widgets.picker import PickerScreen
from tests.postgres_server import both_databases
from tests.test_professionals import QUINN, care_team_world
from tests.ui.helpers import SIZE, pilot_test, settle, type_text

pytestmark = both_databases

FIELD_ORDER = ["title", "given_name", "family_name", "discipline", "role", "organisation", "setting", "phone"]
FIELD_ORDER += ["email", "usual_days"]


def new_app(db: Database) -> CoordinatorApp:
    return CoordinatorApp(database=db, settings=Settings())


def stored(db: Database) -> list[Professional]:
    with db.session() as s:
        return list(s.exec(select(Professional).order_by(Professional.id)).all())  # type: ignore[arg-type]


async def to_directory(pilot: Pilot[Any]) -> ProfessionalsScreen:
    await settle(pilot)
    await pilot.press("f4")  # works from the patient filter box, where digits are typed
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ProfessionalsScreen)
    assert pilot.app.focused is screen.query_one(ProfessionalTable)
    return screen


async def choose(pilot: Pilot[Any], index: int) -> None:
    """On a choice field: open its list, move down ``index`` places from the first, take it."""
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press(*["down"] * index, "enter")
    await pilot.pause()


async def fill_form(pilot: Pilot[Any], values: dict[str, str]) -> None:
    """From the form's first field, type each value (choices by place in their list) and go on with Tab."""
    form = pilot.app.screen
    assert isinstance(form, ProfessionalFormScreen)
    disciplines = ["", *file_disciplines()]
    for name in FIELD_ORDER:
        value = values.get(name, "")
        if name == "discipline":
            await choose(pilot, disciplines.index(value))
        elif name == "setting":
            await choose(pilot, 1 if value == "local" else 0)
        elif value:
            await pilot.press("ctrl+u")
            await type_text(pilot, value)
        if name != FIELD_ORDER[-1]:
            await pilot.press("tab")


async def add_with_keys(pilot: Pilot[Any], values: dict[str, str]) -> ProfessionalFormScreen:
    await pilot.press("a")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, ProfessionalFormScreen)
    await fill_form(pilot, values)
    await pilot.press("enter")  # in the last field, a text box: saves
    await settle(pilot)
    return form


@pilot_test
async def test_add_edit_and_archive_from_an_empty_database_with_keys_only(db: Database) -> None:
    app = new_app(db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_directory(pilot)
        hint = screen.query_one("#professionals-empty")
        assert hint.display and "press a to add the first" in str(hint.render())

        # A wrong email: the form stays, says which field, keeps everything typed.
        form = await add_with_keys(pilot, {**QUINN, "email": "quinn@"})
        assert app.screen is form
        assert set(form.field_errors) == {"email"}
        assert form.values()["given_name"] == "Quinn" and form.values()["usual_days"] == "monday, wednesday"
        assert stored(db) == []
        await pilot.press("ctrl+u")  # the focus is on the wrong field
        await type_text(pilot, QUINN["email"])
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ProfessionalsScreen)
        [quinn] = stored(db)
        assert (quinn.title, quinn.given_name, quinn.family_name, quinn.discipline) == (
            "Dr",
            "Quinn",
            "Gooseberry",
            "cardiology",
        )
        assert (quinn.role, quinn.organisation, quinn.phone, quinn.email, quinn.usual_days) == (
            QUINN["role"],
            QUINN["organisation"],
            "01632 960123",
            QUINN["email"],
            "Mon Wed",
        )
        assert not hint.display

        # Edit the highlighted one: the usual days.
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ProfessionalFormScreen)
        await pilot.press(*["tab"] * 9, "ctrl+u")
        await type_text(pilot, "tues & fri")
        await pilot.press("enter")
        await settle(pilot)
        [quinn] = stored(db)
        assert (quinn.usual_days, quinn.version) == ("Tue Fri", 2)

        # Archive: in nothing, so a plain yes; then hidden from the directory unless x.
        await pilot.press("d")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ArchiveProfessionalScreen) and "in no current care team" in dialog.question
        await pilot.press("y")
        await settle(pilot)
        [quinn] = stored(db)
        assert quinn.archived
        table = screen.query_one(ProfessionalTable)
        assert table.row_count == 0
        await pilot.press("x")
        await settle(pilot)
        assert table.row_count == 1 and "(archived)" in str(table.get_row_at(0)[0])


@pilot_test
async def test_a_likely_duplicate_asks_first_and_no_keeps_the_form(db: Database) -> None:
    app = new_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await to_directory(pilot)
        await add_with_keys(pilot, QUINN)
        form = await add_with_keys(pilot, {**QUINN, "given_name": "QUINN", "email": ""})
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen) and "already in the directory" in confirm.question
        assert "#1 Dr Quinn Gooseberry (cardiology" in confirm.detail
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is form and "Not saved" in form.message
        assert form.values()["given_name"] == "QUINN"
        assert len(stored(db)) == 1
        await pilot.press("enter")  # asks again
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ProfessionalsScreen)
        assert [p.given_name for p in stored(db)] == ["Quinn", "QUINN"]


@pilot_test
async def test_adding_fifteen_professionals_across_the_disciplines(db: Database) -> None:
    disciplines = file_disciplines()[:15]
    app = new_app(db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_directory(pilot)
        for index, discipline in enumerate(disciplines):
            await add_with_keys(
                pilot,
                {
                    "given_name": f"Test{index}",
                    "family_name": "Professional",
                    "discipline": discipline,
                    "setting": "local" if index % 3 == 0 else "centre",
                    "email": f"test{index}@example.org",
                    "usual_days": "mon" if index % 2 else "thursday",
                },
            )
            assert isinstance(app.screen, ProfessionalsScreen)
        assert screen.query_one(ProfessionalTable).row_count == 15
    rows = stored(db)
    assert [p.discipline for p in rows] == disciplines
    assert [p.setting.value for p in rows][:4] == ["local", "centre", "centre", "local"]
    assert {p.usual_days for p in rows} == {"Mon", "Thu"}


async def highlight(pilot: Pilot[Any], screen: ProfessionalsScreen, professional_id: int) -> None:
    """Move the directory's cursor to the professional with the arrow keys."""
    table = screen.query_one(ProfessionalTable)
    steps = table.get_row_index(str(professional_id)) - table.cursor_row
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps))
    await settle(pilot)
    assert table.selected_key == str(professional_id)


@pilot_test
async def test_archiving_someone_in_care_teams_and_booked_ends_the_memberships_and_lists_the_bookings(
    db: Database,
) -> None:
    quinn, nell, _pip = care_team_world(db)
    app = new_app(db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_directory(pilot)

        await highlight(pilot, screen, nell)
        await pilot.press("d")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ArchiveProfessionalScreen) and dialog.blocked
        assert "named worker of 2 patients" in dialog.question
        await pilot.press("y")  # not offered
        await settle(pilot)
        assert app.screen is dialog
        await pilot.press("n")
        await settle(pilot)

        await highlight(pilot, screen, quinn)
        await pilot.press("d")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ArchiveProfessionalScreen) and not dialog.blocked
        assert "Example, Testpatient0 — Cardiologist" in dialog.detail
        assert "Combined clinic January 2027, 11/01/2027 10:30: Example, Testpatient0 (cardiology)" in dialog.detail
        assert dialog.archive_label == "End 2 memberships and archive"
        await pilot.press("y")
        await settle(pilot)
        moved = app.screen
        assert isinstance(moved, BookingsToMoveScreen)
        assert moved.lines == [
            "Combined clinic January 2027, 11/01/2027 10:30: Example, Testpatient0 (cardiology)",
            "Combined clinic January 2027, 12/01/2027 09:00: staffing the clinic",
        ]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ProfessionalsScreen)
    with db.session() as s:
        members = s.exec(select(CareTeamMember).where(CareTeamMember.professional_id == quinn)).all()
        assert [(m.status, m.end_date) for m in members] == [(CareTeamStatus.ENDED, dt.date(2026, 11, 25))] * 2
        nells = s.exec(select(CareTeamMember).where(CareTeamMember.professional_id == nell)).all()
        assert all(m.status is CareTeamStatus.ACTIVE for m in nells)
    assert [p.archived for p in stored(db)] == [True, False]


@pilot_test
async def test_the_care_team_picker_leaves_out_members_and_the_form_says_who_was_picked(db: Database) -> None:
    quinn, nell, _pip = care_team_world(db)
    outsider = directory.add_professional(
        db,
        {
            "given_name": "Otto",
            "family_name": "Inkwellby",
            "discipline": "general practice",
            "organisation": "Puddleby Health Centre",
        },
    )
    gone = directory.add_professional(db, {"given_name": "Olive", "family_name": "Inkwellby", "discipline": "renal"})
    directory.archive(db, gone)
    app = new_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_text(pilot, "EXH1")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        await pilot.press("a")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        options = picker.query_one(OptionList)
        shown = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert shown == [str(outsider.id)]  # not Quinn or Nell (in the team), not Olive (archived)
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.form_title == "Add Otto Inkwellby to the care team"
        assert form.description == "Adding: Otto Inkwellby — General practice, Puddleby Health Centre"
        await pilot.press("enter")
        await settle(pilot)
    with db.session() as s:
        team = [v.professional.id for v in care_team.team(s, _pip)]
    assert sorted(team) == sorted([quinn, nell, outsider.id])


@pilot_test
async def test_the_picker_says_when_there_is_no_one_to_add(db: Database) -> None:
    care_team_world(db)  # both professionals are already in the team
    app = new_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_text(pilot, "EXH1")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        assert picker.query_one(OptionList).option_count == 0
        assert "No one to add" in str(picker.query_one("#picker-count").render())
        await type_text(pilot, "zebedee")
        await settle(pilot)
        assert str(picker.query_one("#picker-count").render()) == "nothing matches"


@pytest.mark.parametrize("width", [80, 100, 120, 160, 200])
def test_the_directory_columns_fit_the_width_most_wanted_first(width: int) -> None:
    columns = directory_columns(width)
    titles = [title for title, _ in columns]
    assert sum(w + 2 for _, w in columns) + 2 <= width  # no column cut at the right edge
    assert titles[:2] == ["Name", "Discipline"] and {"Patients", "Days"} <= set(titles)
    if width >= 120:
        assert {"Organisation", "Phone", "Email"} <= set(titles)
