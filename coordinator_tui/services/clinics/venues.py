"""The service's catalogue of venues, their buildings' rooms, the walking times between buildings, and which of a
venue's rooms a clinic uses.

A room belongs to one venue and names its building ("" when the venue is one building); building and room name are
unique within a venue, case and spaces ignored. Where walking between two buildings of a venue takes longer (or
shorter) than the service's ``minutes_between_buildings``, the venue says so once per pair (``BuildingWalk``).

A clinic points at a venue (``ClinicEvent.venue_id``) and its ``venue`` text is kept in step with the venue's name
here (set with the venue, rewritten when the venue is renamed): the itineraries, calendar files and lists print it
without a join. Choosing a clinic's venue links every room of the venue in use; the rooms can then be narrowed or
widened from the same venue's catalogue. Every save is audited, and a stale save is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, func, select

from coordinator_tui import clock
from coordinator_tui.models import (
    Appointment,
    AppointmentStatus,
    BuildingWalk,
    ClinicEvent,
    ClinicRoom,
    ClinicStaffing,
    ClinicStatus,
    Room,
    Service,
    Venue,
)
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.people.specialist_service import get_service
from coordinator_tui.services.safety.records import create_record, delete_record, get_or_raise, update_record
from coordinator_tui.services.service_details import find_service
from coordinator_tui.validation import (
    FieldError,
    FormErrors,
    ValidationError,
    form_text,
    parse_multiline,
    parse_positive_int,
    parse_text_fields,
)

if TYPE_CHECKING:
    from coordinator_tui.db import Database

MAX_WALKING_MINUTES = 120
ACTIVE_STATUSES = (AppointmentStatus.PROPOSED, AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)


def fold(text: str) -> str:
    """How names are compared: case and surrounding spaces ignored."""
    return " ".join(text.split()).casefold()


def building_label(building: str) -> str:
    return building or "(no building named)"


# ------------------------------------------------------------------------------------------------------------
# What the Venues screen shows
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VenueCatalogue:
    """One venue with its rooms (by building, then name) and its walking times that differ from the default."""

    venue: Venue
    rooms: tuple[Room, ...]
    walks: tuple[BuildingWalk, ...]
    default_minutes: int
    clinics: int = 0  # clinics held there

    @property
    def buildings(self) -> list[str]:
        return sorted({r.building for r in self.rooms}, key=fold)

    def rooms_in(self, building: str) -> list[Room]:
        return [r for r in self.rooms if r.building == building]

    def minutes_between(self, first: str, second: str) -> int:
        return walking_minutes(self.default_minutes, self.walks, first, second)


@dataclass(frozen=True)
class Catalogue:
    venues: tuple[VenueCatalogue, ...]
    default_minutes: int
    archived_hidden: int = 0


def load_catalogue(session: Session, *, include_archived: bool = False) -> Catalogue:
    """The service's venues with their rooms; it only reads (an empty database has no service row yet)."""
    service = find_service(session)
    if service is None:
        return Catalogue(venues=(), default_minutes=Service(name="").minutes_between_buildings)
    venues = session.exec(select(Venue).where(Venue.service_id == service.id).order_by(Venue.name)).all()
    shown = [v for v in venues if include_archived or not v.archived]
    ids = [v.id for v in shown]
    rooms = session.exec(select(Room).where(col(Room.venue_id).in_(ids))).all() if ids else []
    walks = session.exec(select(BuildingWalk).where(col(BuildingWalk.venue_id).in_(ids))).all() if ids else []
    used = dict(
        session.exec(
            select(ClinicEvent.venue_id, func.count()).where(col(ClinicEvent.venue_id).in_(ids)).group_by(
                ClinicEvent.venue_id
            )
        ).all()
    ) if ids else {}  # fmt: skip
    default = service.minutes_between_buildings
    return Catalogue(
        venues=tuple(
            VenueCatalogue(
                venue=v,
                rooms=tuple(
                    sorted(
                        (r for r in rooms if r.venue_id == v.id and (include_archived or not r.archived)),
                        key=lambda r: (fold(r.building), fold(r.name)),
                    )
                ),
                walks=tuple(w for w in walks if w.venue_id == v.id),
                default_minutes=default,
                clinics=int(used.get(v.id, 0)),
            )
            for v in shown
        ),
        default_minutes=default,
        archived_hidden=len(venues) - len(shown),
    )


def read_catalogue(database: Database, *, include_archived: bool = False) -> Catalogue:
    return database.read(load_catalogue, include_archived=include_archived)


