"""Pilot tests of the patient record: tabs, care team, contacts, travel form, stale saves, confirmations."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlmodel import select
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent

from coordinator_tui.db import Database
from coordinator_tui.models import CareTeamMember, CareTeamStatus, ClinicAttendance, Contact, Patient
from coordinator_tui.services.clinics.clinics import attendances_for_patient
from coordinator_tui.services.people import care_team as care_team_service
from coordinator_tui.services.people import contacts as contact_service
from coordinator_tui.services.people import patients as patient_service
from coordinator_tui.services.people.patients import search_patients
from coordinator_tui.services.service_details import service_rules
from coordinator_tui.services.transition.checklists import checklist_for_patient
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.patient_record import (
    NAMED_MARK,
    NAMED_WORKER,
    CareTeamTable,
    ContactsTable,
    PatientRecordScreen,
    VisitsTable,
)
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormScreen
from coordinator_tui.ui.widgets.picker import PickerScreen
from coordinator_tui.ui.widgets.transition_list import TransitionTable
from tests.ui.helpers import SIZE, cell_texts, pilot_test, settle, type_text


def first_patient(db: Database, index: int = 0) -> Patient:
    with db.session() as session:
        return search_patients(session, "")[index]


async def open_record(pilot: Pilot[Any], patient: Patient) -> PatientRecordScreen:
    await settle(pilot)
    await type_text(pilot, patient.hospital_number)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PatientRecordScreen)
    assert screen.data is not None
    return screen


async def move_to_row(pilot: Pilot[Any], table: Any, key: str) -> None:
    assert table.move_to_key(key)
    await pilot.pause()


@pilot_test
async def test_tabs_switch_by_letter_and_focus_their_list(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, first_patient(demo_db))
        assert screen.active_tab == "care"
        assert isinstance(app.focused, CareTeamTable)
        for key, tab, table_type in (
            ("f", "family", ContactsTable),
            ("v", "visits", VisitsTable),
            ("t", "transition", TransitionTable),
            ("c", "care", CareTeamTable),
        ):
            await pilot.press(key)
            await settle(pilot)
            assert screen.active_tab == tab
            assert isinstance(app.focused, table_type)


@pilot_test
async def test_care_team_grouped_with_named_worker_symbol_and_word(app: CoordinatorApp, demo_db: Database) -> None:
    patient = first_patient(demo_db)
    with demo_db.session() as session:
        team = care_team_service.team(session, patient.id)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, patient)
        table = screen.query_one(CareTeamTable)
        assert table.row_count == len(team)
        disciplines = [d for d in cell_texts(table, 0) if d]
        assert len(disciplines) == len({v.professional.discipline for v in team})
        marks = [mark.strip() for mark in cell_texts(table, 2)]  # cells are padded to their column
        assert marks.count(NAMED_MARK) == 1
        assert "★" in NAMED_MARK and "named" in NAMED_MARK  # a symbol and a word, not colour alone
        assert "★ named worker" in NAMED_WORKER  # in full in the panel under the list


@pilot_test
async def test_add_member_through_picker_and_form(app: CoordinatorApp, demo_db: Database) -> None:
    patient = first_patient(demo_db)
    with demo_db.session() as session:
        in_team = {v.professional.id for v in care_team_service.team(session, patient.id)}  # type: ignore[arg-type]
        from coordinator_tui.services.people.professionals import list_professionals

        outsider = next(p for p in list_professionals(session) if p.id not in in_team)
    async with app.run_test(size=SIZE) as pilot:
        await open_record(pilot, patient)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        await type_text(pilot, f"{outsider.given_name} {outsider.family_name}")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await type_text(pilot, "local lead")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
    with demo_db.session() as session:
        member = session.exec(
            select(CareTeamMember).where(
                CareTeamMember.patient_id == patient.id, CareTeamMember.professional_id == outsider.id
            )
        ).one()
        assert member.role == "local lead"
        assert member.status is CareTeamStatus.ACTIVE


@pilot_test
async def test_end_membership_refused_changes_nothing_then_confirmed(app: CoordinatorApp, demo_db: Database) -> None:
    patient = first_patient(demo_db)
    with demo_db.session() as session:
        view = next(v for v in care_team_service.team(session, patient.id) if not v.member.is_named_worker)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, patient)
        await move_to_row(pilot, screen.query_one(CareTeamTable), str(view.member.id))
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        with demo_db.session() as session:
            assert session.get(CareTeamMember, view.member.id).status is CareTeamStatus.ACTIVE  # type: ignore[union-attr]
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        with demo_db.session() as session:
            ended = session.get(CareTeamMember, view.member.id)
            assert ended is not None and ended.status is CareTeamStatus.ENDED
        assert str(view.member.id) not in [str(r.key.value) for r in screen.query_one(CareTeamTable).ordered_rows]
        await pilot.press("x")  # show ended memberships too
        await settle(pilot)
        assert str(view.member.id) in [str(r.key.value) for r in screen.query_one(CareTeamTable).ordered_rows]


@pilot_test
async def test_make_named_worker(app: CoordinatorApp, demo_db: Database) -> None:
    patient = first_patient(demo_db)
    with demo_db.session() as session:
        view = next(v for v in care_team_service.team(session, patient.id) if not v.member.is_named_worker)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, patient)
        await move_to_row(pilot, screen.query_one(CareTeamTable), str(view.member.id))
        await pilot.press("w")
        await settle(pilot)
    with demo_db.session() as session:
        named = care_team_service.named_worker(session, patient.id)  # type: ignore[arg-type]
        assert named is not None and named.member.id == view.member.id


@pilot_test
async def test_stale_member_save_is_refused_and_form_kept(app: CoordinatorApp, demo_db: Database) -> None:
    patient = first_patient(demo_db)
    with demo_db.session() as session:
        view = care_team_service.team(session, patient.id)[0]  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, patient)
        await move_to_row(pilot, screen.query_one(CareTeamTable), str(view.member.id))
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormScreen)
        # Another coordinator saves the same membership meanwhile.
        with demo_db.session() as session:
            care_team_service.update_member(session, view.member.id, {"role": "changed elsewhere"})  # type: ignore[arg-type]
        form.query_one("#field-role", Input).value = "my change"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert "changed by" in form.message and "not saved" in form.message
        assert form.values()["role"] == "my change"
    with demo_db.session() as session:
        assert session.get(CareTeamMember, view.member.id).role == "changed elsewhere"  # type: ignore[union-attr]


@pilot_test
async def test_stale_patient_save_is_refused(app: CoordinatorApp, demo_db: Database) -> None:
    patient = first_patient(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_record(pilot, patient)
        await pilot.press("p")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormScreen)
        with demo_db.session() as session:
            patient_service.update_patient(session, patient.id, {"school": "Elsewhere School"})  # type: ignore[arg-type]
        form.query_one("#field-given_name", Input).value = "Renamed"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert "changed by test-coordinator" in form.message
    with demo_db.session() as session:
        assert session.get(Patient, patient.id).given_name == patient.given_name  # type: ignore[union-attr]


@pilot_test
async def test_edit_patient_saves(app: CoordinatorApp, demo_db: Database) -> None:
    patient = first_patient(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, patient)
        await pilot.press("p")
        await pilot.pause()
        app.screen.query_one("#field-school", Input).value = "Puddleby Academy"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
    with demo_db.session() as session:
        assert session.get(Patient, patient.id).school == "Puddleby Academy"  # type: ignore[union-attr]


@pilot_test
async def test_contacts_add_delete_refused_and_access_needs(app: CoordinatorApp, demo_db: Database) -> None:
    patient = first_patient(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, patient)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        await type_text(pilot, "Sam Carer")
        await pilot.press("tab", "tab")
        await type_text(pilot, "07700 900999")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        with demo_db.session() as session:
            added = session.exec(select(Contact).where(Contact.name == "Sam Carer")).one()
        # Deleting asks; saying no keeps the contact.
        await move_to_row(pilot, screen.query_one(ContactsTable), str(added.id))
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await settle(pilot)
        with demo_db.session() as session:
            assert session.get(Contact, added.id) is not None
        # Accessibility needs: tick BSL interpreter (space), save with Enter.
        await pilot.press("i")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormScreen)
        before = patient.bsl_interpreter
        form.input_for("bsl_interpreter").focus()
        await pilot.press("space", "enter")
        await settle(pilot)
        assert app.screen is screen
    with demo_db.session() as session:
        assert session.get(Patient, patient.id).bsl_interpreter is (not before)  # type: ignore[union-attr]
        assert len(contact_service.list_contacts(session, patient.id)) >= 2  # type: ignore[arg-type]


@pilot_test
async def test_travel_form_invalid_kept_then_saved(app: CoordinatorApp, demo_db: Database) -> None:
    patient = first_patient(demo_db)
    with demo_db.session() as session:
        visits = attendances_for_patient(session, patient.id)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, patient)
        await pilot.press("v")
        await settle(pilot)
        table = screen.query_one(VisitsTable)
        assert table.row_count == len(visits)
        attendance_id = int(table.selected_key)  # type: ignore[arg-type]
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormScreen)
        form.query_one("#field-hotel_nights", Input).value = "lots"
        form.query_one("#field-hotel_name", Input).value = "The Quiet Inn"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert "hotel_nights" in form.field_errors
        assert form.values()["hotel_name"] == "The Quiet Inn"
        form.query_one("#field-hotel_nights", Input).value = "1"
        form.query_one("#field-hotel_check_in", Input).value = "10/01/2027"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen, form.field_errors
    with demo_db.session() as session:
        saved = session.get(ClinicAttendance, attendance_id)
        assert saved is not None and saved.hotel_name == "The Quiet Inn" and saved.hotel_nights == 1


@pilot_test
async def test_transition_tab_shows_the_patients_items_in_date_order(app: CoordinatorApp, demo_db: Database) -> None:
    patient = first_patient(demo_db, 2)
    rules = service_rules(demo_db)  # the tab groups by the rules' stages, in their order
    with demo_db.session() as session:
        items = checklist_for_patient(session, patient.id, rules=rules).rows  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, patient)
        await pilot.press("t")
        await settle(pilot)
        table = screen.query_one(TransitionTable)  # grouped by stage: a heading row ("stage:<n>") per stage
        assert [k for r in table.ordered_rows if (k := str(r.key.value)).isdigit()] == [str(i.item.id) for i in items]
        assert [t for t in cell_texts(table, 2) if not t.startswith("━━")] == [i.item.title for i in items]


async def show_record_screen(pilot: Pilot[Any], patient: Patient) -> PatientRecordScreen:
    """Enter on the patient, returning as soon as the record screen is there (its data may not be yet)."""
    await settle(pilot)
    await type_text(pilot, patient.hospital_number)
    await settle(pilot)
    await pilot.press("enter")
    for _ in range(200):
        if isinstance(pilot.app.screen, PatientRecordScreen) and pilot.app.screen.is_mounted:
            break
        await pilot.pause(0.01)
    screen = pilot.app.screen
    assert isinstance(screen, PatientRecordScreen)
    return screen


def expected_rows(db: Database, patient: Patient) -> dict[str, int]:
    with db.session() as session:
        return {
            "care": len(care_team_service.team(session, patient.id)),  # type: ignore[arg-type]
            "family": len(contact_service.list_contacts(session, patient.id)),  # type: ignore[arg-type]
            "visits": len(attendances_for_patient(session, patient.id)),  # type: ignore[arg-type]
            "transition": len(checklist_for_patient(session, patient.id).rows),  # type: ignore[arg-type]
        }


def row_counts(screen: PatientRecordScreen) -> dict[str, int]:
    transition = screen.query_one(TransitionTable)
    return {
        "care": screen.query_one(CareTeamTable).row_count,
        "family": screen.query_one(ContactsTable).row_count,
        "visits": screen.query_one(VisitsTable).row_count,
        "transition": sum(1 for row in transition.ordered_rows if str(row.key.value).isdigit()),
    }


TAB_LISTS = (("f", "family", ContactsTable), ("v", "visits", VisitsTable), ("t", "transition", TransitionTable))


async def each_tab_by_key(pilot: Pilot[Any], screen: PatientRecordScreen) -> None:
    """Press each tab's letter: the tab is shown and its list has the focus."""
    for key, tab, table_type in TAB_LISTS:
        await pilot.press(key)
        await pilot.pause()
        assert screen.active_tab == tab
        assert isinstance(pilot.app.focused, table_type)


