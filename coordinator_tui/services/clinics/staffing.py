"""Who attends each day of a clinic, their hours and their room: the copy from the previous clinic, and the use
cases of the Staffing screen and the ``staffing`` command.

A staffing row (``ClinicStaffing``) says that one professional is in clinic on one day, from a start to an end time
(local wall-clock) and, optionally, in one room of the clinic's venue. Every save keeps the rules of
``staffing_rules`` (hours within the clinic's day, a room of its venue, no archived professional newly staffed, no one
in two places at once, no booked appointment left outside the hours, a stale change refused) and is audited.

``copy_staffing`` fills a clinic from an earlier one: day 1 to day 1, the same hours (cut to this clinic's day), the
same catalogue room where this clinic's venue has it (else no room), skipping archived professionals and anyone it
would put in two places at once; rows already there are kept as they are (a merge: nothing is ever duplicated). The
result says what was copied, kept and skipped.

``load_staffing`` is what the screen shows: each day's rows and the disciplines the invited families need that
nobody covers that day (the timetable build would say "no endocrinology professional is in clinic").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from coordinator_tui.clinic_time import format_date
from coordinator_tui.models import (
    AttendanceStatus,
    ClinicAttendance,
    ClinicEvent,
    ClinicStaffing,
    ClinicStatus,
    Patient,
    Professional,
    Room,
    Venue,
)
from coordinator_tui.services.clinics.clinic_planning import (
    ROUND_TABLE_DISCIPLINE,
    canonical_discipline,
    needs_for_patient,
)
from coordinator_tui.services.clinics.staffing_rules import (
    StaffedHours,
    StaffingConflict,
    clinic_of,
    day_label,
    hours_text,
    remove_staff_day,
    room_text,
    set_staff_day,
    staffing_row,
)
from coordinator_tui.services.clinics.venues import fold
from coordinator_tui.services.people.professionals import list_professionals
from coordinator_tui.services.safety.records import get_or_raise
from coordinator_tui.validation import FieldError, FormErrors, ValidationError, form_text, parse_time, parse_uk_date

if TYPE_CHECKING:
    from coordinator_tui.db import Database

COMING = (AttendanceStatus.INVITED, AttendanceStatus.CONFIRMED)


def parse_day(clinic: ClinicEvent, text: str, field_name: str = "day") -> dt.date:
    """A day number (1, 2) or a date (DD/MM/YYYY) that is one of the clinic's days."""
    stripped = text.strip()
    if stripped.isascii() and stripped.isdigit() and len(stripped) <= 2:
        number = int(stripped)
        if not 1 <= number <= clinic.days:
            raise FieldError(field_name, f"this clinic has days 1 to {clinic.days}")
        return clinic.dates[number - 1]
    day = parse_uk_date(stripped, field_name)
    if day is None or day not in clinic.dates:
        days = ", ".join(format_date(d) for d in clinic.dates)
        raise FieldError(field_name, f"is not a day of this clinic ({days})")
    return day


# ------------------------------------------------------------------------------------------------------------
# Copy from an earlier clinic
# ------------------------------------------------------------------------------------------------------------


def previous_clinic(session: Session, clinic: ClinicEvent) -> ClinicEvent | None:
    """The latest earlier clinic of the same service (not cancelled) that has staffing."""
    rows = session.exec(
        select(ClinicEvent)
        .where(
            ClinicEvent.service_id == clinic.service_id,
            col(ClinicEvent.start_date) < clinic.start_date,
            ClinicEvent.status != ClinicStatus.CANCELLED,
        )
        .order_by(col(ClinicEvent.start_date).desc(), col(ClinicEvent.id).desc())
    ).all()
    for row in rows:
        if session.exec(select(ClinicStaffing.id).where(ClinicStaffing.clinic_event_id == row.id)).first() is not None:
            return row
    return None


@dataclass
class StaffingCopy:
    """What a copy did: the rows added, the rows already there (kept as they were), the source's rows not copied
    (with why) and the rows copied with a change (no room here, hours cut to this clinic's day)."""

    source: ClinicEvent
    created: list[ClinicStaffing] = field(default_factory=list)
    kept: int = 0
    skipped: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        count = len(self.created)
        head = f"Copied {count} staffing row{'s' if count != 1 else ''} from {self.source.name}"
        if self.kept:
            head += f"; kept the {self.kept} already here as they were"
        lines = [head + "."]
        lines += [f"  copied with a change: {text}" for text in self.changed]
        lines += [f"  not copied: {text}" for text in self.skipped]
        return lines


