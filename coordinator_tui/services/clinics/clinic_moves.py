"""Moving a combined clinic to other dates, with everything booked for it.

``move_clinic(session, clinic_id, new_start, *, expected_version)`` moves, in the caller's one transaction:

- the clinic's dates (and its name, when the name holds its date: "Combined clinic 11/01/2027" follows; so does a
  month name such as "Combined clinic January 2027"),
- every appointment's start and end, each family's four travel times and hotel check-in, and each staffing day,
  by the same number of days, keeping LOCAL wall-clock times (09:30 stays 09:30 across a clock change),

each row through ``records.update_record`` (audited). Or it refuses (``MoveRefused``, nothing written) with every
reason at once: the clinic is cancelled or has already started; the new dates are in the past, on a bank holiday
or a weekend, or overlap another clinic at the same venue; the venue or a staffed professional is archived.

``move_impact`` counts what moves with a clinic (the move form says it before saving); ``save_clinic_move`` is the
form's and the command line's use case. Families keep their places: who has to be told is derived from what was
exported (``itineraries.families_to_tell``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from coordinator_tui import clock
from coordinator_tui.clinic_time import format_date, local_to_utc, to_local
from coordinator_tui.models import (
    Appointment,
    ClinicAttendance,
    ClinicEvent,
    ClinicStaffing,
    ClinicStatus,
    Professional,
    Venue,
)
from coordinator_tui.services.clinics.clinic_series import clash, overlap_text, venue_overlaps
from coordinator_tui.services.people.specialist_service import service_zone
from coordinator_tui.services.safety.records import get_or_raise, update_record
from coordinator_tui.validation import ValidationError, form_text, parse_uk_date

if TYPE_CHECKING:
    from coordinator_tui.db import Database

TRAVEL_TIMES = ("travel_out_depart", "travel_out_arrive", "travel_home_depart", "travel_home_arrive")


class MoveRefused(ValidationError):
    """A move refused, with every reason (shown under the new date; one line on the command line)."""

    def __init__(self, clinic: ClinicEvent, new_start: dt.date, reasons: list[str]) -> None:
        self.reasons = reasons
        self.message = f"cannot move {clinic.name} to {format_date(new_start)}: {'; '.join(reasons)}"
        super().__init__({"new_start": "; ".join(reasons)})

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class MoveImpact:
    """What moves with a clinic: its appointments, staffing days, and the families' travel and hotels."""

    appointments: int
    staffing: int
    travel: int
    hotels: int

    def text(self) -> str:
        """'12 appointments, 6 staffing days, travel of 2 families, 1 hotel booking'."""

        def many(n: int, one: str, more: str) -> str:
            return f"{n} {one if n == 1 else more}"

        return ", ".join(
            (
                many(self.appointments, "appointment", "appointments"),
                many(self.staffing, "staffing day", "staffing days"),
                f"travel of {many(self.travel, 'family', 'families')}",
                many(self.hotels, "hotel booking", "hotel bookings"),
            )
        )


@dataclass(frozen=True)
class MovedClinic:
    clinic: ClinicEvent
    old_start: dt.date
    impact: MoveImpact


def _rows(session: Session, clinic_id: int) -> tuple[list[Appointment], list[ClinicStaffing], list[ClinicAttendance]]:
    appointments = session.exec(
        select(Appointment).where(Appointment.clinic_event_id == clinic_id).order_by(col(Appointment.id))
    ).all()
    staffing = session.exec(select(ClinicStaffing).where(ClinicStaffing.clinic_event_id == clinic_id)).all()
    attendances = session.exec(
        select(ClinicAttendance).where(ClinicAttendance.clinic_event_id == clinic_id).order_by(col(ClinicAttendance.id))
    ).all()
    return list(appointments), list(staffing), list(attendances)


def move_impact(session: Session, clinic_id: int) -> MoveImpact:
    get_or_raise(session, ClinicEvent, clinic_id)
    appointments, staffing, attendances = _rows(session, clinic_id)
    return MoveImpact(
        appointments=len(appointments),
        staffing=len(staffing),
        travel=sum(1 for a in attendances if any(getattr(a, name) for name in TRAVEL_TIMES)),
        hotels=sum(1 for a in attendances if a.hotel_check_in is not None),
    )


def read_move_impact(database: Database, clinic_id: int) -> MoveImpact:
    return database.read(move_impact, clinic_id)


