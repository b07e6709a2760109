"""Pilot tests of the families to tell: after an export and a change, the clinic day's "To tell" tab (l) lists the
family and why, its count is in the clinic's header and tab; the patient's visit says its itinerary needs sending
again; a past, attended visit says what happened ("none booked"), not "✗ missing". SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import select
from textual.widgets import Static, TabbedContent

from coordinator_tui import clock
from coordinator_tui.db import Database
from coordinator_tui.export.service import export_itineraries
from coordinator_tui.models import AttendanceStatus, ClinicAttendance, ClinicEvent, ClinicStatus
from coordinator_tui.services.clinics import clinics
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.clinic_days import ClinicEventScreen
from coordinator_tui.ui.screens.patient_record import PatientRecordScreen, VisitsTable
from coordinator_tui.ui.widgets.families_to_tell import FamiliesToTellTable
from tests.export_data import Seed, seed_clinic
from tests.postgres_server import both_databases
from tests.ui.clinic_days_support import screen_text
from tests.ui.helpers import cell_texts, pilot_test, settle

pytestmark = both_databases

SIZE = (120, 40)


@pytest.fixture
def seed(db: Database, tmp_path: Path) -> Seed:
    """The seeded clinic (29–30/03/2027), Ava's itinerary exported, an hour on; and a past clinic she attended with
    nothing booked."""
    with db.session() as session:
        seeded = seed_clinic(session)
        past = ClinicEvent(
            service_id=seeded.service_id,
            name="Combined clinic October 2026",
            venue="Example Children's Hospital",
            start_date=dt.date(2026, 10, 5),
            days=2,
            status=ClinicStatus.CONFIRMED,
        )
        session.add(past)
        session.flush()
        session.add(
            ClinicAttendance(clinic_event_id=past.id, patient_id=seeded.patient_id, status=AttendanceStatus.ATTENDED)
        )
    export_itineraries(db, seeded.clinic_id, seeded.patient_id, tmp_path, formats=["ics"])
    clock.set_fixed_now(clock.now() + dt.timedelta(hours=1))
    return seeded


def _hotel_changed(db: Database, seed: Seed) -> None:
    with db.session() as session:
        place = session.exec(
            select(ClinicAttendance).where(
                ClinicAttendance.clinic_event_id == seed.clinic_id, ClinicAttendance.patient_id == seed.patient_id
            )
        ).one()
        clinics.update_attendance(session, place.id or 0, {"hotel_reference": "HTL-43"})


async def _open_clinic(app: CoordinatorApp, clinic_id: int, pilot: object) -> ClinicEventScreen:
    await app.open_clinic(clinic_id)
    await settle(pilot)  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, ClinicEventScreen) and screen.loaded
    return screen


@pilot_test
async def test_the_clinic_day_lists_the_family_and_why_after_a_change(db: Database, seed: Seed) -> None:
    app = CoordinatorApp(database=db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_clinic(app, seed.clinic_id, pilot)
        assert screen.to_tell == []
        assert "to tell" not in str(screen.query_one("#clinic-summary", Static).content)
        await pilot.press("l")
        await settle(pilot)
        assert screen.query_one(TabbedContent).active == "tell"
        assert "Nobody to tell" in screen_text(pilot)
        await pilot.press("escape")
        await settle(pilot)

        _hotel_changed(db, seed)
        screen = await _open_clinic(app, seed.clinic_id, pilot)
        summary = str(screen.query_one("#clinic-summary", Static).content)
        assert "⚠ 1 to tell (l)" in summary
        assert str(screen.query_one(TabbedContent).get_tab("tell").label) == "To tell: 1 (l)"
        await pilot.press("l")
        await settle(pilot)
        table = screen.query_one(FamiliesToTellTable)
        assert app.focused is table
        assert cell_texts(table, 1) == ["Ava Testperson"]
        assert cell_texts(table, 3) == ["hotel changed"]
        text = screen_text(pilot)
        assert "Ava Testperson · itinerary last sent 25/11/2026" in text and "• hotel changed" in text
        await pilot.press("enter")  # the family's timetable
        await settle(pilot)
        assert screen.query_one(TabbedContent).active == "family" and screen.family_id == seed.patient_id


@pilot_test
async def test_a_withdrawal_is_marked_tell_on_the_clinic_day(db: Database, seed: Seed) -> None:
    with db.session() as session:
        place = session.exec(
            select(ClinicAttendance).where(
                ClinicAttendance.clinic_event_id == seed.clinic_id, ClinicAttendance.patient_id == seed.patient_id
            )
        ).one()
        clinics.update_attendance(session, place.id or 0, {"hotel_name": "", "hotel_check_in": None,
                                                           "hotel_nights": 0})  # fmt: skip
    app = CoordinatorApp(database=db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_clinic(app, seed.clinic_id, pilot)
        await pilot.press("l")
        await settle(pilot)
        table = screen.query_one(FamiliesToTellTable)
        assert cell_texts(table, 0) == ["! tell"]
        assert "! hotel removed: their calendar still shows it: tell them" in screen_text(pilot)


@pilot_test
async def test_the_patients_visit_says_to_send_it_again_and_the_past_visit_says_what_happened(
    db: Database, seed: Seed
) -> None:
    _hotel_changed(db, seed)
    app = CoordinatorApp(database=db)
    async with app.run_test(size=SIZE) as pilot:
        await app.open_patient(seed.patient_id, tab="visits")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PatientRecordScreen)
        table = screen.query_one(VisitsTable)
        assert cell_texts(table, 1) == ["⚠ tell · Combined clinic", "Combined clinic October 2026"]
        # The upcoming visit: travel and hotel booked; the past one: attended, nothing booked, no to-do.
        assert cell_texts(table, 2) == ["confirmed", "attended"]
        assert cell_texts(table, 4) == ["✓ 1 night", "none booked"]
        assert cell_texts(table, 3)[1] == "none booked"
        text = screen_text(pilot)
        assert "⚠ send it again (x): sent on 25/11/2026, since changed" in text
        assert "• hotel changed" in text
        assert "✗ missing" not in text
        await pilot.press("down")  # the past visit's detail
        await settle(pilot)
        text = screen_text(pilot)
        assert "✗ not booked" not in text and "none booked" in text
        assert "send it again" not in text
