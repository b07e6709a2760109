"""``coordinator-tui import``: bring the service's spreadsheets in (patients, family contacts, professionals, who
is in whose care team), and write the templates for them.

    coordinator-tui import {patients,contacts,professionals,care-team} FILE [--dry-run] [--sheet NAME] [--db ...]
    coordinator-tui import --template KIND [--out PATH]

FILE is a .csv (UTF-8 with or without a byte-order mark, comma or semicolon separated) or an .xlsx workbook (the
first sheet, or --sheet NAME). Every row is read, checked by the forms' rules and matched before anything is
written (``services.imports``); the plan is printed: what is created, updated and left alone, the conflicts (a
field changed in the app since the last import: not overwritten) and the review list (a patient matched by hospital
number alone, or an NHS number with another date of birth: not merged). With --dry-run nothing is written.
Otherwise the import is one transaction, audited.

Exit 0 once imported (or planned, with --dry-run). Any row problem prints every one (row, column, reason) and exits
1 with nothing written; so does a file that cannot be read or lacks a required column, in one line.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from coordinator_tui.cli import CommandError, add_db_argument
from coordinator_tui.commands.common import open_from_args

if TYPE_CHECKING:
    from coordinator_tui.services.imports.planning import ImportPlan

KINDS = ("patients", "contacts", "professionals", "care-team")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "import",
        help="import patients, family contacts, professionals or care teams from a .csv or .xlsx file",
        description="Import the service's spreadsheets: patients, family contacts, professionals or care-team "
        "members, from a .csv or .xlsx file with a header row (columns matched by name; 'import --template KIND' "
        "writes a template). Everything is checked and matched first; any problem is listed (row, column, reason) "
        "and nothing is written. Re-importing a file changes nothing; a field changed in the app since its last "
        "import is reported as a conflict, not overwritten. Nothing is ever deleted.",
    )
    parser.add_argument("kind", nargs="?", choices=KINDS, metavar="KIND", help=f"one of {', '.join(KINDS)}")
    parser.add_argument("file", nargs="?", type=Path, metavar="FILE", help="the .csv or .xlsx file")
    parser.add_argument("--dry-run", action="store_true", help="print what would change and write nothing")
    parser.add_argument("--sheet", metavar="NAME", default=None, help="the workbook's sheet (default: the first)")
    parser.add_argument(
        "--template", choices=KINDS, metavar="KIND", default=None, help="write the template for KIND instead"
    )
    parser.add_argument(
        "--out", type=Path, metavar="PATH", default=None, help="with --template: where (default: KIND.csv here)"
    )
    add_db_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.template is not None:
        if args.kind is not None or args.file is not None or args.dry_run or args.sheet is not None:
            raise CommandError("--template writes a template only: give no KIND, FILE, --dry-run or --sheet with it")
        return write_template(args.template, args.out)
    if args.out is not None:
        raise CommandError("--out is for --template")
    if args.kind is None or args.file is None:
        raise CommandError("name what to import and the file: import KIND FILE (KIND: " + ", ".join(KINDS) + ")")
    from coordinator_tui.services.imports.applying import apply_plan
    from coordinator_tui.services.imports.columns import ImportKind, MissingColumnsError
    from coordinator_tui.services.imports.planning import plan_file
    from coordinator_tui.services.imports.reading import ImportFileError

    kind = ImportKind(args.kind)
    db = open_from_args(args, writable=not args.dry_run)
    try:
        try:
            plan = plan_file(db, kind, args.file, sheet=args.sheet)
        except (ImportFileError, MissingColumnsError) as exc:
            raise CommandError(f"{exc}; nothing imported") from None
        print_plan(plan, verbose=args.dry_run)
        if plan.problems:
            count = len(plan.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} in {plan.file_name} (listed above): nothing imported"
            )
        if args.dry_run:
            print("dry run: nothing written")
            return 0
        result = apply_plan(db, plan)
    finally:
        db.dispose()
    print(f"imported {plan.file_name}: {result.summary()}")
    return 0


def print_plan(plan: ImportPlan, *, verbose: bool) -> None:
    """The plan as lines (``planning.plan_lines``); with ``verbose`` (a dry run) every record too."""
    from coordinator_tui.services.imports.planning import plan_lines

    for line in plan_lines(plan, every_record=verbose):
        print(line)


def write_template(kind: str, out: Path | None) -> int:
    from coordinator_tui.export.atomic import ExportError, write_atomic
    from coordinator_tui.services.imports.columns import ImportKind, template_text

    path = out if out is not None else Path(f"{kind}.csv")
    if path.is_dir():
        path = path / f"{kind}.csv"
    try:
        write_atomic(path, template_text(ImportKind(kind)).encode("utf-8"), what=f"the {kind} template")
    except ExportError as exc:
        raise CommandError(str(exc)) from None
    print(f"wrote the {kind} template: {path}")
    return 0