def move_refusals(session: Session, clinic: ClinicEvent, new_start: dt.date) -> list[str]:
    """Every reason the clinic cannot move to ``new_start`` (empty when it can)."""
    today = clock.today(service_zone(session))
    reasons = []
    if clinic.status is ClinicStatus.CANCELLED:
        reasons.append("it is cancelled")
    if clinic.start_date <= today:
        reasons.append(f"it has already started ({format_date(clinic.start_date)})")
    if new_start == clinic.start_date:
        reasons.append(f"it already starts on {format_date(new_start)}")
    if new_start <= today:
        reasons.append(f"{format_date(new_start)} is not after today")
    holiday = clash(new_start, clinic.days)
    if holiday:
        reasons.append(holiday)
    reasons.extend(
        overlap_text(new_start, other) for other in venue_overlaps(session, clinic.venue_id, new_start, clinic.days,
                                                                   except_id=clinic.id)
    )  # fmt: skip
    venue = session.get(Venue, clinic.venue_id) if clinic.venue_id is not None else None
    if venue is not None and venue.archived:
        reasons.append(f"its venue {venue.name} is archived (restore it on Venues first)")
    archived = session.exec(
        select(Professional)
        .join(ClinicStaffing, col(ClinicStaffing.professional_id) == Professional.id)
        .where(ClinicStaffing.clinic_event_id == clinic.id, col(Professional.archived).is_(True))
    ).all()
    for professional in {p.id: p for p in archived}.values():
        reasons.append(f"{professional.display_name} is staffed but archived (change the staffing first)")
    return reasons


def shift_local(moment: dt.datetime, days: int, zone: str) -> dt.datetime:
    """``moment`` moved by whole days at the same local wall-clock time (09:30 stays 09:30 over a clock change)."""
    local = to_local(moment, zone)
    return local_to_utc(local.date() + dt.timedelta(days=days), local.time().replace(tzinfo=None), zone)


def renamed(name: str, old: dt.date, new: dt.date) -> str:
    """The name with its date (DD/MM/YYYY, or 'January 2027') changed to the new one; any other name as it was."""
    for shape in ("%d/%m/%Y", "%B %Y"):
        old_text, new_text = old.strftime(shape), new.strftime(shape)
        if old_text in name:
            return name.replace(old_text, new_text)
    return name


def move_clinic(
    session: Session, clinic_id: int, new_start: dt.date, *, expected_version: int | None = None
) -> MovedClinic:
    """Move a clinic and everything booked for it by the same number of days (see the module's docstring)."""
    clinic = update_record(session, ClinicEvent, clinic_id, {}, expected_version=expected_version)  # stale?
    reasons = move_refusals(session, clinic, new_start)
    if reasons:
        raise MoveRefused(clinic, new_start, reasons)
    old_start, offset = clinic.start_date, (new_start - clinic.start_date).days
    zone = service_zone(session)
    impact = move_impact(session, clinic_id)
    moved = update_record(
        session,
        ClinicEvent,
        clinic_id,
        {"start_date": new_start, "name": renamed(clinic.name, old_start, new_start)},
        expected_version=expected_version,
    )
    appointments, staffing, attendances = _rows(session, clinic_id)
    for appointment in appointments:
        update_record(
            session,
            Appointment,
            appointment.id,
            {"start": shift_local(appointment.start, offset, zone), "end": shift_local(appointment.end, offset, zone)},
        )
    # Later days first when moving later (earlier first when earlier): no two rows of one professional share a day.
    for row in sorted(staffing, key=lambda s: s.day, reverse=offset > 0):
        update_record(session, ClinicStaffing, row.id, {"day": row.day + dt.timedelta(days=offset)})
    for attendance in attendances:
        changes: dict[str, object] = {
            name: shift_local(getattr(attendance, name), offset, zone)
            for name in TRAVEL_TIMES
            if getattr(attendance, name) is not None
        }
        if attendance.hotel_check_in is not None:
            changes["hotel_check_in"] = attendance.hotel_check_in + dt.timedelta(days=offset)
        if changes:
            update_record(session, ClinicAttendance, attendance.id, changes)
    return MovedClinic(moved, old_start, impact)


def parse_new_start(form: Mapping[str, object]) -> dt.date:
    day = parse_uk_date(form_text(form, "new_start"), "new_start")
    assert day is not None
    return day


def save_clinic_move(
    database: Database, clinic_id: int, form: Mapping[str, object], *, expected_version: int | None = None
) -> MovedClinic:
    """The move form's (and ``clinics move``'s) use case: one audited transaction, or nothing written."""
    new_start = parse_new_start(form)
    return database.write(move_clinic, clinic_id, new_start, expected_version=expected_version)


def save_clinic_cancel(database: Database, clinic_id: int, *, expected_version: int | None = None) -> ClinicEvent:
    """The list's (and ``clinics cancel``'s) use case: ``clinics.cancel_clinic_event`` in one unit of work."""
    from coordinator_tui.services.clinics.clinics import cancel_clinic_event

    return database.write(cancel_clinic_event, clinic_id, expected_version=expected_version)
