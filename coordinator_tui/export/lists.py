"""A list (the caseload, who's coming to a clinic, a clinic day's timetable, the patients) written to a file the
team can share and print: CSV that Excel opens as it is, or an Excel workbook.

A ``ListTable`` is headers and rows of plain values; the services build it from what a screen shows or what the
command line lists, never with internal notes. This module only writes it:

- **CSV**: UTF-8 with a byte order mark (Excel reads the file as UTF-8 only with it, else accents and the ✓ marks
  are garbled), CRLF line ends, dates DD/MM/YYYY, times HH:MM, date-times DD/MM/YYYY HH:MM (already local time).
- **xlsx**: openpyxl's write-only workbook (memory stays flat on a long list), one sheet, a bold header row,
  dates as real date cells shown DD/MM/YYYY.
- **Formula injection**: a spreadsheet program runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
  formula (``=HYPERLINK(...)`` in a family's name would be a link that leaks data when clicked). In CSV such a cell,
  and one starting with a tab or carriage return, gets a leading apostrophe, which Excel and LibreOffice show as
  text. In xlsx every text cell is written as a string cell, never as a formula, whatever it starts with.
- Files are written owner-only and atomically (``export.atomic.write_atomic``); an error is one line naming the
  list, never a person.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from coordinator_tui.export.atomic import ExportError, write_atomic

#: A value of a list's cell. A datetime is local wall-clock time, without a time zone (the builders convert it).
Cell = str | int | float | bool | dt.date | dt.datetime | dt.time | None

ListFormat = Literal["csv", "xlsx"]
LIST_FORMATS: tuple[ListFormat, ...] = ("csv", "xlsx")

#: What a spreadsheet program reads as the start of a formula (OWASP's list), as the first character of a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
TIME_FORMAT = "HH:MM"

#: Characters an xlsx file cannot hold (XML 1.0): shown as a visible escape instead, as the terminal shows them.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: A sheet name may not hold these, and is at most 31 characters.
_SHEET_ILLEGAL = re.compile(r"[\\/*?:\[\]]")


@dataclass(frozen=True)
class ListTable:
    """A list as it is exported: ``title`` (what it is, with the filters applied: the sheet's name and a line of the
    app), ``name`` (the file name's stem, never a person's name), column ``headers`` and ``rows`` of values."""

    title: str
    name: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.headers):
                raise ValueError(f"a row of {len(row)} cells in a list of {len(self.headers)} columns")

    def summary(self) -> str:
        rows = "row" if len(self.rows) == 1 else "rows"
        return f"{self.title}: {len(self.rows)} {rows}"


def escape_formula(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet runs as a formula: a leading apostrophe if it starts like one."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_text(value: Cell) -> str:
    """A value as the CSV (and the command line's table) shows it: UK dates, 24-hour times, yes / no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)


def csv_bytes(table: ListTable) -> bytes:
    """The list as CSV: UTF-8 with a BOM, CRLF line ends, every text cell escaped against formula injection."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([escape_formula(h) for h in table.headers])
    for row in table.rows:
        # Numbers are numbers (a negative one is not a formula); everything else is text and escaped.
        writer.writerow(
            [
                str(v) if isinstance(v, int | float) and not isinstance(v, bool) else escape_formula(cell_text(v))
                for v in row
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def _xlsx_text(text: str) -> str:
    return _XLSX_ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def sheet_name(title: str) -> str:
    """A valid, non-empty sheet name (at most 31 characters, none of ``\\ / * ? : [ ]``) from the list's title."""
    name = " ".join(_SHEET_ILLEGAL.sub(" ", _xlsx_text(title)).split()).strip("'")[:31].strip()
    return name or "List"


def xlsx_bytes(table: ListTable) -> bytes:
    """The list as an Excel workbook (openpyxl write-only): text as string cells, never formulas; real dates."""
    from openpyxl import Workbook  # loaded only when a workbook is written
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name(table.title))
    bold = Font(bold=True)

    def cell(value: Cell, *, header: bool = False) -> WriteOnlyCell:
        if value is None:
            return WriteOnlyCell(sheet, value=None)
        if isinstance(value, bool):
            value = "yes" if value else "no"
        if isinstance(value, str):
            written = WriteOnlyCell(sheet, value=_xlsx_text(value))
            written.data_type = "s"  # a string cell even if it starts with "=": never a formula, never an error code
            if header:
                written.font = bold
            return written
        written = WriteOnlyCell(sheet, value=value)
        if isinstance(value, dt.datetime):
            written.number_format = DATETIME_FORMAT
        elif isinstance(value, dt.date):
            written.number_format = DATE_FORMAT
        elif isinstance(value, dt.time):
            written.number_format = TIME_FORMAT
        return written

    sheet.append([cell(h, header=True) for h in table.headers])
    for row in table.rows:
        sheet.append([cell(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def format_of(path: Path) -> ListFormat:
    """The format a file name asks for, by its ending (.csv or .xlsx); anything else is refused in one line."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix == "csv":
        return "csv"
    if suffix == "xlsx":
        return "xlsx"
    raise ExportError("the file name must end in .csv or .xlsx (the ending chooses the format)")


def with_format(path: str, fmt: ListFormat) -> str:
    """``path`` with its ending changed to ``fmt`` (added if it has neither list ending)."""
    for known in LIST_FORMATS:
        if path.lower().endswith(f".{known}"):
            return path[: -len(known) - 1] + f".{fmt}"
    return f"{path}.{fmt}"


def default_file_name(table: ListTable, fmt: ListFormat = "csv") -> str:
    return f"{table.name}.{fmt}"


def list_bytes(table: ListTable, fmt: ListFormat) -> bytes:
    return csv_bytes(table) if fmt == "csv" else xlsx_bytes(table)


def write_list(table: ListTable, path: Path, fmt: ListFormat | None = None) -> Path:
    """Write ``table`` to ``path`` owner-only and atomically, in ``fmt`` (else the format its ending names).
    Raises ``ExportError`` with one line naming the list (its title), never the file's or a person's name."""
    path = Path(path).expanduser()
    fmt = fmt or format_of(path)
    if path.is_dir():
        raise ExportError(f"cannot write the list: {path} is a folder; give a file name ending in .{fmt}")
    return write_atomic(path, list_bytes(table, fmt), what=f"the list ({table.title})")


def rows_of(values: Sequence[Sequence[Cell]]) -> tuple[tuple[Cell, ...], ...]:
    return tuple(tuple(row) for row in values)
