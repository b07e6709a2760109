"""Snapshots of the professionals directory's new states at 80x24 and 120x40: the empty directory (from an empty
database), the new-professional form with its field errors, the likely-duplicate question, the archive dialog of
someone in care teams and booked in a future clinic, and the bookings left to move.

Regenerate after an intended change with ``pytest tests/ui/test_snapshots_professionals.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.ui.app import CoordinatorApp
from tests.test_professionals import QUINN, care_team_world
from tests.ui.helpers import settle, steady_cursors, type_text
from tests.ui.test_professional_forms import add_with_keys, fill_form

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
Before = Callable[[Pilot[Any]], Awaitable[None]]
Setup = Callable[[Database], object]


async def directory(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)


async def form_with_errors(pilot: Pilot[Any]) -> None:
    await directory(pilot)
    await pilot.press("a")
    await settle(pilot)
    await fill_form(pilot, {**QUINN, "discipline": "", "email": "quinn@", "usual_days": "someday"})
    await pilot.press("enter")
    await settle(pilot)


async def duplicate_question(pilot: Pilot[Any]) -> None:
    await directory(pilot)
    await add_with_keys(pilot, QUINN)
    await add_with_keys(pilot, {**QUINN, "given_name": "QUINN", "email": ""})


async def archive_dialog(pilot: Pilot[Any]) -> None:
    await directory(pilot)
    await pilot.press("d")  # Quinn is first (Gooseberry before Hazelbrook)
    await settle(pilot)


async def bookings_to_move(pilot: Pilot[Any]) -> None:
    await archive_dialog(pilot)
    await pilot.press("y")
    await settle(pilot)


async def filtered_to_nothing(pilot: Pilot[Any]) -> None:
    await directory(pilot)
    await pilot.press("slash")
    await type_text(pilot, "zebedee")
    await settle(pilot)


def nothing(db: Database) -> None:
    return None


CASES: dict[str, tuple[Setup, Before]] = {
    "empty_directory": (nothing, directory),
    "new_professional_errors": (nothing, form_with_errors),
    "likely_duplicate": (nothing, duplicate_question),
    "archive_in_care_teams": (care_team_world, archive_dialog),
    "bookings_to_move": (care_team_world, bookings_to_move),
    "no_match": (care_team_world, filtered_to_nothing),
}


def steady(before: Before) -> Before:
    """Run ``before``, then stop the text cursors blinking and the notifications so the picture is still."""

    async def run(pilot: Pilot[Any]) -> None:
        await before(pilot)
        pilot.app.clear_notifications()
        await steady_cursors(pilot)

    return run


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("case", list(CASES))
def test_snapshot(case: str, size: str, db: Database, snap_compare: Any) -> None:
    setup, before = CASES[case]
    setup(db)
    app = CoordinatorApp(database=db, settings=Settings())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=steady(before))
