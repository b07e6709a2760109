"""Appointments at a clinic: book, move, cancel, list by clinic / patient / professional, and find clashes.

An appointment has one or more professionals (joint appointments and the closing round table have several).
Booking and moving refuse a double booking of a professional, a patient or a room; ``find_clashes`` lists
every clash already in a clinic (from any source), and every appointment outside the clinic's hours; each clash
names whose appointments clash (and, for a family in two places, the rooms). Refusal messages name times and
disciplines, never a patient. ``free_start_times`` (in ``free_times``) offers the starts that fit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from coordinator_tui.clinic_time import format_local_datetime, local_to_utc, to_local
from coordinator_tui.models import (
    Appointment,
    AppointmentKind,
    AppointmentProfessional,
    AppointmentStatus,
    ClinicEvent,
    ClinicStaffing,
    Patient,
    Professional,
    Room,
)
from coordinator_tui.services.clinics.venues import room_of_clinic
from coordinator_tui.services.people.specialist_service import service_zone
from coordinator_tui.services.safety.records import create_record, delete_record, get_or_raise, update_record
from coordinator_tui.validation import (
    FormErrors,
    ValidationError,
    clean_text,
    form_text,
    parse_multiline,
    parse_positive_int,
    parse_time,
)

INACTIVE = (AppointmentStatus.CANCELLED, AppointmentStatus.NOSHOW)


def new_uid() -> str:
    """A calendar UID that never changes for this appointment, whatever is exported later."""
    return f"{uuid.uuid4()}@coordinator-tui"


@dataclass(frozen=True)
class AppointmentView:
    appointment: Appointment
    patient: Patient
    professionals: tuple[Professional, ...]
    room: Room | None

    @property
    def professional_names(self) -> str:
        return ", ".join(p.display_name for p in self.professionals)


# ------------------------------------------------------------------------------------------------------------
# Booking checks
# ------------------------------------------------------------------------------------------------------------


def _overlapping(
    session: Session, clinic_id: int, start: dt.datetime, end: dt.datetime, exclude_id: int | None
) -> Sequence[Appointment]:
    query = select(Appointment).where(
        Appointment.clinic_event_id == clinic_id,
        col(Appointment.start) < end,
        col(Appointment.end) > start,
        col(Appointment.status).not_in(INACTIVE),
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return session.exec(query).all()


def check_booking(
    session: Session,
    clinic: ClinicEvent,
    *,
    patient_id: int,
    professional_ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
    room_id: int | None,
    exclude_id: int | None = None,
) -> None:
    """Refuse an end before the start, a time outside the clinic, and any double booking."""
    zone = service_zone(session)
    if end <= start:
        raise ValidationError.single("end", "the appointment must end after it starts")
    local_start, local_end = to_local(start, zone), to_local(end, zone)
    if local_start.date() not in clinic.dates or local_end.date() != local_start.date():
        raise ValidationError.single("start", "the appointment must fall on one day of this clinic")
    if not professional_ids:
        raise ValidationError.single("professionals", "choose at least one professional")
    if room_id is not None:
        room_of_clinic(session, clinic, room_id)  # a room of another clinic's venue, or not in use here, refused
    others = _overlapping(session, clinic.id, start, end, exclude_id)  # type: ignore[arg-type]
    if not others:
        return
    links = _professional_ids_by_appointment(session, [a.id for a in others])  # type: ignore[misc]
    wanted = set(professional_ids)
    for other in others:
        when = f"{format_local_datetime(other.start, zone)}–{to_local(other.end, zone):%H:%M}"
        if other.patient_id == patient_id:
            raise ValidationError.single("start", f"the patient already has {other.discipline} at {when}")
        if wanted & links.get(other.id, set()):  # type: ignore[arg-type]
            raise ValidationError.single("professionals", f"the professional is already booked at {when}")
        if room_id is not None and other.room_id == room_id:
            raise ValidationError.single("room", f"the room is already booked at {when}")


def _professional_ids_by_appointment(session: Session, appointment_ids: Iterable[int]) -> dict[int, set[int]]:
    ids = list(appointment_ids)
    result: dict[int, set[int]] = defaultdict(set)
    if not ids:
        return result
    rows = session.exec(
        select(AppointmentProfessional).where(col(AppointmentProfessional.appointment_id).in_(ids))
    ).all()
    for link in rows:
        result[link.appointment_id].add(link.professional_id)
    return result


# ------------------------------------------------------------------------------------------------------------
# Book, move, cancel
# ------------------------------------------------------------------------------------------------------------


def parse_appointment_form(form: Mapping[str, object], clinic: ClinicEvent, zone: str) -> dict[str, Any]:
    """Day (date or day number), start time, minutes, instructions and notes -> start/end aware datetimes."""
    from coordinator_tui.services.clinics.clinics import parse_day_in_clinic

    errors = FormErrors()
    day = errors.check("day", parse_day_in_clinic, clinic, form_text(form, "day"), "day")
    at = errors.check("start_time", parse_time, form_text(form, "start_time"), "start_time")
    minutes = errors.check(
        "minutes", parse_positive_int, form_text(form, "minutes") or "30", "minutes", minimum=5, maximum=480
    )
    values: dict[str, Any] = {}
    if day is not None and at is not None and minutes is not None:
        values["start"] = local_to_utc(day, at, zone)
        values["end"] = values["start"] + dt.timedelta(minutes=minutes)
    values["family_instructions"] = parse_multiline(form, errors, "family_instructions", 2000)
    values["internal_notes"] = parse_multiline(form, errors, "internal_notes", 4000)
    if "discipline" in form:
        values["discipline"] = errors.check(
            "discipline", clean_text, form_text(form, "discipline"), "discipline", max_length=60, required=True
        )
    errors.raise_if_any()
    return values


def book_appointment(
    session: Session,
    *,
    clinic_id: int,
    patient_id: int,
    professional_ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
    discipline: str,
    kind: AppointmentKind = AppointmentKind.CONSULTATION,
    room_id: int | None = None,
    status: AppointmentStatus = AppointmentStatus.BOOKED,
    family_instructions: str = "",
    internal_notes: str = "",
    fasting: bool = False,
    pinned: bool = False,
    allow_clash: bool = False,
) -> Appointment:
    clinic = get_or_raise(session, ClinicEvent, clinic_id)
    get_or_raise(session, Patient, patient_id)
    for pid in professional_ids:
        _refuse_archived(session, pid)
    if not allow_clash:
        check_booking(
            session,
            clinic,
            patient_id=patient_id,
            professional_ids=professional_ids,
            start=start,
            end=end,
            room_id=room_id,
        )
    elif end <= start:
        raise ValidationError.single("end", "the appointment must end after it starts")
    appointment = create_record(
        session,
        Appointment(
            uid=new_uid(),
            clinic_event_id=clinic_id,
            patient_id=patient_id,
            discipline=discipline,
            kind=kind,
            start=start,
            end=end,
            room_id=room_id,
            status=status,
            family_instructions=family_instructions,
            internal_notes=internal_notes,
            fasting=fasting,
            pinned=pinned,
        ),
    )
    for pid in dict.fromkeys(professional_ids):
        create_record(session, AppointmentProfessional(appointment_id=appointment.id, professional_id=pid))  # type: ignore[arg-type]
    return appointment


def move_appointment(
    session: Session,
    appointment_id: int,
    *,
    start: dt.datetime,
    end: dt.datetime,
    room_id: int | None = None,
    keep_room: bool = True,
    expected_version: int | None = None,
) -> Appointment:
    appointment = get_or_raise(session, Appointment, appointment_id)
    clinic = get_or_raise(session, ClinicEvent, appointment.clinic_event_id)
    new_room = appointment.room_id if keep_room and room_id is None else room_id
    check_booking(
        session,
        clinic,
        patient_id=appointment.patient_id,
        professional_ids=sorted(_professional_ids_by_appointment(session, [appointment_id])[appointment_id]),
        start=start,
        end=end,
        room_id=new_room,
        exclude_id=appointment_id,
    )
    return update_record(
        session,
        Appointment,
        appointment_id,
        {"start": start, "end": end, "room_id": new_room},
        expected_version=expected_version,
    )


def set_status(
    session: Session, appointment_id: int, status: AppointmentStatus, *, expected_version: int | None = None
) -> Appointment:
    return update_record(session, Appointment, appointment_id, {"status": status}, expected_version=expected_version)


def cancel_appointment(session: Session, appointment_id: int, *, expected_version: int | None = None) -> Appointment:
    """Cancelled, not deleted: the family's calendar gets STATUS:CANCELLED on the next export."""
    return set_status(session, appointment_id, AppointmentStatus.CANCELLED, expected_version=expected_version)


