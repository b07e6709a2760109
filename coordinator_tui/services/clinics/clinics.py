"""Combined clinic events, their rooms and staffing, and the patients invited (attendances with travel and hotel)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from coordinator_tui import clock
from coordinator_tui.clinic_time import local_to_utc, to_local
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
from coordinator_tui.services.clinics.venues import (
    clinic_rooms,
    find_venue_by_name,
    set_clinic_venue,
    use_room,
)
from coordinator_tui.services.people.specialist_service import get_service

if TYPE_CHECKING:
    from coordinator_tui.db import Database
from coordinator_tui.services.safety.records import create_record, get_or_raise, update_record
from coordinator_tui.validation import (
    FieldError,
    FormErrors,
    ValidationError,
    clean_text,
    form_text,
    parse_multiline,
    parse_positive_int,
    parse_text_fields,
    parse_time,
    parse_uk_date,
    validate_uk_phone,
)

# ------------------------------------------------------------------------------------------------------------
# Clinic events
# ------------------------------------------------------------------------------------------------------------


def parse_clinic_form(form: Mapping[str, object]) -> dict[str, Any]:
    errors = FormErrors()
    values: dict[str, Any] = parse_text_fields(form, errors, {"name": 200, "venue": 200}, required={"name"})
    values["start_date"] = errors.check(
        "start_date", parse_uk_date, form_text(form, "start_date"), "start_date", allow_past=False
    )
    values["days"] = errors.check(
        "days", parse_positive_int, form_text(form, "days") or "2", "days", minimum=1, maximum=5
    )
    venue_id = form_text(form, "venue_id").strip()
    if venue_id:
        values["venue_id"] = int(venue_id) if venue_id.isascii() and venue_id.isdigit() and len(venue_id) < 19 else None
        if values["venue_id"] is None:
            errors.add("venue_id", "choose a venue from the list")
    values["day_start"] = errors.check("day_start", parse_time, form_text(form, "day_start") or "09:00", "day_start")
    values["day_end"] = errors.check("day_end", parse_time, form_text(form, "day_end") or "17:00", "day_end")
    if values.get("day_start") and values.get("day_end") and values["day_end"] <= values["day_start"]:
        errors.add("day_end", "the clinic day must end after it starts")
    errors.raise_if_any()
    return values


def _catalogue_venue(session: Session, service_id: int, values: Mapping[str, Any]) -> Venue | None:
    """The venue ``values`` name: by ``venue_id``, else by its name typed as ``venue`` (None when blank)."""
    if values.get("venue_id") is not None:
        return get_or_raise(session, Venue, values["venue_id"])
    text = str(values.get("venue") or "")
    if not text.strip():
        return None
    try:
        return find_venue_by_name(session, service_id, text)
    except FieldError as exc:
        raise ValidationError.single(exc.field, exc.message) from None


def create_clinic_event(session: Session, values: Mapping[str, Any]) -> ClinicEvent:
    """A clinic; its venue is a catalogue venue (by id, or by the name typed), and it uses the venue's rooms.
    Refused (as a move is, ``clinic_series.clash``) when a day is a bank holiday, naming it, or a weekend, and when
    it overlaps another clinic at the same venue."""
    data = dict(values)
    data.setdefault("service_id", get_service(session).id)
    if data.get("day_end") and data.get("day_start") and data["day_end"] <= data["day_start"]:
        raise ValidationError.single("day_end", "the clinic day must end after it starts")
    venue = _catalogue_venue(session, data["service_id"], data)
    _refuse_unusable_dates(session, data["start_date"], int(data.get("days") or 2), venue)
    data["venue_id"], data["venue"] = None, ""
    clinic = create_record(session, ClinicEvent(**data))
    if venue is None:
        return clinic
    assert clinic.id is not None
    return set_clinic_venue(session, clinic.id, venue.id)


def update_clinic_event(
    session: Session, clinic_id: int, values: Mapping[str, Any], *, expected_version: int | None = None
) -> ClinicEvent:
    """Change a clinic; a changed venue (``venue_id``, or its name as ``venue``) goes through ``set_clinic_venue``.
    Its dates are changed only by ``clinic_moves.move_clinic`` (everything booked moves with them)."""
    changes = dict(values)
    if {"start_date", "days"} & set(changes):
        raise ValidationError.single(
            "start_date", "move the clinic instead (m on Clinic days): its bookings, travel and hotels move with it"
        )
    if "venue" in changes or "venue_id" in changes:
        clinic = update_record(session, ClinicEvent, clinic_id, {}, expected_version=expected_version)  # stale?
        venue = _catalogue_venue(session, clinic.service_id, changes)
        changes.pop("venue", None)
        changes.pop("venue_id", None)
        if (venue.id if venue else None) != clinic.venue_id:
            clinic = set_clinic_venue(
                session, clinic_id, venue.id if venue else None, expected_version=expected_version
            )
            expected_version = clinic.version
    return update_record(session, ClinicEvent, clinic_id, changes, expected_version=expected_version)


def _refuse_unusable_dates(session: Session, start: dt.date, days: int, venue: Venue | None) -> None:
    from coordinator_tui.services.clinics.clinic_series import clash, overlap_text, venue_overlaps

    reasons = [clash(start, days)] if clash(start, days) else []
    others = venue_overlaps(session, venue.id if venue else None, start, days)
    reasons += [overlap_text(start, other) for other in others]
    if reasons:
        raise ValidationError.single("start_date", "; ".join(reasons))


def cancel_clinic_event(session: Session, clinic_id: int, *, expected_version: int | None = None) -> ClinicEvent:
    """Cancel a clinic (the one way to: status cancelled, audited). Families keep their places on record, and
    appointments, travel and hotels stay as they were: who has to be told is derived from what was exported
    (``itineraries.families_to_tell``). Refused for a clinic already cancelled or already over."""
    clinic = get_clinic(session, clinic_id)
    if clinic.status is ClinicStatus.CANCELLED:
        raise ValidationError.single("clinic", f"{clinic.name} is already cancelled")
    if clinic.end_date < clock.today():
        raise ValidationError.single("clinic", f"{clinic.name} has already taken place")
    return update_record(
        session, ClinicEvent, clinic_id, {"status": ClinicStatus.CANCELLED}, expected_version=expected_version
    )


@dataclass(frozen=True)
class ClinicFormChoices:
    """What the new-clinic and plan forms offer: the catalogue's current venues, and the service's day hours."""

    venues: list[tuple[int, str]]
    day_start: dt.time
    day_end: dt.time


def clinic_form_choices(database: Database) -> ClinicFormChoices:
    from coordinator_tui.services.clinics.venues import load_catalogue
    from coordinator_tui.services.service_details import read_service_details

    def read(session: Session) -> ClinicFormChoices:
        details = read_service_details(session)
        venues = [(int(e.venue.id or 0), e.venue.name) for e in load_catalogue(session).venues]
        start = min(details.child_day_start, details.adult_day_start)
        return ClinicFormChoices(venues, start, max(details.child_day_end, details.adult_day_end))

    return database.read(read)


def save_new_clinic(database: Database, form: Mapping[str, object]) -> ClinicEvent:
    """The new-clinic form's (and ``clinics new``'s) use case. A blank name becomes "Combined clinic DD/MM/YYYY"
    (a name holding its date follows the clinic when it is moved)."""
    values = dict(form)
    if not form_text(form, "name").strip():
        day = parse_uk_date(form_text(form, "start_date"), "start_date", required=False)
        values["name"] = f"Combined clinic {day:%d/%m/%Y}" if day else ""
    parsed = parse_clinic_form(values)
    return database.write(create_clinic_event, parsed)


def get_clinic(session: Session, clinic_id: int) -> ClinicEvent:
    return get_or_raise(session, ClinicEvent, clinic_id)


def list_clinics(
    session: Session, *, upcoming_from: dt.date | None = None, include_cancelled: bool = True
) -> Sequence[ClinicEvent]:
    """Clinic events in date order; with ``upcoming_from``, those whose last day is on or after it."""
    query = select(ClinicEvent)
    if upcoming_from is not None:
        # The last day is start_date + days - 1; clinics last at most five days.
        query = query.where(ClinicEvent.start_date >= upcoming_from - dt.timedelta(days=4))
    if not include_cancelled:
        query = query.where(ClinicEvent.status != ClinicStatus.CANCELLED)
    events = session.exec(query.order_by(ClinicEvent.start_date, ClinicEvent.id)).all()
    if upcoming_from is not None:
        events = [e for e in events if e.end_date >= upcoming_from]
    return events


def upcoming_clinics(session: Session) -> Sequence[ClinicEvent]:
    return list_clinics(session, upcoming_from=clock.today())


# ------------------------------------------------------------------------------------------------------------
# Rooms and staffing
# ------------------------------------------------------------------------------------------------------------


def add_room(session: Session, clinic_id: int, name: str, building: str = "") -> Room:
    """Use a room of the clinic's venue in this clinic (added to the venue's catalogue if it has none by that
    building and name). Refused for a clinic with no venue."""
    clean_name = clean_text(name, "room", max_length=100, required=True)
    clean_building = clean_text(building, "building", max_length=100)
    return use_room(session, clinic_id, clean_name, clean_building)


def list_rooms(session: Session, clinic_id: int) -> Sequence[Room]:
    """The rooms the clinic uses, by building then name."""
    return clinic_rooms(session, clinic_id)


def set_staffing(
    session: Session,
    clinic_id: int,
    professional_id: int,
    day: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    room_id: int | None = None,
) -> ClinicStaffing:
    """Say that a professional attends one day of the clinic, their hours and room (created or replaced), by the
    staffing rules (``staffing_rules.set_staff_day``: hours within the clinic's day, a room of its venue, no archived
    professional newly staffed, no one in two places at once; audited)."""
    from coordinator_tui.services.clinics.staffing_rules import set_staff_day

    return set_staff_day(session, clinic_id, professional_id, day, start_time, end_time, room_id)


def list_staffing(session: Session, clinic_id: int) -> list[tuple[ClinicStaffing, Professional]]:
    rows = session.exec(
        select(ClinicStaffing, Professional)
        .join(Professional, col(Professional.id) == ClinicStaffing.professional_id)
        .where(ClinicStaffing.clinic_event_id == clinic_id)
        .order_by(ClinicStaffing.day, Professional.discipline, Professional.family_name)
    ).all()
    return [(s, p) for s, p in rows]


# ------------------------------------------------------------------------------------------------------------
# Attendances: who comes, and their travel and hotel
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceView:
    attendance: ClinicAttendance
    patient: Patient
    clinic: ClinicEvent

    @property
    def missing(self) -> list[str]:
        """What the family support worker still has to book (empty for families not coming: declined, cancelled,
        or the clinic is behind them)."""
        if self.attendance.status not in (AttendanceStatus.INVITED, AttendanceStatus.CONFIRMED):
            return []
        todo = []
        if not self.attendance.travel_booked:
            todo.append("travel")
        if not self.attendance.hotel_booked:
            todo.append("hotel")
        return todo


TRAVEL_TEXT = {
    "travel_out_mode": 40,
    "travel_out_reference": 60,
    "travel_home_mode": 40,
    "travel_home_reference": 60,
    "hotel_name": 200,
    "hotel_reference": 60,
}


def _local_moment(errors: FormErrors, form: Mapping[str, object], prefix: str, zone: str) -> dt.datetime | None:
    """A date + time pair of fields ('<prefix>_date', '<prefix>_time') as an aware UTC datetime."""
    date_text, time_text = form_text(form, f"{prefix}_date"), form_text(form, f"{prefix}_time")
    if not date_text.strip() and not time_text.strip():
        return None
    day = errors.check(f"{prefix}_date", parse_uk_date, date_text, f"{prefix}_date")
    at = errors.check(f"{prefix}_time", parse_time, time_text, f"{prefix}_time")
    if day is None or at is None:
        return None
    return local_to_utc(day, at, zone)


def parse_travel_form(form: Mapping[str, object], zone: str) -> dict[str, Any]:
    """Travel out/home (mode, local date + time, reference) and hotel (name, address, phone, check-in date and the
    hotel's check-in time, HH:MM, blank for 15:00; nights)."""
    errors = FormErrors()
    values: dict[str, Any] = parse_text_fields(form, errors, TRAVEL_TEXT)
    for prefix in ("travel_out_depart", "travel_out_arrive", "travel_home_depart", "travel_home_arrive"):
        values[prefix] = _local_moment(errors, form, prefix, zone)
    values["hotel_address"] = parse_multiline(form, errors, "hotel_address", 400)
    values["hotel_phone"] = errors.check(
        "hotel_phone", validate_uk_phone, form_text(form, "hotel_phone"), "hotel_phone"
    )
    values["hotel_check_in"] = errors.check(
        "hotel_check_in", parse_uk_date, form_text(form, "hotel_check_in"), "hotel_check_in", required=False
    )
    check_in_time = form_text(form, "hotel_check_in_time").strip()  # blank: the hotel's usual 15:00
    values["hotel_check_in_time"] = (
        errors.check("hotel_check_in_time", parse_time, check_in_time, "hotel_check_in_time") if check_in_time else None
    )
    values["hotel_nights"] = errors.check(
        "hotel_nights", parse_positive_int, form_text(form, "hotel_nights") or "0", "hotel_nights", maximum=14
    )
    values["family_instructions"] = parse_multiline(form, errors, "family_instructions", 2000)
    values["internal_notes"] = parse_multiline(form, errors, "internal_notes", 4000)
    for leg in ("travel_out", "travel_home"):
        depart, arrive = values.get(f"{leg}_depart"), values.get(f"{leg}_arrive")
        if depart and arrive and arrive <= depart:
            errors.add(f"{leg}_arrive_time", "arrival must be after departure")
    out_arrive, home_depart = values.get("travel_out_arrive"), values.get("travel_home_depart")
    if out_arrive and home_depart and home_depart <= out_arrive:
        errors.add("travel_home_depart_time", "the journey home must be after arriving")
    if values.get("hotel_nights") and not values.get("hotel_check_in"):
        errors.add("hotel_check_in", "a check-in date is needed when nights are booked")
    if values.get("hotel_check_in_time") and not values.get("hotel_check_in") and "hotel_check_in" not in errors.errors:
        errors.add("hotel_check_in_time", "a check-in time needs a check-in date")
    errors.raise_if_any()
    return values


def travel_form_values(attendance: ClinicAttendance, zone: str) -> dict[str, str]:
    """The attendance as the text a travel form shows (the inverse of ``parse_travel_form``)."""
    form: dict[str, str] = {key: str(getattr(attendance, key) or "") for key in TRAVEL_TEXT}
    for prefix in ("travel_out_depart", "travel_out_arrive", "travel_home_depart", "travel_home_arrive"):
        moment = getattr(attendance, prefix)
        local = to_local(moment, zone) if moment else None
        form[f"{prefix}_date"] = local.strftime("%d/%m/%Y") if local else ""
        form[f"{prefix}_time"] = local.strftime("%H:%M") if local else ""
    form["hotel_address"] = attendance.hotel_address
    form["hotel_phone"] = attendance.hotel_phone
    form["hotel_check_in"] = attendance.hotel_check_in.strftime("%d/%m/%Y") if attendance.hotel_check_in else ""
    check_in_time = attendance.hotel_check_in_time
    form["hotel_check_in_time"] = check_in_time.strftime("%H:%M") if check_in_time else ""
    form["hotel_nights"] = str(attendance.hotel_nights)
    form["family_instructions"] = attendance.family_instructions
    form["internal_notes"] = attendance.internal_notes
    return form


def update_attendance(
    session: Session, attendance_id: int, values: Mapping[str, Any], *, expected_version: int | None = None
) -> ClinicAttendance:
    return update_record(session, ClinicAttendance, attendance_id, values, expected_version=expected_version)


def attendances_for_clinic(session: Session, clinic_id: int) -> list[AttendanceView]:
    clinic = get_clinic(session, clinic_id)
    rows = session.exec(
        select(ClinicAttendance, Patient)
        .join(Patient, col(Patient.id) == ClinicAttendance.patient_id)
        .where(ClinicAttendance.clinic_event_id == clinic_id)
        .order_by(Patient.family_name, Patient.given_name)
    ).all()
    return [AttendanceView(attendance=a, patient=p, clinic=clinic) for a, p in rows]


def attendances_for_patient(session: Session, patient_id: int) -> list[AttendanceView]:
    """A patient's clinic visits, newest first."""
    patient = get_or_raise(session, Patient, patient_id)
    rows = session.exec(
        select(ClinicAttendance, ClinicEvent)
        .join(ClinicEvent, col(ClinicEvent.id) == ClinicAttendance.clinic_event_id)
        .where(ClinicAttendance.patient_id == patient_id)
        .order_by(col(ClinicEvent.start_date).desc())
    ).all()
    return [AttendanceView(attendance=a, patient=patient, clinic=c) for a, c in rows]


def get_attendance(session: Session, attendance_id: int) -> ClinicAttendance:
    return get_or_raise(session, ClinicAttendance, attendance_id)


def parse_day_in_clinic(clinic: ClinicEvent, text: str, field: str = "day") -> dt.date:
    """A typed date (DD/MM/YYYY) or day number (1, 2) that must fall on one of the clinic's days."""
    stripped = text.strip()
    if stripped.isascii() and stripped.isdigit() and len(stripped) <= 2:
        index = int(stripped)
        if not 1 <= index <= clinic.days:
            raise FieldError(field, f"this clinic has days 1 to {clinic.days}")
        return clinic.dates[index - 1]
    day = parse_uk_date(stripped, field)
    assert day is not None
    if day not in clinic.dates:
        raise FieldError(
            field, f"is not a day of this clinic ({', '.join(d.strftime('%d/%m/%Y') for d in clinic.dates)})"
        )
    return day