# ------------------------------------------------------------------------------------------------------------
# Venues
# ------------------------------------------------------------------------------------------------------------


def parse_venue_form(form: Mapping[str, object]) -> dict[str, Any]:
    errors = FormErrors()
    values: dict[str, Any] = parse_text_fields(form, errors, {"name": 200}, required={"name"})
    values["address"] = parse_multiline(form, errors, "address", 400)
    errors.raise_if_any()
    return values


def _refuse_duplicate_venue(session: Session, service_id: int, name: str, venue_id: int | None) -> None:
    for other in session.exec(select(Venue).where(Venue.service_id == service_id)).all():
        if other.id != venue_id and fold(other.name) == fold(name):
            archived = " (archived: restore it instead, on Venues, key 6)" if other.archived else ""
            raise ValidationError.single("name", f"there is already a venue called {other.name}{archived}")


def add_venue(session: Session, form: Mapping[str, object]) -> Venue:
    values = parse_venue_form(form)
    service = get_service(session)
    assert service.id is not None
    _refuse_duplicate_venue(session, service.id, values["name"], None)
    return create_record(session, Venue(service_id=service.id, **values))


def edit_venue(
    session: Session, venue_id: int, form: Mapping[str, object], *, expected_version: int | None = None
) -> Venue:
    """Rename a venue or change its address; its clinics' venue text follows the new name."""
    values = parse_venue_form(form)
    venue = get_or_raise(session, Venue, venue_id)
    _refuse_duplicate_venue(session, venue.service_id, values["name"], venue_id)
    venue = update_record(session, Venue, venue_id, values, expected_version=expected_version)
    for clinic in session.exec(select(ClinicEvent).where(ClinicEvent.venue_id == venue_id)).all():
        if clinic.venue != venue.name:
            update_record(session, ClinicEvent, clinic.id, {"venue": venue.name})
    return venue


def archive_venue(
    session: Session, venue_id: int, *, archived: bool = True, expected_version: int | None = None
) -> Venue:
    """Take a venue out of the choices (its clinics and bookings keep it), or restore it. Refused while clinics
    from today on are planned there."""
    if archived:
        today = clock.today()
        clinics = session.exec(
            select(ClinicEvent).where(ClinicEvent.venue_id == venue_id, ClinicEvent.status != ClinicStatus.CANCELLED)
        ).all()
        upcoming = sum(1 for c in clinics if c.end_date >= today)
        if upcoming:
            raise ValidationError.single(
                "venue", f"{upcoming} clinic(s) from today on are held here: move them to another venue first"
            )
    return update_record(session, Venue, venue_id, {"archived": archived}, expected_version=expected_version)


# ------------------------------------------------------------------------------------------------------------
# Rooms
# ------------------------------------------------------------------------------------------------------------


def parse_room_form(form: Mapping[str, object]) -> dict[str, Any]:
    errors = FormErrors()
    values: dict[str, Any] = parse_text_fields(form, errors, {"name": 100, "building": 100}, required={"name"})
    errors.raise_if_any()
    return values


def _refuse_duplicate_room(session: Session, venue_id: int, name: str, building: str, room_id: int | None) -> None:
    for other in session.exec(select(Room).where(Room.venue_id == venue_id)).all():
        if other.id != room_id and fold(other.name) == fold(name) and fold(other.building) == fold(building):
            archived = " (archived: restore it instead)" if other.archived else ""
            where = f" in {other.building}" if other.building else ""
            raise ValidationError.single("name", f"this venue already has {other.name}{where}{archived}")


def _same_spelling(session: Session, venue_id: int, building: str) -> str:
    """A building typed in another case or spacing is the building already there."""
    for room in session.exec(select(Room).where(Room.venue_id == venue_id)).all():
        if fold(room.building) == fold(building):
            return room.building
    return building


def add_room(session: Session, venue_id: int, form: Mapping[str, object]) -> Room:
    values = parse_room_form(form)
    venue = get_or_raise(session, Venue, venue_id)
    if venue.archived:
        raise ValidationError.single("venue", f"{venue.name} is archived: restore it before adding rooms")
    values["building"] = _same_spelling(session, venue_id, values.get("building", ""))
    _refuse_duplicate_room(session, venue_id, values["name"], values["building"], None)
    return create_record(session, Room(venue_id=venue_id, **values))


