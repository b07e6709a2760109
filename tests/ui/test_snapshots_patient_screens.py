"""Snapshots of the patient-side screens on the demo data at the fixed date (25/11/2026), at 80x24.

The Transition tab's snapshots live with its widget (test_snapshots_transition.py).

Regenerate after an intended change with ``pytest tests/ui/test_snapshots_patient_screens.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.ui.app import CoordinatorApp
from tests.ui.helpers import settle, steady_cursors, type_text

SIZE = (80, 24)
Before = Callable[[Pilot[Any]], Awaitable[None]]


async def home(pilot: Pilot[Any]) -> None:
    await settle(pilot)


async def filtered(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await type_text(pilot, "kettle")
    await settle(pilot)


async def help_screen(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("down", "f1")
    await settle(pilot)


async def new_patient_invalid(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("down", "n")
    await settle(pilot)
    await type_text(pilot, "Ada")
    await pilot.press("tab", "tab")
    await type_text(pilot, "943 476 5918")
    await pilot.press("enter")
    await settle(pilot)


def record(tab: str, *keys: str) -> Before:
    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await type_text(pilot, "EXH100014")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(tab, *keys)
        await settle(pilot)

    return before


async def professionals(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("down", "3")
    await settle(pilot)
    await pilot.press("down", "down", "down")
    await settle(pilot)


CASES: dict[str, Before] = {
    "patients_home": home,
    "patients_filtered": filtered,
    "help_patients": help_screen,
    "new_patient_invalid": new_patient_invalid,
    "record_care_team": record("c"),
    "record_end_membership_confirm": record("c", "down", "d"),
    "record_family": record("f"),
    "record_calendar_titles_confirm": record("f", "C"),  # C: the family's calendar titles, asked first
    "record_visits": record("v"),
    "record_travel_form": record("v", "e"),
    "edit_patient_transition_facts": record("c", "p", "shift+tab"),  # the form's last section, at 80x24
    "professionals": professionals,
}


def steady(before: Before) -> Before:
    """Run ``before``, then stop the text cursors blinking so the picture does not depend on timing."""

    async def run(pilot: Pilot[Any]) -> None:
        await before(pilot)
        await steady_cursors(pilot)

    return run


@pytest.mark.parametrize("case", list(CASES))
def test_snapshot(case: str, app: CoordinatorApp, snap_compare: Any) -> None:
    assert snap_compare(app, terminal_size=SIZE, run_before=steady(CASES[case]))


def test_snapshot_wide_patients(app: CoordinatorApp, snap_compare: Any) -> None:
    """A large terminal gets the extra columns (hospital number, clinic name)."""
    assert snap_compare(app, terminal_size=(140, 40), run_before=steady(home))


def test_snapshot_light_theme_record(app: CoordinatorApp, snap_compare: Any) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        pilot.app.theme = "textual-light"
        await record("c")(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=steady(before))


def test_snapshot_save_list_dialog(demo_db: Database, snap_compare: Any) -> None:
    """^l on the filtered patient list: the list's title and rows, the file in the export folder, the format hint."""
    app = CoordinatorApp(database=demo_db, settings=Settings(export_dir="/srv/team-exports"))

    async def before(pilot: Pilot[Any]) -> None:
        await filtered(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=steady(before))
