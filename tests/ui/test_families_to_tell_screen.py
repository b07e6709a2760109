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
from coordinator_tui.config import settings_file
from coordinator_tui.db import Database
from coordinator_tui.export.service import export_itineraries
from coordinator_tui.models import AttendanceStatus, ClinicAttendance, ClinicEvent, ClinicStatus, ToldHow
from coordinator_tui.services.clinics import clinics
from coordinator_tui.services.itineraries.families_to_tell import NOT_SENT_YET
from coordinator_tui.services.itineraries.family_told import told_history
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.clinic_days import ClinicEventScreen
from coordinator_tui.ui.screens.patient_record import PatientRecordScreen, VisitsTable
from coordinator_tui.ui.widgets.families_to_tell import FamiliesToTellTable
from coordinator_tui.ui.widgets.forms import FormScreen
from tests.export_data import Seed, seed_clinic
from tests.postgres_server import both_databases
from tests.ui.clinic_days_support import screen_text
from tests.ui.helpers import cell_texts, footer_bindings, pilot_test, settle, showing, type_text

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


async def _open_visits(app: CoordinatorApp, seed: Seed, pilot: object) -> PatientRecordScreen:
    """The seeded patient's record, on its clinic visits (the upcoming visit highlighted)."""
    await app.open_patient(seed.patient_id, tab="visits")
    await settle(pilot)  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, PatientRecordScreen)
    return screen


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
async def test_a_withdrawal_is_marked_send_on_the_clinic_day(db: Database, seed: Seed) -> None:
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
        assert cell_texts(table, 0) == ["! send"]  # its cancellation not exported yet
        assert f"! hotel removed: {NOT_SENT_YET}" in screen_text(pilot)


@pilot_test
async def test_told_is_recorded_with_keys_and_the_withdrawal_leaves_the_list_once_sent_and_told(
    db: Database, seed: Seed, tmp_path: Path
) -> None:
    """o opens the told form (errors under their field, what was typed kept); a exports every family listed;
    the withdrawal stays until the family is told after its cancellation was sent."""
    with db.session() as session:
        place = session.exec(
            select(ClinicAttendance).where(
                ClinicAttendance.clinic_event_id == seed.clinic_id, ClinicAttendance.patient_id == seed.patient_id
            )
        ).one()
        clinics.update_attendance(session, place.id or 0, {"travel_home_depart": None, "travel_home_arrive": None})
    clock.set_fixed_now(clock.now() + dt.timedelta(hours=1))
    app = CoordinatorApp(database=db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_clinic(app, seed.clinic_id, pilot)
        await pilot.press("l")
        await settle(pilot)
        table = screen.query_one(FamiliesToTellTable)
        assert cell_texts(table, 0) == ["! send"]

        # o: the told form. A date in the future is refused under its field, the form stays with what was typed.
        await pilot.press("o")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.values()["told_on"] == "25/11/2026" and form.values()["told_by"]
        await pilot.press("tab")  # from How to On
        await pilot.press("end", "ctrl+u")
        await type_text(pilot, "26/11/2026")
        await pilot.press("tab", "end", "ctrl+u")
        await type_text(pilot, "Nurse Example")
        await pilot.press("tab")
        await type_text(pilot, "Rang the family")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert "cannot be in the future" in str(form.query_one("#error-told_on", Static).render())
        assert form.values()["told_on"] == "26/11/2026" and form.values()["note"] == "Rang the family"
        form.query_one("#field-told_on").focus()
        await pilot.press("end", "ctrl+u")
        await type_text(pilot, "25/11/2026")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        [record] = told_history(db, seed.clinic_id, seed.patient_id)
        assert (record.how, record.told_on, record.told_by, record.note) == (
            ToldHow.PHONE, dt.date(2026, 11, 25), "Nurse Example", "Rang the family"
        )  # fmt: skip
        # Told before the cancellation was exported: still listed.
        assert cell_texts(screen.query_one(FamiliesToTellTable), 0) == ["! send"]

        # a: every family on the list exported, the folder typed in the form.
        clock.set_fixed_now(clock.now() + dt.timedelta(hours=1))
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        await pilot.press("end", "ctrl+u")
        await type_text(pilot, str(tmp_path / "to-tell"))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        written = sorted(p.name for p in (tmp_path / "to-tell").iterdir())
        assert f"2027-03-29_family-p{seed.patient_id}.ics" in written
        # The folder is where the next export starts, in this session and in the settings file.
        assert app.settings.export_dir == str(tmp_path / "to-tell")
        assert str(tmp_path / "to-tell") in settings_file().read_text(encoding="utf-8")
        await showing(pilot, "! tell")
        assert cell_texts(screen.query_one(FamiliesToTellTable), 0) == ["! tell"]

        # Told again, after the cancellation went out: off the list.
        clock.set_fixed_now(clock.now() + dt.timedelta(hours=1))
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await pilot.press("tab", "tab", "end", "ctrl+u")
        await type_text(pilot, "Nurse Example")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert len(told_history(db, seed.clinic_id, seed.patient_id)) == 2
        assert screen.to_tell == []


@pilot_test
async def test_the_patients_visit_says_to_send_it_again_and_the_past_visit_says_what_happened(
    db: Database, seed: Seed
) -> None:
    _hotel_changed(db, seed)
    app = CoordinatorApp(database=db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_visits(app, seed, pilot)
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


@pilot_test
async def test_told_is_recorded_from_the_patients_visit_and_dimmed_where_there_is_nothing_to_tell(
    db: Database, seed: Seed
) -> None:
    """o on the patient record's clinic visits: the told form for a visit marked "⚠ tell", saved as on the clinic's
    families to tell; on a visit whose itinerary is not out of date the key is dimmed and opens nothing."""
    _hotel_changed(db, seed)
    app = CoordinatorApp(database=db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_visits(app, seed, pilot)
        await pilot.press("o")  # the upcoming visit, "⚠ tell"
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen) and form.values()["told_on"] == "25/11/2026"
        await pilot.press("tab", "tab", "end", "ctrl+u")
        await type_text(pilot, "Nurse Example")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        [record] = told_history(db, seed.clinic_id, seed.patient_id)
        assert (record.how, record.told_on, record.told_by) == (ToldHow.PHONE, dt.date(2026, 11, 25), "Nurse Example")
        assert "told by phone on 25/11/2026 by Nurse Example" in "\n".join(str(n.message) for n in app._notifications)

        assert "o" in [key for key, _action in footer_bindings(pilot)]
        await pilot.press("down")  # the past visit: nothing out of date, so o is dimmed and opens nothing
        await settle(pilot)
        assert "o" not in [key for key, _action in footer_bindings(pilot)] and screen.active_bindings["o"].binding.show
        await pilot.press("o")
        await settle(pilot)
        assert app.screen is screen
        assert len(told_history(db, seed.clinic_id, seed.patient_id)) == 1
        await pilot.press("up")  # back on the upcoming visit: offered again
        await settle(pilot)
        assert "o" in [key for key, _action in footer_bindings(pilot)]
