"""``coordinator-tui staffing list|copy|set|remove``: who attends each day of a clinic, their hours and room.

    coordinator-tui staffing list --clinic ID
    coordinator-tui staffing copy --clinic ID [--from ID]
    coordinator-tui staffing set --clinic ID --professional ID --day (1|DD/MM/YYYY) --start HH:MM --end HH:MM
                                 [--room NAME [--building B]]
    coordinator-tui staffing remove --clinic ID --professional ID --day (1|DD/MM/YYYY)

Each prints what it changed. A wrong value (a day that is not one of the clinic's, a time that is not one, hours
outside the clinic's day, a room its venue does not have) is a usage error: one line naming the option, exit 2. What
the data refuses (no such clinic or professional, an archived professional, someone already elsewhere at those hours
or a room someone else holds, booked appointments that would be left outside the hours, nothing to copy) exits 1
with one line. Either way nothing is written.
"""

from __future__ import annotations

import argparse

from coordinator_tui.cli import CommandError, add_db_argument, record_id
from coordinator_tui.commands.common import open_from_args
from coordinator_tui.validation import ValidationError

DB_NOTE = "Each action takes --db PATH_OR_URL (the database; see ACTION --help)."
OPTIONS = {
    "day": "--day",
    "start_time": "--start",
    "end_time": "--end",
    "room": "--room",
    "from": "--from",
    "professional": "--professional",
    "clinic": "--clinic",
}
DAY_HELP = "the clinic's day: its number (1, 2) or its date (DD/MM/YYYY)"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    staffing = subparsers.add_parser(
        "staffing",
        help="list, copy, set or remove who attends each clinic day (hours and room)",
        description="Who attends each day of a clinic, their hours and their room from the venue's catalogue.",
        epilog=DB_NOTE,
    )
    actions = staffing.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list",
        help="list a clinic's staffing day by day",
        description="Each day's professionals, hours and rooms, and the disciplines the invited families need that "
        "nobody covers that day.",
    )
    _clinic_option(listing)
    listing.set_defaults(func=run_list)

    copy = actions.add_parser(
        "copy",
        help="copy the staffing of the previous clinic (or --from ID)",
        description="Copy an earlier clinic's staffing, day 1 to day 1, the same hours and rooms where this venue "
        "has them. Rows already there are kept as they are (nothing is duplicated); archived professionals are "
        "skipped. Prints what was copied, kept and skipped.",
    )
    _clinic_option(copy)
    copy.add_argument(
        "--from", dest="source", type=record_id, metavar="ID", help="the clinic to copy from (default: the latest "
        "earlier clinic that has staffing)"
    )  # fmt: skip
    copy.set_defaults(func=run_copy)

    setter = actions.add_parser(
        "set",
        help="add a professional to a day, or change their hours or room",
        description="Add a professional to one day of the clinic, or change their hours or room that day.",
    )
    _clinic_option(setter)
    _professional_day_options(setter)
    setter.add_argument("--start", required=True, metavar="HH:MM", help="when they start (within the clinic's day)")
    setter.add_argument("--end", required=True, metavar="HH:MM", help="when they finish")
    setter.add_argument("--room", default="", metavar="NAME", help="a room of the clinic's venue (default: none)")
    setter.add_argument("--building", default="", metavar="B", help="the room's building, where two have that name")
    setter.set_defaults(func=run_set)

    remove = actions.add_parser(
        "remove",
        help="take a professional off one day",
        description="Take a professional off one day of the clinic (refused while appointments are booked with "
        "them that day).",
    )
    _clinic_option(remove)
    _professional_day_options(remove)
    remove.set_defaults(func=run_remove)


def _clinic_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clinic", required=True, type=record_id, metavar="ID", help="the clinic's id")
    add_db_argument(parser)


def _professional_day_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--professional", required=True, type=record_id, metavar="ID", help="the professional's id")
    parser.add_argument("--day", required=True, metavar="DAY", help=DAY_HELP)


def _refused(exc: ValidationError) -> Exception:
    """The error named by the option: a refusal of the data (``StaffingConflict``) exits 1, a wrong value 2."""
    from coordinator_tui.services.clinics.staffing import StaffingConflict

    errors = {OPTIONS.get(key, key): message for key, message in exc.errors.items()}
    if isinstance(exc, StaffingConflict):
        return CommandError("; ".join(f"{key}: {message}" for key, message in errors.items()))
    return ValidationError(errors)


def run_list(args: argparse.Namespace) -> int:
    from coordinator_tui.services.clinics.staffing import load_staffing

    db = open_from_args(args, writable=False)
    try:
        plan = load_staffing(db, args.clinic)
    finally:
        db.dispose()
    clinic = plan.clinic
    print(f"{clinic.id}  {clinic.name} · {clinic.venue or 'no venue yet'} · day {clinic.day_start:%H:%M}–"
          f"{clinic.day_end:%H:%M}")  # fmt: skip
    for day in plan.days:
        print(f"{day.label}: {len(day.rows)} professional{'s' if len(day.rows) != 1 else ''}")
        for row in day.rows:
            archived = " (archived)" if row.archived else ""
            print(f"    {row.professional_id}  {row.name}{archived} · {row.discipline} · {row.hours} · {row.room}")
        if day.uncovered:
            print(f"    needed by invited families, nobody in: {day.uncovered_text()}")
    if not plan.rows:
        source = f" (from {plan.previous.name})" if plan.previous else ""
        print(f"No staffing yet: coordinator-tui staffing copy --clinic {clinic.id}{source}, or staffing set")
    return 0


def run_copy(args: argparse.Namespace) -> int:
    from coordinator_tui.services.clinics.staffing import copy_previous

    db = open_from_args(args)
    try:
        result = copy_previous(db, args.clinic, args.source)
    except ValidationError as exc:
        raise _refused(exc) from None
    finally:
        db.dispose()
    print("\n".join(result.lines()))
    return 0


def run_set(args: argparse.Namespace) -> int:
    from coordinator_tui.services.clinics.staffing import set_staff_day_text

    if args.building.strip() and not args.room.strip():
        raise ValidationError({"--building": "name the room too (--room NAME)"})
    db = open_from_args(args)
    try:
        saved = set_staff_day_text(
            db, args.clinic, args.professional, args.day, args.start, args.end, args.room, args.building
        )
    except ValidationError as exc:
        raise _refused(exc) from None
    finally:
        db.dispose()
    print(saved.text)
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from coordinator_tui.services.clinics.staffing import remove_staff_day_text

    db = open_from_args(args)
    try:
        saved = remove_staff_day_text(db, args.clinic, args.professional, args.day)
    except ValidationError as exc:
        raise _refused(exc) from None
    finally:
        db.dispose()
    print(saved.text)
    return 0
