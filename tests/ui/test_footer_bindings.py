"""Every key the footer shows on the patient-side screens does something: the screen or the database changes.

For each screen state, the footer's bindings are read the way the Footer widget reads them; each key is then pressed
on a fresh app in that state, and a fingerprint of the app (screens, mode, focus, tab, filter text, cursor) and of
the database (audit events) must differ afterwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, TabbedContent
from textual.widgets._footer import FooterKey

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent
from coordinator_tui.services.people import care_team as care_team_service
from coordinator_tui.services.people.patients import search_patients
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.patient_record import CareTeamTable, PatientRecordScreen
from coordinator_tui.ui.widgets.footer import ScreenFooter
from tests.ui.helpers import SIZE, footer_bindings, pilot_test, settle, type_text

Setup = Callable[[Pilot[Any], Database], Awaitable[None]]


async def patients_filter(pilot: Pilot[Any], db: Database) -> None:
    await settle(pilot)


async def patients_list(pilot: Pilot[Any], db: Database) -> None:
    await settle(pilot)
    await pilot.press("down")


async def _record(pilot: Pilot[Any], db: Database, tab: str) -> None:
    with db.session() as session:
        patient = search_patients(session, "")[0]
        other = next(v for v in care_team_service.team(session, patient.id) if not v.member.is_named_worker)  # type: ignore[arg-type]
    await settle(pilot)
    await type_text(pilot, patient.hospital_number)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PatientRecordScreen)
    screen.query_one(CareTeamTable).move_to_key(str(other.member.id))
    await pilot.press(tab)
    await settle(pilot)


async def record_care(pilot: Pilot[Any], db: Database) -> None:
    await _record(pilot, db, "c")


async def record_family(pilot: Pilot[Any], db: Database) -> None:
    await _record(pilot, db, "f")


async def record_visits(pilot: Pilot[Any], db: Database) -> None:
    await _record(pilot, db, "v")


async def record_transition(pilot: Pilot[Any], db: Database) -> None:
    await _record(pilot, db, "t")


async def professionals_filter(pilot: Pilot[Any], db: Database) -> None:
    await settle(pilot)
    await pilot.press("down", "3")
    await settle(pilot)
    await pilot.press("slash")  # the directory has the focus when the screen opens
    await settle(pilot)


async def professionals_directory(pilot: Pilot[Any], db: Database) -> None:
    await professionals_filter(pilot, db)
    await pilot.press("down")
    await settle(pilot)


async def professionals_their_patients(pilot: Pilot[Any], db: Database) -> None:
    await professionals_directory(pilot, db)
    await pilot.press("enter")
    await settle(pilot)


STATES: dict[str, Setup] = {
    "patients-filter": patients_filter,
    "patients-list": patients_list,
    "record-care": record_care,
    "record-family": record_family,
    "record-visits": record_visits,
    "record-transition": record_transition,
    "professionals-filter": professionals_filter,
    "professionals-directory": professionals_directory,
    "professionals-their-patients": professionals_their_patients,
}


def fingerprint(app: CoordinatorApp, db: Database) -> tuple[Any, ...]:
    screen = app.screen
    focused = app.focused
    tabs = screen.query(TabbedContent)
    cursors = tuple((t.id, t.cursor_row, t.row_count) for t in screen.query(DataTable))
    with db.session() as session:
        audit_count = session.exec(sa.select(sa.func.count()).select_from(AuditEvent)).one()[0]  # type: ignore[call-overload]
    return (
        getattr(app, "_exit", False),
        app.current_mode,
        tuple(type(s).__name__ for s in app.screen_stack),
        type(focused).__name__ if focused else None,
        focused.id if focused else None,
        str(tabs.first().active) if tabs else None,
        tuple(i.value for i in screen.query(Input)),
        tuple(str(count.content) for count in screen.query(".filter-count").results(Static)),  # e.g. archived shown
        cursors,
        audit_count,
    )


async def shown_keys(state: str, db: Database) -> list[tuple[str, str]]:
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await STATES[state](pilot, db)
        return footer_bindings(pilot)


@pytest.mark.parametrize("state", list(STATES))
@pilot_test
async def test_every_footer_key_does_something(state: str, demo_db: Database) -> None:
    keys = await shown_keys(state, demo_db)
    assert keys, f"the footer shows no keys in {state}"
    silent = []
    for key, action in keys:
        app = CoordinatorApp(database=demo_db, settings=Settings())
        async with app.run_test(size=SIZE) as pilot:
            await STATES[state](pilot, demo_db)
            before = fingerprint(app, demo_db)
            await pilot.press(key)
            await settle(pilot)
            after = fingerprint(app, demo_db)
            if after == before:
                silent.append((key, action))
            if app.screen_stack and not getattr(app, "_exit", False):
                # Close whatever the key opened so the app shuts down cleanly.
                for _ in range(3):
                    if app.screen.is_modal:
                        await pilot.press("escape")
                        await pilot.pause()
    assert not silent, f"footer keys that changed nothing in {state}: {silent}"


@pytest.mark.parametrize("state", list(STATES))
@pilot_test
async def test_help_is_in_sight_in_every_footer_at_80_columns(state: str, demo_db: Database) -> None:
    # The record's tabs have more keys than 80 columns hold: those at the end are cut off, never F1 Help, the way
    # to all of them.
    app = CoordinatorApp(database=demo_db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await STATES[state](pilot, demo_db)
        footer = app.screen.query_one(ScreenFooter)
        (help_key,) = [key for key in footer.query(FooterKey) if key.action == "help"]
        assert help_key.region.width >= len("F1 Help") and help_key.region.x == 0