@pilot_test
async def test_other_tabs_are_built_after_the_first_frame_and_filled(app: CoordinatorApp, demo_db: Database) -> None:
    """The record opens with its first tab only; the others are mounted and filled once it is on screen."""
    patient = first_patient(demo_db, 2)
    wanted = expected_rows(demo_db, patient)
    assert all(wanted.values())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, patient)
        assert row_counts(screen) == wanted  # no key pressed: every tab is ready
        assert screen.active_tab == "care" and isinstance(app.focused, CareTeamTable)
        await each_tab_by_key(pilot, screen)
        await pilot.click(screen.query_one(TabbedContent).get_tab("visits"))  # the mouse on the tab bar
        await settle(pilot)
        assert screen.active_tab == "visits" and isinstance(app.focused, VisitsTable)
        assert row_counts(screen) == wanted


@pilot_test
async def test_tab_keys_work_before_the_record_has_loaded(
    app: CoordinatorApp, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tab key pressed while the record is still being read builds that tab at once, shows it and focuses its
    list; its rows come when the record lands. A burst of keys ends on the last one."""
    from coordinator_tui.services.people import patient_record

    patient = first_patient(demo_db, 2)
    wanted = expected_rows(demo_db, patient)
    release = threading.Event()
    read = patient_record.load_record

    def slow_read(*args: Any, **kwargs: Any) -> patient_record.RecordData:
        release.wait(10)
        return read(*args, **kwargs)

    monkeypatch.setattr(patient_record, "load_record", slow_read)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await show_record_screen(pilot, patient)
            assert not screen.loaded
            assert not screen.query(ContactsTable) and not screen.query(VisitsTable)  # not built yet
            await pilot.click(screen.query_one(TabbedContent).get_tab("visits"))  # the mouse on the tab bar
            await pilot.pause()
            assert screen.active_tab == "visits" and isinstance(app.focused, VisitsTable)
            await each_tab_by_key(pilot, screen)
            for key in "vfct":  # a burst, as fast as a terminal delivers it: the last key wins, focus included
                app.post_message(events.Key(key, key))
            for _ in range(5):  # let every message the burst set off go through (not settle: the read is held)
                await pilot.pause(0.05)
            assert screen.active_tab == "transition"
            assert isinstance(app.focused, TransitionTable)
            assert not screen.loaded
            release.set()
            await settle(pilot)
            assert screen.loaded
            assert row_counts(screen) == wanted
            assert screen.active_tab == "transition" and isinstance(app.focused, TransitionTable)
    finally:
        release.set()


@pilot_test
async def test_closing_a_record_while_its_tabs_are_built_is_safe(app: CoordinatorApp, demo_db: Database) -> None:
    """Esc straight after opening: the tabs still being built, or the record read landing late, find no pane."""
    from coordinator_tui.ui.screens.patients import PatientsScreen

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for index in range(6):
            patient = first_patient(demo_db, index)
            await app.open_patient(patient.id)  # type: ignore[arg-type]
            for _ in range(index):  # close it at a different moment of the opening each time
                await pilot.pause()
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, PatientsScreen)
        screen = PatientRecordScreen(patient.id)  # type: ignore[arg-type]
        await app.push_screen(screen)
        await settle(pilot)
        app.pop_screen()
        await settle(pilot)
        for tab in ("care", "family", "visits"):
            screen._fill(tab)  # a closed record: nothing to fill, no error
        await screen._build_other_tabs()
        assert isinstance(app.screen, PatientsScreen)
