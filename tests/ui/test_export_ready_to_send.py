"""Pilot tests of the export screen's issue 20 parts, by keys: the email draft as a format, asking before writing
a misleading itinerary (no appointment booked, an unresolved clash), and the export folder remembered."""

from __future__ import annotations

import email.parser
from email import policy
from pathlib import Path

from sqlmodel import select

from coordinator_tui.config import settings_file
from coordinator_tui.db import Database
from coordinator_tui.export.checks import export_concerns
from coordinator_tui.models import Contact
from coordinator_tui.services.clinics.clinics import upcoming_clinics
from coordinator_tui.settings import Settings
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.itinerary_export import ExportScreen
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from tests.ui.clinic_days_support import open_first_clinic
from tests.ui.helpers import SIZE, pilot_test, settle, type_text
from tests.ui.test_itinerary_export_ui import busiest_family, open_export_from_record, preview_text


async def _set_folder(pilot: object, screen: ExportScreen, folder: Path) -> None:
    """Focus the folder box with Tab from the preview, clear it and type the folder (keys only)."""
    await pilot.press("tab")  # type: ignore[attr-defined]
    assert screen.focused is not None and screen.focused.id == "export-folder"
    await pilot.press("ctrl+u")  # type: ignore[attr-defined]
    await type_text(pilot, str(folder))  # type: ignore[arg-type]


@pilot_test
async def test_the_email_draft_is_a_format_to_tick_and_goes_to_the_family(
    app: CoordinatorApp, demo_db: Database, tmp_path: Path
) -> None:
    clinic_id, patient_id, attendance_id, _booked = busiest_family(demo_db)
    with demo_db.session() as session:
        addresses = [
            c.email
            for c in session.exec(select(Contact).where(Contact.patient_id == patient_id)).all()
            if c.receives_itinerary and c.email
        ]
        asked = bool(export_concerns(session, clinic_id, patient_id))
    assert addresses
    out = tmp_path / "drafts"
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_export_from_record(pilot, demo_db, attendance_id, patient_id)
        assert screen.chosen_formats() == ("ics", "txt", "html")  # the draft only when asked for
        await _set_folder(pilot, screen, out)
        await pilot.press("tab", "tab", "tab", "tab")  # .ics, .txt, .html, .eml draft
        assert screen.focused is not None and screen.focused.id == "export-eml"
        await pilot.press("space")
        assert screen.chosen_formats() == ("ics", "txt", "html", "eml")
        await pilot.press("s")
        await settle(pilot)
        if asked:
            await pilot.press("y")
            await settle(pilot)
        assert screen.written is not None
        assert [p.suffix for p in screen.written] == [".ics", ".txt", ".html", ".eml"]
        draft = email.parser.BytesParser(policy=policy.default).parsebytes(screen.written[-1].read_bytes())
        assert [a.addr_spec for a in draft["To"].addresses] == addresses
        assert draft["X-Unsent"] == "1"
        shown = preview_text(screen)
        assert f"(patient {patient_id})" in shown and screen.written[-1].name in shown


@pilot_test
async def test_an_unresolved_clash_is_asked_about_before_anything_is_written(
    app: CoordinatorApp, demo_db: Database, tmp_path: Path
) -> None:
    with demo_db.session() as session:
        clinic_id = int(upcoming_clinics(session)[0].id)  # type: ignore[arg-type]
        concerns = export_concerns(session, clinic_id, None)
    assert any("clash" in c.reason for c in concerns), "the demo plants a clash in the next clinic"
    out = tmp_path / "clinic"
    async with app.run_test(size=SIZE) as pilot:
        await open_first_clinic(pilot, "attendance")
        await pilot.press("E")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        await _set_folder(pilot, screen, out)
        await pilot.press("enter")
        await settle(pilot)
        question = app.screen
        assert isinstance(question, ConfirmScreen)
        assert "clash" in question.question and concerns[0].label in question.question
        await pilot.press("n")  # not now: nothing written, the screen as it was
        await settle(pilot)
        assert app.screen is screen and screen.written is None and not out.exists()
        assert screen.folder == str(out)  # what was typed is kept
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # asked again
        await pilot.press("y")
        await settle(pilot)
        assert screen.written and out.is_dir()


@pilot_test
async def test_the_export_folder_is_remembered_for_the_next_export(demo_db: Database, tmp_path: Path) -> None:
    settings_path = settings_file()
    settings_path.parent.mkdir(parents=True, exist_ok=True)
    settings_path.write_text('# my settings\nbackup_dir = "/tmp/backups-of-mine"\n')
    app = CoordinatorApp(database=demo_db, settings=Settings())
    clinic_id, patient_id, attendance_id, _booked = busiest_family(demo_db)
    with demo_db.session() as session:
        asked = bool(export_concerns(session, clinic_id, patient_id))
    first = tmp_path / "first folder"
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_export_from_record(pilot, demo_db, attendance_id, patient_id)
        await _set_folder(pilot, screen, first)
        await pilot.press("enter")
        await settle(pilot)
        if asked:
            await pilot.press("y")
            await settle(pilot)
        assert screen.written
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("x")  # the same visit's export again
        await settle(pilot)
        again = app.screen
        assert isinstance(again, ExportScreen)
        assert again.folder == str(first)
    # Kept in the settings file for the next start, the file's other lines as they were.
    text = settings_path.read_text()
    assert text.startswith('# my settings\nbackup_dir = "/tmp/backups-of-mine"\n')
    from coordinator_tui.config import load_settings

    assert load_settings(settings_path).export_dir == str(first)
    assert load_settings(settings_path).backup_dir == "/tmp/backups-of-mine"
