"""``coordinator-tui tell``: the families whose itinerary no longer matches their clinic, and why; and recording
that a family was told.

    coordinator-tui tell [--clinic CLINIC_ID] [--db PATH_OR_URL]
    coordinator-tui tell --record --clinic C --patient P --how phone|letter|email|in-person [--on DD/MM/YYYY]
                         --by NAME [--note TEXT] [--db PATH_OR_URL]

With ``--clinic``: that clinic's families to tell ("nobody to tell" when there are none, or when the clinic is
over). Without it: every clinic not yet finished that has any, clinic by clinic. Each family is one line, its
reasons after a colon; a withdrawal (something they were sent is no longer happening: it stays listed until the
family is recorded as told) is marked "!". Exit 0; an id that is not a whole number exits 2, an unknown clinic 1, in
one line. Nothing is written.

With ``--record``: records that the family was told (``family_told.record_family_told``: how, the day, default
today, who told them; audit-logged as the operating-system user) and prints one line. A wrong value exits 2 naming
its option; an unknown clinic or patient, or a family never sent an itinerary for the clinic, exits 1.
"""

from __future__ import annotations

import argparse

from coordinator_tui.cli import CommandError, add_db_argument, record_id
from coordinator_tui.commands.common import open_from_args
from coordinator_tui.services.errors import NotFoundError
from coordinator_tui.validation import ValidationError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "tell",
        help="list the families whose itinerary no longer matches their clinic, and why",
        description="List the families who were sent an itinerary that no longer matches the clinic (a clinic "
        "moved or cancelled, an appointment, hotel or travel changed or removed, a family that declined or was "
        "cancelled), with the reasons. A family leaves the list once an itinerary matching the clinic as it is now "
        "has been exported. A withdrawal (marked !: something they were sent is no longer happening) goes out as a "
        "cancellation in their next export and stays listed until you record that the family was told (tell "
        "--record). Without --record nothing is written.",
    )
    parser.add_argument(
        "--clinic", type=record_id, default=None, metavar="CLINIC_ID", help="one clinic (default: every upcoming one)"
    )
    parser.add_argument(
        "--record", action="store_true", help="record that a family was told (with --clinic, --patient, --how, --by)"
    )
    parser.add_argument("--patient", type=record_id, default=None, metavar="PATIENT_ID", help="with --record")
    parser.add_argument("--how", metavar="HOW", default=None, help="with --record: phone, letter, email or in-person")
    parser.add_argument("--on", metavar="DD/MM/YYYY", default=None, help="with --record: the day told (default today)")
    parser.add_argument("--by", metavar="NAME", default=None, help="with --record: who told the family")
    parser.add_argument("--note", metavar="TEXT", default="", help="with --record: a note (stays in the database)")
    add_db_argument(parser)
    parser.set_defaults(func=run)


#: The record's fields as the command line names them.
OPTIONS = {"how": "--how", "told_on": "--on", "told_by": "--by", "note": "--note"}


def run(args: argparse.Namespace) -> int:
    if args.record:
        return run_record(args)
    for option, value in (("--patient", args.patient), ("--how", args.how), ("--on", args.on), ("--by", args.by)):
        if value is not None:
            raise ValidationError({option: "only with --record"})
    from coordinator_tui.services.itineraries.families_to_tell import clinic_to_tell, upcoming_families_to_tell

    db = open_from_args(args, writable=False)
    try:
        if args.clinic is None:
            clinics = upcoming_families_to_tell(db)
        else:
            clinics = [c for c in [clinic_to_tell(db, args.clinic)] if c.families]
    except NotFoundError as exc:
        raise CommandError(str(exc)) from None
    finally:
        db.dispose()
    if not clinics:
        where = f"clinic {args.clinic}" if args.clinic is not None else "any upcoming clinic"
        print(f"nobody to tell: every family sent an itinerary for {where} has one that matches it")
        return 0
    for clinic in clinics:
        print(f"{clinic.clinic_name} (clinic {clinic.clinic_id}, {clinic.start_date:%d/%m/%Y}): "
              f"{len(clinic.families)} to tell")  # fmt: skip
        for family in clinic.families:
            mark = "!" if family.withdrawal else "-"
            told = f" (last recorded as told {family.last_told:%d/%m/%Y})" if family.last_told else ""
            print(f"  {mark} {family.full_name} (patient {family.patient_id}){told}: {family.reason_text}")
    return 0


def run_record(args: argparse.Namespace) -> int:
    """``tell --record``: one FamilyTold record, or one line saying why not."""
    from coordinator_tui import clock
    from coordinator_tui.clinic_time import format_date
    from coordinator_tui.services.itineraries.family_told import record_family_told, told_text

    missing = {
        option: "is required with --record"
        for option, value in (("--clinic", args.clinic), ("--patient", args.patient), ("--how", args.how),
                              ("--by", args.by))
        if value is None
    }  # fmt: skip
    if missing:
        raise ValidationError(missing)
    db = open_from_args(args)
    try:
        told_on = args.on if args.on is not None else format_date(clock.today())
        record = record_family_told(db, args.clinic, args.patient, args.how, told_on, args.by, args.note)
    except ValidationError as exc:
        raise ValidationError({OPTIONS.get(k, k): v for k, v in exc.errors.items()}) from None
    finally:
        db.dispose()
    print(f"recorded: patient {record.patient_id} at clinic {record.clinic_event_id} {told_text(record)}")
    return 0
