"""``coordinator-tui clinics new|plan|move|cancel|list``: the combined clinics, without the app.

    coordinator-tui clinics new --name TEXT --start DD/MM/YYYY [--days N] [--venue NAME]
                                [--start-time HH:MM --end-time HH:MM]
    coordinator-tui clinics plan --from DD/MM/YYYY --every-weeks N (--count N | --until DD/MM/YYYY)
                                 [--days N] [--venue NAME] [--name TEXT] [--dry-run]
    coordinator-tui clinics move ID --to DD/MM/YYYY
    coordinator-tui clinics cancel ID --yes
    coordinator-tui clinics list

Each prints what it changed (``plan --dry-run`` prints the dates it would create and writes nothing). A value that
is wrong (a date that is not one, in the past, on a bank holiday or a weekend; a missing --yes) is a usage error:
one line, exit 2. What the data refuses (no such clinic or venue, a clinic already there at the venue, a move
refused for its bookings or staff, a cancelled clinic) exits 1 with one line. Either way nothing is written.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from coordinator_tui.cli import CommandError, add_db_argument, record_id
from coordinator_tui.commands.common import open_from_args
from coordinator_tui.services.errors import NotFoundError
from coordinator_tui.validation import FieldError, ValidationError

if TYPE_CHECKING:
    from coordinator_tui.db import Database
    from coordinator_tui.models import ClinicEvent

DB_NOTE = "Each action takes --db PATH_OR_URL (the database; see ACTION --help)."
OPTIONS = {
    "name": "--name",
    "start_date": "--start",
    "days": "--days",
    "venue": "--venue",
    "venue_id": "--venue",
    "day_start": "--start-time",
    "day_end": "--end-time",
    "first": "--from",
    "every_weeks": "--every-weeks",
    "count": "--count",
    "until": "--until",
    "new_start": "--to",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    clinics = subparsers.add_parser(
        "clinics",
        help="create, plan, move, cancel or list combined clinics",
        description="The service's combined clinics: a run of consecutive days at one venue.",
        epilog=DB_NOTE,
    )
    actions = clinics.add_subparsers(dest="action", metavar="ACTION", required=True)
    _register_new(actions)
    _register_plan(actions)
    move = actions.add_parser(
        "move",
        help="move a clinic, with its appointments, staffing, travel and hotels",
        description="Move a clinic to a new first day: everything booked for it moves by the same number of days, "
        "at the same local times. Refused (with every reason) on a bank holiday or weekend, in the past, over "
        "another clinic at the same venue, or with an archived professional staffed.",
    )
    move.add_argument("clinic", type=record_id, metavar="ID", help="the clinic's id (see clinics list)")
    move.add_argument("--to", metavar="DD/MM/YYYY", required=True, help="the new first day")
    add_db_argument(move)
    move.set_defaults(func=run_move)
    cancel = actions.add_parser(
        "cancel",
        help="cancel a clinic (families keep their places on record)",
        description="Cancel a clinic. The invited families stay on record, to be told (see the families to tell).",
    )
    cancel.add_argument("clinic", type=record_id, metavar="ID", help="the clinic's id (see clinics list)")
    cancel.add_argument("--yes", action="store_true", help="confirm the cancellation (required: there is no prompt)")
    add_db_argument(cancel)
    cancel.set_defaults(func=run_cancel)
    listing = actions.add_parser("list", help="list the upcoming clinics", description="List the upcoming clinics.")
    add_db_argument(listing)
    listing.set_defaults(func=run_list)


def _register_new(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    new = actions.add_parser(
        "new",
        help="create one clinic",
        description="Create a clinic. A bank holiday or weekend among its days is refused, naming it.",
    )
    new.add_argument("--name", metavar="TEXT", required=True, help="e.g. 'Combined clinic 11/01/2027'")
    new.add_argument("--start", metavar="DD/MM/YYYY", required=True, help="its first day")
    new.add_argument("--days", metavar="N", default="2", help="how many consecutive days (1 to 5; default 2)")
    new.add_argument("--venue", metavar="NAME", default="", help="a venue of the catalogue (venues list)")
    new.add_argument("--start-time", metavar="HH:MM", default="", help="the clinic day's start (default: service)")
    new.add_argument("--end-time", metavar="HH:MM", default="", help="the clinic day's end (default: service)")
    add_db_argument(new)
    new.set_defaults(func=run_new)


def _register_plan(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plan = actions.add_parser(
        "plan",
        help="plan a series of clinics every N weeks",
        description="Plan clinics every N weeks on the first date's weekday; a date on a bank holiday or weekend "
        "moves to the next valid same weekday (each noted). Prints the dates; without --dry-run creates them as "
        "one series (all or none).",
    )
    plan.add_argument("--from", dest="first", metavar="DD/MM/YYYY", required=True, help="the first clinic's day")
    plan.add_argument("--every-weeks", metavar="N", required=True, help="weeks between clinics (1 to 52)")
    how_long = plan.add_mutually_exclusive_group(required=True)
    how_long.add_argument("--count", metavar="N", help="how many clinics (1 to 26)")
    how_long.add_argument("--until", metavar="DD/MM/YYYY", help="the last day a clinic may start")
    plan.add_argument("--days", metavar="N", default="2", help="days per clinic (1 to 5; default 2)")
    plan.add_argument("--venue", metavar="NAME", default="", help="a venue of the catalogue (venues list)")
    plan.add_argument("--name", metavar="TEXT", default="Combined clinic", help="each is named TEXT DD/MM/YYYY")
    plan.add_argument("--start-time", metavar="HH:MM", default="", help="the clinic day's start (default: service)")
    plan.add_argument("--end-time", metavar="HH:MM", default="", help="the clinic day's end (default: service)")
    plan.add_argument("--dry-run", action="store_true", help="print the dates only; create nothing")
    add_db_argument(plan)
    plan.set_defaults(func=run_plan)


def _by_option(exc: ValidationError | FieldError) -> ValidationError:
    errors = exc.errors if isinstance(exc, ValidationError) else {exc.field: exc.message}
    return ValidationError({OPTIONS.get(key, key): message for key, message in errors.items()})


def _hours(db: Database, args: argparse.Namespace) -> tuple[str, str]:
    from coordinator_tui.services.clinics.clinics import clinic_form_choices

    choices = clinic_form_choices(db)
    return args.start_time or f"{choices.day_start:%H:%M}", args.end_time or f"{choices.day_end:%H:%M}"


def _venue_id(db: Database, name: str) -> str:
    """The catalogue venue's id for a typed name ('' for none); a name not in the catalogue exits 1."""
    from coordinator_tui.services.clinics.clinics import clinic_form_choices

    if not name.strip():
        return ""
    venues = clinic_form_choices(db).venues
    for venue_id, venue_name in venues:
        if venue_name.casefold() == name.strip().casefold() or str(venue_id) == name.strip():
            return str(venue_id)
    names = ", ".join(n for _i, n in venues) or "none yet (venues add)"
    raise CommandError(f"--venue: no venue {name.strip()} in the catalogue (venues: {names})")


