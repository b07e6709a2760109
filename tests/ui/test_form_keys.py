"""Forms under a busy machine: keys typed faster than the app handles them act in the order typed (issue 14).

Each test sends its keys as one burst, the way a terminal delivers them while the app is busy, with a thread holding
the CPU meanwhile. Before the fix (``ui/key_order.py``) a text box inserted characters as they reached it but acted
on End, Ctrl+U, Enter and Tab only once those keys had bubbled back up to the app: the reported contact edit (Tab,
Tab, End, Ctrl+U, "12345", Enter) saved the phone number blank and said "Contact saved.".
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from sqlmodel import col, select
from textual.pilot import Pilot

from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent, CareTeamMember, Contact, Patient
from coordinator_tui.services.people import care_team as care_team_service
from coordinator_tui.services.people import patient_record
from coordinator_tui.services.people.professionals import list_professionals
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.patient_record import ContactsTable, PatientRecordScreen
from coordinator_tui.ui.widgets.forms import FormScreen
from coordinator_tui.ui.widgets.picker import PickerScreen
from tests.ui.busy import burst, key_event, last_audit_id, typed
from tests.ui.helpers import SIZE, pilot_test, settle
from tests.ui.test_patient_record import first_patient, move_to_row, open_record


def contact_with_phone(db: Database, patient: Patient) -> Contact:
    with db.session() as session:
        contact = session.exec(select(Contact).where(Contact.patient_id == patient.id, Contact.phone != "")).first()
    assert contact is not None
    return contact


async def open_contact_form(pilot: Pilot[Any], db: Database) -> tuple[PatientRecordScreen, Contact, FormScreen[Any]]:
    patient = first_patient(db)
    contact = contact_with_phone(db, patient)
    record = await open_record(pilot, patient)
    await pilot.press("f")
    await settle(pilot)
    await move_to_row(pilot, record.query_one(ContactsTable), str(contact.id))
    await pilot.press("e")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, FormScreen)
    assert form.values()["phone"] == contact.phone
    return record, contact, form


@pilot_test
async def test_reported_contact_edit_under_load_shows_the_error_and_saves_nothing(
    app: CoordinatorApp, demo_db: Database
) -> None:
    """The report: Tab, Tab (handled), then End, Ctrl+U, "12345", Enter in one burst. "12345" is not a phone
    number: the form must stay open and say so, never save the number blank. (Before the fix: saved blank.)"""
    async with app.run_test(size=SIZE) as pilot:
        _record, contact, form = await open_contact_form(pilot, demo_db)
        audit_before = last_audit_id(demo_db)
        await pilot.press("tab", "tab")
        assert app.focused is form.input_for("phone")
        await burst(pilot, ["end", "ctrl+u", *typed("12345"), "enter"])
        assert app.screen is form, "the form stays open"
        assert form.values()["phone"] == "12345"
        assert "phone" in form.field_errors
        assert form.values()["name"] == contact.name
    with demo_db.session() as session:
        assert session.get(Contact, contact.id).phone == contact.phone  # type: ignore[union-attr]
    assert last_audit_id(demo_db) == audit_before


@pilot_test
async def test_whole_contact_edit_in_one_burst_saves_exactly_what_was_typed(
    app: CoordinatorApp, demo_db: Database
) -> None:
    """Tabs in the burst too, a valid number, and keys typed after Enter: the save holds what the fields showed
    when Enter was acted on, and the name (where the keys started) is untouched. (Before the fix: the digits
    replaced the name and the phone was saved blank.)"""
    async with app.run_test(size=SIZE) as pilot:
        record, contact, _form = await open_contact_form(pilot, demo_db)
        await burst(pilot, ["tab", "tab", "end", "ctrl+u", *typed("07700 900123"), "enter", "9"])
        assert app.screen is record
    with demo_db.session() as session:
        saved = session.get(Contact, contact.id)
        assert saved is not None
        assert (saved.name, saved.phone) == (contact.name, "07700 900123")
        change = session.exec(
            select(AuditEvent).where(AuditEvent.entity_id == str(contact.id)).order_by(col(AuditEvent.id).desc())
        ).first()
    assert change is not None
    assert json.loads(change.after)["phone"] == "07700 900123"


@pilot_test
async def test_new_patient_typed_in_one_burst_lands_field_by_field(app: CoordinatorApp, demo_db: Database) -> None:
    """Five fields with Tabs between them, a correction (Backspace) and Enter, in one burst: each value lands in
    its own field and is saved as typed. (Before the fix: the letters went into the first field.)"""
    keys = [
        *typed("Adaa"),
        "backspace",
        "tab",
        *typed("Burstcombe"),
        "tab",
        *typed("943 476 5919"),
        "tab",
        *typed("BURST-1"),
        "tab",
        *typed("14/03/2012"),
        "enter",
    ]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "n")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await burst(pilot, keys)
        assert not isinstance(app.screen, FormScreen), app.screen.values()  # type: ignore[attr-defined]
    with demo_db.session() as session:
        saved = session.exec(select(Patient).where(Patient.family_name == "Burstcombe")).one()
    assert (saved.given_name, saved.nhs_number, saved.hospital_number) == ("Ada", "9434765919", "BURST-1")
    assert saved.date_of_birth.isoformat() == "2012-03-14"


@pilot_test
async def test_enter_in_the_professional_picker_waits_for_the_matches_of_what_was_typed(
    app: CoordinatorApp, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name and Enter typed faster than the search answers: the professional added is the one typed, not the
    one highlighted in the list for earlier text. (Before: the first professional of the whole list.)"""
    patient = first_patient(demo_db)
    with demo_db.session() as session:
        in_team = {v.professional.id for v in care_team_service.team(session, patient.id)}  # type: ignore[arg-type]
        everyone = list(list_professionals(session))
    wanted = [p for p in everyone if p.id not in in_team][-1]
    assert wanted.id != everyone[0].id
    release = threading.Event()

    def held_search(session: Any, text: str = "", **kwargs: Any) -> Any:
        if text:
            release.wait(30)
        return list_professionals(session, text=text, **kwargs)

    monkeypatch.setattr(patient_record, "list_professionals", held_search)
    async with app.run_test(size=SIZE) as pilot:
        await open_record(pilot, patient)
        await pilot.press("a")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        for key in [*typed(f"{wanted.given_name} {wanted.family_name}"), "enter"]:
            app.post_message(key_event(key))
        for _ in range(5):
            await pilot.pause()
        assert app.screen is picker, "Enter waits for the matches of what was typed"
        release.set()
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await pilot.press("enter")
        await settle(pilot)
    with demo_db.session() as session:
        added = session.exec(
            select(CareTeamMember).where(
                CareTeamMember.patient_id == patient.id, CareTeamMember.professional_id == wanted.id
            )
        ).first()
    assert added is not None
