"""The rules every save of a clinic's staffing keeps (``set_staff_day``, ``remove_staff_day``), apart from the
screens' use cases (``staffing``) so that ``clinics.set_staffing`` can keep them without importing the planning
side:

- the day is one of the clinic's days, and the hours lie within the clinic's day and end after they start;
- the room is a room of the clinic's venue's catalogue (a room of another venue, or an archived room newly chosen,
  is refused); it is linked to the clinic as it is chosen;
- an archived professional is never newly staffed (a row already there can still be changed or removed);
- no one is in two places at once: a professional already at another clinic that day at those hours is refused, and
  so is a room another professional holds at those hours;
- a change that would leave a booked appointment of the professional outside their hours (or, removing them, with
  nobody there) is refused, naming how many and the first;
- a change made on what a screen read (``StaffedHours``) is refused when the row changed or went since
  (``ConcurrentEditError``): the staffing table has no version column, so the hours and room read stand for it.

Every save is audited (``records``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from coordinator_tui.clinic_time import format_date, to_local
from coordinator_tui.models import (
    Appointment,
    AppointmentProfessional,
    AppointmentStatus,
    ClinicEvent,
    ClinicStaffing,
    ClinicStatus,
    Professional,
    Room,
    Service,
    Venue,
)
from coordinator_tui.services.clinics.venues import clinic_rooms, set_clinic_rooms
from coordinator_tui.services.errors import ConcurrentEditError, NotFoundError
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.records import create_record, delete_record, get_or_raise, update_record
from coordinator_tui.validation import ValidationError

ACTIVE_APPOINTMENT = (AppointmentStatus.PROPOSED, AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)


class StaffingConflict(ValidationError):
    """A staffing change the data stops, not the values typed: an archived professional, someone in two places at
    once, booked appointments left outside the hours, a cancelled clinic, nothing to copy (the command line exits 1
    for these, 2 for a wrong value)."""


@dataclass(frozen=True)
class StaffedHours:
    """A staffing row's hours and room as they were read: a change saved on them is refused when the row changed
    or went since."""

    start_time: dt.time
    end_time: dt.time
    room_id: int | None

    @classmethod
    def of(cls, row: ClinicStaffing) -> StaffedHours:
        return cls(row.start_time, row.end_time, row.room_id)


def hours_text(start: dt.time, end: dt.time) -> str:
    return f"{start:%H:%M}–{end:%H:%M}"


def day_label(clinic: ClinicEvent, day: dt.date) -> str:
    """'day 1 (Mon 11/01/2027)'."""
    if day in clinic.dates:
        return f"day {clinic.dates.index(day) + 1} ({day:%a} {format_date(day)})"
    return f"{day:%a} {format_date(day)}"


def room_text(room: Room | None) -> str:
    if room is None:
        return "no room"
    return f"{room.name}, {room.building}" if room.building else room.name


# ------------------------------------------------------------------------------------------------------------
# The rules of one save
# ------------------------------------------------------------------------------------------------------------


def clinic_of(session: Session, clinic_id: int) -> ClinicEvent:
    clinic = session.get(ClinicEvent, clinic_id) if 0 < clinic_id < 2**63 else None
    if clinic is None:
        raise NotFoundError(f"no clinic with id {clinic_id}")
    return clinic


def staffing_row(session: Session, clinic_id: int, professional_id: int, day: dt.date) -> ClinicStaffing | None:
    return session.exec(
        select(ClinicStaffing).where(
            ClinicStaffing.clinic_event_id == clinic_id,
            ClinicStaffing.professional_id == professional_id,
            ClinicStaffing.day == day,
        )
    ).first()


def _check_hours(clinic: ClinicEvent, day: dt.date, start: dt.time, end: dt.time) -> None:
    if day not in clinic.dates:
        raise ValidationError.single("day", "is not one of this clinic's days")
    if end <= start:
        raise ValidationError.single("end_time", "must be after the start time")
    opening = hours_text(clinic.day_start, clinic.day_end)
    if start < clinic.day_start:
        raise ValidationError.single("start_time", f"{start:%H:%M} is before the clinic's day starts ({opening})")
    if end > clinic.day_end:
        raise ValidationError.single("end_time", f"{end:%H:%M} is after the clinic's day ends ({opening})")


def _check_read(session: Session, existing: ClinicStaffing | None, expected: StaffedHours | None) -> None:
    """The row is as the screen read it (``expected``), or refused as changed (or removed) since."""
    if expected is None:
        return
    if existing is None or StaffedHours.of(existing) != expected:
        last = audit.last_change(session, "clinicstaffing", existing.id) if existing is not None else None
        when = last.at.strftime("%d/%m/%Y %H:%M") if last is not None else None
        raise ConcurrentEditError("staffing", last.user if last is not None else None, when)


def venue_room(session: Session, clinic: ClinicEvent, room_id: int, current_room_id: int | None = None) -> Room:
    """A room this clinic may give a professional: one of its venue's catalogue rooms (an archived one only if it
    is the room they already have). A room of another venue is refused."""
    room = get_or_raise(session, Room, room_id)
    if clinic.venue_id is None:
        raise ValidationError.single("room", "this clinic has no venue yet: choose its venue before its rooms")
    if room.venue_id != clinic.venue_id:
        venue = session.get(Venue, room.venue_id)
        raise ValidationError.single(
            "room",
            f"{room.name} is a room of {venue.name if venue else 'another venue'}, not of this clinic's venue "
            f"({clinic.venue})",
        )
    if room.archived and room_id != current_room_id:
        raise ValidationError.single("room", f"{room.name} is archived: choose another room")
    return room


def _use_room(session: Session, clinic: ClinicEvent, room_id: int) -> None:
    assert clinic.id is not None
    used = [r.id for r in clinic_rooms(session, clinic.id) if r.id is not None]
    if room_id not in used:
        set_clinic_rooms(session, clinic.id, [*used, room_id])


def _overlaps(a: tuple[dt.time, dt.time], b: tuple[dt.time, dt.time]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _refuse_elsewhere(
    session: Session, clinic: ClinicEvent, professional: Professional, day: dt.date, hours: tuple[dt.time, dt.time]
) -> None:
    """The professional is not at another clinic that day at overlapping hours."""
    rows = session.exec(
        select(ClinicStaffing, ClinicEvent)
        .join(ClinicEvent, col(ClinicEvent.id) == ClinicStaffing.clinic_event_id)
        .where(
            ClinicStaffing.professional_id == professional.id,
            ClinicStaffing.day == day,
            ClinicStaffing.clinic_event_id != clinic.id,
            ClinicEvent.status != ClinicStatus.CANCELLED,
        )
    ).all()
    for row, other in rows:
        if _overlaps(hours, (row.start_time, row.end_time)):
            raise StaffingConflict.single(
                "professional",
                f"{professional.display_name} is already at {other.name} on {format_date(day)} "
                f"{hours_text(row.start_time, row.end_time)}: one place at a time",
            )


def _refuse_shared_room(
    session: Session,
    clinic: ClinicEvent,
    professional_id: int,
    day: dt.date,
    hours: tuple[dt.time, dt.time],
    room: Room,
) -> None:
    """No other professional holds the room that day at overlapping hours."""
    rows = session.exec(
        select(ClinicStaffing, Professional)
        .join(Professional, col(Professional.id) == ClinicStaffing.professional_id)
        .where(
            ClinicStaffing.clinic_event_id == clinic.id,
            ClinicStaffing.day == day,
            ClinicStaffing.room_id == room.id,
            ClinicStaffing.professional_id != professional_id,
        )
    ).all()
    for row, other in rows:
        if _overlaps(hours, (row.start_time, row.end_time)):
            raise StaffingConflict.single(
                "room",
                f"{room.name} is {other.display_name}'s on {day_label(clinic, day)} "
                f"{hours_text(row.start_time, row.end_time)}: choose another room or other hours",
            )


def booked_outside(
    session: Session,
    clinic: ClinicEvent,
    professional_id: int,
    day: dt.date,
    hours: tuple[dt.time, dt.time] | None,
) -> list[tuple[dt.time, dt.time]]:
    """The professional's booked appointments at this clinic that day (local start, end) that fall outside
    ``hours`` (all of them when ``hours`` is None)."""
    service = session.get(Service, clinic.service_id)
    zone = service.timezone if service is not None else "Europe/London"
    rows = session.exec(
        select(Appointment)
        .join(AppointmentProfessional, col(AppointmentProfessional.appointment_id) == Appointment.id)
        .where(
            Appointment.clinic_event_id == clinic.id,
            AppointmentProfessional.professional_id == professional_id,
            col(Appointment.status).in_(list(ACTIVE_APPOINTMENT)),
        )
        .order_by(col(Appointment.start))
    ).all()
    found = []
    for appointment in rows:
        start, end = to_local(appointment.start, zone), to_local(appointment.end, zone)
        if start.date() != day:
            continue
        if hours is None or start.time() < hours[0] or end.time() > hours[1] or end.date() != day:
            found.append((start.time(), end.time()))
    return found


def _refuse_booked_outside(
    session: Session,
    clinic: ClinicEvent,
    professional: Professional,
    day: dt.date,
    hours: tuple[dt.time, dt.time] | None,
) -> None:
    assert professional.id is not None
    outside = booked_outside(session, clinic, professional.id, day, hours)
    if not outside:
        return
    count = len(outside)
    first = hours_text(*outside[0])
    verb = "is" if count == 1 else "are"
    what = "would be left outside these hours" if hours is not None else f"{verb} booked with them that day"
    raise StaffingConflict.single(
        "start_time" if hours is not None else "professional",
        f"{count} appointment{'s' if count != 1 else ''} of {professional.display_name} (first {first}) {what}: "
        "move or cancel them first",
    )


def set_staff_day(
    session: Session,
    clinic_id: int,
    professional_id: int,
    day: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    room_id: int | None = None,
    *,
    expected: StaffedHours | None = None,
    new: bool = False,
) -> ClinicStaffing:
    """A professional is in clinic on ``day`` from ``start_time`` to ``end_time`` in ``room_id`` (created, or
    their row that day changed). ``new``: only add (refused when they are on that day already); ``expected``: the
    row as it was read (refused when it changed or went since). See the module's rules."""
    clinic = clinic_of(session, clinic_id)
    professional = get_or_raise(session, Professional, professional_id)
    if clinic.status is ClinicStatus.CANCELLED:
        raise StaffingConflict.single("clinic", "this clinic is cancelled")
    _check_hours(clinic, day, start_time, end_time)
    existing = staffing_row(session, clinic_id, professional_id, day)
    _check_read(session, existing, expected)
    if new and existing is not None:
        raise StaffingConflict.single(
            "professional",
            f"{professional.display_name} is already in clinic on {day_label(clinic, day)} "
            f"({hours_text(existing.start_time, existing.end_time)}): change their hours instead",
        )
    if existing is None and professional.archived:
        raise StaffingConflict.single(
            "professional", f"{professional.display_name} is archived; choose someone current"
        )
    hours = (start_time, end_time)
    room = venue_room(session, clinic, room_id, existing.room_id if existing else None) if room_id is not None else None
    _refuse_elsewhere(session, clinic, professional, day, hours)
    if room is not None:
        _refuse_shared_room(session, clinic, professional_id, day, hours, room)
    if existing is not None:
        _refuse_booked_outside(session, clinic, professional, day, hours)
    if room_id is not None:
        _use_room(session, clinic, room_id)
    values = {"start_time": start_time, "end_time": end_time, "room_id": room_id}
    if existing is not None:
        return update_record(session, ClinicStaffing, existing.id, values)
    return create_record(
        session, ClinicStaffing(clinic_event_id=clinic_id, professional_id=professional_id, day=day, **values)
    )


def remove_staff_day(
    session: Session, clinic_id: int, professional_id: int, day: dt.date, *, expected: StaffedHours | None = None
) -> ClinicStaffing:
    """Take a professional off one day of the clinic (audited). Refused while appointments are booked with them
    that day, or when the row changed since it was read (``expected``)."""
    clinic = clinic_of(session, clinic_id)
    professional = get_or_raise(session, Professional, professional_id)
    existing = staffing_row(session, clinic_id, professional_id, day)
    _check_read(session, existing, expected)
    if existing is None:
        raise StaffingConflict.single(
            "professional", f"{professional.display_name} is not in clinic on {day_label(clinic, day)}"
        )
    _refuse_booked_outside(session, clinic, professional, day, None)
    delete_record(session, existing)
    return existing