def _copy_source(session: Session, clinic: ClinicEvent, from_clinic_id: int | None) -> ClinicEvent:
    if from_clinic_id is None:
        source = previous_clinic(session, clinic)
        if source is None:
            raise StaffingConflict.single("clinic", "no earlier clinic of this service has staffing to copy")
        return source
    if from_clinic_id == clinic.id:
        raise ValidationError.single("from", "choose another clinic to copy from (this is the same clinic)")
    source = clinic_of(session, from_clinic_id)
    if session.exec(select(ClinicStaffing.id).where(ClinicStaffing.clinic_event_id == source.id)).first() is None:
        raise StaffingConflict.single("from", f"{source.name} has no staffing to copy")
    return source


def _matching_room(session: Session, clinic: ClinicEvent, room: Room | None) -> Room | None:
    """This clinic's venue's catalogue room that is ``room``: the same room at the same venue, else the room of the
    same building and name there; None when it has none (or only an archived one)."""
    if room is None or clinic.venue_id is None:
        return None
    if room.venue_id == clinic.venue_id:
        return None if room.archived else room
    for candidate in session.exec(select(Room).where(Room.venue_id == clinic.venue_id)).all():
        if fold(candidate.name) == fold(room.name) and fold(candidate.building) == fold(room.building):
            return None if candidate.archived else candidate
    return None


def _copy_row(
    session: Session, clinic: ClinicEvent, source: ClinicEvent, row: ClinicStaffing, result: StaffingCopy
) -> None:
    professional = get_or_raise(session, Professional, row.professional_id)
    who = f"{professional.display_name} ({professional.discipline})"
    index = (row.day - source.start_date).days
    if index >= clinic.days:
        result.skipped.append(f"{who}, day {index + 1}: this clinic has {clinic.days} day(s)")
        return
    day = clinic.dates[index]
    where = f"{who}, day {index + 1}"
    if staffing_row(session, clinic.id, professional.id, day) is not None:  # type: ignore[arg-type]
        result.kept += 1
        return
    if professional.archived:
        result.skipped.append(f"{where}: archived")
        return
    start, end = max(row.start_time, clinic.day_start), min(row.end_time, clinic.day_end)
    if end <= start:
        result.skipped.append(
            f"{where}: {hours_text(row.start_time, row.end_time)} is outside this clinic's day "
            f"({hours_text(clinic.day_start, clinic.day_end)})"
        )
        return
    notes = []
    if (start, end) != (row.start_time, row.end_time):
        notes.append(f"hours {hours_text(row.start_time, row.end_time)} cut to {hours_text(start, end)}")
    old_room = session.get(Room, row.room_id) if row.room_id is not None else None
    room = _matching_room(session, clinic, old_room)
    if old_room is not None and room is None:
        venue = clinic.venue or "no venue yet"
        notes.append(f"no room ({room_text(old_room)} is not a room of {venue} in use)")
    try:
        created = _create_copied(session, clinic, professional, day, start, end, room, notes)
    except StaffingConflict as exc:
        result.skipped.append(f"{where}: {'; '.join(exc.errors.values())}")
        return
    result.created.append(created)
    if notes:
        result.changed.append(f"{where}: {'; '.join(notes)}")


def _create_copied(
    session: Session,
    clinic: ClinicEvent,
    professional: Professional,
    day: dt.date,
    start: dt.time,
    end: dt.time,
    room: Room | None,
    notes: list[str],
) -> ClinicStaffing:
    """One copied row through the rules; a room someone already holds here is left out (said in ``notes``)."""
    assert clinic.id is not None and professional.id is not None
    try:
        return set_staff_day(session, clinic.id, professional.id, day, start, end, room.id if room else None, new=True)
    except StaffingConflict as exc:
        if room is None or "room" not in exc.errors:
            raise
        notes.append(f"no room ({exc.errors['room']})")
        return set_staff_day(session, clinic.id, professional.id, day, start, end, None, new=True)


def copy_staffing(session: Session, clinic_id: int, from_clinic_id: int | None = None) -> StaffingCopy:
    """Copy an earlier clinic's staffing (by default the latest earlier one that has staffing) into this one,
    day by position. Rows already here are kept as they are (never duplicated); what was not copied is said."""
    clinic = clinic_of(session, clinic_id)
    if clinic.status is ClinicStatus.CANCELLED:
        raise StaffingConflict.single("clinic", "this clinic is cancelled")
    source = _copy_source(session, clinic, from_clinic_id)
    result = StaffingCopy(source=source)
    rows = session.exec(
        select(ClinicStaffing, Professional)
        .join(Professional, col(Professional.id) == ClinicStaffing.professional_id)
        .where(ClinicStaffing.clinic_event_id == source.id)
        .order_by(ClinicStaffing.day, Professional.family_name, Professional.given_name, Professional.id)
    ).all()
    for row, _professional in rows:
        _copy_row(session, clinic, source, row, result)
    return result