def edit_room(
    session: Session, room_id: int, form: Mapping[str, object], *, expected_version: int | None = None
) -> Room:
    """Rename a room or move it to another building of its venue (every booking in it follows)."""
    values = parse_room_form(form)
    room = get_or_raise(session, Room, room_id)
    values["building"] = _same_spelling(session, room.venue_id, values.get("building", ""))
    _refuse_duplicate_room(session, room.venue_id, values["name"], values["building"], room_id)
    return update_record(session, Room, room_id, values, expected_version=expected_version)


def upcoming_bookings_in(session: Session, room_id: int) -> int:
    start = dt.datetime.combine(clock.today(), dt.time(0, 0), tzinfo=dt.UTC)
    return session.exec(
        select(func.count())
        .select_from(Appointment)
        .where(
            Appointment.room_id == room_id,
            col(Appointment.start) >= start,
            col(Appointment.status).in_(ACTIVE_STATUSES),
        )
    ).one()


def archive_room(session: Session, room_id: int, *, archived: bool = True, expected_version: int | None = None) -> Room:
    """Take a room out of the choices, or restore it; refused while appointments from today on are booked in it
    (a family would be sent to a room no longer in use)."""
    if archived:
        booked = upcoming_bookings_in(session, room_id)
        if booked:
            raise ValidationError.single(
                "room", f"{booked} appointment(s) from today on are booked in this room: move them first"
            )
    return update_record(session, Room, room_id, {"archived": archived}, expected_version=expected_version)


# ------------------------------------------------------------------------------------------------------------
# Walking time between two buildings
# ------------------------------------------------------------------------------------------------------------


def walk_key(first: str, second: str) -> tuple[str, str]:
    a, b = sorted((first, second), key=fold)
    return a, b


def walking_minutes(default: int, walks: Iterable[BuildingWalk], first: str, second: str) -> int:
    """Minutes to walk from one building to another: 0 within a building (or where either is not named), the
    venue's own time for the pair where it sets one, else the service's default."""
    if not first or not second or fold(first) == fold(second):
        return 0
    pair = {fold(first), fold(second)}
    for walk in walks:
        if {fold(walk.first_building), fold(walk.second_building)} == pair:
            return walk.minutes
    return default


def find_walk(session: Session, venue_id: int, first: str, second: str) -> BuildingWalk | None:
    pair = {fold(first), fold(second)}
    for walk in session.exec(select(BuildingWalk).where(BuildingWalk.venue_id == venue_id)).all():
        if {fold(walk.first_building), fold(walk.second_building)} == pair:
            return walk
    return None


@dataclass(frozen=True)
class WalkForm:
    """What the walking-time form starts from: the pair, the minutes set (blank for the default), its version."""

    venue_id: int
    first: str
    second: str
    minutes: str
    version: int | None
    default_minutes: int


def walk_form(session: Session, venue_id: int, first: str, second: str) -> WalkForm:
    walk = find_walk(session, venue_id, first, second)
    return WalkForm(
        venue_id,
        first,
        second,
        str(walk.minutes) if walk else "",
        walk.version if walk else None,
        get_service(session).minutes_between_buildings,
    )


def set_walking_time(
    session: Session,
    venue_id: int,
    form: Mapping[str, object],
    *,
    expected_version: int | None = None,
    known: bool = False,
) -> BuildingWalk | None:
    """Set the minutes to walk between two buildings of a venue (form: first, second, minutes); blank minutes go
    back to the service's default. ``known``: the caller read the pair's current setting (``expected_version``,
    None when there was none) and a change made since is refused."""
    errors = FormErrors()
    texts = parse_text_fields(form, errors, {"first": 100, "second": 100}, required={"first", "second"})
    minutes_text = form_text(form, "minutes").strip()
    minutes = errors.check(
        "minutes", parse_positive_int, minutes_text, "minutes", maximum=MAX_WALKING_MINUTES
    ) if minutes_text else None  # fmt: skip
    errors.raise_if_any()
    venue = get_or_raise(session, Venue, venue_id)
    buildings = {fold(r.building): r.building for r in session.exec(select(Room).where(Room.venue_id == venue_id))}
    for key in ("first", "second"):
        if fold(texts[key]) not in buildings or not texts[key].strip():
            names = ", ".join(sorted(b for b in buildings.values() if b)) or "none yet"
            errors.add(key, f"{venue.name} has no building called {texts[key]} (its buildings: {names})")
    errors.raise_if_any()
    first, second = walk_key(buildings[fold(texts["first"])], buildings[fold(texts["second"])])
    if fold(first) == fold(second):
        raise ValidationError.single("second", "choose two different buildings")
    existing = find_walk(session, venue_id, first, second)
    if known and (existing.version if existing else None) != expected_version:
        raise ConcurrentEditError("walking time", None, None)
    if existing is None:
        if minutes is None:
            return None
        return create_record(
            session, BuildingWalk(venue_id=venue_id, first_building=first, second_building=second, minutes=minutes)
        )
    if minutes is None:
        delete_record(session, existing)
        return None
    return update_record(session, BuildingWalk, existing.id, {"minutes": minutes}, expected_version=existing.version)


