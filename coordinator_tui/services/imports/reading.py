"""Reading a spreadsheet: a .csv file (UTF-8 with or without a byte-order mark, comma or semicolon separated, as
Excel writes it) or an .xlsx workbook (its first sheet, or the one named), into a header and rows of cells.

Cells come back as text, except an Excel date cell, which comes back as a date. A formula is read as the text of
the formula (``=HYPERLINK(...)``), never evaluated. The workbook's XML is parsed by openpyxl with ``defusedxml``
installed, so a workbook with entity declarations (an XML bomb, an external entity) is refused in one line.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from coordinator_tui.db_file import is_database_or_beside_one

Cell = str | dt.date

#: The most rows a file may have: far beyond a service's caseload, so a runaway sheet is refused early.
MAX_ROWS = 100_000
#: The largest file read (bytes).
MAX_FILE_BYTES = 50 * 1024 * 1024


class ImportFileError(ValueError):
    """The file cannot be read as a spreadsheet: one line saying why."""


@dataclass(frozen=True)
class Table:
    """A sheet as read: its header cells, its rows (each as long as the header), and the file it came from."""

    file_name: str
    sha256: str
    header: list[str]
    rows: list[list[Cell]]
    #: The spreadsheet row number of each row (the header is row 1), as the user sees it.
    row_numbers: list[int]


def refuse_database(path: Path) -> None:
    """``ImportFileError`` for a database (or its ``-wal``/``-shm``/``-journal`` file), asked of SQLite before a byte
    is read: reading the live database with anything but SQLite would drop this process's locks on it."""
    if is_database_or_beside_one(path):
        raise ImportFileError(f"{path.name} is a database, not a file to import: choose the spreadsheet or FHIR file")


def read_table(path: Path, *, sheet: str | None = None) -> Table:
    """Read ``path`` (.csv or .xlsx) into a ``Table``; ``ImportFileError`` when it cannot be read."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportFileError(f"{path.name} is too large to import ({size // (1024 * 1024)} MB; at most 50 MB)")
        refuse_database(path)
        content = path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(f"no file {path}") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path} is a folder, not a spreadsheet") from None
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    digest = hashlib.sha256(content).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        grid = _xlsx_grid(content, path.name, sheet)
    elif suffix in {".csv", ".txt"}:
        if sheet is not None:
            raise ImportFileError("--sheet is for .xlsx workbooks; a .csv file has one sheet")
        grid = _csv_grid(content, path.name)
    else:
        raise ImportFileError(f"{path.name}: import reads .csv and .xlsx files (save the sheet as one of these)")
    return _table(path.name, digest, grid)


def _table(file_name: str, digest: str, grid: list[tuple[int, list[Cell]]]) -> Table:
    rows = [(number, cells) for number, cells in grid if any(_text(c) for c in cells)]
    if not rows:
        raise ImportFileError(f"{file_name} is empty: it needs a header row and one row per record")
    _header_row, header_cells = rows[0]
    header = [_text(c) for c in header_cells]
    while header and not header[-1]:
        header.pop()
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise ImportFileError(f"{file_name} has {len(body)} rows; at most {MAX_ROWS} are imported at once")
    width = len(header)
    cells = [(list(r[:width]) + [""] * (width - len(r))) for _, r in body]
    return Table(file_name, digest, header, cells, [n for n, _ in body])


def _text(cell: object) -> str:
    return cell.strip() if isinstance(cell, str) else "" if cell is None else str(cell)


def _csv_grid(content: bytes, file_name: str) -> list[tuple[int, list[Cell]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            f"{file_name} is not UTF-8 text: save it from Excel as 'CSV UTF-8 (Comma delimited)'"
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [(reader.line_num, list(row)) for row in reader]
    except csv.Error as exc:
        raise ImportFileError(f"{file_name} line {reader.line_num}: not a readable CSV file ({exc})") from None


def _xlsx_grid(content: bytes, file_name: str, sheet: str | None) -> list[tuple[int, list[Cell]]]:
    import openpyxl
    from defusedxml import DefusedXmlException

    if not openpyxl.DEFUSEDXML:  # defusedxml missing, or OPENPYXL_DEFUSEDXML=False in the environment
        raise ImportFileError("cannot read .xlsx files safely here: openpyxl is not using defusedxml")
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise ImportFileError(f"{file_name} is not an .xlsx workbook (is it an older .xls? save it as .xlsx)")
    try:
        # Formulas are read as their text (data_only=False): a cached result could differ, and nothing is evaluated.
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        try:
            if sheet is None:
                worksheet = workbook.worksheets[0]
            elif sheet in workbook.sheetnames:
                worksheet = workbook[sheet]
            else:
                names = ", ".join(workbook.sheetnames)
                raise ImportFileError(f"{file_name} has no sheet '{sheet[:40]}' (its sheets: {names})")
            grid: list[tuple[int, list[Cell]]] = []
            for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
                if number > MAX_ROWS + 1:
                    raise ImportFileError(f"{file_name} has more than {MAX_ROWS} rows; at most {MAX_ROWS} are imported")
                grid.append((number, [_xlsx_cell(value) for value in row]))
            return grid
        finally:
            workbook.close()
    except ImportFileError:
        raise
    except DefusedXmlException:
        raise ImportFileError(
            f"{file_name} was refused: its XML declares entities (a malicious or damaged workbook); nothing imported"
        ) from None
    except Exception as exc:  # openpyxl raises many kinds (KeyError, zipfile.BadZipFile, ValueError...)
        if _caused_by(exc, DefusedXmlException):  # openpyxl wraps what it met while reading the worksheets
            raise ImportFileError(
                f"{file_name} was refused: its XML declares entities (a malicious or damaged workbook); "
                "nothing imported"
            ) from None
        raise ImportFileError(f"{file_name} is not a readable .xlsx workbook ({type(exc).__name__})") from None


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    for _ in range(20):
        if seen is None:
            return False
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _xlsx_cell(value: object) -> Cell:
    """A cell as text, an Excel date cell as a date. Whole numbers lose the '.0' Excel stores them with."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)