def update_appointment(
    session: Session, appointment_id: int, values: Mapping[str, Any], *, expected_version: int | None = None
) -> Appointment:
    return update_record(session, Appointment, appointment_id, values, expected_version=expected_version)


def set_professionals(session: Session, appointment_id: int, professional_ids: Sequence[int]) -> None:
    """Make the appointment's professionals exactly ``professional_ids`` (audited link rows, added in that order)."""
    links = session.exec(
        select(AppointmentProfessional).where(AppointmentProfessional.appointment_id == appointment_id)
    ).all()
    wanted = set(professional_ids)
    for link in links:
        if link.professional_id not in wanted:
            delete_record(session, link)
    have = {link.professional_id for link in links}
    for pid in dict.fromkeys(professional_ids):
        if pid not in have:
            _refuse_archived(session, pid)
            create_record(session, AppointmentProfessional(appointment_id=appointment_id, professional_id=pid))


def _refuse_archived(session: Session, professional_id: int) -> None:
    """An archived professional is never newly booked (one already on an appointment may stay while it is moved)."""
    professional = get_or_raise(session, Professional, professional_id)
    if professional.archived:
        raise ValidationError.single(
            "professionals", f"{professional.display_name} is archived; choose someone current"
        )


def delete_appointment(session: Session, appointment_id: int) -> None:
    appointment = get_or_raise(session, Appointment, appointment_id)
    for link in session.exec(
        select(AppointmentProfessional).where(AppointmentProfessional.appointment_id == appointment_id)
    ).all():
        delete_record(session, link)
    delete_record(session, appointment)


