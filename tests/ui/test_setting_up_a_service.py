"""A real service's first day, in one session of the app: from an EMPTY database, with keys only, the coordinator
follows the Getting started steps: the service's details, fifteen professionals across the disciplines, a venue
with four rooms in two buildings, then the first patient with a family contact and a care team of five. Then the
database is checked: everything typed is there, each save audited, nothing else made."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from textual.pilot import Pilot

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent, CareTeamMember, Contact, Patient, Professional, Room, Service, Venue
from coordinator_tui.services.people.professionals import file_disciplines
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.patient_record import PatientRecordScreen
from coordinator_tui.ui.screens.patients import PatientsScreen
from coordinator_tui.ui.screens.professionals import ProfessionalsScreen
from coordinator_tui.ui.screens.service_details import ServiceDetailsScreen
from coordinator_tui.ui.screens.venues import VenuesScreen
from coordinator_tui.ui.widgets.forms import FormScreen
from coordinator_tui.ui.widgets.getting_started import GettingStarted
from coordinator_tui.ui.widgets.picker import PickerScreen
from tests.postgres_server import both_databases
from tests.ui.helpers import SIZE, pilot_test, settle, type_text
from tests.ui.test_first_run import screen_text
from tests.ui.test_professional_forms import add_with_keys
from tests.ui.test_venues_screen import ROOMS, fill

pytestmark = both_databases


async def switch(pilot: Pilot[Any], key: str, screen_type: type) -> Any:
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, screen_type), screen_text(pilot)
    return pilot.app.screen


async def enter_service_details(pilot: Pilot[Any]) -> None:
    await switch(pilot, "f6", ServiceDetailsScreen)
    await pilot.press("e")
    await settle(pilot)
    assert isinstance(pilot.app.screen, FormScreen)
    await pilot.press("ctrl+u")
    await type_text(pilot, "Northshire Rare Disease Service")
    for value in ("Alström clinic", "0121 496 0000", "Exampleton Children's Hospital, 1 Example Road"):
        await pilot.press("tab")
        await type_text(pilot, value)
    await pilot.press("ctrl+s")  # the address is several lines: Enter there starts a new one
    await settle(pilot)
    assert isinstance(pilot.app.screen, ServiceDetailsScreen), screen_text(pilot)


async def add_fifteen_professionals(pilot: Pilot[Any]) -> None:
    await switch(pilot, "f4", ProfessionalsScreen)
    for index, discipline in enumerate(file_disciplines()[:15]):
        values = {"title": "Dr" if index % 2 else "", "given_name": f"Test{index}", "family_name": "Professional"}
        values |= {"discipline": discipline, "email": f"test{index}@example.org", "usual_days": "Mon, Tue"}
        await add_with_keys(pilot, values)
        assert isinstance(pilot.app.screen, ProfessionalsScreen), screen_text(pilot)


async def add_a_venue_with_four_rooms(pilot: Pilot[Any]) -> None:
    await switch(pilot, "f7", VenuesScreen)
    await pilot.press("a")
    await pilot.pause()
    await fill(pilot, "Exampleton Children's Hospital")
    for name, building in ROOMS:
        await pilot.press("r")
        await pilot.pause()
        await fill(pilot, name, building)
        assert isinstance(pilot.app.screen, VenuesScreen), screen_text(pilot)


async def register_the_first_patient(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+n")
    await settle(pilot)
    assert isinstance(pilot.app.screen, FormScreen)
    await type_text(pilot, "Testgiven")
    for value in ("Testfamily", "943 476 5919", "TST00001", "14/03/2011"):
        await pilot.press("tab")
        await type_text(pilot, value)
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PatientsScreen), screen_text(pilot)


async def open_the_record(pilot: Pilot[Any]) -> PatientRecordScreen:
    await type_text(pilot, "TST00001")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PatientRecordScreen), screen_text(pilot)
    return pilot.app.screen


async def add_a_contact_and_a_care_team_of_five(pilot: Pilot[Any], record: PatientRecordScreen) -> None:
    await pilot.press("f")
    await settle(pilot)
    await pilot.press("a")
    await pilot.pause()
    assert isinstance(pilot.app.screen, FormScreen)
    await type_text(pilot, "Sam Testcarer")
    await pilot.press("tab", "tab")
    await type_text(pilot, "07700 900999")
    await pilot.press("enter")
    await settle(pilot)
    assert pilot.app.screen is record, screen_text(pilot)
    await pilot.press("c")
    await settle(pilot)
    for _ in range(5):  # the picker leaves out who is already in the team: its first entry is someone new
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PickerScreen), screen_text(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormScreen), screen_text(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is record, screen_text(pilot)


@pilot_test
async def test_a_service_set_up_from_an_empty_database_with_keys_only(db: Database) -> None:
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(GettingStarted)
        assert panel.display and screen_text(pilot).count("○ to do") == 5

        await enter_service_details(pilot)
        await add_fifteen_professionals(pilot)
        await add_a_venue_with_four_rooms(pilot)

        home = await switch(pilot, "f2", PatientsScreen)
        text = screen_text(pilot)
        assert text.count("✓ done") == 3 and text.count("○ to do") == 2, text  # the clinic plan and a patient left
        await register_the_first_patient(pilot)
        assert home.query_one(GettingStarted).has_class("-short")
        record = await open_the_record(pilot)
        await add_a_contact_and_a_care_team_of_five(pilot, record)

    with db.read_session() as s:
        [service] = s.exec(select(Service)).all()
        assert (service.name, service.short_name, service.phone) == (
            "Northshire Rare Disease Service",
            "Alström clinic",
            "0121 496 0000",
        )
        professionals = s.exec(select(Professional).order_by(Professional.id)).all()
        assert [p.discipline for p in professionals] == file_disciplines()[:15]
        assert {p.usual_days for p in professionals} == {"Mon Tue"} and not any(p.archived for p in professionals)
        [venue] = s.exec(select(Venue)).all()
        rooms = s.exec(select(Room).where(Room.venue_id == venue.id)).all()
        assert sorted((r.building, r.name) for r in rooms) == [
            ("Children's Building", "Audiology Suite"),  # typed "children's building": the building already there
            ("Children's Building", "Eye Clinic"),
            ("Outpatients", "Room 1"),
            ("Outpatients", "Room 2"),
        ]
        [patient] = s.exec(select(Patient)).all()
        assert (patient.full_name, patient.nhs_number) == ("Testgiven Testfamily", "9434765919")
        [contact] = s.exec(select(Contact).where(Contact.patient_id == patient.id)).all()
        assert (contact.name, contact.phone) == ("Sam Testcarer", "07700 900999")
        team = s.exec(select(CareTeamMember).where(CareTeamMember.patient_id == patient.id)).all()
        assert len({m.professional_id for m in team}) == 5 and all(m.end_date is None for m in team)
        entities = [e.entity for e in s.exec(select(AuditEvent)).all()]
        assert entities.count("professional") == 15 and entities.count("room") == 4
        assert entities.count("caremember") + entities.count("careteammember") == 5
