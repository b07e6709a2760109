"""Every key the footer shows on the Clinic days screens does something: the screen or the database changes.

Same method as test_footer_bindings.py (patient-side screens): read the footer's keys in a state, press each on a
fresh app in that state, and compare a fingerprint of the app and the database before and after.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from textual.pilot import Pilot

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.clinic_days import ClinicDaysScreen, ClinicEventScreen
from coordinator_tui.ui.widgets.clinic_attendance import AttendanceTable
from coordinator_tui.ui.widgets.timetable import FamilyTimetable, TimetableGrid
from tests.ui.clinic_days_support import build_clinic_demo, open_clinic_days, open_copy, open_first_clinic, settle
from tests.ui.helpers import footer_bindings, pilot_test

SIZE = (120, 40)
Setup = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture(scope="session")
def clinic_demo_template(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_clinic_demo(demo_template, tmp_path_factory.mktemp("clinic-days-footer"))


@pytest.fixture
def clinic_db(clinic_demo_template: Path, tmp_path: Path) -> Iterator[Database]:
    yield from open_copy(clinic_demo_template, tmp_path)


async def clinic_list(pilot: Pilot[Any]) -> None:
    await open_clinic_days(pilot)


async def timetable_free_slot(pilot: Pilot[Any]) -> None:
    await open_first_clinic(pilot, "timetable")


async def timetable_on_clash(pilot: Pilot[Any]) -> None:
    await open_first_clinic(pilot, "timetable")
    await pilot.press("n")
    await settle(pilot)


async def attendance(pilot: Pilot[Any]) -> None:
    await open_first_clinic(pilot, "attendance")


async def family(pilot: Pilot[Any]) -> None:
    await open_first_clinic(pilot, "family")
    await pilot.press("down")
    await settle(pilot)


STATES: dict[str, Setup] = {
    "clinic-list": clinic_list,
    "timetable-free-slot": timetable_free_slot,
    "timetable-on-clash": timetable_on_clash,
    "attendance": attendance,
    "family": family,
}


def fingerprint(app: CoordinatorApp, db: Database) -> tuple[Any, ...]:
    screen = app.screen
    focused = app.focused
    state: tuple[Any, ...] = ()
    if isinstance(screen, ClinicEventScreen):
        grid = screen.query_one(TimetableGrid)
        tables = screen.query(AttendanceTable)
        families = screen.query(FamilyTimetable)
        state = (
            screen.active_tab,
            screen.day,
            screen.mode,
            screen.family_id,
            grid.cursor_row,
            grid.cursor_column,
            grid.appointment_id,
            (tables.first().only_missing, tables.first().cursor_row) if tables else None,
            families.first().cursor_row if families else None,
        )
    elif isinstance(screen, ClinicDaysScreen):
        state = (screen.query_one("#clinics-table").cursor_row,)  # type: ignore[attr-defined]
    with db.session() as session:
        audit_count = session.exec(sa.select(sa.func.count()).select_from(AuditEvent)).one()[0]  # type: ignore[call-overload]
    return (
        getattr(app, "_exit", False),
        app.current_mode,
        tuple(type(s).__name__ for s in app.screen_stack),
        type(focused).__name__ if focused else None,
        state,
        audit_count,
    )


async def shown_keys(state: str, db: Database) -> list[tuple[str, str]]:
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await STATES[state](pilot)
        return footer_bindings(pilot)


@pytest.mark.parametrize("state", list(STATES))
@pilot_test
async def test_every_clinic_days_footer_key_does_something(state: str, clinic_db: Database) -> None:
    keys = await shown_keys(state, clinic_db)
    assert keys, f"the footer shows no keys in {state}"
    silent = []
    for key, action in keys:
        app = CoordinatorApp(database=clinic_db, settings=Settings())
        async with app.run_test(size=SIZE) as pilot:
            await STATES[state](pilot)
            before = fingerprint(app, clinic_db)
            await pilot.press(key)
            await settle(pilot)
            if fingerprint(app, clinic_db) == before:
                silent.append((key, action))
            for _ in range(3):  # close whatever the key opened, so the app shuts down cleanly
                if app.screen.is_modal:
                    await pilot.press("escape")
                    await pilot.pause()
    assert not silent, f"footer keys that changed nothing in {state}: {silent}"