# ------------------------------------------------------------------------------------------------------------
# What the screen and the command line show
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffRow:
    """One professional's day at the clinic."""

    staffing_id: int
    professional_id: int
    name: str
    discipline: str
    day: dt.date
    start_time: dt.time
    end_time: dt.time
    room_id: int | None
    room: str  # "Room 1, Outpatients", or "no room"
    archived: bool

    @property
    def hours(self) -> str:
        return hours_text(self.start_time, self.end_time)

    @property
    def read(self) -> StaffedHours:
        return StaffedHours(self.start_time, self.end_time, self.room_id)


@dataclass(frozen=True)
class StaffDay:
    """One clinic day: who is in, and the disciplines the invited families need that nobody covers that day (with
    how many families need each)."""

    number: int
    day: dt.date
    rows: tuple[StaffRow, ...]
    uncovered: tuple[tuple[str, int], ...]

    @property
    def label(self) -> str:
        return f"Day {self.number} · {self.day:%a} {format_date(self.day)}"

    def uncovered_text(self) -> str:
        if not self.uncovered:
            return ""
        return ", ".join(f"{name} ({n} famil{'y' if n == 1 else 'ies'})" for name, n in self.uncovered)


@dataclass(frozen=True)
class RoomChoice:
    room_id: int
    label: str


@dataclass(frozen=True)
class StaffingPlan:
    """A clinic's staffing plan, day by day, with the rooms its venue offers and the clinic copy would copy from."""

    clinic: ClinicEvent
    days: tuple[StaffDay, ...]
    rooms: tuple[RoomChoice, ...]
    families: int
    previous: ClinicEvent | None

    def day_number_of(self, discipline: str) -> int | None:
        """The first day on which ``discipline`` is needed and nobody covers it."""
        name = canonical_discipline(discipline)
        return next((d.number for d in self.days if any(n == name for n, _ in d.uncovered)), None)

    @property
    def rows(self) -> int:
        return sum(len(d.rows) for d in self.days)


def _needed_disciplines(session: Session, clinic_id: int) -> tuple[int, dict[str, int]]:
    """How many families are invited or confirmed, and how many of them need each discipline."""
    patient_ids = session.exec(
        select(ClinicAttendance.patient_id)
        .join(Patient, col(Patient.id) == ClinicAttendance.patient_id)
        .where(ClinicAttendance.clinic_event_id == clinic_id, col(ClinicAttendance.status).in_(list(COMING)))
    ).all()
    needed: dict[str, int] = defaultdict(int)
    for patient_id in patient_ids:
        for need in needs_for_patient(session, patient_id):
            if need.needed and need.discipline != ROUND_TABLE_DISCIPLINE:
                needed[need.discipline] += 1
    return len(patient_ids), dict(needed)


def staffing_plan(session: Session, clinic_id: int) -> StaffingPlan:
    clinic = clinic_of(session, clinic_id)
    rooms = {r.id: r for r in session.exec(select(Room).where(Room.venue_id == clinic.venue_id)).all()} if (
        clinic.venue_id is not None
    ) else {}  # fmt: skip
    rows = session.exec(
        select(ClinicStaffing, Professional)
        .join(Professional, col(Professional.id) == ClinicStaffing.professional_id)
        .where(ClinicStaffing.clinic_event_id == clinic_id)
        .order_by(ClinicStaffing.day, Professional.discipline, Professional.family_name, Professional.given_name)
    ).all()
    families, needed = _needed_disciplines(session, clinic_id)
    days = []
    for number, day in enumerate(clinic.dates, start=1):
        on_day = [
            StaffRow(
                staffing_id=s.id,  # type: ignore[arg-type]
                professional_id=p.id,  # type: ignore[arg-type]
                name=p.display_name,
                discipline=p.discipline,
                day=s.day,
                start_time=s.start_time,
                end_time=s.end_time,
                room_id=s.room_id,
                room=room_text(rooms.get(s.room_id) or (session.get(Room, s.room_id) if s.room_id else None)),
                archived=p.archived,
            )
            for s, p in rows
            if s.day == day
        ]
        covered = {canonical_discipline(r.discipline) for r in on_day}
        uncovered = tuple(sorted((d, n) for d, n in needed.items() if d not in covered))
        days.append(StaffDay(number, day, tuple(on_day), uncovered))
    choices = tuple(
        RoomChoice(r.id, room_text(r))  # type: ignore[arg-type]
        for r in sorted(rooms.values(), key=lambda r: (fold(r.building), fold(r.name)))
        if not r.archived
    )
    return StaffingPlan(clinic, tuple(days), choices, families, previous_clinic(session, clinic))


