"""Pilot tests of the in-app itinerary export (issue 4): one family from the patient record, every family from a
clinic day, and an unwritable folder."""

from __future__ import annotations

import os
import stat
from collections import Counter
from pathlib import Path
from typing import Any

import icalendar
from textual.pilot import Pilot
from textual.widgets import Input, ProgressBar, Static

from coordinator_tui.db import Database
from coordinator_tui.export.checks import export_concerns
from coordinator_tui.services.clinics import appointments as appointment_service
from coordinator_tui.services.clinics.clinics import attendances_for_patient, upcoming_clinics
from coordinator_tui.services.itineraries.itinerary import build_clinic_itineraries
from coordinator_tui.services.people.patients import get_patient
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.itinerary_export import ExportCheckbox, ExportScreen
from coordinator_tui.ui.screens.patient_record import VisitsTable
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from tests.ui.clinic_days_support import open_first_clinic
from tests.ui.helpers import SIZE, pilot_test, settle
from tests.ui.test_patient_record import open_record


def busiest_family(db: Database) -> tuple[int, int, int, int]:
    """(clinic id, patient id, attendance id, active appointments) of the next clinic's family with most bookings
    and a staff-only note on one of them."""
    with db.session() as session:
        clinic_id = int(upcoming_clinics(session)[0].id)  # type: ignore[arg-type]
        views = appointment_service.for_clinic(session, clinic_id, include_inactive=False)
        noted = {v.patient.id for v in views if v.appointment.internal_notes.startswith("Staff only")}
        counts = Counter(v.patient.id for v in views if v.patient.id in noted)
        patient_id, booked = counts.most_common(1)[0]
        attendance = next(
            a.attendance for a in attendances_for_patient(session, patient_id) if a.clinic.id == clinic_id
        )
    return clinic_id, int(patient_id), int(attendance.id), booked  # type: ignore[arg-type]


async def write_anyway_if_asked(pilot: Pilot[Any], db: Database, clinic_id: int, patient_id: int | None) -> None:
    """The export asks first when a family has no appointment booked or a clash (the demo plants a clash): the
    question is there exactly when the checks find something, and y writes anyway."""
    with db.session() as session:
        concerns = export_concerns(session, clinic_id, patient_id, unconfirmed=True)
    if concerns:
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
    assert not isinstance(pilot.app.screen, ConfirmScreen)


def preview_text(screen: ExportScreen) -> str:
    return str(screen.query_one("#export-preview-text", Static).render())


async def open_export_from_record(pilot: Pilot[Any], db: Database, attendance_id: int, patient_id: int) -> ExportScreen:
    with db.session() as session:
        patient = get_patient(session, patient_id)
    record = await open_record(pilot, patient)
    await pilot.press("v")
    await settle(pilot)
    assert record.query_one(VisitsTable).move_to_key(str(attendance_id))
    await pilot.pause()
    await pilot.press("x")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ExportScreen)
    return screen


@pilot_test
async def test_export_one_family_from_the_clinic_visits_tab(
    app: CoordinatorApp, demo_db: Database, tmp_path: Path
) -> None:
    clinic_id, patient_id, attendance_id, booked = busiest_family(demo_db)
    out = tmp_path / "exports"
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_export_from_record(pilot, demo_db, attendance_id, patient_id)
        assert (screen.clinic_id, screen.patient_id) == (clinic_id, patient_id)
        shown = preview_text(screen)
        assert "Itinerary for" in shown
        assert "Staff only" not in shown
        assert screen.previews is not None
        itinerary = screen.previews[0][0]
        assert sum(1 for item in itinerary.items if item.kind.value == "appointment") == booked
        for item in itinerary.items:
            assert item.title in shown
        assert screen.query_one("#export-folder", Input).value == str(app.settings.export_path())
        assert not screen.query_one(ProgressBar).display  # one family: no progress bar

        screen.query_one("#export-folder", Input).value = str(out)
        await pilot.press("enter")
        await settle(pilot)
        await write_anyway_if_asked(pilot, demo_db, clinic_id, patient_id)
        assert screen.written is not None
        assert [p.suffix for p in screen.written] == [".ics", ".txt", ".html"]
        assert "✓ Exported 3 files" in preview_text(screen)
        for path in screen.written:
            assert path.parent == out and path.exists()
            assert path.name in preview_text(screen)
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        calendar = icalendar.Calendar.from_ical(screen.written[0].read_bytes())
        events = [c for c in calendar.walk() if c.name == "VEVENT"]
        assert len(events) == booked  # no travel or hotel booked for this family in the demo: appointments only
        assert all("Staff only" not in p.read_text(encoding="utf-8") for p in screen.written)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)


