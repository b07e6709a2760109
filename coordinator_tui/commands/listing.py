"""``coordinator-tui list``: print patients, professionals, clinics or appointments, the caseload, who's coming to a
clinic or a clinic's timetable; or write the list to a file the team can share (``--format csv|xlsx``).

    coordinator-tui list patients|professionals|clinics|appointments [--json]
    coordinator-tui list caseload [--owner ROLE] [--category CATEGORY]
    coordinator-tui list coming --clinic ID
    coordinator-tui list timetable --clinic ID [--day N|DD/MM/YYYY]
    ... [--format csv|xlsx] [--out FILE]

With ``--format`` (or an ``--out`` file ending in .csv or .xlsx) the list is written owner-only to FILE, else to the
workstation's export folder under a name of the list and the day (never a person's name), and the path is printed.
CSV is UTF-8 with a byte order mark, as Excel expects; cells that a spreadsheet would run as a formula are escaped
(``export.lists``). No list holds internal notes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from coordinator_tui.cli import CommandError, add_db_argument, record_id
from coordinator_tui.commands.common import open_from_args
from coordinator_tui.terminal_text import json_safe, visible

# The same kinds as services.people.listing.KINDS (a test checks); named here so --help loads no database code.
RECORD_KINDS = ("patients", "professionals", "clinics", "appointments")
KINDS = (*RECORD_KINDS, "caseload", "coming", "timetable")
FORMATS = ("csv", "xlsx")

if TYPE_CHECKING:
    import datetime as dt

    from coordinator_tui.export.lists import ListFormat, ListTable


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "list",
        help="print or export patients, professionals, clinics, appointments, the caseload, who's coming, a timetable",
        description="Print records in name or date order: a readable table, or with --json one JSON object per "
        "line holding every column (ids and foreign-key ids, ISO 8601 dates, datetimes with their UTC offset). "
        "The caseload (open transition steps overdue or due in 90 days), who's coming to a clinic (with travel and "
        "hotel) and a clinic's timetable are lists too. --format csv|xlsx writes the list to a file instead "
        "(owner-only; to --out FILE, else to the export folder of the settings).",
    )
    parser.add_argument("kind", choices=KINDS, help="what to list")
    add_db_argument(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per line, for scripts")
    parser.add_argument("--format", choices=FORMATS, default=None, help="write a file: csv (opens in Excel) or xlsx")
    parser.add_argument(
        "--out", metavar="FILE", default=None, help="the file to write (its ending .csv or .xlsx chooses the format)"
    )
    parser.add_argument("--clinic", type=record_id, metavar="CLINIC_ID", help="the clinic (coming, timetable)")
    parser.add_argument("--day", metavar="N|DD/MM/YYYY", help="one day of the clinic (timetable; default every day)")
    parser.add_argument("--owner", metavar="ROLE", help="the caseload of one owner role only")
    parser.add_argument("--category", metavar="CATEGORY", help="the caseload of one category only")
    parser.set_defaults(func=run, list_parser=parser)


def _check_options(args: argparse.Namespace, parser: argparse.ArgumentParser) -> ListFormat | None:
    """Refuse options that do not go with the kind (usage errors); the format to write, or None to print."""
    needs_clinic = args.kind in ("coming", "timetable")
    if needs_clinic and args.clinic is None:
        parser.error(f"list {args.kind} needs --clinic CLINIC_ID")
    if not needs_clinic and args.clinic is not None:
        parser.error(f"--clinic is only for list coming and list timetable, not list {args.kind}")
    if args.day is not None and args.kind != "timetable":
        parser.error("--day is only for list timetable")
    if (args.owner is not None or args.category is not None) and args.kind != "caseload":
        parser.error("--owner and --category are only for list caseload")
    fmt: ListFormat | None = args.format
    if args.out is not None:
        ending = Path(args.out).suffix.lower().lstrip(".")
        if fmt is None:
            if ending not in FORMATS:
                parser.error("--out FILE must end in .csv or .xlsx, or give --format csv|xlsx")
            fmt = "csv" if ending == "csv" else "xlsx"
        elif ending in FORMATS and ending != fmt:
            parser.error(f"--out ends in .{ending} but --format is {fmt}")
    if fmt is not None and args.json:
        parser.error("--json prints; it does not go with --format or --out")
    return fmt


def _caseload_filter(
    value: str | None, choices: tuple[str, ...], option: str, parser: argparse.ArgumentParser
) -> str | None:
    if value is None:
        return None
    wanted = " ".join(value.split()).casefold()
    for choice in choices:
        if choice.casefold() == wanted:
            return choice
    parser.error(f"{option} must be one of: {', '.join(choices)}")
    return None  # not reached: parser.error exits


def _day(text: str | None, parser: argparse.ArgumentParser) -> int | dt.date | None:
    if text is None:
        return None
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= 2:
        return int(text)
    from coordinator_tui.validation import FieldError, parse_uk_date

    try:
        return parse_uk_date(text)
    except FieldError:
        parser.error(f"--day must be the day's number (1 for the first) or its date DD/MM/YYYY, not {text[:20]!r}")
    return None  # not reached


def run(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.list_parser
    fmt = _check_options(args, parser)
    if args.kind in RECORD_KINDS and fmt is None:
        return _print_records(args)
    from coordinator_tui.services import list_exports
    from coordinator_tui.services.transition.milestone_rules import CATEGORIES, OWNER_ROLES

    owner = _caseload_filter(args.owner, OWNER_ROLES, "--owner", parser)
    category = _caseload_filter(args.category, CATEGORIES, "--category", parser)
    day = _day(args.day, parser)
    db = open_from_args(args, writable=False)
    try:
        if args.kind in RECORD_KINDS:
            table = list_exports.record_list(db, args.kind)
        elif args.kind == "caseload":
            table = list_exports.caseload_list(db, owner_role=owner, category=category)
        elif args.kind == "coming":
            table = list_exports.coming_list(db, args.clinic)
        else:
            table = list_exports.timetable_list(db, args.clinic, day)
    finally:
        db.dispose()
    if fmt is None:
        return _print_list(args, table)
    return _write(args, table, fmt)


def _write(args: argparse.Namespace, table: ListTable, fmt: ListFormat) -> int:
    from coordinator_tui.config import load_settings
    from coordinator_tui.export.atomic import ExportError
    from coordinator_tui.export.lists import default_file_name, write_list

    path = Path(args.out) if args.out else load_settings().export_path() / default_file_name(table, fmt)
    try:
        written = write_list(table, path, fmt)
    except ExportError as exc:
        raise CommandError(str(exc)) from None
    print(f"{written}  {table.summary()}")
    return 0


def _print_list(args: argparse.Namespace, table: ListTable) -> int:
    from coordinator_tui.export.lists import cell_text
    from coordinator_tui.services.people.listing import json_value

    if args.json:
        for row in table.rows:
            obj = {header: json_value(value) for header, value in zip(table.headers, row, strict=True)}
            sys.stdout.write(json_safe(json.dumps(obj, ensure_ascii=False, sort_keys=True)) + "\n")
        return 0
    _print_table(list(table.headers), [[visible(cell_text(v)) for v in row] for row in table.rows])
    print(f"({table.summary()})")
    return 0


def _print_records(args: argparse.Namespace) -> int:
    from coordinator_tui.export.lists import cell_text
    from coordinator_tui.services.people.listing import rows

    db = open_from_args(args, writable=False)
    try:
        with db.session() as session:
            headings, records = rows(session, args.kind)
            if args.json:
                for _cells, obj in records:
                    sys.stdout.write(json_safe(json.dumps(obj, ensure_ascii=False, sort_keys=True)) + "\n")
                return 0
            table = [[visible(cell_text(cell)) for cell in cells] for cells, _obj in records]  # one line per record
    finally:
        db.dispose()
    _print_table(headings, table)
    print(f"({len(table)} {args.kind})")
    return 0


def _print_table(headings: list[str], table: list[list[str]]) -> None:
    widths = [max([len(h)] + [len(r[i]) for r in table]) for i, h in enumerate(headings)]
    print("  ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
