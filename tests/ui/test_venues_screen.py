"""Pilot tests of the Venues screen from an EMPTY database, with keys only: the empty list says which key adds the
first venue; a venue with 4 rooms in 2 buildings is added, a walking time set, a clash refused in the form with what
was typed kept, the venue renamed and a room archived; then the database is checked."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Static

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent, BuildingWalk, Room, Venue
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.venues import EMPTY_TEXT, RoomTable, VenuesScreen, VenueTable
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormScreen
from tests.postgres_server import both_databases
from tests.ui.helpers import SIZE, cell_texts, pilot_test, settle, type_text

pytestmark = both_databases

ROOMS = [
    ("Eye Clinic", "Children's Building"),
    ("Audiology Suite", "children's building"),  # typed in another case: the building already there
    ("Room 1", "Outpatients"),
    ("Room 2", "Outpatients"),
]


def new_app(db: Database) -> CoordinatorApp:
    return CoordinatorApp(database=db, settings=Settings())


async def to_venues(pilot: Pilot[Any]) -> VenuesScreen:
    await settle(pilot)
    await pilot.press("f7")  # works from the patient filter box, where digits are typed
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, VenuesScreen)
    return screen


async def fill(pilot: Pilot[Any], *values: str) -> None:
    """Type each value into the form's fields in order (Tab between them), then Enter saves."""
    assert isinstance(pilot.app.screen, FormScreen)
    for index, value in enumerate(values):
        if index:
            await pilot.press("tab")
        await type_text(pilot, value)
    await pilot.press("enter")
    await settle(pilot)


def text_of(screen: VenuesScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


@pilot_test
async def test_a_venue_with_four_rooms_in_two_buildings_from_an_empty_database(db: Database) -> None:
    app = new_app(db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_venues(pilot)
        assert text_of(screen, "#venues-empty") == EMPTY_TEXT
        await pilot.press("r")  # no venue yet: it says what to do
        await settle(pilot)
        assert isinstance(pilot.app.screen, VenuesScreen)

        await pilot.press("a")
        await pilot.pause()
        await fill(pilot, "Exampleton Children's Hospital")
        assert isinstance(pilot.app.screen, VenuesScreen)
        assert cell_texts(screen.query_one(VenueTable), 0) == ["Exampleton Children's Hospital"]
        assert "no rooms yet. Press r" in text_of(screen, "#rooms-title")

        for name, building in ROOMS:
            await pilot.press("r")
            await pilot.pause()
            await fill(pilot, name, building)
            assert isinstance(pilot.app.screen, VenuesScreen), f"the form for {name} did not close"
        rooms = screen.query_one(RoomTable)
        assert cell_texts(rooms, 0) == ["Children's Building", "", "Outpatients", ""]
        assert cell_texts(rooms, 1) == ["Audiology Suite", "Eye Clinic", "Room 1", "Room 2"]
        assert "4 rooms in 2 buildings" in text_of(screen, "#rooms-title")

        # The same room again: refused in the form, what was typed kept, nothing written.
        await pilot.press("r")
        await pilot.pause()
        await fill(pilot, "room 1", "OUTPATIENTS")
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        assert form.values()["name"] == "room 1"
        assert "already has Room 1 in Outpatients" in str(form.query_one("#error-name", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        if isinstance(pilot.app.screen, ConfirmScreen):  # throw the typed values away
            await pilot.press("y")
            await pilot.pause()
        assert isinstance(pilot.app.screen, VenuesScreen)

        # The walk between the two buildings: the first two in the lists, 15 minutes.
        await pilot.press("w")
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        assert (form.values()["first"], form.values()["second"]) == ("Children's Building", "Outpatients")
        await pilot.press("tab", "tab")
        await type_text(pilot, "15")
        await pilot.press("enter")
        await settle(pilot)
        assert "Children's Building ↔ Outpatients 15 min" in text_of(screen, "#walks-text")

        # Rename the venue from its list (e), then archive Room 2 from the rooms (x, confirmed).
        screen.query_one(VenueTable).focus()
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("end", *["backspace"] * len("Children's Hospital"))
        await type_text(pilot, "Hospital")
        await pilot.press("enter")
        await settle(pilot)
        assert cell_texts(screen.query_one(VenueTable), 0) == ["Exampleton Hospital"]
        rooms.focus()
        await pilot.press("end", "x")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert cell_texts(rooms, 1) == ["Audiology Suite", "Eye Clinic", "Room 1"]

    with db.read_session() as s:
        venues = s.exec(select(Venue)).all()
        assert [(v.name, v.archived, v.version) for v in venues] == [("Exampleton Hospital", False, 2)]
        rooms_stored = sorted((r.building, r.name, r.archived) for r in s.exec(select(Room)).all())
        assert rooms_stored == [
            ("Children's Building", "Audiology Suite", False),
            ("Children's Building", "Eye Clinic", False),
            ("Outpatients", "Room 1", False),
            ("Outpatients", "Room 2", True),
        ]
        walks = [(w.first_building, w.second_building, w.minutes) for w in s.exec(select(BuildingWalk)).all()]
        assert walks == [("Children's Building", "Outpatients", 15)]
        entities = [e.entity for e in s.exec(select(AuditEvent)).all()]
        assert entities.count("venue") == 2 and entities.count("room") == 5 and entities.count("buildingwalk") == 1


@pilot_test
async def test_walking_time_needs_two_buildings_and_edit_needs_a_room(db: Database) -> None:
    app = new_app(db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_venues(pilot)
        await pilot.press("a")
        await pilot.pause()
        await fill(pilot, "Test Hospital")
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(pilot.app.screen, VenuesScreen)  # one building: it says to add rooms in a second first
        screen.query_one(RoomTable).focus()
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(pilot.app.screen, VenuesScreen)
    with db.read_session() as s:
        assert s.exec(select(BuildingWalk)).all() == []


@pilot_test
async def test_an_archived_venue_is_shown_with_h_and_restored_with_x(db: Database) -> None:
    app = new_app(db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_venues(pilot)
        await pilot.press("a")
        await pilot.pause()
        await fill(pilot, "Test Hospital")
        screen.query_one(VenueTable).focus()
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert "No venues in use (1 archived: h shows them" in text_of(screen, "#venues-empty")
        await pilot.press("h")
        await settle(pilot)
        assert cell_texts(screen.query_one(VenueTable), 0) == ["Test Hospital (archived)"]
        screen.query_one(VenueTable).focus()
        await pilot.press("x")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmScreen) and dialog.question == "Restore Test Hospital?"
        await pilot.press("y")
        await settle(pilot)
        assert cell_texts(screen.query_one(VenueTable), 0) == ["Test Hospital"]
    with db.read_session() as s:
        assert [(v.name, v.archived, v.version) for v in s.exec(select(Venue)).all()] == [("Test Hospital", False, 3)]
