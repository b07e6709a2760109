"""``coordinator-tui tell``: the families whose itinerary no longer matches their clinic, and why.

    coordinator-tui tell [--clinic CLINIC_ID] [--db PATH_OR_URL]

With ``--clinic``: that clinic's families to tell ("nobody to tell" when there are none, or when the clinic is
over). Without it: every clinic not yet finished that has any, clinic by clinic. Each family is one line, its
reasons after a colon; a withdrawal (their calendar still shows what was sent) is marked "!". Exit 0; an id that is
not a whole number exits 2, an unknown clinic 1, in one line. Nothing is written.
"""

from __future__ import annotations

import argparse

from coordinator_tui.cli import CommandError, add_db_argument, record_id
from coordinator_tui.commands.common import open_from_args
from coordinator_tui.services.errors import NotFoundError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "tell",
        help="list the families whose itinerary no longer matches their clinic, and why",
        description="List the families who were sent an itinerary that no longer matches the clinic (a clinic "
        "moved or cancelled, an appointment, hotel or travel changed or removed, a family that declined or was "
        "cancelled), with the reasons. A family leaves the list once an itinerary matching the clinic as it is now "
        "has been exported; a withdrawal (marked !) stays: their calendar still shows it, so tell them. Nothing is "
        "written.",
    )
    parser.add_argument(
        "--clinic", type=record_id, default=None, metavar="CLINIC_ID", help="one clinic (default: every upcoming one)"
    )
    add_db_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
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
            print(f"  {mark} {family.full_name} (patient {family.patient_id}): {family.reason_text}")
    return 0
