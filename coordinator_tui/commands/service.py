"""``coordinator-tui service show|set``: the service's details, kept in the database and shared by everyone.

    coordinator-tui service show [--db PATH_OR_URL]
    coordinator-tui service set [--name TEXT] [--short-name TEXT] [--phone NUMBER] [--address TEXT]
                                [--timezone ZONE] [--child-hours HH:MM-HH:MM] [--adult-hours HH:MM-HH:MM]
                                [--reminder-minutes N] [--walking-minutes N] [--rules-file PATH | --clear-rules]

``set`` prints each field it changed (before -> after). A value that is wrong (a phone number that is not a UK
one, hours whose end is not after their start, minutes out of range) is a usage error: one line, exit 2; a rules
file that cannot be read or whose rules are wrong, or someone saving the details meanwhile, exits 1 with one line.
Either way nothing is written.
"""

from __future__ import annotations

import argparse
import functools
from typing import Any

from coordinator_tui.cli import CommandError, add_db_argument
from coordinator_tui.commands.common import open_from_args
from coordinator_tui.validation import FieldError, ValidationError

#: set's options that are fields of the details form, as (option, form field).
TEXT_OPTIONS = [
    ("name", "name"),
    ("short_name", "short_name"),
    ("phone", "phone"),
    ("address", "address"),
    ("timezone", "timezone"),
    ("reminder_minutes", "reminder_minutes_before"),
    ("walking_minutes", "minutes_between_buildings"),
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
    rules = change.add_mutually_exclusive_group()
    rules.add_argument("--rules-file", metavar="PATH", help="the service's milestone rules file (read and kept)")
    rules.add_argument("--clear-rules", action="store_true", help="go back to the shipped milestone rules alone")
    add_db_argument(change)
    change.set_defaults(func=functools.partial(run_set, parser=change))


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
    return form


def run_set(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from coordinator_tui.services import service_details as service

    try:
        form = typed_form(args)
    except FieldError as exc:
        raise ValidationError.single(exc.field, exc.message) from None
    if not form and args.rules_file is None and not args.clear_rules:
        parser.error("give at least one detail to change (see --help)")
    db = open_from_args(args)
    try:
        current = service.service_details(db)
        changes: dict[str, Any] = service.checked_changes(current, form)
        changes.update(_rules_changes(args))
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


def _rules_changes(args: argparse.Namespace) -> dict[str, str]:
    from coordinator_tui.services.service_details import read_rules_file

    if args.clear_rules:
        return {"milestone_rules": "", "milestone_rules_name": ""}
    if args.rules_file is None:
        return {}
    try:
        rules = read_rules_file(args.rules_file, "--rules-file")
    except FieldError as exc:  # the file, not the command, is wrong: a data error
        raise CommandError(f"--rules-file: {exc.message}") from None
    return {"milestone_rules": rules.text, "milestone_rules_name": rules.name}


_FIELD_OPTIONS = {
    **{field: f"--{option.replace('_', '-')}" for option, field in TEXT_OPTIONS},
    **{f"{who}_day_{end}": f"--{who}-hours" for who in ("child", "adult") for end in ("start", "end")},
}


def _option(field: str) -> str:
    """A form field's error named by the option that set it (``phone`` -> ``--phone``)."""
    return _FIELD_OPTIONS.get(field, field)
