"""First run on an empty database: the home screen says what to do first, in order, and how; ctrl+n adds a patient
while the filter box has the focus; typing in the filter still works; every empty list says which key adds to it."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input, Static

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import Patient
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.patients import PatientsScreen, PatientTable
from coordinator_tui.ui.widgets.forms import FormScreen
from coordinator_tui.ui.widgets.getting_started import GettingStarted, screen_keys
from tests.postgres_server import both_databases
from tests.safety_helpers import add_patient
from tests.ui.helpers import SIZE, pilot_test, settle, type_text

pytestmark = both_databases


def rendered(widget: Static) -> str:
    return str(widget.render())


def screen_text(pilot: Pilot[Any]) -> str:
    """Every line on the screen, as the terminal shows it."""
    return "\n".join(strip.text for strip in pilot.app.screen._compositor.render_strips())


@pilot_test
async def test_an_empty_database_shows_the_set_up_steps_in_order(db: Database) -> None:
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        panel = app.screen.query_one(GettingStarted)
        assert panel.display and not panel.has_class("-short")
        text = screen_text(pilot)
        # Which database this is, so that a mistyped path is noticed.
        assert "This database holds no patients yet:" in text and "check --db or" in text
        assert panel.progress is not None and panel.progress.location == db.location
        steps = ["1. Service details", "2. Professionals", "3. Venues and rooms", "4. The clinic plan", "5. The first"]
        positions = [text.index(step) for step in steps]
        assert positions == sorted(positions)
        assert text.count("○ to do") == 5 and "✓ done" not in text
        assert f"{screen_keys('Professionals')}, then a" in text and "3 / F4, then a" in text
        assert screen_keys("Clinic days") == "2 / F3" and "2 / F3" in text and "^n" in text
        service = screen_keys("Service")
        assert f"Next: service details ({service if service.startswith('the ') else 'press ' + service})" in text
        # No empty table with headers only: the list is hidden and says how to add the first patient.
        assert not app.screen.query_one(PatientTable).display
        assert "No patients yet: press ^n" in text


@pilot_test
async def test_the_panel_shrinks_once_there_are_patients(db: Database) -> None:
    with db.session() as session:
        add_patient(session, 1)
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(GettingStarted)
        assert panel.display and panel.has_class("-short")
        assert rendered(panel).startswith(
            f"Still to set up: service details ({screen_keys('Service')}), professionals (3 / F4, then a)"
        )
        assert "the first patient" not in rendered(panel)
        assert app.screen.query_one(PatientTable).display


@pilot_test
async def test_ctrl_n_adds_a_patient_while_the_filter_has_the_focus(db: Database) -> None:
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.focused, Input)
        footer = screen_text(pilot).splitlines()[-1]
        assert "^n New patient" in footer
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        await type_text(pilot, "Testgiven")
        await pilot.press("tab")
        await type_text(pilot, "Testfamily")
        await pilot.press("tab")
        await type_text(pilot, "943 476 5919")
        await pilot.press("tab")
        await type_text(pilot, "TST00001")
        await pilot.press("tab")
        await type_text(pilot, "14/03/2011")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen), screen_text(pilot)
        with db.session() as session:
            names = [p.full_name for p in session.exec(select(Patient)).all()]
        assert names == ["Testgiven Testfamily"]
        assert app.screen.query_one(PatientTable).row_count == 1
        # The first patient is there: the panel shrinks to what is left to set up.
        assert app.screen.query_one(GettingStarted).has_class("-short")


@pilot_test
async def test_n_is_still_typed_into_the_filter(db: Database) -> None:
    with db.session() as session:
        add_patient(session, 1, given_name="Nell", family_name="Testnorth")
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_text(pilot, "nor")
        await settle(pilot)
        assert app.screen.query_one(Input).value == "nor"
        assert isinstance(app.screen, PatientsScreen)
        await type_text(pilot, "zz")
        await settle(pilot)
        text = screen_text(pilot)
        assert "No patient matches “norzz”" in text and "^n adds a new patient" in text
        # From the list, n adds a patient too (nothing is typed there).
        await pilot.press("escape", "escape", "escape")
        await settle(pilot)
        assert not isinstance(app.focused, Input)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)


@pilot_test
async def test_every_empty_list_says_why_and_how_to_add_to_it(db: Database) -> None:
    with db.session() as session:
        add_patient(session, 1)
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert not app.screen.query_one("#clinics-table").display
        assert "No clinics are planned yet" in screen_text(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert "Nothing overdue or due in the next 90 days. The caseload lists" in screen_text(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("enter")  # the one patient
        await settle(pilot)
        expected = {
            "c": "No one in the care team yet: press a to add someone.",
            "f": "No family contacts yet: press a to add one.",
            "v": "No clinic visits yet: this patient has not been invited to a clinic.",
        }
        for tab, line in expected.items():
            await pilot.press(tab)
            await settle(pilot)
            lines = screen_text(pilot).splitlines()
            assert line in "\n".join(lines), tab
            # Right under the list's headers, not at the foot of an empty box.
            header = next(i for i, text in enumerate(lines) if text.strip().startswith(("Discipline", "Name", "When")))
            assert any(line in text for text in lines[header + 1 : header + 4]), (tab, lines)


@pilot_test
async def test_a_step_done_elsewhere_is_marked_done_on_coming_back(db: Database) -> None:
    from coordinator_tui.services.people import professionals

    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "○ to do  2. Professionals" in screen_text(pilot)
        await pilot.press("f4")
        await settle(pilot)
        with db.session() as session:  # as the Professionals screen's form would (or a colleague, or a command)
            values = {"title": "Dr", "given_name": "Quinn", "family_name": "Gooseberry", "discipline": "cardiology"}
            professionals.create_professional(session, values)
        await pilot.press("f2")
        await settle(pilot)
        text = screen_text(pilot)
        assert "✓ done   2. Professionals" in text and "1 professional" in text
        assert "Next: service details" in text
