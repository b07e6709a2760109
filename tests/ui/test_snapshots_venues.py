"""Snapshots of the Venues screen at 80x24 and 120x40: empty (it says which key adds the first venue), a venue with
4 rooms in 2 buildings and a walking time, the room form refusing a room already there, and the walking-time form.

Regenerate after an intended change with ``pytest tests/ui/test_snapshots_venues.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.services.clinics import venues
from coordinator_tui.ui.app import CoordinatorApp
from tests.ui.helpers import settle, steady_cursors, type_text

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
Before = Callable[[Pilot[Any]], Awaitable[None]]


def fill_catalogue(db: Database) -> None:
    with db.session() as s:
        venue = venues.add_venue(s, {"name": "Exampleton Children's Hospital", "address": "1 Example Road"})
        assert venue.id is not None
        for name, building in [
            ("Eye Clinic", "Children's Building"),
            ("Audiology Suite", "Children's Building"),
            ("Room 1", "Outpatients"),
            ("Room 2", "Outpatients"),
        ]:
            venues.add_room(s, venue.id, {"name": name, "building": building})
        venues.set_walking_time(s, venue.id, {"first": "Outpatients", "second": "Children's Building", "minutes": "15"})
        venues.add_venue(s, {"name": "Western Outreach Centre"})  # listed after: the first stays highlighted


async def open_venues(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("f7")
    await settle(pilot)
    await pilot.pause(0.05)


async def room_form_refused(pilot: Pilot[Any]) -> None:
    await open_venues(pilot)
    await pilot.press("r")
    await settle(pilot)
    await type_text(pilot, "room 1")
    await pilot.press("tab")
    await type_text(pilot, "outpatients")
    await pilot.press("enter")
    await settle(pilot)
    await steady_cursors(pilot)


async def walking_form(pilot: Pilot[Any]) -> None:
    await open_venues(pilot)
    await pilot.press("w")
    await settle(pilot)


VIEWS: dict[str, tuple[bool, Before]] = {
    "empty": (False, open_venues),
    "catalogue": (True, open_venues),
    "room_form_refused": (True, room_form_refused),
    "walking_form": (True, walking_form),
}


@pytest.mark.parametrize("size", SIZES.keys())
@pytest.mark.parametrize("view", VIEWS.keys())
def test_venues_snapshot(snap_compare: Any, db: Database, view: str, size: str) -> None:
    filled, before = VIEWS[view]
    if filled:
        fill_catalogue(db)
    app = CoordinatorApp(database=db, settings=Settings())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=before)
