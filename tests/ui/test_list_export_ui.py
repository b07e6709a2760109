"""Pilot tests of saving a list to a file (^l): on the patients (filtered), the caseload (filtered), who's coming
(filtered, with travel and hotel) and a clinic day's timetable, the file holds exactly the rows on screen; the
dialog starts in the export folder of the settings; a place that cannot be written is one line, and the typed path
stays. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import stat
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from textual.pilot import Pilot
from textual.widgets import Input, Static

from coordinator_tui.config import Settings, settings_file
from coordinator_tui.db import Database
from coordinator_tui.models import TransitionItem
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.caseload import CaseloadScreen, CaseloadTable
from coordinator_tui.ui.screens.clinic_days import ClinicEventScreen
from coordinator_tui.ui.screens.list_export import ListExportScreen
from coordinator_tui.ui.screens.patients import PatientsScreen, PatientTable
from coordinator_tui.ui.widgets.clinic_attendance import AttendanceTable
from tests.export_data import SECRET_MARKERS, Seed, add_patient, seed_clinic
from tests.postgres_server import both_databases
from tests.ui.helpers import cell_texts, pilot_test, settle, type_text

pytestmark = both_databases

SIZE = (120, 40)
INTERNAL = [SECRET_MARKERS[k] for k in ("patient_internal", "attendance_internal", "appointment_internal")]


@pytest.fixture
def seed(db: Database) -> Seed:
    """The seeded clinic (29–30/03/2027, three families), one more patient, and open transition steps of two owners."""
    with db.session() as session:
        seeded = seed_clinic(session)
        add_patient(session, "Ben", "Unrelated")
        for title, due, owner in (
            ("Year 9 transition plan started", dt.date(2026, 10, 1), "specialist nurse"),
            ("PIP claim started", dt.date(2026, 12, 10), "family support worker"),
            ("Adult clinic met", dt.date(2027, 2, 1), "specialist nurse"),
        ):
            session.add(
                TransitionItem(
                    patient_id=seeded.patient_id,
                    rule_id=title.lower().replace(" ", "_"),
                    title=title,
                    category="health",
                    owner_role=owner,
                    due_date=due,
                    appears_on=due - dt.timedelta(days=200),
                    note=SECRET_MARKERS["patient_internal"],
                )
            )
    return seeded


def make_app(db: Database, folder: Path) -> CoordinatorApp:
    return CoordinatorApp(database=db, settings=Settings(export_dir=str(folder)))


def read_csv(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = data.decode("utf-8-sig")
    for marker in INTERNAL:
        assert marker not in text
    return list(csv.reader(io.StringIO(text, newline="")))


async def save_list(pilot: Pilot[Any], path: Path | None = None) -> ListExportScreen:
    """^l, then (with ``path``) the file typed over the one prefilled; Enter. Returns the dialog."""
    await pilot.press("ctrl+l")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, ListExportScreen)
    if path is not None:
        field = dialog.query_one("#list-file", Input)
        field.value = ""
        await type_text(pilot, str(path))
    await pilot.press("enter")
    await settle(pilot)
    return dialog


def message(dialog: ListExportScreen) -> str:
    return str(dialog.query_one("#list-message", Static).content)


@pilot_test
async def test_the_patient_list_as_filtered(db: Database, seed: Seed, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    app = make_app(db, folder)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        await type_text(pilot, "test")
        await settle(pilot)
        shown = cell_texts(app.screen.query_one(PatientTable), 0)
        assert shown == ["Testperson, Ava"]
        await pilot.press("ctrl+l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ListExportScreen)
        prefilled = dialog.query_one("#list-file", Input).value
        assert prefilled == f"{folder}/patients_2026-11-25.csv"  # the export folder; no one's name
        assert "Patients matching the filter: 1 row" in str(dialog.query_one("#list-summary", Static).content)
        assert "holds patients' personal data" in str(dialog.query_one("#list-sharing", Static).content)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        rows = read_csv(Path(prefilled))
    assert [r[0] for r in rows[1:]] == shown
    assert rows[0][:3] == ["Name", "NHS number", "Hospital no."]


@pilot_test
async def test_the_caseload_as_filtered(db: Database, seed: Seed, tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CaseloadScreen)
        while screen.owner_role != "specialist nurse":
            await pilot.press("o")
            await settle(pilot)
        table = screen.query_one(CaseloadTable)
        shown = [str(table.get_row_at(i)[3]) for i in range(table.row_count)]
        assert shown == ["Year 9 transition plan started", "Adult clinic met"]
        path = tmp_path / "meeting" / "nurse.xlsx"
        await save_list(pilot, path)
        assert app.screen is screen
        sheet = load_workbook(path).worksheets[0]
        # The folder is where the next export starts, in this session and the next (the settings file)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.screen.query_one("#list-file", Input).value == f"{tmp_path / 'meeting'}/caseload_2026-11-25.csv"
        assert f'export_dir = "{tmp_path / "meeting"}"' in settings_file().read_text(encoding="utf-8")
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[4] for r in rows[1:]] == shown
    assert rows[1][1] == dt.datetime(2026, 10, 1)
    assert sheet.title.startswith("Caseload (owner specialist")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pilot_test
async def test_whos_coming_as_filtered_with_travel_and_hotel(db: Database, seed: Seed, tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await app.open_clinic(seed.clinic_id)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClinicEventScreen) and screen.loaded
        await pilot.press("w")
        await settle(pilot)
        table = screen.query_one(AttendanceTable)
        assert len(table.shown) == 3
        await save_list(pilot)  # every family, to the prefilled file
        assert app.screen is screen
        files = sorted(tmp_path.glob("*_coming.csv"))
        assert [f.name for f in files] == [f"2027-03-29_clinic-{seed.clinic_id}_coming.csv"]
        assert [r[0] for r in read_csv(files[0])[1:]] == [r.sort_name for r in table.shown]
        await pilot.press("m")  # only the families with something still to book
        await settle(pilot)
        shown = [r.sort_name for r in table.shown]
        assert len(shown) == 1 and shown[0].startswith("Otherfamily")
        await pilot.press("ctrl+l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ListExportScreen)
        await pilot.press("ctrl+t")  # .csv -> .xlsx
        path = Path(dialog.query_one("#list-file", Input).value)
        assert path.suffix == ".xlsx"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
    rows = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == shown
    header = rows[0]
    assert "Hotel" in header and "Travel out" in header and "Still to book" in header
    assert dict(zip(header, rows[1], strict=True))["Still to book"] == "travel"


@pilot_test
async def test_a_clinic_days_timetable(db: Database, seed: Seed, tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await app.open_clinic(seed.clinic_id)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClinicEventScreen) and screen.loaded
        await pilot.press("right_square_bracket")  # day 2
        await settle(pilot)
        assert screen.day == dt.date(2027, 3, 30)
        assert screen.timetable is not None
        on_screen = [v.appointment.discipline for v in screen.timetable.on_day(screen.day)]
        path = tmp_path / "day2.csv"
        await save_list(pilot, path)
        assert app.screen is screen
    rows = read_csv(path)
    assert [r[5] for r in rows[1:]] == on_screen == ["Endocrinology", "Team meeting"]
    assert {r[0] for r in rows[1:]} == {"30/03/2027"}
    assert rows[1][1:3] == ["09:00", "09:30"]


@pilot_test
async def test_an_unwritable_place_is_one_line_and_the_typed_path_stays(
    db: Database, seed: Seed, tmp_path: Path
) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("x")
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        typed = in_the_way / "lists" / "caseload.csv"
        dialog = await save_list(pilot, typed)
        assert app.screen is dialog  # still open
        shown = message(dialog)
        assert shown.startswith("✗ ") and "\n" not in shown and "a file is in the way of the folder" in shown
        assert dialog.query_one("#list-file", Input).value == str(typed)
        field = dialog.query_one("#list-file", Input)
        field.value = ""
        await type_text(pilot, str(tmp_path / "caseload.txt"))
        await pilot.press("enter")
        await settle(pilot)
        assert "must end in .csv or .xlsx" in message(dialog)
        assert field.value == str(tmp_path / "caseload.txt")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CaseloadScreen)
    assert not list(tmp_path.rglob("*.csv")) and not list(tmp_path.rglob("*.txt"))  # nothing written
    assert in_the_way.read_text() == "x"
