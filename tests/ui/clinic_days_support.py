"""Shared by the Clinic days tests (Pilot and snapshots): the demo database with its deliberate clash, and helpers.

Builds on ``demo_template`` of ``tests/ui/conftest.py`` (the demo data as of the fixed clock).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlmodel import Session
from textual.pilot import Pilot

from coordinator_tui import clock
from coordinator_tui.db import Database, open_database
from coordinator_tui.services.clinics import appointments as appointment_service
from coordinator_tui.services.clinics.appointments import ClashKind
from coordinator_tui.services.clinics.clinics import upcoming_clinics
from coordinator_tui.services.safety import audit
from coordinator_tui.ui.screens.clinic_days import ClinicDaysScreen, ClinicEventScreen
from tests.conftest import FIXED_NOW

TAB_KEYS = {"attendance": "w", "timetable": "t", "family": "f"}


def ensure_professional_clash(session: Session) -> None:
    """The demo books one deliberate clash in the next clinic (a professional double-booked). Should a change to
    the demo data leave it out, book the same kind of clash here, so the clash display is still tested."""
    clinic_id = int(upcoming_clinics(session)[0].id)  # type: ignore[arg-type]
    if any(c.kind is ClashKind.PROFESSIONAL for c in appointment_service.find_clashes(session, clinic_id)):
        return
    active = appointment_service.for_clinic(session, clinic_id, include_inactive=False)
    target = active[len(active) // 2]
    other = next(v for v in active if v.patient.id != target.patient.id)
    appointment_service.book_appointment(
        session,
        clinic_id=clinic_id,
        patient_id=other.patient.id,  # type: ignore[arg-type]
        professional_ids=[p.id for p in target.professionals],  # type: ignore[misc]
        start=target.appointment.start,
        end=target.appointment.end,
        discipline=target.appointment.discipline,
        room_id=target.appointment.room_id,
        internal_notes="Staff only: double-booked by phone, to fix.",
        allow_clash=True,
    )


def build_clinic_demo(demo_template: Path, folder: Path) -> Path:
    """A copy of the UI demo database with the next clinic's deliberate clash guaranteed (once per session)."""
    path = folder / "demo.db"
    shutil.copyfile(demo_template, path)
    clock.set_fixed_now(FIXED_NOW)
    audit.set_current_user("test-coordinator")
    db = open_database(str(path))
    try:
        with db.session() as session:
            ensure_professional_clash(session)
    finally:
        db.dispose()
        clock.set_fixed_now(None)
        audit.set_current_user(None)
    return path


def open_copy(template: Path, folder: Path) -> Iterator[Database]:
    """A test's own copy of the clinic demo database (a generator for a yield fixture)."""
    copy = folder / "clinic-days.db"
    shutil.copyfile(template, copy)
    database = open_database(str(copy))
    yield database
    database.dispose()


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers finish, and the work they start on the UI thread (opening a screen, a reload) finish too."""
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def open_clinic_days(pilot: Pilot[Any]) -> ClinicDaysScreen:
    await pilot.app.action_switch_to("clinic_days")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ClinicDaysScreen)
    return screen


async def open_first_clinic(pilot: Pilot[Any], tab: str | None = None) -> ClinicEventScreen:
    """From the clinic list, Enter on the first (the next) clinic; optionally switch tab with its key."""
    await open_clinic_days(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ClinicEventScreen)
    assert screen.loaded
    if tab is not None:
        await pilot.press(TAB_KEYS[tab])
        await settle(pilot)
    return screen


def screen_text(pilot: Pilot[Any]) -> str:
    """What the terminal shows now, as plain text."""
    return "\n".join(strip.text for strip in pilot.app.screen._compositor.render_strips())
