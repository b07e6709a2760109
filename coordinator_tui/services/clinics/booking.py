"""Booking and moving an appointment from the clinic day's form (patient, professionals, day, start, minutes,
room, discipline, instructions, notes).

``parse_booking_form`` turns the form into one ``BookingRequest`` or one ``ValidationError`` with every field's
message; ``book_from_form`` / ``move_from_form`` write it in the caller's session, refusing double bookings as
field errors, and a time outside a professional's staffed hours that day (``refuse_outside_staffed_hours``; the
free start times the form offers are in ``free_times``). ``save_booking``, ``save_move`` and ``cancel_booking``
are the screen's use cases: each runs in a write unit of work of its own. ``appointment_form_values`` is the
inverse of the form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from coordinator_tui.clinic_time import format_date, to_local
from coordinator_tui.models import Appointment, AppointmentKind, AppointmentProfessional, ClinicEvent, Professional
from coordinator_tui.services.clinics import appointments as appointment_service
from coordinator_tui.services.clinics import clinics as clinic_service
from coordinator_tui.services.clinics.appointments import AppointmentView
from coordinator_tui.services.clinics.clinic_day_views import BookingChoices
from coordinator_tui.services.people.specialist_service import service_zone
from coordinator_tui.services.safety.records import get_or_raise
from coordinator_tui.validation import FormErrors, ValidationError, form_text

if TYPE_CHECKING:
    from coordinator_tui.db import Database


def _as_id(value: object) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def _as_ids(value: object) -> list[int]:
    if value is None:
        return []
    items: Iterable[object]
    if isinstance(value, str):
        items = value.replace(";", ",").split(",")
    elif isinstance(value, Iterable):
        items = value
    else:
        items = [value]
    ids = [_as_id(item) for item in items]
    return list(dict.fromkeys(i for i in ids if i is not None))


@dataclass(frozen=True)
class BookingRequest:
    patient_id: int
    professional_ids: tuple[int, ...]
    start: dt.datetime
    end: dt.datetime
    room_id: int | None
    discipline: str
    kind: AppointmentKind
    family_instructions: str
    internal_notes: str


def parse_booking_form(
    form: Mapping[str, object], clinic: ClinicEvent, zone: str, choices: BookingChoices | None = None
) -> BookingRequest:
    """patient, professionals (ids), day, start_time, minutes, room (id or blank), discipline, instructions, notes."""
    errors = FormErrors()
    patient_id = _as_id(form.get("patient"))
    if patient_id is None:
        errors.add("patient", "choose the patient")
    elif choices is not None and patient_id not in {p for p, _ in choices.patients}:
        errors.add("patient", "this patient is not coming to this clinic")
    professional_ids = _as_ids(form.get("professionals"))
    if not professional_ids:
        errors.add("professionals", "choose at least one professional")
    room_id = _as_id(form.get("room"))
    if choices is not None and room_id is not None and room_id not in {r for r, _ in choices.rooms}:
        errors.add("room", "this room does not belong to this clinic")
    fields = {k: form_text(form, k) for k in ("day", "start_time", "minutes", "family_instructions", "internal_notes")}
    discipline = form_text(form, "discipline").strip()
    if not discipline and professional_ids and choices is not None:
        discipline = choices.disciplines.get(professional_ids[0], "")
    fields["discipline"] = discipline or ("joint" if len(professional_ids) > 1 else "")
    values: dict[str, Any] = {}
    try:
        values = appointment_service.parse_appointment_form(fields, clinic, zone)
    except ValidationError as exc:
        for key, message in exc.errors.items():
            errors.add("professionals" if key == "discipline" and not professional_ids else key, message)
    errors.raise_if_any()
    assert patient_id is not None
    return BookingRequest(
        patient_id=patient_id,
        professional_ids=tuple(professional_ids),
        start=values["start"],
        end=values["end"],
        room_id=room_id,
        discipline=values["discipline"],
        kind=AppointmentKind.JOINT if len(professional_ids) > 1 else AppointmentKind.CONSULTATION,
        family_instructions=values.get("family_instructions") or "",
        internal_notes=values.get("internal_notes") or "",
    )


def refuse_outside_staffed_hours(
    session: Session, clinic: ClinicEvent, professional_ids: Iterable[int], start: dt.datetime, end: dt.datetime
) -> None:
    """A time typed in the form must fall within each professional's staffed hours that day (a clinic with no rota
    yet: any time of its day). Refused naming the professional and their hours, or that they are not in clinic."""
    staffing = clinic_service.list_staffing(session, clinic.id)  # type: ignore[arg-type]
    if not staffing:
        return
    zone = service_zone(session)
    local_start, local_end = to_local(start, zone), to_local(end, zone)
    day = local_start.date()
    for professional_id in professional_ids:
        shift = next((s for s, p in staffing if p.id == professional_id and s.day == day), None)
        name = next((p.display_name for _s, p in staffing if p.id == professional_id), "the professional")
        if shift is None:
            raise ValidationError.single(
                "start", f"{name} is not in clinic on {format_date(day)}: choose a free start from the list"
            )
        if local_start.time() < shift.start_time or local_end.time() > shift.end_time:
            raise ValidationError.single(
                "start", f"{name} is in clinic {shift.start_time:%H:%M}–{shift.end_time:%H:%M} that day"
            )


def _field_of(exc: ValidationError) -> ValidationError:
    """Point booking refusals at the form's own field names ('start' -> 'start_time', 'end' -> 'minutes')."""
    renamed = {{"start": "start_time", "end": "minutes"}.get(k, k): v for k, v in exc.errors.items()}
    return ValidationError(renamed)