def venue_walks(session: Session, venue_id: int | None) -> list[BuildingWalk]:
    if venue_id is None:
        return []
    return list(session.exec(select(BuildingWalk).where(BuildingWalk.venue_id == venue_id)).all())


# ------------------------------------------------------------------------------------------------------------
# A clinic's venue and rooms
# ------------------------------------------------------------------------------------------------------------


def find_venue_by_name(session: Session, service_id: int, text: str) -> Venue:
    """The catalogue venue a typed name means (case and spaces ignored); refused if there is none."""
    venues = session.exec(select(Venue).where(Venue.service_id == service_id)).all()
    for venue in venues:
        if fold(venue.name) == fold(text) and not venue.archived:
            return venue
    names = ", ".join(v.name for v in venues if not v.archived) or "none yet"
    raise FieldError(
        "venue", f"no venue called {text.strip()} in the catalogue (add it on Venues, key 6; venues: {names})"
    )


def clinic_rooms(session: Session, clinic_id: int) -> list[Room]:
    rooms = session.exec(
        select(Room).join(ClinicRoom, col(ClinicRoom.room_id) == Room.id).where(ClinicRoom.clinic_event_id == clinic_id)
    ).all()
    return sorted(rooms, key=lambda r: (fold(r.building), fold(r.name)))


def _rooms_booked_in(session: Session, clinic_id: int) -> set[int]:
    booked = session.exec(
        select(Appointment.room_id).where(
            Appointment.clinic_event_id == clinic_id, col(Appointment.room_id).is_not(None)
        )
    ).all()
    staffed = session.exec(
        select(ClinicStaffing.room_id).where(
            ClinicStaffing.clinic_event_id == clinic_id, col(ClinicStaffing.room_id).is_not(None)
        )
    ).all()
    return {int(r) for r in [*booked, *staffed] if r is not None}


def _link_rooms(session: Session, clinic_id: int, room_ids: Iterable[int]) -> None:
    current = {r.id for r in clinic_rooms(session, clinic_id)}
    wanted = set(room_ids)
    for link in session.exec(select(ClinicRoom).where(ClinicRoom.clinic_event_id == clinic_id)).all():
        if link.room_id not in wanted:
            delete_record(session, link)
    for room_id in sorted(wanted - current):
        create_record(session, ClinicRoom(clinic_event_id=clinic_id, room_id=room_id))


def set_clinic_venue(
    session: Session, clinic_id: int, venue_id: int | None, *, expected_version: int | None = None
) -> ClinicEvent:
    """Hold a clinic at a catalogue venue (or none): its venue text follows, and it uses every room of the venue in
    use. Refused while appointments or staffing of the clinic are in rooms of its current venue."""
    clinic = get_or_raise(session, ClinicEvent, clinic_id)
    if venue_id == clinic.venue_id:
        return clinic
    venue = get_or_raise(session, Venue, venue_id) if venue_id is not None else None
    if venue is not None and (venue.archived or venue.service_id != clinic.service_id):
        raise ValidationError.single("venue", f"{venue.name} is archived or not this service's venue")
    booked = _rooms_booked_in(session, clinic_id)
    if booked:
        raise ValidationError.single(
            "venue", f"{len(booked)} room(s) of this clinic's venue have bookings or staffing: move them first"
        )
    clinic = update_record(
        session,
        ClinicEvent,
        clinic_id,
        {"venue_id": venue_id, "venue": venue.name if venue else ""},
        expected_version=expected_version,
    )
    rooms = session.exec(select(Room).where(Room.venue_id == venue_id, col(Room.archived).is_(False))).all()
    _link_rooms(session, clinic_id, [r.id for r in rooms if r.id is not None] if venue else [])
    return clinic