def professionals_to_staff(session: Session, clinic_id: int, day: dt.date, text: str = "") -> list[Professional]:
    """Current professionals not yet in clinic on ``day`` (archived ones are never offered), matching ``text``."""
    there = set(
        session.exec(
            select(ClinicStaffing.professional_id).where(
                ClinicStaffing.clinic_event_id == clinic_id, ClinicStaffing.day == day
            )
        ).all()
    )
    return [p for p in list_professionals(session, text=text) if p.id not in there]


def find_venue_room(session: Session, clinic: ClinicEvent, name: str, building: str = "") -> Room:
    """The clinic's venue's room called ``name`` (in ``building`` when given), for the command line. A name found
    only at another venue is refused as such; a name in two buildings asks for the building."""
    if clinic.venue_id is None:
        raise ValidationError.single("room", "this clinic has no venue yet: choose its venue before its rooms")
    here = session.exec(select(Room).where(Room.venue_id == clinic.venue_id)).all()
    found = [
        r for r in here if fold(r.name) == fold(name) and (not building.strip() or fold(r.building) == fold(building))
    ]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        buildings = ", ".join(sorted(r.building for r in found))
        raise ValidationError.single("room", f"{clinic.venue} has a {found[0].name} in {buildings}: say which building")
    elsewhere = [r for r in session.exec(select(Room)).all() if fold(r.name) == fold(name)]
    names = "; ".join(room_text(r) for r in here if not r.archived) or "none yet"
    if elsewhere:
        venue = session.get(Venue, elsewhere[0].venue_id)
        raise ValidationError.single(
            "room",
            f"{name.strip()} is a room of {venue.name if venue else 'another venue'}, not of this clinic's venue "
            f"({clinic.venue}; its rooms: {names})",
        )
    raise ValidationError.single("room", f"{clinic.venue} has no room called {name.strip()} (its rooms: {names})")


# ------------------------------------------------------------------------------------------------------------
# The staffing form
# ------------------------------------------------------------------------------------------------------------

NO_ROOM = ""


def staff_form_values(row: StaffRow | None, clinic: ClinicEvent) -> dict[str, str]:
    """What the form starts from: the row's hours and room, or the clinic's whole day and no room."""
    if row is None:
        return {"start_time": f"{clinic.day_start:%H:%M}", "end_time": f"{clinic.day_end:%H:%M}", "room": NO_ROOM}
    room = str(row.room_id) if row.room_id is not None else NO_ROOM
    return {"start_time": f"{row.start_time:%H:%M}", "end_time": f"{row.end_time:%H:%M}", "room": room}


def parse_staff_form(form: Mapping[str, object]) -> tuple[dt.time, dt.time, int | None]:
    """Start, end (HH:MM) and room (a room id, or blank for none) from the form."""
    errors = FormErrors()
    start = errors.check("start_time", parse_time, form_text(form, "start_time"), "start_time")
    end = errors.check("end_time", parse_time, form_text(form, "end_time"), "end_time")
    room_text_value = form_text(form, "room").strip()
    room_id: int | None = None
    if room_text_value:
        if room_text_value.isdigit():
            room_id = int(room_text_value)
        else:
            errors.add("room", "choose a room from the list")
    if start is not None and end is not None and end <= start:
        errors.add("end_time", "must be after the start time")
    errors.raise_if_any()
    assert start is not None and end is not None
    return start, end, room_id


# ------------------------------------------------------------------------------------------------------------
# Use cases: one unit of work each
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffingSaved:
    """What a save did, in words (for a notification or the command line), and the day it was on."""

    text: str
    day: dt.date


def load_staffing(database: Database, clinic_id: int) -> StaffingPlan:
    return database.read(staffing_plan, clinic_id)


def staffing_candidates(database: Database, clinic_id: int, day: dt.date, text: str) -> list[tuple[str, str]]:
    """The picker's choices: (professional id, 'Dr Quinn Gooseberry — cardiology, Exampleton Hospital')."""
    found = database.read(professionals_to_staff, clinic_id, day, text)
    return [(str(p.id), f"{p.display_name} — {p.discipline}, {p.organisation}".rstrip(", ")) for p in found]


