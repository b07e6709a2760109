"""Pilot tests of the clinic list's forms from an empty but set-up database (a venue with a room), keys only: the
empty list says which key adds the first clinic; a creates one (Easter Monday refused under the date, what was typed
kept), p plans a year of 6 (previewed with the moved date's note, then y creates them, none on a bank holiday), m
moves one (an overlap refused with the reason, then moved), x cancels one after a confirmation naming how many
families are invited; then the database is checked (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Static

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import ClinicEvent, ClinicStatus
from coordinator_tui.services.clinics import venues
from coordinator_tui.services.clinics.clinic_series import bank_holidays
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.clinic_days import ClinicDaysScreen
from coordinator_tui.ui.screens.clinic_forms import PlanFormScreen, PlanPreviewScreen
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormScreen
from tests.postgres_server import both_databases
from tests.ui.helpers import SIZE, cell_texts, footer_bindings, pilot_test, settle, type_text

pytestmark = both_databases


def set_up(db: Database) -> None:
    with db.session() as s:
        venue = venues.add_venue(s, {"name": "Exampleton Children's Hospital"})
        venues.add_room(s, venue.id, {"name": "Room 1", "building": "Main"})  # type: ignore[arg-type]


def clinics_in(db: Database) -> list[tuple[str, str, str]]:
    with db.read_session() as s:
        rows = s.exec(select(ClinicEvent).order_by(ClinicEvent.start_date)).all()  # type: ignore[arg-type]
        return [(c.name, f"{c.start_date:%d/%m/%Y}", c.status.value) for c in rows]


async def to_clinic_days(pilot: Pilot[Any]) -> ClinicDaysScreen:
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ClinicDaysScreen)
    return screen


async def retype(pilot: Pilot[Any], text: str) -> None:
    """Clear the focused field and type ``text``, then Enter."""
    await pilot.press("ctrl+u")
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot)


@pilot_test
async def test_create_plan_move_and_cancel_clinics_with_keys_only(db: Database) -> None:
    set_up(db)
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_clinic_days(pilot)
        hint = str(screen.query_one("#clinics-hint", Static).render())
        assert "Press a to add the first clinic, or p to plan a year" in hint
        keys = [key for key, _action in footer_bindings(pilot)]
        assert {"a", "p", "m", "x"} <= set(keys)

        await pilot.press("a")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        assert form.values()["venue_id"] == "1" and form.values()["day_start"] == "09:00"
        await type_text(pilot, "29/03/2027")
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is form
        assert form.field_errors == {"start_date": "⚠ 29/03/2027 is Easter Monday"}
        assert form.values()["start_date"] == "29/03/2027"  # what was typed is kept
        await retype(pilot, "22/03/2027")
        assert pilot.app.screen is screen
        assert cell_texts(screen.query_one("#clinics-table"), 0) == ["Combined clinic 22/03/2027"]  # type: ignore[arg-type]

        await pilot.press("p")
        await settle(pilot)
        plan = pilot.app.screen
        assert isinstance(plan, PlanFormScreen)
        await type_text(pilot, "01/02/2027")
        await pilot.press("enter")
        await settle(pilot)
        preview = pilot.app.screen
        assert isinstance(preview, PlanPreviewScreen)
        lines = str(preview.query_one("#plan-lines", Static).render()).splitlines()
        assert len(lines) == 6 and lines[1] == "Mon 05/04/2027–Tue 06/04/2027  (moved from 29/03/2027: Easter Monday)"
        assert len(clinics_in(db)) == 1  # the preview wrote nothing
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert len(clinics_in(db)) == 7

        await pilot.press("down", "m")  # the 22/03/2027 clinic, second in date order
        await settle(pilot)
        move = pilot.app.screen
        assert isinstance(move, FormScreen) and move.form_title == "Move Combined clinic 22/03/2027"
        await type_text(pilot, "05/04/2027")
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is move
        assert "05/04/2027 overlaps Combined clinic 05/04/2027" in move.field_errors["new_start"]
        await retype(pilot, "12/04/2027")
        assert pilot.app.screen is screen
        selected = screen.selected_summary()
        assert selected is not None and selected.clinic.name == "Combined clinic 12/04/2027"  # still highlighted

        await pilot.press("up", "up", "x")  # the first clinic, 01/02/2027
        await settle(pilot)
        confirm = pilot.app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.question == "Cancel Combined clinic 01/02/2027 (01/02/2027–02/02/2027)?"
        assert confirm.detail.startswith("No family is invited yet.")
        await pilot.press("y")
        await settle(pilot)
        assert cell_texts(screen.query_one("#clinics-table"), 6)[0] == "✗ cancelled"  # type: ignore[arg-type]

    clinics = clinics_in(db)
    assert ("Combined clinic 12/04/2027", "12/04/2027", "planned") in clinics
    assert ("Combined clinic 01/02/2027", "01/02/2027", ClinicStatus.CANCELLED.value) in clinics
    assert "22/03/2027" not in [start for _name, start, _status in clinics]
    holidays = bank_holidays({2027})
    with db.read_session() as s:
        for clinic in s.exec(select(ClinicEvent)).all():
            assert not any(day in holidays or day.weekday() >= 5 for day in clinic.dates)


@pilot_test
async def test_move_and_cancel_with_no_clinic_say_what_to_do(db: Database) -> None:
    set_up(db)
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_clinic_days(pilot)
        for key in ("m", "x"):
            await pilot.press(key)
            await settle(pilot)
            assert pilot.app.screen is screen
        notes = [n.message for n in pilot.app._notifications]
        assert "No clinic to move yet: a adds one, p plans a year." in notes
        assert "No clinic to cancel yet: a adds one, p plans a year." in notes