def _dates(clinic: ClinicEvent) -> str:
    from coordinator_tui.services.clinics.clinic_day_views import clinic_dates_text

    return clinic_dates_text(clinic)


def _is_data_refusal(exc: ValidationError) -> bool:
    """An overlap with another clinic is the data's refusal (exit 1), not a wrong value."""
    return any(" overlaps " in message for message in exc.errors.values())


def run_new(args: argparse.Namespace) -> int:
    from coordinator_tui.services.clinics.clinics import save_new_clinic

    db = open_from_args(args)
    try:
        start, end = _hours(db, args)
        form = {"name": args.name, "start_date": args.start, "days": args.days, "venue_id": _venue_id(db, args.venue),
                "day_start": start, "day_end": end}  # fmt: skip
        clinic = save_new_clinic(db, form)
    except (ValidationError, FieldError) as exc:
        refused = _by_option(exc)
        if isinstance(exc, ValidationError) and _is_data_refusal(exc):
            raise CommandError(str(refused)) from None
        raise refused from None
    finally:
        db.dispose()
    where = f" at {clinic.venue}" if clinic.venue else " (no venue yet)"
    print(f"Created clinic {clinic.id}: {clinic.name}, {_dates(clinic)}{where}, "
          f"{clinic.day_start:%H:%M}–{clinic.day_end:%H:%M}")  # fmt: skip
    return 0