def _saved_text(session: Session, row: ClinicStaffing, before: StaffedHours | None) -> StaffingSaved:
    clinic = clinic_of(session, row.clinic_event_id)
    professional = get_or_raise(session, Professional, row.professional_id)
    room = session.get(Room, row.room_id) if row.room_id is not None else None
    text = (
        f"{professional.display_name} ({professional.discipline}) on {day_label(clinic, row.day)}: "
        f"{hours_text(row.start_time, row.end_time)}, {room_text(room)}"
    )
    if before is None:
        return StaffingSaved(f"Added {text}", row.day)
    old_room = session.get(Room, before.room_id) if before.room_id is not None else None
    was = f"{hours_text(before.start_time, before.end_time)}, {room_text(old_room)}"
    return StaffingSaved(f"Changed {text} (was {was})", row.day)


def _set_and_say(
    session: Session,
    clinic_id: int,
    professional_id: int,
    day: dt.date,
    values: tuple[dt.time, dt.time, int | None],
    *,
    expected: StaffedHours | None = None,
    new: bool = False,
) -> StaffingSaved:
    existing = staffing_row(session, clinic_id, professional_id, day)
    before = StaffedHours.of(existing) if existing is not None else None
    row = set_staff_day(session, clinic_id, professional_id, day, *values, expected=expected, new=new)
    return _saved_text(session, row, before)


def save_new_staff_day(
    database: Database, clinic_id: int, professional_id: int, day: dt.date, form: Mapping[str, object]
) -> StaffingSaved:
    """Add a professional to one day (the form: start_time, end_time, room)."""
    values = parse_staff_form(form)
    return database.write(_set_and_say, clinic_id, professional_id, day, values, new=True)


def save_staff_day(database: Database, clinic_id: int, row: StaffRow, form: Mapping[str, object]) -> StaffingSaved:
    """Change a professional's hours or room on one day, as the screen read them."""
    values = parse_staff_form(form)
    return database.write(_set_and_say, clinic_id, row.professional_id, row.day, values, expected=row.read)


def set_staff_day_text(
    database: Database,
    clinic_id: int,
    professional_id: int,
    day_text: str,
    start_text: str,
    end_text: str,
    room_name: str = "",
    building: str = "",
) -> StaffingSaved:
    """The command line's set: the day as a number or a date, times as HH:MM, the room by name (and building)."""

    def change(session: Session) -> StaffingSaved:
        clinic = clinic_of(session, clinic_id)
        errors = FormErrors()
        day = errors.check("day", parse_day, clinic, day_text)
        start = errors.check("start_time", parse_time, start_text, "start_time")
        end = errors.check("end_time", parse_time, end_text, "end_time")
        errors.raise_if_any()
        room = find_venue_room(session, clinic, room_name, building) if room_name.strip() else None
        return _set_and_say(session, clinic_id, professional_id, day, (start, end, room.id if room else None))

    return database.write(change)


def _remove_and_say(
    session: Session, clinic_id: int, professional_id: int, day: dt.date, expected: StaffedHours | None
) -> StaffingSaved:
    row = remove_staff_day(session, clinic_id, professional_id, day, expected=expected)
    clinic = clinic_of(session, clinic_id)
    professional = get_or_raise(session, Professional, professional_id)
    return StaffingSaved(
        f"Removed {professional.display_name} ({professional.discipline}) from {day_label(clinic, day)} "
        f"(was {hours_text(row.start_time, row.end_time)})",
        day,
    )


def remove_row(database: Database, clinic_id: int, row: StaffRow) -> StaffingSaved:
    """Take the professional of ``row`` off its day, as the screen read it."""
    return database.write(_remove_and_say, clinic_id, row.professional_id, row.day, row.read)


def remove_staff_day_text(database: Database, clinic_id: int, professional_id: int, day_text: str) -> StaffingSaved:
    """The command line's remove: the day as a number or a date."""

    def change(session: Session) -> StaffingSaved:
        clinic = clinic_of(session, clinic_id)
        try:
            day = parse_day(clinic, day_text)
        except FieldError as exc:
            raise ValidationError.single(exc.field, exc.message) from None
        return _remove_and_say(session, clinic_id, professional_id, day, None)

    return database.write(change)


def copy_previous(database: Database, clinic_id: int, from_clinic_id: int | None = None) -> StaffingCopy:
    """Copy staffing into the clinic in one unit of work (see ``copy_staffing``)."""
    return database.write(copy_staffing, clinic_id, from_clinic_id)
