"""Snapshots of the Clinic days screen on the demo data at the fixed date (25/11/2026), at 80x24 and 120x40.

The clinic list, the next clinic's attendance list (the family support worker's to-do list), and its first day's
timetable with the cursor on the deliberate clash (marked "⚠ CLASH" in the grid, described under it, listed below).

Regenerate after an intended change with ``pytest tests/ui/test_snapshots_clinic_days.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.ui.app import CoordinatorApp
from tests.ui.clinic_days_support import build_clinic_demo, open_clinic_days, open_copy, open_first_clinic, settle

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
Before = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture(scope="session")
def clinic_demo_template(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_clinic_demo(demo_template, tmp_path_factory.mktemp("clinic-days-snapshots"))


@pytest.fixture
def clinic_db(clinic_demo_template: Path, tmp_path: Path) -> Iterator[Database]:
    yield from open_copy(clinic_demo_template, tmp_path)


async def clinic_list(pilot: Pilot[Any]) -> None:
    screen = await open_clinic_days(pilot)
    # The list takes the focus when its rows arrive; the footer follows on its next refresh.
    table = screen.query_one("#clinics-table")
    for _ in range(500):  # at most 5 s
        if pilot.app.focused is table:
            break
        await pilot.pause(0.01)
    assert pilot.app.focused is table, "the clinic list never took the focus"
    await pilot.pause(0.05)


async def attendance(pilot: Pilot[Any]) -> None:
    await open_first_clinic(pilot, "attendance")


async def timetable_on_clash(pilot: Pilot[Any]) -> None:
    await open_first_clinic(pilot, "timetable")
    await pilot.press("n")  # the cursor jumps to the first clash; the line under the grid explains it
    await settle(pilot)


async def move_form_with_free_times(pilot: Pilot[Any]) -> None:
    await timetable_on_clash(pilot)
    await pilot.press("m")  # moving the clashing appointment: the free start times listed, the list focused
    await settle(pilot)


VIEWS: dict[str, Before] = {
    "clinic_list": clinic_list,
    "attendance": attendance,
    "timetable": timetable_on_clash,
    "move_form": move_form_with_free_times,
}


@pytest.mark.parametrize("size", SIZES.keys())
@pytest.mark.parametrize("view", VIEWS.keys())
def test_clinic_days_snapshot(snap_compare: Any, clinic_db: Database, view: str, size: str) -> None:
    app = CoordinatorApp(database=clinic_db, settings=Settings())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=VIEWS[view])