def book_from_form(
    session: Session, clinic_id: int, form: Mapping[str, object], choices: BookingChoices | None = None
) -> Appointment:
    """Parse the booking form and book it; refusals (double bookings, wrong day) come back as field errors."""
    clinic = clinic_service.get_clinic(session, clinic_id)
    request = parse_booking_form(form, clinic, service_zone(session), choices)
    try:
        refuse_outside_staffed_hours(session, clinic, request.professional_ids, request.start, request.end)
        return appointment_service.book_appointment(
            session,
            clinic_id=clinic_id,
            patient_id=request.patient_id,
            professional_ids=list(request.professional_ids),
            start=request.start,
            end=request.end,
            discipline=request.discipline,
            kind=request.kind,
            room_id=request.room_id,
            family_instructions=request.family_instructions,
            internal_notes=request.internal_notes,
        )
    except ValidationError as exc:
        raise _field_of(exc) from exc


def move_from_form(
    session: Session,
    appointment_id: int,
    form: Mapping[str, object],
    *,
    expected_version: int | None = None,
    choices: BookingChoices | None = None,
) -> Appointment:
    """Move an appointment (day, start, minutes, room, professionals) and save its text, re-checking clashes.

    The patient stays as it is (book a new appointment for another family). Refusals come back as field
    errors; a save over someone else's newer change raises ``ConcurrentEditError``.
    """
    appointment = get_or_raise(session, Appointment, appointment_id)
    clinic = clinic_service.get_clinic(session, appointment.clinic_event_id)
    zone = service_zone(session)
    current_ids = sorted(
        session.exec(
            select(AppointmentProfessional.professional_id).where(
                AppointmentProfessional.appointment_id == appointment_id
            )
        ).all()
    )
    data = dict(form)
    data["patient"] = appointment.patient_id
    if "professionals" not in data:
        data["professionals"] = current_ids
    if not form_text(data, "discipline").strip():
        data["discipline"] = appointment.discipline
    request = parse_booking_form(data, clinic, zone, None)
    if choices is not None and request.room_id is not None and request.room_id not in {r for r, _ in choices.rooms}:
        raise ValidationError.single("room", "this room does not belong to this clinic")
    try:
        appointment_service.check_booking(
            session,
            clinic,
            patient_id=appointment.patient_id,
            professional_ids=list(request.professional_ids),
            start=request.start,
            end=request.end,
            room_id=request.room_id,
            exclude_id=appointment_id,
        )
        refuse_outside_staffed_hours(session, clinic, request.professional_ids, request.start, request.end)
    except ValidationError as exc:
        raise _field_of(exc) from exc
    for pid in request.professional_ids:
        get_or_raise(session, Professional, pid)
    changes: dict[str, Any] = {
        "start": request.start,
        "end": request.end,
        "room_id": request.room_id,
        "discipline": request.discipline,
        "family_instructions": request.family_instructions,
        "internal_notes": request.internal_notes,
    }
    if set(request.professional_ids) != set(current_ids):
        changes["kind"] = _kind_for(appointment.kind, len(request.professional_ids))
    moved = appointment_service.update_appointment(session, appointment_id, changes, expected_version=expected_version)
    appointment_service.set_professionals(session, appointment_id, request.professional_ids)
    return moved


def _kind_for(kind: AppointmentKind, count: int) -> AppointmentKind:
    if kind in (AppointmentKind.TEST, AppointmentKind.ROUND_TABLE):
        return kind
    return AppointmentKind.JOINT if count > 1 else AppointmentKind.CONSULTATION


def appointment_form_values(view: AppointmentView, clinic: ClinicEvent, zone: str) -> dict[str, object]:
    """An appointment as the booking form shows it (the inverse of ``parse_booking_form``)."""
    start, end = to_local(view.appointment.start, zone), to_local(view.appointment.end, zone)
    day = start.date()
    day_text = str(clinic.dates.index(day) + 1) if day in clinic.dates else format_date(day)
    return {
        "patient": view.patient.id,
        "professionals": [p.id for p in view.professionals],
        "day": day_text,
        "start_time": f"{start:%H:%M}",
        "minutes": str(int((end - start).total_seconds() // 60)),
        "room": view.appointment.room_id,
        "discipline": view.appointment.discipline,
        "family_instructions": view.appointment.family_instructions,
        "internal_notes": view.appointment.internal_notes,
    }


def save_booking(
    database: Database, clinic_id: int, form: Mapping[str, object], choices: BookingChoices | None = None
) -> int:
    """Book from the form in a unit of work of its own; the new appointment's id."""
    appointment = database.write(book_from_form, clinic_id, form, choices)
    assert appointment.id is not None
    return appointment.id


def save_move(
    database: Database,
    appointment_id: int,
    form: Mapping[str, object],
    *,
    expected_version: int | None = None,
    choices: BookingChoices | None = None,
) -> int:
    """Move from the form in a unit of work of its own; the appointment's id."""
    database.write(move_from_form, appointment_id, form, expected_version=expected_version, choices=choices)
    return appointment_id


def cancel_booking(database: Database, appointment_id: int, *, expected_version: int | None = None) -> Appointment:
    """Cancel an appointment (kept as cancelled) in a unit of work of its own; refused if it changed meanwhile."""
    return database.write(appointment_service.cancel_appointment, appointment_id, expected_version=expected_version)
