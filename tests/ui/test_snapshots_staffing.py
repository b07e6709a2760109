"""Snapshots of the Staffing screen at 80x24 and 120x40: a clinic with nobody yet (it says which key to press), the
next clinic after c copied the first one's staffing (what was copied and skipped, and the discipline its invited
family needs that nobody covers), and the form changing a professional's hours and room.

Regenerate after an intended change with ``pytest tests/ui/test_snapshots_staffing.py --snapshot-update``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.services.clinics import staffing
from coordinator_tui.ui.app import CoordinatorApp
from tests.ui.helpers import settle
from tests.ui.staffing_setup import JANUARY, set_up

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
Before = Callable[[Pilot[Any]], Awaitable[None]]


def staffed_january(db: Database) -> None:
    ids = set_up(db)
    with db.session() as s:
        for who, start, end, room in [
            (ids.quinn, dt.time(9), dt.time(17), "Room 1, Outpatients"),
            (ids.ada, dt.time(10), dt.time(16), "Eye Clinic, Children's Building"),
            (ids.una, dt.time(9), dt.time(12, 30), None),
        ]:
            staffing.set_staff_day(s, ids.january, who, JANUARY, start, end, ids.rooms[room] if room else None)


async def open_staffing(pilot: Pilot[Any], rows_down: int = 0) -> None:
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    await pilot.press(*["down"] * rows_down, "s")
    await settle(pilot)
    await pilot.pause(0.05)


async def empty(pilot: Pilot[Any]) -> None:
    await open_staffing(pilot)


async def copied(pilot: Pilot[Any]) -> None:
    await open_staffing(pilot, rows_down=1)
    await pilot.press("c")
    await settle(pilot)
    await pilot.pause(0.05)


async def edit_form(pilot: Pilot[Any]) -> None:
    await open_staffing(pilot)
    await pilot.press("e")
    await settle(pilot)
    for field in pilot.app.screen.query(Input):  # the cursor shown steadily: no blink caught half-way
        field.cursor_blink = False
    await pilot.pause(0.05)


VIEWS: dict[str, tuple[Callable[[Database], object], Before]] = {
    "empty": (set_up, empty),
    "copied": (staffed_january, copied),
    "edit_form": (staffed_january, edit_form),
}


@pytest.mark.parametrize("size", SIZES.keys())
@pytest.mark.parametrize("view", VIEWS.keys())
def test_staffing_snapshot(snap_compare: Any, db: Database, view: str, size: str) -> None:
    setup, before = VIEWS[view]
    setup(db)
    app = CoordinatorApp(database=db, settings=Settings())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=before)
