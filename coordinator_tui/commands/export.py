"""``coordinator-tui export``: write family itineraries (.ics, text, HTML, email draft) for one family, a whole
clinic, or every family on the families-to-tell list.

    coordinator-tui export --clinic CLINIC_ID [--patient PATIENT_ID [--unconfirmed]] --out DIR
                           [--format ics,txt,html,eml] [--large-print] [--anyway] [--db PATH_OR_URL]
    coordinator-tui export --to-tell --out DIR [--clinic CLINIC_ID] [--format ...] [--large-print]

A whole clinic: the families who confirmed (or attended) only, then one line on standard error saying how many
were not written and why ("2 not written: 1 has not replied, 1 declined"). One family who has not replied yet
needs --unconfirmed; one who declined, cancelled or did not attend never gets a file.

Before writing, a family whose visit has no appointment booked, or whose timetable has a clash still unresolved,
is refused in one line naming them (exit 1, nothing written) unless --anyway is given (``export.checks``).

Prints each file written, one per line: its path, then "  for " and whose it is ("Testperson, Ava (patient 18)":
the file names carry the date and the patient id only, never the child's name). The format eml writes an unsent
email draft per family; a family with no contact to email gets none, in one line on standard error. While the
service's phone number for the day is not set, one warning line on standard error: the itineraries cannot say
whom to call. Usage errors (an id that is not a whole number from 1 to 2^63 - 1, an unknown clinic or patient, a
patient not attending or not confirmed without --unconfirmed, an unknown format) exit 2 and create nothing, not
even the folder; a folder or file that cannot be written exits 1 with one line and leaves no half file.

--to-tell exports every family on the families-to-tell list (of every upcoming clinic, or of --clinic): their
itinerary as it is now with the cancellations, or a file cancelling what they were sent. They stay on the list
until it is recorded that they were told (``coordinator-tui tell``).
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

from coordinator_tui.cli import CommandError, add_db_argument, record_id
from coordinator_tui.commands.common import open_from_args
from coordinator_tui.export.formats import DEFAULT_FORMATS, FORMATS, parse_formats
from coordinator_tui.services.errors import NotFoundError

#: Between a file's path and whose it is, on each line of the output.
WHOSE = "  for "


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "export",
        help="write family itineraries (.ics calendar, plain text, HTML) for a clinic",
        description="Write the itinerary of one family, or of every family who confirmed a clinic, as an .ics file "
        "to import into a calendar app, plain text, and a printable HTML page. Prints each file written.",
    )
    parser.add_argument(
        "--clinic",
        type=record_id,
        default=None,
        metavar="CLINIC_ID",
        help="the clinic event's id (with --to-tell: that clinic's families to tell only)",
    )
    parser.add_argument(
        "--patient",
        type=record_id,
        default=None,
        metavar="PATIENT_ID",
        help="one family only (default: every family who confirmed)",
    )
    parser.add_argument(
        "--unconfirmed",
        action="store_true",
        help="with --patient: write the itinerary of a family who has not replied to the invitation yet",
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write to (created owner-only)")
    parser.add_argument(
        "--format",
        default=",".join(DEFAULT_FORMATS),
        metavar="LIST",
        help=f"comma-separated formats among {', '.join(FORMATS)} (default: {','.join(DEFAULT_FORMATS)}; eml is an "
        "unsent email draft to check and send from your mail program)",
    )
    parser.add_argument(
        "--large-print",
        action="store_true",
        help="a large-print HTML page (at least 18 pt) for every family as well (NAME_large-print.html)",
    )
    parser.add_argument(
        "--anyway",
        action="store_true",
        help="write even when a family's visit has no appointment booked or their timetable has a clash",
    )
    parser.add_argument(
        "--to-tell",
        action="store_true",
        help="export every family on the families-to-tell list (see coordinator-tui tell)",
    )
    add_db_argument(parser)
    parser.set_defaults(func=functools.partial(run, parser=parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        formats = parse_formats(args.format)
    except ValueError as exc:
        parser.error(str(exc))
    if args.to_tell:
        if args.patient is not None or args.unconfirmed:
            parser.error("--to-tell exports every family on the list: it takes no --patient or --unconfirmed")
        return _run_to_tell(args, formats)
    if args.clinic is None:
        parser.error("the following arguments are required: --clinic (or --to-tell)")
    if args.unconfirmed and args.patient is None:
        parser.error("--unconfirmed needs --patient (a whole clinic is written for the families who confirmed)")
    return _run_export(args, parser, formats)


def _run_export(args: argparse.Namespace, parser: argparse.ArgumentParser, formats: tuple[str, ...]) -> int:
    from coordinator_tui.export import ExportError, export_itineraries
    from coordinator_tui.export.checks import concerns_text, export_concerns
    from coordinator_tui.export.file_names import files_by_family
    from coordinator_tui.export.service import export_skipped, missing_phone_warning
    from coordinator_tui.services.itineraries.itinerary import NotConfirmedError

    notes: list[str] = []
    db = open_from_args(args)
    try:
        if not args.anyway:
            concerns = db.read(export_concerns, args.clinic, args.patient, unconfirmed=args.unconfirmed)
            if concerns:
                raise CommandError(f"not written: {concerns_text(concerns)}; add --anyway to write it anyway")
        paths = export_itineraries(
            db,
            args.clinic,
            args.patient,
            Path(args.out),
            formats,
            args.large_print,
            unconfirmed=args.unconfirmed,
            note_callback=notes.append,
        )
        warning = missing_phone_warning(db) if paths else None
        skipped = db.read(export_skipped, args.clinic) if args.patient is None else None
        listing = files_by_family(db, paths)
    except NotConfirmedError as exc:
        parser.error(f"{exc}; add --unconfirmed to write it anyway")
    except NotFoundError as exc:
        parser.error(str(exc))
    except ExportError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        db.dispose()
    if not paths:
        print(f"coordinator-tui: no family has confirmed clinic {args.clinic}; nothing written", file=sys.stderr)
    _print_listing(listing)
    for line in [skipped, *notes]:
        if line:
            print(f"coordinator-tui: {line}", file=sys.stderr)
    if warning:
        print(f"coordinator-tui: warning: {warning}", file=sys.stderr)
    return 0


def _print_listing(listing: list[tuple[str, list[Path]]]) -> None:
    """Each file written, one a line: its path, then whose it is (for the coordinator)."""
    for whose, paths in listing:
        for path in paths:
            print(f"{path}{WHOSE}{whose}" if whose else str(path))


def _run_to_tell(args: argparse.Namespace, formats: tuple[str, ...]) -> int:
    from coordinator_tui.export.file_names import files_by_family
    from coordinator_tui.export.service import export_families_to_tell

    db = open_from_args(args)
    try:
        outcome = export_families_to_tell(db, Path(args.out), formats, args.large_print, clinic_id=args.clinic)
        listing = files_by_family(db, outcome.paths)
    finally:
        db.dispose()
    _print_listing(listing)
    for line in [outcome.note, *outcome.notes]:
        if line:
            print(f"coordinator-tui: {line}", file=sys.stderr)
    if outcome.error is not None:
        raise CommandError(outcome.error)
    if outcome.warning:
        print(f"coordinator-tui: warning: {outcome.warning}", file=sys.stderr)
    return 0
