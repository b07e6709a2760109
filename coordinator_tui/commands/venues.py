"""``coordinator-tui venues add|list`` and ``rooms add``: the service's catalogue of venues and their rooms.

    coordinator-tui venues add --name TEXT [--address TEXT] [--db PATH_OR_URL]
    coordinator-tui venues list [--db PATH_OR_URL]
    coordinator-tui rooms add --venue ID_OR_NAME --name TEXT [--building TEXT] [--db PATH_OR_URL]

Each prints what it added. A value that is wrong (a blank or too long name, a venue or room already there) is a
usage error: one line, exit 2; a venue that does not exist or is archived exits 1 with one line. Either way nothing
is written.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from coordinator_tui.cli import CommandError, add_db_argument
from coordinator_tui.commands.common import open_from_args
from coordinator_tui.validation import ValidationError

if TYPE_CHECKING:
    from coordinator_tui.db import Database

DB_NOTE = "Each action takes --db PATH_OR_URL (the database; see ACTION --help)."
FIELD_OPTIONS = {"name": "--name", "address": "--address", "building": "--building", "venue": "--venue"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    venues = subparsers.add_parser(
        "venues",
        help="add or list the service's venues (with their buildings' rooms)",
        description="The service's catalogue of venues: a clinic is held at one, and uses its rooms.",
        epilog=DB_NOTE,
    )
    actions = venues.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a venue", description="Add a venue to the catalogue.")
    add.add_argument("--name", metavar="TEXT", required=True, help="the venue's name, unique in the service")
    add.add_argument("--address", metavar="TEXT", default="", help="its address")
    add_db_argument(add)
    add.set_defaults(func=run_add_venue)
    listing = actions.add_parser(
        "list", help="list the venues, their rooms and walking times", description="List the venues in use."
    )
    add_db_argument(listing)
    listing.set_defaults(func=run_list_venues)

    rooms = subparsers.add_parser(
        "rooms", help="add a room to a venue", description="The rooms of a venue's buildings.", epilog=DB_NOTE
    )
    room_actions = rooms.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_room = room_actions.add_parser(
        "add",
        help="add a room to a venue",
        description="Add a room to a venue; building and room name are unique within the venue.",
    )
    add_room.add_argument("--venue", metavar="ID_OR_NAME", required=True, help="the venue's id or name")
    add_room.add_argument("--name", metavar="TEXT", required=True, help="the room's name, e.g. 'Room 1'")
    add_room.add_argument(
        "--building", metavar="TEXT", default="", help="the building it is in (blank if the venue has one)"
    )
    add_db_argument(add_room)
    add_room.set_defaults(func=run_add_room)


def _by_option(exc: ValidationError) -> ValidationError:
    """The error named by the option that set the field (``name`` -> ``--name``)."""
    return ValidationError({FIELD_OPTIONS.get(key, key): message for key, message in exc.errors.items()})


def run_add_venue(args: argparse.Namespace) -> int:
    from coordinator_tui.services.clinics.venues import save_new_venue

    db = open_from_args(args)
    try:
        venue = save_new_venue(db, {"name": args.name, "address": args.address})
    except ValidationError as exc:
        raise _by_option(exc) from None
    finally:
        db.dispose()
    where = f" ({venue.address.splitlines()[0]})" if venue.address else ""
    print(f"Added venue {venue.id}: {venue.name}{where}")
    return 0


def run_add_room(args: argparse.Namespace) -> int:
    from coordinator_tui.services.clinics.venues import save_new_room

    db = open_from_args(args)
    try:
        venue_id = _venue_id(db, args.venue)
        room = save_new_room(db, venue_id, {"name": args.name, "building": args.building})
    except ValidationError as exc:
        errors = _by_option(exc).errors
        if set(errors) == {"--venue"}:  # the venue is archived: the data, not the command, is the problem
            raise CommandError(f"--venue: {errors['--venue']}") from None
        raise ValidationError(errors) from None
    finally:
        db.dispose()
    where = f" in {room.building}" if room.building else ""
    print(f"Added room {room.id}: {room.name}{where}, at venue {venue_id}")
    return 0


def _venue_id(db: Database, text: str) -> int:
    from coordinator_tui.services.clinics.venues import load_catalogue

    catalogue = db.read(load_catalogue, include_archived=True)
    wanted = text.strip()
    for entry in catalogue.venues:
        if str(entry.venue.id) == wanted or entry.venue.name.casefold() == wanted.casefold():
            return int(entry.venue.id)  # type: ignore[arg-type]
    names = ", ".join(f"{e.venue.id} {e.venue.name}" for e in catalogue.venues) or "none yet (venues add)"
    raise CommandError(f"--venue: no venue {wanted} (venues: {names})")


def run_list_venues(args: argparse.Namespace) -> int:
    from coordinator_tui.services.clinics.venues import building_label, read_catalogue

    db = open_from_args(args, writable=False)
    try:
        catalogue = read_catalogue(db)
    finally:
        db.dispose()
    if not catalogue.venues:
        print("No venues yet: add one with coordinator-tui venues add --name NAME")
        return 0
    for entry in catalogue.venues:
        address = f" — {', '.join(entry.venue.address.splitlines())}" if entry.venue.address else ""
        print(f"{entry.venue.id}  {entry.venue.name}{address}")
        for building in entry.buildings:
            names = ", ".join(room.name for room in entry.rooms_in(building))
            print(f"    {building_label(building)}: {names}")
        for walk in entry.walks:
            print(f"    walk {walk.first_building} <-> {walk.second_building}: {walk.minutes} min")
        if not entry.rooms:
            print("    no rooms yet (coordinator-tui rooms add)")
    others = "any other two" if any(entry.walks for entry in catalogue.venues) else "any two"
    print(f"Walking between {others} buildings: {catalogue.default_minutes} min (the service's default)")
    return 0
