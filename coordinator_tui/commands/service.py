"""``coordinator-tui service show|set``: the service's details, kept in the database and shared by everyone.

    coordinator-tui service show [--db PATH_OR_URL]
    coordinator-tui service set [--name TEXT] [--short-name TEXT] [--phone NUMBER] [--address TEXT]
                                [--timezone ZONE] [--child-hours HH:MM-HH:MM] [--adult-hours HH:MM-HH:MM]
                                [--reminder-minutes N] [--walking-minutes N]
                                [--bring ITEM ... | --bring-defaults] [--secure-marker TEXT]
    coordinator-tui service rules (PATH | --clear | --regenerate) [--yes] [--db PATH_OR_URL]

``set`` prints each field it changed (before -> after). ``--bring ITEM`` (once per item, in order) sets what
families are asked to bring, ``--bring-defaults`` goes back to the shipped list; ``--secure-marker TEXT`` is what
the email drafts' subjects start with ("" for none). A value that is wrong (a phone number that is not a UK
one, hours whose end is not after their start, minutes out of range) is a usage error: one line, exit 2; a rules
file that cannot be read or whose rules are wrong, or someone saving the details meanwhile, exits 1 with one line.
Either way nothing is written.

``rules`` changes the milestone rules, which are service-wide: every young person's checklist follows them. It
prints what regenerating everyone's checklists with the new rules would change (nothing is written); with ``--yes``
it then stores the rules and regenerates every checklist in batches, printing the progress and what changed. PATH
is the service's own rules file (read and checked first), ``--clear`` goes back to the shipped rules alone,
``--regenerate`` regenerates with the rules in force (to finish a run that stopped: it is safe to rerun). A rules
file that cannot be read, or someone saving the service's details since the preview, exits 1 with one line.
"""

from __future__ import annotations

import argparse
import functools
from typing import TYPE_CHECKING, Any

from coordinator_tui.cli import CommandError, add_db_argument
from coordinator_tui.commands.common import open_from_args
from coordinator_tui.validation import FieldError, ValidationError

if TYPE_CHECKING:
    from coordinator_tui.db import Database
    from coordinator_tui.services.transition.rules_change import RulesChangePreview

#: set's options that are fields of the details form, as (option, form field).
TEXT_OPTIONS = [
    ("name", "name"),
    ("short_name", "short_name"),
    ("phone", "phone"),
    ("address", "address"),
    ("timezone", "timezone"),
    ("reminder_minutes", "reminder_minutes_before"),
    ("walking_minutes", "minutes_between_buildings"),
    ("secure_marker", "secure_email_marker"),
]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "service",
        help="show or change the service's details (name, phone on the day, clinic-day hours, milestone rules)",
        description="The service's details are kept in the database and shared by everyone who uses it: what "
        "families see on itineraries (name, short name, the phone number they call on the day, address), the "
        "default clinic-day hours, the calendar reminder, the walking time between buildings, the milestone rules.",
    )
    add_db_argument(parser)  # before or after the action: service --db X show, service show --db X
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="print the service's details", description="Print the service's details.")
    add_db_argument(show)
    show.set_defaults(func=run_show)
    change = actions.add_parser(
        "set",
        help="change some of the service's details and print what changed",
        description="Change the details given (the others stay as they are) and print each change. Nothing is "
        "written when any value is wrong.",
    )
    change.add_argument("--name", metavar="TEXT", help="the service's full name")
    change.add_argument("--short-name", metavar="TEXT", help="the name families see, e.g. 'Alström clinic'")
    change.add_argument("--phone", metavar="NUMBER", help="the UK phone number families call on the day")
    change.add_argument("--address", metavar="TEXT", help="the service's address")
    change.add_argument("--timezone", metavar="ZONE", help="the time zone of clinic times, e.g. Europe/London")
    change.add_argument("--child-hours", metavar="HH:MM-HH:MM", help="children's clinic day, e.g. 09:00-16:00")
    change.add_argument("--adult-hours", metavar="HH:MM-HH:MM", help="adults' clinic day, e.g. 09:00-17:00")
    change.add_argument("--reminder-minutes", metavar="N", help="calendar reminder before each appointment (0-40320)")
    change.add_argument("--walking-minutes", metavar="N", help="walking time between two buildings (0-120)")
    bring = change.add_mutually_exclusive_group()
    bring.add_argument(
        "--bring",
        metavar="ITEM",
        action="append",
        help="something families are asked to bring; give it once per item, in order (replaces the list)",
    )
    bring.add_argument(
        "--bring-defaults", action="store_true", help="ask families to bring the shipped list (medicines, glasses…)"
    )
    change.add_argument(
        "--secure-marker",
        metavar="TEXT",
        help="what email drafts' subjects start with, as your organisation requires for patient information, "
        "e.g. '[secure]' ('' for none)",
    )
    add_db_argument(change)
    change.set_defaults(func=functools.partial(run_set, parser=change))
    register_rules(actions)