def set_clinic_rooms(
    session: Session, clinic_id: int, room_ids: Sequence[int], *, expected_version: int | None = None
) -> list[Room]:
    """The rooms a clinic uses, from its venue's catalogue. A room of another venue, an archived room newly
    chosen, or leaving out a room the clinic has bookings or staffing in, is refused."""
    clinic = get_or_raise(session, ClinicEvent, clinic_id)
    if expected_version is not None and clinic.version != expected_version:
        raise ConcurrentEditError("clinic", None, None)
    current = {r.id for r in clinic_rooms(session, clinic_id)}
    for room_id in room_ids:
        room = get_or_raise(session, Room, room_id)
        if clinic.venue_id is None or room.venue_id != clinic.venue_id:
            venue = clinic.venue or "no venue yet"
            raise ValidationError.single("rooms", f"{room.name} is not a room of this clinic's venue ({venue})")
        if room.archived and room_id not in current:
            raise ValidationError.single("rooms", f"{room.name} is archived")
    dropped_but_booked = _rooms_booked_in(session, clinic_id) - set(room_ids)
    if dropped_but_booked:
        names = ", ".join(sorted(get_or_raise(session, Room, r).name for r in dropped_but_booked))
        raise ValidationError.single("rooms", f"this clinic has bookings or staffing in {names}: move them first")
    _link_rooms(session, clinic_id, room_ids)
    if expected_version is not None:  # a form's save: the clinic's version moves on, so a second one is refused
        update_record(session, ClinicEvent, clinic_id, {"venue": clinic.venue}, expected_version=clinic.version)
    return clinic_rooms(session, clinic_id)


def room_of_clinic(session: Session, clinic: ClinicEvent, room_id: int) -> Room:
    """A room a clinic's appointment or staffing may use: one of the clinic's rooms (refused otherwise)."""
    room = get_or_raise(session, Room, room_id)
    linked = session.get(ClinicRoom, (clinic.id, room_id))
    if linked is None:
        raise ValidationError.single("room", f"{room.name} is not one of this clinic's rooms")
    return room


def use_room(session: Session, clinic_id: int, name: str, building: str = "") -> Room:
    """Use the room of this building and name of the clinic's venue in the clinic, adding it to the venue's
    catalogue if it is not there yet. Refused for a clinic with no venue."""
    clinic = get_or_raise(session, ClinicEvent, clinic_id)
    if clinic.venue_id is None:
        raise ValidationError.single("venue", "choose the clinic's venue before its rooms")
    room = next(
        (
            r
            for r in session.exec(select(Room).where(Room.venue_id == clinic.venue_id)).all()
            if fold(r.name) == fold(name) and fold(r.building) == fold(building)
        ),
        None,
    ) or add_room(session, clinic.venue_id, {"name": name, "building": building})
    current = [r.id for r in clinic_rooms(session, clinic_id) if r.id is not None]
    if room.id not in current:
        assert room.id is not None
        set_clinic_rooms(session, clinic_id, [*current, room.id])
    return room


# ------------------------------------------------------------------------------------------------------------
# Use cases for the Venues screen and the command line: one unit of work each
# ------------------------------------------------------------------------------------------------------------


def save_new_venue(database: Database, values: Mapping[str, object]) -> Venue:
    return database.write(add_venue, values)


def save_venue(database: Database, venue_id: int, version: int, values: Mapping[str, object]) -> Venue:
    return database.write(edit_venue, venue_id, values, expected_version=version)


def save_venue_archived(database: Database, venue_id: int, version: int, archived: bool = True) -> Venue:
    return database.write(archive_venue, venue_id, archived=archived, expected_version=version)


def save_new_room(database: Database, venue_id: int, values: Mapping[str, object]) -> Room:
    return database.write(add_room, venue_id, values)


def save_room(database: Database, room_id: int, version: int, values: Mapping[str, object]) -> Room:
    return database.write(edit_room, room_id, values, expected_version=version)


def save_room_archived(database: Database, room_id: int, version: int, archived: bool = True) -> Room:
    return database.write(archive_room, room_id, archived=archived, expected_version=version)


def save_walking_time(
    database: Database, venue_id: int, values: Mapping[str, object], read: Mapping[tuple[str, str], int]
) -> BuildingWalk | None:
    """Set a pair's walking time as a form read the venue's times (``read``: pair -> version, as ``walk_key``
    orders it): a time set, changed or cleared for that pair since is refused."""
    first, second = form_text(values, "first"), form_text(values, "second")
    expected = read.get(walk_key(first, second)) if first and second else None
    return database.write(set_walking_time, venue_id, values, expected_version=expected, known=True)