# ------------------------------------------------------------------------------------------------------------
# Lists
# ------------------------------------------------------------------------------------------------------------


def _views(session: Session, appointments: Sequence[Appointment]) -> list[AppointmentView]:
    if not appointments:
        return []
    ids = [a.id for a in appointments]
    links = session.exec(
        select(AppointmentProfessional.appointment_id, Professional)
        .join(Professional, col(Professional.id) == AppointmentProfessional.professional_id)
        .where(col(AppointmentProfessional.appointment_id).in_(ids))
        .order_by(Professional.discipline, Professional.family_name)
    ).all()
    by_appointment: dict[int, list[Professional]] = defaultdict(list)
    for appointment_id, professional in links:
        by_appointment[appointment_id].append(professional)
    patient_ids = {a.patient_id for a in appointments}
    patients = {p.id: p for p in session.exec(select(Patient).where(col(Patient.id).in_(patient_ids))).all()}
    room_ids = {a.room_id for a in appointments if a.room_id is not None}
    rooms = {r.id: r for r in session.exec(select(Room).where(col(Room.id).in_(room_ids))).all()} if room_ids else {}
    return [
        AppointmentView(
            appointment=a,
            patient=patients[a.patient_id],
            professionals=tuple(by_appointment.get(a.id, [])),  # type: ignore[arg-type]
            room=rooms.get(a.room_id) if a.room_id is not None else None,
        )
        for a in appointments
    ]


def for_clinic(
    session: Session, clinic_id: int, *, day: dt.date | None = None, include_inactive: bool = True
) -> list[AppointmentView]:
    query = select(Appointment).where(Appointment.clinic_event_id == clinic_id)
    if day is not None:
        zone = service_zone(session)
        start = local_to_utc(day, dt.time(0, 0), zone)
        end = local_to_utc(day + dt.timedelta(days=1), dt.time(0, 0), zone)
        query = query.where(col(Appointment.start) >= start, col(Appointment.start) < end)
    if not include_inactive:
        query = query.where(col(Appointment.status).not_in(INACTIVE))
    return _views(session, session.exec(query.order_by(Appointment.start, Appointment.id)).all())


def for_patient(session: Session, patient_id: int, *, clinic_id: int | None = None) -> list[AppointmentView]:
    query = select(Appointment).where(Appointment.patient_id == patient_id)
    if clinic_id is not None:
        query = query.where(Appointment.clinic_event_id == clinic_id)
    return _views(session, session.exec(query.order_by(Appointment.start, Appointment.id)).all())


def for_professional(session: Session, professional_id: int, *, clinic_id: int | None = None) -> list[AppointmentView]:
    query = (
        select(Appointment)
        .join(AppointmentProfessional, col(AppointmentProfessional.appointment_id) == Appointment.id)
        .where(AppointmentProfessional.professional_id == professional_id)
    )
    if clinic_id is not None:
        query = query.where(Appointment.clinic_event_id == clinic_id)
    return _views(session, session.exec(query.order_by(Appointment.start)).all())


def get_view(session: Session, appointment_id: int) -> AppointmentView:
    return _views(session, [get_or_raise(session, Appointment, appointment_id)])[0]


# ------------------------------------------------------------------------------------------------------------
# Clashes
# ------------------------------------------------------------------------------------------------------------


class ClashKind(StrEnum):
    PROFESSIONAL = "professional double-booked"
    PATIENT = "patient in two places"
    ROOM = "room double-booked"
    OUTSIDE_HOURS = "outside clinic hours"
    OUTSIDE_STAFFING = "outside the professional's hours"


@dataclass(frozen=True)
class Clash:
    kind: ClashKind
    appointment_ids: tuple[int, ...]
    description: str
    day: dt.date = field(compare=False)


