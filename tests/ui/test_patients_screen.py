"""Pilot tests: the patient list (home), the new-patient form, help, the command palette and the app shell."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlmodel import Session, select
from textual import events
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input

from coordinator_tui.db import Database
from coordinator_tui.models import Patient, Professional
from coordinator_tui.services.people import patients as patients_service
from coordinator_tui.services.people.patients import PatientSummary, search_patients
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.patient_record import PatientRecordScreen
from coordinator_tui.ui.screens.patients import PatientsScreen, PatientTable
from coordinator_tui.ui.screens.professionals import ProfessionalsScreen, ProfessionalTable
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormScreen
from coordinator_tui.ui.widgets.help import HelpScreen
from coordinator_tui.ui.widgets.nav import NavBar
from tests.ui.helpers import SIZE, cell_texts, pilot_test, settle, table_keys, type_text

VALID_NHS = "943 476 5919"  # a valid check digit, outside the demo's 999 range


@pilot_test
async def test_home_lists_patients_with_formatted_nhs_numbers(app: CoordinatorApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PatientsScreen)
        table = screen.query_one(PatientTable)
        assert table.row_count == 40
        nhs = cell_texts(table, 1)
        assert all(len(n) == 12 and n[3] == " " and n[7] == " " for n in nhs)
        names = cell_texts(table, 0)
        assert names == sorted(names, key=lambda n: n.lower()) or len(names) == 40
        # The filter has the focus: typing filters at once.
        assert isinstance(app.focused, Input)


@pilot_test
async def test_typing_filters_by_name_nhs_and_hospital_number(app: CoordinatorApp, demo_db: Database) -> None:
    with demo_db.session() as session:
        target = search_patients(session, "")[5]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PatientTable)
        await type_text(pilot, target.family_name[:5].lower())
        await settle(pilot)
        names = cell_texts(table, 0)
        assert names and all(target.family_name[:5].lower() in n.lower() for n in names)
        assert 0 < table.row_count < 40

        await pilot.press("escape")  # clears the filter
        await settle(pilot)
        assert table.row_count == 40

        spaced = f"{target.nhs_number[:3]} {target.nhs_number[3:6]} {target.nhs_number[6:]}"
        await type_text(pilot, spaced)
        await settle(pilot)
        assert table_keys(table) == [str(target.id)]

        app.screen.query_one(Input).value = ""
        await settle(pilot)
        await type_text(pilot, target.hospital_number.lower())
        await settle(pilot)
        assert table_keys(table) == [str(target.id)]


def hold_searches(monkeypatch: pytest.MonkeyPatch, until: threading.Event, *, failing: str | None = None) -> None:
    """Make the patient filter's searches (not the unfiltered first page) wait until ``until`` is set; the search for
    ``failing`` then raises, as a bug would."""
    real = patients_service.patient_list

    def held(session: Session, text: str, **kwargs: Any) -> list[PatientSummary]:
        if text:
            until.wait(10)
            if text == failing:
                raise RuntimeError("a bug in the search")
        return real(session, text, **kwargs)

    monkeypatch.setattr(patients_service, "patient_list", held)


@pilot_test
async def test_a_slow_search_holds_up_neither_typing_nor_the_last_filter(
    app: CoordinatorApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each keystroke's screen waits briefly for its rows, to paint letter and rows together. A search that does not
    # answer must not hold the keyboard, and rows landing late for an older text must not replace newer ones.
    release = threading.Event()
    hold_searches(monkeypatch, release)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PatientTable)
        everyone = table_keys(table)
        started = time.perf_counter()
        await type_text(pilot, "be")
        assert time.perf_counter() - started < 8  # well short of the 10 s the searches are held for
        assert app.screen.query_one("#patient-filter", Input).value == "be"
        assert table_keys(table) == everyone  # no rows landed yet
        release.set()
        await settle(pilot)
        names = cell_texts(table, 0)
        assert names and all("be" in name.lower() for name in names)


@pilot_test
async def test_enter_before_the_rows_land_opens_the_patient_typed_not_an_old_row(
    app: CoordinatorApp, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A hospital number scanned or typed fast, then Enter: the rows on screen are still the unfiltered list (its
    # first row is someone else). Enter must open the patient the number belongs to, once found.
    with demo_db.session() as session:
        target = search_patients(session, "")[5]
    release = threading.Event()
    hold_searches(monkeypatch, release)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PatientTable)
        assert table.selected_key != str(target.id)
        await type_text(pilot, target.hospital_number)
        await pilot.press("enter")
        assert isinstance(app.screen, PatientsScreen)  # not opened from the old rows
        release.set()
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        assert app.screen.patient_id == target.id


@pytest.mark.parametrize("fails", ["before Enter", "after Enter"])
@pilot_test
async def test_a_failing_search_is_reported_and_enter_does_not_hold_the_keys(
    app: CoordinatorApp, monkeypatch: pytest.MonkeyPatch, fails: str
) -> None:
    entered = threading.Event()
    if fails == "before Enter":
        entered.set()
    hold_searches(monkeypatch, entered, failing="x")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        if fails == "before Enter":
            await settle(pilot)
        await pilot.press("enter", "y")  # "y" is held until the search for "x" has answered
        entered.set()
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        assert [n.message for n in app._notifications] == ["unexpected error while searching; please report it"]
        assert app.screen.query_one("#patient-filter", Input).value == "xy"  # the box takes keys again


async def filter_by_hospital_number(pilot: Pilot[Any], demo_db: Database, index: int) -> Patient:
    """Type the hospital number of the ``index``-th patient of the list into the filter; returns that patient."""
    with demo_db.session() as session:
        target = search_patients(session, "")[index]
    await settle(pilot)
    await type_text(pilot, target.hospital_number)
    await settle(pilot)
    return target


@pilot_test
async def test_keys_typed_right_after_enter_go_to_the_record_it_opens(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        target = await filter_by_hospital_number(pilot, demo_db, 3)
        # Enter and "v" (the clinic visits tab) arrive together, as from a fast typist or a terminal's paste.
        app.post_message(events.Key("enter", None))
        app.post_message(events.Key("v", "v"))
        await settle(pilot)
        record = app.screen
        assert isinstance(record, PatientRecordScreen) and record.patient_id == target.id
        assert record.active_tab == "visits"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one("#patient-filter", Input).value == target.hospital_number  # no stray "v"


@pilot_test
async def test_enter_opens_the_record_and_escape_returns(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        target = await filter_by_hospital_number(pilot, demo_db, 3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        assert app.screen.patient_id == target.id
        assert app.screen.sub_title == target.full_name
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PatientsScreen)


@pilot_test
async def test_new_patient_is_saved(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormScreen)
        await type_text(pilot, "Ada")
        await pilot.press("tab")
        await type_text(pilot, "Newcombe")
        await pilot.press("tab")
        await type_text(pilot, VALID_NHS)
        await pilot.press("tab")
        await type_text(pilot, "NEW-1")
        await pilot.press("tab")
        await type_text(pilot, "14/03/2012")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen), app.screen.values()
    with demo_db.session() as session:
        saved = session.exec(select(Patient).where(Patient.family_name == "Newcombe")).one()
        assert saved.nhs_number == "9434765919"
        assert saved.hospital_number == "NEW-1"
        assert saved.date_of_birth.isoformat() == "2012-03-14"


@pilot_test
async def test_invalid_form_stays_with_typed_values_and_messages(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "n")
        await pilot.pause()
        await type_text(pilot, "Ada")
        await pilot.press("tab")
        await type_text(pilot, "Lovelace")
        await pilot.press("tab")
        await type_text(pilot, "943 476 5918")  # wrong check digit
        await pilot.press("tab", "tab")
        await type_text(pilot, "31/02/2012")  # no such date
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        errors = form.field_errors
        assert "check digit" in errors["nhs_number"]
        assert "date_of_birth" in errors
        assert "hospital_number" in errors
        assert "given_name" not in errors
        values = form.values()
        assert values["given_name"] == "Ada"
        assert values["family_name"] == "Lovelace"
        assert values["nhs_number"] == "943 476 5918"
        assert "problems to fix" in form.message
        # Escape cancels once the discarding is confirmed (y): nothing saved.
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, PatientsScreen)
    with demo_db.session() as session:
        assert session.exec(select(Patient).where(Patient.family_name == "Lovelace")).first() is None


@pilot_test
async def test_help_lists_the_bindings_of_the_current_screen(app: CoordinatorApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text()
        for expected in ("New patient", "Open patient", "Quit", "Clinic days", "Find anything", "Clear"):
            assert expected in text
        await pilot.press("escape")
        await pilot.press("down")  # into the list, then help again: now ? works too
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "Open patient" in app.screen.text()
        await pilot.press("escape")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        record_help = app.screen.text()
        for expected in ("Edit patient", "Back", "Make" if False else "Named worker", "Care team", "Transition"):
            assert expected in record_help


@pilot_test
async def test_number_keys_switch_top_level_screens(app: CoordinatorApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "3")
        await settle(pilot)
        assert app.current_mode == "professionals"
        assert isinstance(app.screen, ProfessionalsScreen)
        await pilot.press("down", "1")
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        await pilot.press("down", "2")
        await settle(pilot)
        assert app.current_mode == "clinic_days"
        await pilot.press("4")
        await settle(pilot)
        assert app.current_mode == "caseload"


@pilot_test
async def test_function_keys_switch_screens_while_the_filter_takes_digits(app: CoordinatorApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(app.focused, Input)
        nav = str(screen.query_one(NavBar).render_bar(typing=True))
        assert "F2 Patients" in nav and "F3 Clinic days" in nav
        assert "F2 Patients" in str(screen.query_one(NavBar).render())  # what the bar shows now
        await pilot.press("2")  # typed into the filter: NHS numbers are digits
        await pilot.pause()
        assert app.screen.query_one(Input).value == "2" and app.current_mode == "patients"
        await pilot.press("f3")
        await settle(pilot)
        assert app.current_mode == "clinic_days"
        await pilot.press("f2")
        await settle(pilot)
        assert app.current_mode == "patients"
        await pilot.press("down")  # into the list: digits switch screens again, and the bar says so
        await pilot.pause()
        assert " 2 Clinic days" in str(app.screen.query_one(NavBar).render())


async def _palette_pick(pilot, query: str, expect: str) -> None:  # type: ignore[no-untyped-def]
    """Type into the palette, wait until the first hit is ``expect`` (the search runs in a thread), choose it."""
    from textual.command import CommandList

    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CommandPalette)
    await type_text(pilot, query)
    hits: list[str] = []
    for _ in range(100):
        await pilot.pause(0.05)
        commands = pilot.app.screen.query_one(CommandList)
        hits = [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]
        if hits and expect.lower() in hits[0].lower():
            break
    assert hits and expect.lower() in hits[0].lower(), hits
    await pilot.press("down", "enter")
    await settle(pilot)


@pilot_test
async def test_command_palette_jumps_to_a_patient(app: CoordinatorApp, demo_db: Database) -> None:
    with demo_db.session() as session:
        target = search_patients(session, "")[7]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _palette_pick(pilot, f"{target.given_name} {target.family_name}", target.family_name)
        assert isinstance(app.screen, PatientRecordScreen)
        assert app.screen.patient_id == target.id


@pilot_test
async def test_command_palette_jumps_to_a_professional(app: CoordinatorApp, demo_db: Database) -> None:
    with demo_db.session() as session:
        target = session.exec(select(Professional).order_by(Professional.id.desc())).first()  # type: ignore[union-attr]
        assert target is not None
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _palette_pick(pilot, f"{target.given_name} {target.family_name}", target.family_name)
        assert app.current_mode == "professionals"
        table = app.screen.query_one(ProfessionalTable)
        for _ in range(40):  # the professional is looked up, then the directory filtered, off the UI thread
            if table.selected_key == str(target.id):
                break
            await settle(pilot)
        assert table.selected_key == str(target.id)


@pilot_test
async def test_command_palette_jumps_to_a_clinic(app: CoordinatorApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _palette_pick(pilot, "combined clinic january 2027", "january 2027")
        assert app.current_mode == "clinic_days"