@pilot_test
async def test_export_every_family_of_a_clinic_with_progress(
    app: CoordinatorApp, demo_db: Database, tmp_path: Path
) -> None:
    with demo_db.session() as session:
        clinic_id = int(upcoming_clinics(session)[0].id)  # type: ignore[arg-type]
        families = len(build_clinic_itineraries(session, clinic_id))
    assert families > 1
    async with app.run_test(size=SIZE) as pilot:
        await open_first_clinic(pilot, "attendance")
        await pilot.press("E")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExportScreen) and screen.patient_id is None and screen.clinic_id == clinic_id
        assert screen.previews is not None and len(screen.previews) == families
        shown = preview_text(screen)
        for itinerary, stem in screen.previews:
            assert stem in shown and itinerary.family_name in shown
        screen.query_one("#export-txt", ExportCheckbox).value = False  # ics and html only
        await pilot.pause()
        screen.query_one("#export-folder", Input).value = str(tmp_path / "clinic")
        await pilot.press("s")
        await settle(pilot)
        await write_anyway_if_asked(pilot, demo_db, clinic_id, None)
        bar = screen.query_one(ProgressBar)
        assert bar.display and bar.total == families and bar.progress == families
        # A family who needs large print gets the large-print page as well, under its own name.
        large = [stem for it, stem in screen.previews if it.large_print]
        assert screen.written is not None and len(screen.written) == 2 * families + len(large)
        written = sorted(p.name for p in (tmp_path / "clinic").iterdir())
        expected = [f"{stem}.{ext}" for _it, stem in screen.previews for ext in ("ics", "html")]
        assert written == sorted([*expected, *(f"{stem}_large-print.html" for stem in large)])
        shown = preview_text(screen)
        for itinerary, stem in screen.previews:  # which files are whose, for the coordinator
            assert f"{itinerary.family_name}, {itinerary.given_name} (patient {itinerary.patient_id})" in shown
            assert f"{stem}.ics" in shown


@pilot_test
async def test_export_one_family_from_the_clinic_day(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        clinic = await open_first_clinic(pilot, "attendance")
        family = clinic.export_family_id()
        assert family is not None
        await pilot.press("e")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExportScreen) and screen.patient_id == family


@pilot_test
async def test_unwritable_folder_shows_one_line_and_keeps_the_inputs(
    app: CoordinatorApp, demo_db: Database, tmp_path: Path
) -> None:
    _clinic_id, patient_id, attendance_id, _booked = busiest_family(demo_db)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    target = str(blocker / "itineraries")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_export_from_record(pilot, demo_db, attendance_id, patient_id)
        folder = screen.query_one("#export-folder", Input)
        folder.value = target
        screen.query_one("#export-html", ExportCheckbox).value = False
        screen.query_one("#export-large-print", ExportCheckbox).value = True
        folder.focus()
        await pilot.press("enter")
        await settle(pilot)
        await write_anyway_if_asked(pilot, demo_db, _clinic_id, patient_id)
        message = str(screen.query_one("#export-message", Static).render())
        assert screen.query_one("#export-message").display
        assert message.startswith("✗ ") and "\n" not in message and "a file is in the way" in message
        assert screen.written is None
        assert folder.value == target
        assert screen.chosen_formats() == ("ics", "txt") and screen.large_print
        assert isinstance(app.screen, ExportScreen)
        assert not blocker.with_name("itineraries").exists()
