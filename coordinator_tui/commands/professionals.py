"""``coordinator-tui professionals list|add|edit|archive``: the professionals directory from the command line.

    coordinator-tui professionals list [--all] [--json]
    coordinator-tui professionals add --given TEXT --family TEXT --discipline NAME [--title --role --organisation
        --setting centre|local --phone --email --days "Mon, Wed"] [--allow-duplicate]
    coordinator-tui professionals edit ID [--given … any of add's options] [--allow-duplicate]
    coordinator-tui professionals archive ID [--end-memberships]

Each prints what it changed. A wrong value (a blank name, a discipline not in data/disciplines.toml, a phone number
that is not a UK one, a day that is not a day) is a usage error: one line naming the option, exit 2. A likely
duplicate (same name and discipline, or same email) is refused unless --allow-duplicate, and archiving someone in a
current care team or booked in a future clinic is refused unless --end-memberships, naming them: one line, exit 1.
Either way nothing is written. With --end-memberships the memberships end today and the bookings to move are listed.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from coordinator_tui.cli import CommandError, add_db_argument, record_id
from coordinator_tui.commands.common import open_from_args
from coordinator_tui.validation import ValidationError

if TYPE_CHECKING:
    from coordinator_tui.db import Database
    from coordinator_tui.models import Professional
    from coordinator_tui.services.people.professionals import ArchiveImpact

#: Form field -> command-line option (the order add and edit print them in).
OPTIONS = {
    "title": "--title",
    "given_name": "--given",
    "family_name": "--family",
    "discipline": "--discipline",
    "role": "--role",
    "organisation": "--organisation",
    "setting": "--setting",
    "phone": "--phone",
    "email": "--email",
    "usual_days": "--days",
}
SHOWN_AT_MOST = 5  # care-team patients named in a refusal's one line


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "professionals",
        help="list, add, edit or archive the professionals in the directory",
        description="The directory of professionals a care team is made of.",
    )
    add_db_argument(parser)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="list the professionals", description="List the directory.")
    listing.add_argument("--all", action="store_true", help="archived professionals too")
    listing.add_argument("--json", action="store_true", help="as JSON, one object per professional")
    add_db_argument(listing)
    listing.set_defaults(func=run_list)

    add = actions.add_parser(
        "add", help="add a professional", description="Add a professional; a likely duplicate is refused."
    )
    _field_options(add, required=True)
    add_db_argument(add)
    add.set_defaults(func=run_add)

    edit = actions.add_parser("edit", help="change a professional's details", description="Change the given fields.")
    edit.add_argument("id", type=record_id, metavar="ID", help="the professional's id (see professionals list)")
    _field_options(edit, required=False)
    add_db_argument(edit)
    edit.set_defaults(func=run_edit)

    archive = actions.add_parser(
        "archive",
        help="archive a professional",
        description="Archive a professional: hidden from the directory and the care-team picker. Refused when "
        "they are in a current care team or booked in a future clinic, unless --end-memberships.",
    )
    archive.add_argument("id", type=record_id, metavar="ID", help="the professional's id (see professionals list)")
    archive.add_argument(
        "--end-memberships",
        action="store_true",
        help="end their current care-team memberships today, archive them, and list the future bookings to move",
    )
    add_db_argument(archive)
    archive.set_defaults(func=run_archive)


def _field_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--given", dest="given_name", metavar="TEXT", required=required, help="given name")
    parser.add_argument("--family", dest="family_name", metavar="TEXT", required=required, help="family name")
    parser.add_argument(
        "--discipline", metavar="NAME", required=required, help="a discipline of data/disciplines.toml, e.g. cardiology"
    )
    parser.add_argument("--title", metavar="TEXT", help="e.g. Dr")
    parser.add_argument("--role", metavar="TEXT", help="e.g. 'Consultant paediatric cardiologist'")
    parser.add_argument("--organisation", metavar="TEXT", help="where they work")
    parser.add_argument("--setting", choices=["centre", "local"], help="at the centre (default) or local")
    parser.add_argument("--phone", metavar="NUMBER", help="a UK phone number")
    parser.add_argument("--email", metavar="ADDRESS", help="an email address")
    parser.add_argument("--days", dest="usual_days", metavar="DAYS", help="usual clinic days, e.g. 'Mon, Wed'")
    parser.add_argument(
        "--allow-duplicate", action="store_true", help="save even if it looks like someone already in the directory"
    )


def _form(args: argparse.Namespace) -> dict[str, str]:
    return {name: value for name in OPTIONS if (value := getattr(args, name, None)) is not None}


def _with_options(exc: ValidationError) -> ValidationError:
    """The same errors, named by their command-line options."""
    return ValidationError({OPTIONS.get(name, name): message for name, message in exc.errors.items()})


def _summary(professional: Professional) -> str:
    from coordinator_tui.services.people.professionals import describe

    days = f", usual days {professional.usual_days}" if professional.usual_days else ""
    return f"{describe(professional)}{days}"


# ------------------------------------------------------------------------------------------------------------
# list
# ------------------------------------------------------------------------------------------------------------


def _as_json(professional: Professional) -> dict[str, Any]:
    return {
        "id": professional.id,
        **{name: str(getattr(professional, name)) for name in OPTIONS},
        "setting": professional.setting.value,
        "archived": professional.archived,
    }


def run_list(args: argparse.Namespace) -> int:
    from coordinator_tui.services.people.professional_directory import directory_page

    db = open_from_args(args, writable=False)
    try:
        page = directory_page(db, "", limit=1_000_000, include_archived=args.all)
    finally:
        db.dispose()
    if args.json:
        print(json.dumps([_as_json(p) for p in page.professionals], ensure_ascii=False, indent=2))
        return 0
    for p in page.professionals:
        count = page.counts.get(p.id, 0)  # type: ignore[arg-type]
        print(f"{_summary(p)}, in {count} care team{'s' if count != 1 else ''}")
    if not page.professionals:
        print("No professionals" + ("." if args.all else " (--all shows archived ones)."))
    return 0


# ------------------------------------------------------------------------------------------------------------
# add and edit
# ------------------------------------------------------------------------------------------------------------


def _saving(db: Database, save: Any) -> Professional:
    from coordinator_tui.services.people.professionals import LikelyDuplicateError

    try:
        return save()
    except LikelyDuplicateError as exc:
        matches = "; ".join(m.description for m in exc.matches[:SHOWN_AT_MOST])
        raise CommandError(f"not saved: looks like {matches} (--allow-duplicate saves it anyway)") from None
    except ValidationError as exc:
        raise _with_options(exc) from None


def run_add(args: argparse.Namespace) -> int:
    from coordinator_tui.services.people.professional_directory import add_professional

    form = _form(args)
    db = open_from_args(args)
    try:
        added = _saving(db, lambda: add_professional(db, form, allow_duplicate=args.allow_duplicate))
    finally:
        db.dispose()
    print(f"Added {_summary(added)}.")
    return 0


def run_edit(args: argparse.Namespace) -> int:
    from coordinator_tui.services.people.professional_directory import edit_professional, find_professional

    form = _form(args)
    if not form:
        raise ValidationError.single("edit", f"give at least one of {', '.join(OPTIONS.values())}")
    db = open_from_args(args)
    try:
        before = find_professional(db, args.id)
        after = _saving(db, lambda: edit_professional(db, before, form, allow_duplicate=args.allow_duplicate))
    finally:
        db.dispose()
    changes = [
        f"  {OPTIONS[name]}: {_shown(getattr(before, name))} → {_shown(getattr(after, name))}"
        for name in OPTIONS
        if getattr(before, name) != getattr(after, name)
    ]
    print(
        f"Changed #{after.id} {after.display_name}:" if changes else f"No change to #{after.id} {after.display_name}."
    )
    for line in changes:
        print(line)
    return 0


def _shown(value: object) -> str:
    text = getattr(value, "value", value)
    return f"“{text}”" if text != "" else "(blank)"


# ------------------------------------------------------------------------------------------------------------
# archive
# ------------------------------------------------------------------------------------------------------------


def _refusal(name: str, impact: ArchiveImpact, reason: str) -> str:
    patients = [m.patient_name for m in impact.memberships]
    shown = "; ".join(patients[:SHOWN_AT_MOST]) + (" …" if len(patients) > SHOWN_AT_MOST else "")
    in_teams = f" Care teams: {shown}." if patients else ""
    booked = (
        f" Bookings: {'; '.join(b.describe() for b in impact.bookings[:SHOWN_AT_MOST])}." if impact.bookings else ""
    )
    return f"{name} not archived: {reason}.{in_teams}{booked}"


def run_archive(args: argparse.Namespace) -> int:
    from coordinator_tui.services.people.professional_directory import archive, find_professional
    from coordinator_tui.services.people.professionals import ArchiveNeedsChoiceError

    db = open_from_args(args)
    try:
        professional = find_professional(db, args.id)
        try:
            result = archive(db, professional, end_memberships=args.end_memberships)
        except ArchiveNeedsChoiceError as exc:
            reason = exc.errors["archive"]
            if not args.end_memberships:
                reason += " (--end-memberships does)"
            raise CommandError(_refusal(professional.display_name, exc.impact, reason)) from None
        except ValidationError as exc:  # already archived
            raise CommandError("not archived: " + "; ".join(exc.errors.values())) from None
    finally:
        db.dispose()
    print(f"Archived {_summary(result.professional)}.")
    if result.ended:
        print(f"Care-team memberships ended today ({len(result.ended)}):")
        for member in result.ended:
            print(f"  {member.patient_name}{f' ({member.role})' if member.role else ''}")
    if result.bookings_to_move:
        print(f"Future bookings that still name them, to move ({len(result.bookings_to_move)}):")
        for booking in result.bookings_to_move:
            print(f"  {booking.describe()}")
    return 0