def detect_clashes(
    views: Sequence[AppointmentView],
    clinic: ClinicEvent,
    zone: str,
    staffing: Sequence[ClinicStaffing] = (),
) -> list[Clash]:
    """Every clash among a clinic's active appointments (pure: works on views already loaded), sorted by day and
    time. Overlapping pairs are compared on ids first; only a real clash is described in words, so a full clinic
    with thousands of harmless overlaps stays fast."""
    active = sorted(
        (v for v in views if v.appointment.status not in INACTIVE),
        key=lambda v: (v.appointment.start, v.appointment.id),
    )
    clashes: list[Clash] = []

    def when(v: AppointmentView) -> str:
        return f"{to_local(v.appointment.start, zone):%H:%M}–{to_local(v.appointment.end, zone):%H:%M}"

    def what(v: AppointmentView) -> str:
        return f"{v.appointment.discipline} {when(v)}"

    def where(v: AppointmentView) -> str:
        return f"{what(v)} ({v.room.name if v.room is not None else 'no room'})"

    def whose(a: AppointmentView, b: AppointmentView) -> str:
        """Two families' appointments sharing a professional or a room: both named, the names first."""
        if what(a) == what(b):
            return f"{a.patient.full_name} and {b.patient.full_name}, both {what(a)}"
        return f"{a.patient.full_name} {what(a)} and {b.patient.full_name} {what(b)}"

    # Plain tuples for the pair loop: it looks at thousands of overlapping pairs in a full clinic, and reading
    # ORM attributes there costs more than the comparisons.
    spans = [
        (
            v.appointment.start,
            v.appointment.end,
            v.appointment.patient_id,
            v.appointment.room_id,
            frozenset(p.id for p in v.professionals),
        )
        for v in active
    ]
    for i, a in enumerate(active):
        _start, a_end, a_patient, a_room, a_profs = spans[i]
        for j in range(i + 1, len(active)):
            b_start, _end, b_patient, b_room, b_profs = spans[j]
            if b_start >= a_end:
                break
            same_patient = a_patient == b_patient
            shared = a_profs & b_profs
            same_room = a_room is not None and a_room == b_room
            if not (same_patient or shared or same_room):
                continue
            b = active[j]
            ids = (a.appointment.id, b.appointment.id)
            day = to_local(a.appointment.start, zone).date()
            # Whose appointments clash, by name (a family in two places: which rooms).
            if same_patient:
                pair = f"{where(a)} and {where(b)}"
                clashes.append(Clash(ClashKind.PATIENT, ids, f"{a.patient.full_name}: {pair}", day))  # type: ignore[arg-type]
            pair = f"{a.patient.full_name}, {what(a)} and {what(b)}" if same_patient else whose(a, b)
            for prof in (p for p in a.professionals if p.id in shared):
                clashes.append(Clash(ClashKind.PROFESSIONAL, ids, f"{prof.display_name}: {pair}", day))  # type: ignore[arg-type]
            if same_room:
                room = a.room.name if a.room else "room"
                clashes.append(Clash(ClashKind.ROOM, ids, f"{room}: {pair}", day))  # type: ignore[arg-type]
    hours = {(s.professional_id, s.day): s for s in staffing}
    for v in active:
        start, end = to_local(v.appointment.start, zone), to_local(v.appointment.end, zone)
        ids = (v.appointment.id,)  # type: ignore[assignment]
        if start.date() not in clinic.dates or start.time() < clinic.day_start or end.time() > clinic.day_end:
            clashes.append(
                Clash(
                    ClashKind.OUTSIDE_HOURS,
                    ids,  # type: ignore[arg-type]
                    f"{v.patient.full_name}: {what(v)} is outside the clinic's "
                    f"{clinic.day_start:%H:%M}–{clinic.day_end:%H:%M}",
                    start.date(),
                )
            )
        for prof in v.professionals:
            shift = hours.get((prof.id, start.date()))  # type: ignore[arg-type]
            if staffing and (shift is None or start.time() < shift.start_time or end.time() > shift.end_time):
                span = f"{shift.start_time:%H:%M}–{shift.end_time:%H:%M}" if shift else "not in clinic that day"
                clashes.append(
                    Clash(
                        ClashKind.OUTSIDE_STAFFING,
                        ids,  # type: ignore[arg-type]
                        f"{prof.display_name}: {v.patient.full_name}, {what(v)} ({span})",
                        start.date(),
                    )
                )
    starts = {v.appointment.id: v.appointment.start for v in active}
    clashes.sort(key=lambda c: (c.day, min(starts[i] for i in c.appointment_ids), c.appointment_ids))
    return clashes


def find_clashes(session: Session, clinic_id: int) -> list[Clash]:
    clinic = get_or_raise(session, ClinicEvent, clinic_id)
    staffing = session.exec(select(ClinicStaffing).where(ClinicStaffing.clinic_event_id == clinic_id)).all()
    return detect_clashes(for_clinic(session, clinic_id), clinic, service_zone(session), staffing)