def run_plan(args: argparse.Namespace) -> int:
    from coordinator_tui.services.clinics.clinic_series import preview_planned_clinics, save_planned_clinics

    db = open_from_args(args, writable=not args.dry_run)
    try:
        start, end = _hours(db, args)
        form = {"name": args.name, "first": args.first, "every_weeks": args.every_weeks, "count": args.count or "",
                "until": args.until or "", "days": args.days, "venue_id": _venue_id(db, args.venue),
                "day_start": start, "day_end": end}  # fmt: skip
        preview = preview_planned_clinics(db, form)
        created = [] if args.dry_run else save_planned_clinics(db, form)
    except (ValidationError, FieldError) as exc:
        refused = _by_option(exc)
        if isinstance(exc, ValidationError) and _is_data_refusal(exc):
            raise CommandError(str(refused)) from None
        raise refused from None
    finally:
        db.dispose()
    where = f" at {preview.venue}" if preview.venue else ""
    verb = "Would create" if args.dry_run else "Created"
    print(f"{verb} {len(preview.dates)} clinics{where}, {preview.day_start:%H:%M}–{preview.day_end:%H:%M}:")
    ids = [f"{c.id}  " for c in created] or [""] * len(preview.dates)
    for shown_id, line in zip(ids, preview.lines(), strict=True):
        print(f"  {shown_id}{preview.name} {line}")
    if args.dry_run:
        print("Nothing was written (--dry-run).")
    return 0


def run_move(args: argparse.Namespace) -> int:
    from coordinator_tui.services.clinics.clinic_moves import MoveRefused, save_clinic_move

    db = open_from_args(args)
    try:
        moved = save_clinic_move(db, args.clinic, {"new_start": args.to})
    except NotFoundError:
        raise CommandError(f"no clinic {args.clinic} (see clinics list)") from None
    except MoveRefused as exc:
        raise CommandError(str(exc)) from None
    except (ValidationError, FieldError) as exc:
        raise _by_option(exc) from None
    finally:
        db.dispose()
    old = moved.old_start.strftime("%d/%m/%Y")
    print(f"Moved clinic {moved.clinic.id} from {old} to {_dates(moved.clinic)}: {moved.clinic.name}")
    print(f"Moved with it: {moved.impact.text()}")
    return 0


def run_cancel(args: argparse.Namespace) -> int:
    from coordinator_tui.services.clinics import clinics
    from coordinator_tui.services.clinics.clinic_moves import save_clinic_cancel

    if not args.yes:
        raise ValidationError.single(
            "--yes", f"add --yes to cancel clinic {args.clinic} (usage: clinics cancel ID --yes)"
        )
    db = open_from_args(args)
    try:
        clinic = save_clinic_cancel(db, args.clinic)
        families = len(db.read(clinics.attendances_for_clinic, args.clinic))
    except NotFoundError:
        raise CommandError(f"no clinic {args.clinic} (see clinics list)") from None
    except ValidationError as exc:
        raise CommandError("; ".join(exc.errors.values())) from None
    finally:
        db.dispose()
    print(f"Cancelled clinic {clinic.id}: {clinic.name}, {_dates(clinic)}")
    if families:
        print(f"{families} famil{'y' if families == 1 else 'ies'} invited keep their places on record: tell them "
              "(the families to tell)")  # fmt: skip
    return 0


def run_list(args: argparse.Namespace) -> int:
    from coordinator_tui.services.clinics.clinic_day_views import clinic_list

    db = open_from_args(args, writable=False)
    try:
        summaries = clinic_list(db)
    finally:
        db.dispose()
    if not summaries:
        print("No upcoming clinics: add one with coordinator-tui clinics new, or plan a series with clinics plan")
        return 0
    for summary in summaries:
        clinic = summary.clinic
        where = f" at {clinic.venue}" if clinic.venue else ""
        print(f"{clinic.id}  {clinic.name}  {summary.dates_text}{where}  {clinic.status.value}  "
              f"{summary.invited} invited, {summary.confirmed} confirmed")  # fmt: skip
    return 0
