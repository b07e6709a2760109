"""``coordinator-tui export``: write family itineraries (.ics, text, HTML) for one family or a whole clinic.

    coordinator-tui export --clinic CLINIC_ID [--patient PATIENT_ID [--unconfirmed]] --out DIR
                           [--format ics,txt,html] [--large-print] [--db PATH_OR_URL]

A whole clinic: the families who confirmed (or attended) only, then one line on standard error saying how many
were not written and why ("2 not written: 1 has not replied, 1 declined"). One family who has not replied yet
needs --unconfirmed; one who declined, cancelled or did not attend never gets a file.

Prints each file written, one per line (and, while the service's phone number for the day is not set, one warning
line on standard error: the itineraries cannot say whom to call). Usage errors (an id that is not a whole number
from 1 to 2^63 - 1, an unknown clinic or patient, a patient not attending or not confirmed without --unconfirmed,
an unknown format) exit 2 and create nothing, not even the folder; a folder or file that cannot be written exits 1
with one line and leaves no half file.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

from coordinator_tui.cli import CommandError, add_db_argument, record_id
from coordinator_tui.commands.common import open_from_args
from coordinator_tui.export.formats import FORMATS, parse_formats
from coordinator_tui.services.errors import NotFoundError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "export",
        help="write family itineraries (.ics calendar, plain text, HTML) for a clinic",
        description="Write the itinerary of one family, or of every family who confirmed a clinic, as an .ics file "
        "to import into a calendar app, plain text, and a printable HTML page. Prints each file written.",
    )
    parser.add_argument("--clinic", type=record_id, required=True, metavar="CLINIC_ID", help="the clinic event's id")
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
        default=",".join(FORMATS),
        metavar="LIST",
        help=f"comma-separated formats among {', '.join(FORMATS)} (default: all)",
    )
    parser.add_argument(
        "--large-print", action="store_true", help="HTML in large print (at least 18 pt) for every family"
    )
    add_db_argument(parser)
    parser.set_defaults(func=functools.partial(run, parser=parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from coordinator_tui.export import ExportError, export_itineraries
    from coordinator_tui.export.service import export_skipped, missing_phone_warning
    from coordinator_tui.services.itineraries.itinerary import NotConfirmedError

    try:
        formats = parse_formats(args.format)
    except ValueError as exc:
        parser.error(str(exc))
    if args.unconfirmed and args.patient is None:
        parser.error("--unconfirmed needs --patient (a whole clinic is written for the families who confirmed)")
    db = open_from_args(args)
    try:
        paths = export_itineraries(
            db, args.clinic, args.patient, Path(args.out), formats, args.large_print, unconfirmed=args.unconfirmed
        )
        warning = missing_phone_warning(db) if paths else None
        skipped = db.read(export_skipped, args.clinic) if args.patient is None else None
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
    for path in paths:
        print(path)
    if skipped:
        print(f"coordinator-tui: {skipped}", file=sys.stderr)
    if warning:
        print(f"coordinator-tui: warning: {warning}", file=sys.stderr)
    return 0
