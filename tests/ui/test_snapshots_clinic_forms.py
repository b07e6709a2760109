"""Snapshots of the clinic list's forms at 80x24 and 120x40: the empty list (it says a adds the first clinic, p plans
a year), the new-clinic form refusing Easter Monday, the plan's preview with a date moved off a bank holiday, the
move form refusing an overlap, and the cancel confirmation.

Regenerate after an intended change with ``pytest tests/ui/test_snapshots_clinic_forms.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.services.clinics import clinics, venues
from coordinator_tui.ui.app import CoordinatorApp
from tests.ui.helpers import settle, steady_cursors, type_text

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
Before = Callable[[Pilot[Any]], Awaitable[None]]


def set_up(db: Database, *, with_clinics: bool) -> None:
    with db.session() as s:
        venue = venues.add_venue(s, {"name": "Exampleton Children's Hospital"})
        venues.add_room(s, venue.id, {"name": "Room 1", "building": "Main"})  # type: ignore[arg-type]
    if with_clinics:
        for start in ("11/01/2027", "08/03/2027"):
            clinics.save_new_clinic(db, {"name": "", "start_date": start, "venue_id": "1"})


async def open_list(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    await pilot.pause(0.05)


async def new_clinic_refused(pilot: Pilot[Any]) -> None:
    await open_list(pilot)
    await pilot.press("a")
    await settle(pilot)
    await type_text(pilot, "29/03/2027")
    await pilot.press("enter")
    await settle(pilot)
    await steady_cursors(pilot)


async def plan_preview(pilot: Pilot[Any]) -> None:
    await open_list(pilot)
    await pilot.press("p")
    await settle(pilot)
    await type_text(pilot, "01/02/2027")
    await pilot.press("enter")
    await settle(pilot)
    await steady_cursors(pilot)


async def move_refused(pilot: Pilot[Any]) -> None:
    await open_list(pilot)
    await pilot.press("m")
    await settle(pilot)
    await type_text(pilot, "08/03/2027")
    await pilot.press("enter")
    await settle(pilot)
    await steady_cursors(pilot)


async def cancel_confirmation(pilot: Pilot[Any]) -> None:
    await open_list(pilot)
    await pilot.press("x")
    await settle(pilot)


VIEWS: dict[str, tuple[bool, Before]] = {
    "empty": (False, open_list),
    "new_clinic_refused": (False, new_clinic_refused),
    "plan_preview": (False, plan_preview),
    "move_refused": (True, move_refused),
    "cancel_confirmation": (True, cancel_confirmation),
}


@pytest.mark.parametrize("size", SIZES.keys())
@pytest.mark.parametrize("view", VIEWS.keys())
def test_clinic_forms_snapshot(snap_compare: Any, db: Database, view: str, size: str) -> None:
    with_clinics, before = VIEWS[view]
    set_up(db, with_clinics=with_clinics)
    app = CoordinatorApp(database=db, settings=Settings())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=before)