def register_rules(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rules = actions.add_parser(
        "rules",
        help="change the milestone rules: print what it would change on everyone's checklists; --yes applies it",
        description="Print what regenerating every patient's transition checklist with the new milestone rules would "
        "change (nothing is written). With --yes, store the rules (for everyone) and regenerate every checklist in "
        "batches; done items and notes are kept, and it is safe to run again.",
    )
    which = rules.add_mutually_exclusive_group(required=True)
    which.add_argument("path", metavar="PATH", nargs="?", help="the service's own milestone rules file")
    which.add_argument("--clear", action="store_true", help="go back to the shipped milestone rules alone")
    which.add_argument("--regenerate", action="store_true", help="regenerate with the rules in force")
    rules.add_argument("--yes", action="store_true", help="store the rules and regenerate everyone's checklists")
    add_db_argument(rules)
    rules.set_defaults(func=run_rules)


def run_show(args: argparse.Namespace) -> int:
    from coordinator_tui.services.service_details import details_rows, service_details

    db = open_from_args(args, writable=False)
    try:
        details = service_details(db)
    finally:
        db.dispose()
    _print_rows(details_rows(details))
    if details.to_fill_in:
        print(f"To fill in: {', '.join(details.to_fill_in)} (coordinator-tui service set, or the Service screen)")
    return 0


def _print_rows(rows: list[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows) + 2
    for label, text in rows:
        print(f"{label + ':':<{width}}{text}")


def typed_form(args: argparse.Namespace) -> dict[str, str]:
    """The details form's fields given on the command line, as text (``--child-hours`` as its start and end)."""
    from coordinator_tui.services.service_details import parse_hours

    form = {field: getattr(args, option) for option, field in TEXT_OPTIONS if getattr(args, option) is not None}
    for who in ("child", "adult"):
        hours = getattr(args, f"{who}_hours")
        if hours is not None:
            form[f"{who}_day_start"], form[f"{who}_day_end"] = parse_hours(hours, f"--{who}-hours")
    if args.bring is not None:
        for item in args.bring:
            if not item.strip() or "\n" in item or "\r" in item:
                raise FieldError("--bring", "give each item as one line of text, once per --bring")
        form["what_to_bring"] = "\n".join(args.bring)
    elif args.bring_defaults:
        form["what_to_bring"] = ""
    return form


def run_set(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from coordinator_tui.services import service_details as service

    try:
        form = typed_form(args)
    except FieldError as exc:
        raise ValidationError.single(exc.field, exc.message) from None
    if not form:
        parser.error("give at least one detail to change (see --help)")
    db = open_from_args(args)
    try:
        current = service.service_details(db)
        changes: dict[str, Any] = service.checked_changes(current, form)
        change = service.save_changes(db, changes, current.version)
    except ValidationError as exc:
        raise ValidationError({_option(key): message for key, message in exc.errors.items()}) from None
    finally:
        db.dispose()
    if not change.changed:
        print("Nothing changed: the service's details already say that.")
    for label, before, after in change.changed:
        print(f"{label}: {before or '(none)'} -> {after or '(none)'}")
    return 0


def run_rules(args: argparse.Namespace) -> int:
    from coordinator_tui.services.transition import rules_change

    db = open_from_args(args, writable=args.yes)
    try:
        change = _rules_preview(db, args)
        for line in rules_change.preview_lines(change):
            print(line)
        if not args.yes:
            print("Nothing written: add --yes to store the rules and regenerate everyone's checklists.")
            return 0
        result = rules_change.apply_rules_change(db, change, progress=_print_progress)
    finally:
        db.dispose()
    print(rules_change.regeneration_line(result))
    if not result.finished:
        raise CommandError("regeneration stopped: run 'service rules --regenerate --yes' to finish")
    return 0


def _rules_preview(db: Database, args: argparse.Namespace) -> RulesChangePreview:
    from coordinator_tui.services.transition import rules_change
    from coordinator_tui.services.transition.milestone_rules import RulesError

    if args.clear:
        return rules_change.preview(db, "")
    if args.regenerate:
        try:
            return rules_change.preview(db, None)
        except RulesError as exc:
            raise CommandError(f"the stored milestone rules cannot be used: {exc}") from None
    try:
        return rules_change.preview_rules_file(db, args.path)
    except FieldError as exc:  # the file, not the command, is wrong: a data error
        raise CommandError(f"{args.path}: {exc.message}") from None


def _print_progress(done: int, total: int) -> None:
    print(f"Regenerated {done} of {total} patients' checklists", flush=True)


_FIELD_OPTIONS = {
    **{field: f"--{option.replace('_', '-')}" for option, field in TEXT_OPTIONS},
    **{f"{who}_day_{end}": f"--{who}-hours" for who in ("child", "adult") for end in ("start", "end")},
    "what_to_bring": "--bring",
}


def _option(field: str) -> str:
    """A form field's error named by the option that set it (``phone`` -> ``--phone``)."""
    return _FIELD_OPTIONS.get(field, field)
