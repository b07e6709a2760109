"""``coordinator-tui schedule``: build (or repair) a clinic's two-day timetable with CP-SAT and print the summary.

Without ``--apply`` nothing is written: the summary (scheduled, unscheduled with reasons, total waiting, solver
status and gap) and the planned changes are printed for review. With ``--apply`` the timetable is written
(audited). ``--repair`` keeps the existing timetable and moves as few appointments as possible.

The clinic is read without the write lock and the solver runs with no transaction open, so other coordinators
save as usual meanwhile; ``--apply`` then writes in one short transaction, refused as a whole (one line, exit 1)
if an appointment it would change was changed during the solve.
"""

from __future__ import annotations

import argparse

from coordinator_tui.cli import CommandError, add_db_argument, record_id
from coordinator_tui.commands.common import open_from_args
from coordinator_tui.services.errors import ConcurrentEditError, NotFoundError
from coordinator_tui.validation import FieldError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "schedule",
        help="build a clinic's two-day timetable (CP-SAT) and print the summary",
        description="Build the timetable of one combined clinic with a constraint solver and print a summary: "
        "appointments scheduled, those that could not fit with the reason, the families' total waiting, and the "
        "solver's status and gap. Nothing is written unless --apply is given.",
    )
    parser.add_argument("--clinic", type=record_id, required=True, metavar="CLINIC_ID", help="the clinic event id")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        metavar="S",
        help="solver time limit in seconds, above 0 and at most 3600 (default 10)",
    )
    parser.add_argument(
        "--repair", action="store_true", help="keep the existing timetable, moving as few appointments as possible"
    )
    parser.add_argument("--apply", action="store_true", help="write the timetable to the database")
    add_db_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from coordinator_tui.services.clinics.timetable_plan import ChangeKind

    shown = (ChangeKind.MOVED, ChangeKind.CANCELLED, ChangeKind.NEW, ChangeKind.NOT_PLACED, ChangeKind.KEPT_OUTSIDE)
    from coordinator_tui.services.clinics import timetable_build, timetable_plan
    from coordinator_tui.services.clinics.scheduling import hhmm, valid_time_limit

    try:
        valid_time_limit(args.time_limit)
    except ValueError as exc:  # a usage error: one line, exit 2, before the database is opened
        raise FieldError("time_limit", f"--time-limit {exc}") from None
    db = open_from_args(args, writable=bool(args.apply))
    try:
        # The app's three steps: load in a read session, solve with no session open (nobody's save waits for the
        # solver), and only then apply, taking the write lock briefly and refusing (ConcurrentEditError) an
        # appointment changed meanwhile.
        try:
            instance = timetable_build.load_for_build(db, args.clinic)
        except NotFoundError as exc:
            raise CommandError(str(exc)) from exc
        result = timetable_build.solve_loaded(instance, time_limit=args.time_limit, repair=args.repair)
        if result is None:
            print(f"Clinic {args.clinic}: no invited patients with needed appointments; nothing to schedule.")
            return 0
        for line in result.summary_lines(instance):
            print(line)
        plan = timetable_plan.plan_changes(instance, result)
        if plan.breaches:
            print(f"Booked appointments that break a rule as the timetable stands ({len(plan.breaches)}):")
            for key, rule in plan.breaches.items():
                print(f"  {timetable_plan.describe_appointment(instance, key)}: {rule}")
        print(f"Changes: {plan.counts_text()}")
        for change in plan.changes:
            if change.kind in shown:
                print(f"  {timetable_plan.describe_change(instance, change)}")
        if args.apply:
            if result.status not in timetable_build.APPLICABLE:
                raise CommandError(f"nothing applied: solver status {result.status}")
            try:
                applied = timetable_build.apply_timetable(db, args.clinic, instance, result)
            except ConcurrentEditError as exc:
                who = f"{exc.changed_by} at {exc.changed_at}" if exc.changed_by else "someone else"
                raise CommandError(
                    f"nothing applied: the timetable changed while this one was being built ({exc.entity} changed "
                    f"by {who}); run schedule again on the current timetable"
                ) from exc
            print(f"Applied: {applied.counts_text()}.")
        else:
            names = {p.id: p.name for p in instance.patients.values()}
            print("Timetable (not written; use --apply):")
            for it in sorted(result.scheduled, key=lambda i: (i.patient_id, i.day, i.start)):
                print(
                    f"  {names.get(it.patient_id, it.patient_id)}: {instance.day_label(it.day)} "
                    f"{hhmm(it.start)}-{hhmm(it.end)} {it.discipline}"
                )
    finally:
        db.dispose()
    return 0
