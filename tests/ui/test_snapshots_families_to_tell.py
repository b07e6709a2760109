"""Snapshots of the clinic day's "To tell (l)" tab at 80x24 and 120x40 on the demo data at the fixed date: the next
clinic exported, then an appointment cancelled (send it again), a hotel removed and a family's place cancelled
(withdrawals: tell them); the same tab with nobody to tell; the told form (o) and the form exporting every family
listed (a).

Regenerate after an intended change with ``pytest tests/ui/test_snapshots_families_to_tell.py --snapshot-update``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from textual.pilot import Pilot

from coordinator_tui import clock
from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.export.service import export_itineraries
from coordinator_tui.models import AttendanceStatus, ClinicAttendance, ExportedEvent
from coordinator_tui.services.clinics import appointments, clinics
from coordinator_tui.services.clinics.clinics import upcoming_clinics
from coordinator_tui.services.safety import audit
from coordinator_tui.ui.app import CoordinatorApp
from tests.ui.clinic_days_support import build_clinic_demo, open_copy, open_first_clinic, settle
from tests.ui.helpers import steady_cursors

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.fixture(scope="session")
def clinic_demo_template(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_clinic_demo(demo_template, tmp_path_factory.mktemp("to-tell-snapshots"))


@pytest.fixture
def clinic_db(clinic_demo_template: Path, tmp_path: Path) -> Iterator[Database]:
    yield from open_copy(clinic_demo_template, tmp_path)


def export_next_clinic(db: Database, folder: Path) -> int:
    with db.read_session() as session:
        clinic_id = int(upcoming_clinics(session)[0].id)  # type: ignore[arg-type]
    export_itineraries(db, clinic_id, None, folder, formats=["ics"])
    clock.set_fixed_now(clock.now() + dt.timedelta(hours=1))
    return clinic_id


def change_three_families(db: Database, clinic_id: int) -> None:
    """The first three families sent an itinerary (by patient id): an appointment cancelled, the hotel removed, the
    place cancelled by the family."""
    with db.session() as session:
        sent = sorted(
            set(
                session.exec(
                    select(ExportedEvent.patient_id).where(col(ExportedEvent.clinic_event_id) == clinic_id)
                ).all()
            )
        )
        places = {
            a.patient_id: a
            for a in session.exec(select(ClinicAttendance).where(ClinicAttendance.clinic_event_id == clinic_id)).all()
        }
        first = appointments.for_patient(session, sent[0], clinic_id=clinic_id)[0].appointment
        appointments.cancel_appointment(session, first.id or 0)
        no_hotel = {"hotel_name": "", "hotel_check_in": None, "hotel_nights": 0}
        clinics.update_attendance(session, places[sent[1]].id or 0, no_hotel)
        cancelled = {"status": AttendanceStatus.CANCELLED, "cancelled_by": "family"}
        clinics.update_attendance(session, places[sent[2]].id or 0, cancelled)


async def to_tell_tab(pilot: Pilot[Any]) -> None:
    await open_first_clinic(pilot)
    await pilot.press("l")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES.keys())
def test_families_to_tell_snapshot(snap_compare: Any, clinic_db: Database, tmp_path: Path, size: str) -> None:
    clinic_id = export_next_clinic(clinic_db, tmp_path / "exports")
    change_three_families(clinic_db, clinic_id)
    app = CoordinatorApp(database=clinic_db, settings=Settings())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=to_tell_tab)


@pytest.mark.parametrize("size", SIZES.keys())
def test_nobody_to_tell_snapshot(snap_compare: Any, clinic_db: Database, tmp_path: Path, size: str) -> None:
    export_next_clinic(clinic_db, tmp_path / "exports")
    app = CoordinatorApp(database=clinic_db, settings=Settings())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=to_tell_tab)


async def told_form(pilot: Pilot[Any]) -> None:
    """o on the first family listed: the told form (who told them: the acting user, set by the test)."""
    await to_tell_tab(pilot)
    await pilot.press("o")
    await settle(pilot)
    await steady_cursors(pilot)


async def export_to_tell_form(pilot: Pilot[Any]) -> None:
    """a: the form exporting every family on the list (the folder from the settings)."""
    await to_tell_tab(pilot)
    await pilot.press("a")
    await settle(pilot)
    await steady_cursors(pilot)


@pytest.mark.parametrize("size", SIZES.keys())
def test_told_form_snapshot(snap_compare: Any, clinic_db: Database, tmp_path: Path, size: str) -> None:
    clinic_id = export_next_clinic(clinic_db, tmp_path / "exports")
    change_three_families(clinic_db, clinic_id)
    audit.set_current_user("Nurse Example")
    try:
        app = CoordinatorApp(database=clinic_db, settings=Settings())
        assert snap_compare(app, terminal_size=SIZES[size], run_before=told_form)
    finally:
        audit.set_current_user(None)


@pytest.mark.parametrize("size", SIZES.keys())
def test_export_to_tell_form_snapshot(snap_compare: Any, clinic_db: Database, tmp_path: Path, size: str) -> None:
    clinic_id = export_next_clinic(clinic_db, tmp_path / "exports")
    change_three_families(clinic_db, clinic_id)
    app = CoordinatorApp(database=clinic_db, settings=Settings(export_dir="/srv/clinic-exports"))
    assert snap_compare(app, terminal_size=SIZES[size], run_before=export_to_tell_form)
